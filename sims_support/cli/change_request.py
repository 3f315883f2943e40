"""`sims-case cr ACTION`: raise change requests, vote, record product-manager decisions,
read one, list them by popularity; as the actor `--as` names (a vote is sent as the
voting integrator, `--as integrator:ID`; a decision as `--as product_manager:ID`).

Failures are the `Failure`, `Refused` and `NotFound` that `main` turns into exit codes
(2 bad input, 3 refused, 4 no such request, 1 no worker).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import TypeAdapter
from temporalio.client import Client

from domain.actors import Actor
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
from sims_support.cli.actors import actor_of, visible
from sims_support.cli.change_request_render import render_cr, render_cr_rows
from sims_support.cli.common import (
    CHANGE_REQUEST,
    Command,
    add_commands,
    call_temporal,
    read_reference,
    read_request,
    validated,
)
from sims_support.cli.exits import bad_input
from sims_support.cli.inputs import add_text_option, flags_given, texts_from_files
from sims_support.client import change_requests
from sims_support.client.change_requests import ChangeRequestRow
from sims_support.config import Settings

Result = ChangeRequestStatus | Sequence[ChangeRequestRow]
VOTER = {"--integrator": "integrator_id"}
OPENING_TEXT = {"title": "--title", "description": "--description"}
WHO_WHY = {"--by": "decided_by", "--reason": "reason"}
# Action -> the change-request event it sends; tests/unit/test_cli_contract.py checks it
# against workflows/contract.py.
COMMANDS: dict[str, Command[Any]] = {
    "vote": Command("vote", Vote, VOTER, "an integrator votes for it (once; repeats are no-ops)"),
    "unvote": Command("unvote", Unvote, VOTER, "an integrator withdraws their vote"),
    "review": Command("review", Review, WHO_WHY, "a product manager reviewed it (stage 1 or 2)"),
    "consider": Command("consider", Decision, WHO_WHY, "stage 2: considered for a future release"),
    "plan": Command(
        "plan",
        Plan,
        {**WHO_WHY, "--target-release": "target_release"},
        "stage 3: planned for a future release (on a project backlog)",
    ),
    "deliver": Command(
        "deliver",
        Deliver,
        {**WHO_WHY, "--release": "release_version"},
        "delivered in a release",
    ),
    "reject": Command("reject", Decision, WHO_WHY, "rejected, at any stage"),
    "duplicate": Command(
        "mark_duplicate",
        MarkDuplicate,
        {**WHO_WHY, "--original": "original_reference", "--workaround": "workaround"},
        "a duplicate of another request (its votes move there) or met by a workaround",
    ),
}


def add_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add `cr` and its actions to the `sims-case` sub-commands."""
    add_arguments(CHANGE_REQUEST.add_parser(subparsers, parents), parents)


def add_arguments(
    cr: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser] = ()
) -> None:
    """The actions of `cr` (`main` adds them when `cr` is used)."""
    actions = cr.add_subparsers(dest="cr_command", required=True, metavar="ACTION")
    opener = actions.add_parser("open", parents=list(parents), help="raise a change request")
    opener.add_argument("reference", metavar="REF")
    add_text_option(opener, "--title", "title", required=True)
    opener.add_argument("--raised-by", required=True, help="the integrator's id")
    add_text_option(opener, "--description", "description", default="")
    add_commands(actions, COMMANDS, parents)
    status = actions.add_parser("status", parents=list(parents), help="one change request")
    status.add_argument("reference", metavar="REF")
    lister = actions.add_parser("list", parents=list(parents), help="find change requests")
    lister.add_argument("--sort", choices=sorted(change_requests.SORTS), default="votes")
    lister.add_argument("--state", choices=[s.id for s in ChangeRequestMachine.states])
    lister.add_argument("--all", action="store_true", help="finished ones too")
    lister.add_argument("--limit", type=int, default=50)


def read_opening(args: argparse.Namespace, now: dt.datetime) -> OpenChangeRequest:
    fields = {
        "reference": args.reference,
        "title": args.title,
        "raised_by": args.raised_by,
        "description": args.description,
        "raised_at": now,
    }
    given = texts_from_files(args, OPENING_TEXT)
    names = {"reference": "REF", "raised_by": "--raised-by", **flags_given(OPENING_TEXT, given)}
    return validated(OpenChangeRequest, fields | given, names)


async def seen_by(answer: Awaitable[ChangeRequestStatus], viewer: Actor) -> ChangeRequestStatus:
    """The request as `viewer` may see it: an integrator, the public events only."""
    status = await answer
    return status.model_copy(update={"timeline": visible(status.timeline, viewer)})


def prepare(
    args: argparse.Namespace, actor: Actor | None = None
) -> Callable[[Client, str], Awaitable[Result]]:
    """Read and check the input, then say what to send as `actor` (default: `--as`, else
    the desk as the login user); `call(client, task_queue)` sends it."""
    actor = actor or actor_of(args)
    if args.cr_command == "open":
        opening = read_opening(args, dt.datetime.now(dt.UTC))
        return lambda client, task_queue: seen_by(
            change_requests.open_change_request(
                client, opening, opened_by=actor, task_queue=task_queue
            ),
            actor,
        )
    if args.cr_command == "list":
        if args.limit < 1:
            raise bad_input("--limit: must be at least 1")
        sort, limit = args.sort, args.limit
        query = change_requests.list_query(include_closed=args.all, state=args.state)
        return lambda client, _: change_requests.list_change_requests(
            client, query, sort=sort, limit=limit
        )
    reference = read_reference(args.reference, "change-request")
    if args.cr_command == "status":
        return lambda client, _: seen_by(change_requests.status(client, reference), actor)
    command = COMMANDS[args.cr_command]
    request = read_request(args, command)
    return lambda client, _: seen_by(
        change_requests.send(client, reference, command.update, request, actor=actor), actor
    )


async def run(client: Client, args: argparse.Namespace, task_queue: str) -> Result:
    """One `cr` action against Temporal; input is checked before anything is sent."""
    return await prepare(args)(client, task_queue)


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """`main.dispatch` for `cr`: returns what to print."""
    result = await call_temporal(args, settings, prepare(args, actor_of(args, settings)))
    if isinstance(result, ChangeRequestStatus):
        return result.model_dump_json() if args.json else render_cr(result)
    rows = list(result)
    if args.json:
        return TypeAdapter(list[ChangeRequestRow]).dump_json(rows).decode()
    return render_cr_rows(rows)
