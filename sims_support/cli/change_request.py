"""`sims-case cr ACTION`: raise change requests, vote, record product-manager decisions,
read one, list them by popularity.

Wiring (this module imports `cli_parser`, so `cli_parser` imports it inside the function):
in `cli_parser.build_parser`, after the case commands,
`from cli_cr import add_cr_parser` and `add_cr_parser(commands, parents=[common])`;
in `starter.dispatch`, first thing,
`if args.command == "cr": return await dispatch_cr(args, settings)`.
Failures are the `Failure`, `api.CaseRefused` and `api.NoSuchCase` that `starter`
already turns into exit codes (2 bad input, 3 refused, 4 no such request, 1 no worker).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio.client import Client

from domain.change_requests import (
    ChangeRequestStatus,
    Decision,
    Deliver,
    MarkDuplicate,
    OpenChangeRequest,
    Plan,
    Review,
    Unvote,
    Vote,
)
from domain.machines import ChangeRequestMachine
from domain.models import CaseRequest, Reference
from sims_support.cli.change_request_render import render_cr, render_cr_rows
from sims_support.cli.parser import Failure, bad_input
from sims_support.client import change_requests as cr_api
from sims_support.config import Settings
from sims_support.runtime.connect import connect, one_line

NO_WORKER = 1  # starter's UNREACHABLE: nobody answered


@dataclass(frozen=True)
class Action:
    update: str  # the Update's name, one of cr_api.CR_EVENTS
    model: type[CaseRequest]
    options: dict[str, str]  # command-line flag -> field of the model
    help: str


VOTER = {"--integrator": "integrator_id"}
WHO_WHY = {"--by": "decided_by", "--reason": "reason"}
ACTIONS = {
    "vote": Action("vote", Vote, VOTER, "an integrator votes for it (once; repeats are no-ops)"),
    "unvote": Action("unvote", Unvote, VOTER, "an integrator withdraws their vote"),
    "review": Action("review", Review, WHO_WHY, "a product manager reviewed it (stage 1 or 2)"),
    "consider": Action("consider", Decision, WHO_WHY, "stage 2: considered for a future release"),
    "plan": Action(
        "plan",
        Plan,
        {**WHO_WHY, "--target-release": "target_release"},
        "stage 3: planned for a future release (on a project backlog)",
    ),
    "deliver": Action(
        "deliver",
        Deliver,
        {**WHO_WHY, "--release": "release_version"},
        "delivered in a release",
    ),
    "reject": Action("reject", Decision, WHO_WHY, "rejected, at any stage"),
    "duplicate": Action(
        "mark_duplicate",
        MarkDuplicate,
        {**WHO_WHY, "--original": "original_reference", "--workaround": "workaround"},
        "a duplicate of another request (its votes move there) or met by a workaround",
    ),
}


def add_cr_parser(
    commands: Any, parents: Sequence[argparse.ArgumentParser] = ()
) -> argparse.ArgumentParser:
    """Add `cr` and its actions to the `sims-case` sub-commands."""
    cr = commands.add_parser("cr", parents=list(parents), help="change requests and their votes")
    actions = cr.add_subparsers(dest="cr_command", required=True, metavar="ACTION")
    opener = actions.add_parser("open", parents=list(parents), help="raise a change request")
    opener.add_argument("reference", metavar="REF")
    opener.add_argument("--title", required=True)
    opener.add_argument("--raised-by", required=True, help="the integrator's id")
    opener.add_argument("--description", default="")
    for name, action in ACTIONS.items():
        sub = actions.add_parser(name, parents=list(parents), help=action.help)
        sub.add_argument("reference", metavar="REF")
        for flag, field in action.options.items():
            sub.add_argument(
                flag, dest=field, required=action.model.model_fields[field].is_required()
            )
        sub.add_argument("--request-id", help="idempotency key (default: a fresh uuid4)")
    status = actions.add_parser("status", parents=list(parents), help="one change request")
    status.add_argument("reference", metavar="REF")
    lister = actions.add_parser("list", parents=list(parents), help="find change requests")
    lister.add_argument("--sort", choices=sorted(cr_api.SORTS), default="votes")
    lister.add_argument("--state", choices=[s.id for s in ChangeRequestMachine.states])
    lister.add_argument("--all", action="store_true", help="finished ones too")
    lister.add_argument("--limit", type=int, default=50)
    return cr


def read_reference(value: str, flag: str = "REF") -> str:
    try:
        return TypeAdapter(Reference).validate_python(value)
    except ValidationError:
        raise bad_input(
            f"{flag}: {value!r} is not a change-request reference (3 to 40 of A-Z, 0-9 and -)"
        ) from None


def read_opening(args: argparse.Namespace, now: dt.datetime) -> OpenChangeRequest:
    fields = {
        "reference": args.reference,
        "title": args.title,
        "raised_by": args.raised_by,
        "description": args.description,
        "raised_at": now,
    }
    return _validated(OpenChangeRequest, fields, {"reference": "REF", "raised_by": "--raised-by"})


def read_request(args: argparse.Namespace, action: Action) -> CaseRequest:
    fields = {f: getattr(args, f) for f in action.options.values() if getattr(args, f) is not None}
    fields["request_id"] = args.request_id or str(uuid.uuid4())
    flags = {field: flag for flag, field in action.options.items()}
    return _validated(action.model, fields, flags)


def _validated(model: type[BaseModel], fields: dict[str, Any], flags: dict[str, str]) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        raise bad_input(one_line(err, flags)) from None


def check_input(args: argparse.Namespace) -> None:
    """Bad input fails fast, before Temporal is contacted."""
    if args.cr_command == "open":
        read_opening(args, dt.datetime.now(dt.UTC))
    elif args.cr_command == "list":
        if args.limit < 1:
            raise bad_input("--limit: must be at least 1")
    else:
        read_reference(args.reference)
        if args.cr_command in ACTIONS:
            read_request(args, ACTIONS[args.cr_command])


async def run_cr_command(
    client: Client, args: argparse.Namespace, task_queue: str
) -> ChangeRequestStatus | Sequence[cr_api.ChangeRequestRow]:
    """One `cr` action against Temporal."""
    check_input(args)
    if args.cr_command == "open":
        opening = read_opening(args, dt.datetime.now(dt.UTC))
        return await cr_api.open_change_request(client, opening, task_queue=task_queue)
    if args.cr_command == "list":
        query = cr_api.list_query(include_closed=args.all, state=args.state)
        return await cr_api.list_change_requests(client, query, sort=args.sort, limit=args.limit)
    reference = read_reference(args.reference)
    if args.cr_command == "status":
        return await cr_api.cr_status(client, reference)
    action = ACTIONS[args.cr_command]
    return await cr_api.send_cr(client, reference, action.update, read_request(args, action))


async def dispatch_cr(args: argparse.Namespace, settings: Settings) -> str:
    """`starter.dispatch` for `cr`: returns what to print."""
    check_input(args)
    task_queue = args.task_queue or settings.task_queue
    client = await connect(settings, address=args.address, namespace=args.namespace)
    try:
        result = await asyncio.wait_for(run_cr_command(client, args, task_queue), args.wait)
    except TimeoutError:
        raise Failure(
            NO_WORKER,
            "no_worker",
            f"no worker answered within {args.wait:g}s: is one running on task queue "
            f"{task_queue} (`make run`, or `python worker.py`)?",
        ) from None
    if isinstance(result, ChangeRequestStatus):
        return result.model_dump_json() if args.json else render_cr(result)
    rows = list(result)
    if args.json:
        return TypeAdapter(list[cr_api.ChangeRequestRow]).dump_json(rows).decode()
    return render_cr_rows(rows)
