"""The case commands of `sims-case`: `open`, one command per case event, `note`,
`status`, `list`; each as the actor `--as` names (`sims_support.cli.actors`).

Everything a person typed is read and checked before Temporal is contacted, so bad input
fails fast (exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError
from temporalio.client import Client

from domain.actors import Actor, Role
from domain.case_views import status_for
from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseStatus,
    ChangePriority,
    EscalateToProblem,
    FeedbackEscalation,
    GiveFeedback,
    OfferResolution,
    OpenCase,
    PostUpdate,
    Priority,
    ProvideInformation,
    Reopen,
    RequestInformation,
    ResolutionKind,
    Visibility,
    Withdraw,
)
from sims_support.cli.actors import actor_of, viewer_of
from sims_support.cli.common import (
    Command,
    add_commands,
    call_temporal,
    deferred,
    read_reference,
    read_request,
)
from sims_support.cli.examples import EXAMPLES, example
from sims_support.cli.exits import bad_input
from sims_support.cli.inputs import read_json, shown_path
from sims_support.cli.render import render_rows, render_status
from sims_support.client import cases
from sims_support.config import Settings
from sims_support.runtime.connect import connect, one_line
from workflows import search

if TYPE_CHECKING:
    from domain.kpi_ledger import FeedbackRecord

MESSAGE = {"--message": "message"}
REASON = {"--reason": "reason"}
# Command -> the case event it sends; tests/unit/test_cli_contract.py checks it against
# workflows/contract.py.
COMMANDS: dict[str, Command[Any]] = {
    "acknowledge": Command("acknowledge", Acknowledge, MESSAGE, "first response to the integrator"),
    "update": Command("post_update", PostUpdate, MESSAGE, "tell the integrator how it is going"),
    "request-info": Command(
        "request_information", RequestInformation, MESSAGE, "ask the integrator (clocks pause)"
    ),
    "provide-info": Command(
        "provide_information", ProvideInformation, MESSAGE, "the integrator answers"
    ),
    "priority": Command(
        "change_priority",
        ChangePriority,
        {"--impact": "impact", "--urgency": "urgency", "--reason": "reason"},
        "re-assess impact and urgency (targets recomputed from logging)",
    ),
    "escalate": Command(
        "escalate_to_problem",
        EscalateToProblem,
        {"--problem": "problem_reference"},
        "link the case to a problem",
    ),
    "offer": Command(
        "offer_resolution",
        OfferResolution,
        {"--kind": "kind", "--summary": "summary"},
        "offer a resolution (starts the 10-working-day window)",
        choices={"kind": [k.value for k in ResolutionKind]},
    ),
    "accept": Command(
        "accept_resolution", AcceptResolution, {}, "the integrator accepts the offer"
    ),
    "reopen": Command("reopen", Reopen, REASON, "the integrator reopens an offered resolution"),
    "withdraw": Command("withdraw", Withdraw, REASON, "the integrator withdraws the case"),
    "feedback": Command(
        "give_feedback",
        GiveFeedback,
        {"--rating": "rating", "--comment": "comment", "--escalate": "escalate"},
        "the integrator or school rates the service, 1-5 (a Resolved case: in the ledger)",
        choices={"escalate": [e.value for e in FeedbackEscalation]},
    ),
}
# A second way to send post_update, so kept out of COMMANDS (one command per event there):
# a note the desk keeps to itself with --internal.
NOTES: dict[str, Command[Any]] = {
    "note": Command(
        "post_update",
        PostUpdate,
        MESSAGE,
        "a note on the case: public, or --internal for the desk only (no contact, no notice)",
        switches={"--internal": ("visibility", Visibility.INTERNAL.value)},
    ),
}


def in_command_words(message: str) -> str:
    """A refusal names events as the workflow does (`post_update`): say them as commands."""
    for name, command in COMMANDS.items():
        message = re.sub(rf"\b{command.update}\b", name, message)
    return message


def add_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add the case commands to the `sims-case` sub-commands."""
    opener = subparsers.add_parser("open", parents=list(parents), help="log a new case")
    source = opener.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="intake JSON (OpenCase); '-' reads standard input")
    source.add_argument("--example", choices=sorted(EXAMPLES), help="a sample, logged now")
    opener.add_argument("--reference", help="use this reference instead")
    opener.add_argument(
        "--print-intake",
        action="store_true",
        help="print the intake as JSON (what POST /v1/cases takes) and open nothing",
    )

    add_commands(subparsers, COMMANDS, parents)
    add_commands(subparsers, NOTES, parents)

    status = subparsers.add_parser(
        "status", parents=list(parents), help="a case's clocks and timeline"
    )
    status.add_argument("reference", metavar="REF")

    lister = subparsers.add_parser("list", parents=list(parents), help="find cases")
    deferred(lister, add_list_arguments)


def add_list_arguments(lister: argparse.ArgumentParser) -> None:
    """`list`'s filters, added when `list` is used: its states are the case machine's."""
    from domain.machines import CaseMachine

    lister.add_argument("--late", action="store_true", help="only cases whose SLA is breached")
    lister.add_argument("--state", choices=[s.id for s in CaseMachine.states])
    lister.add_argument("--priority", choices=[p.name for p in Priority])
    lister.add_argument("--integrator", help="integrator id")
    lister.add_argument("--all", action="store_true", help="closed cases too")
    lister.add_argument("--limit", type=int, default=50)


def read_intake(args: argparse.Namespace, now: dt.datetime, actor: Actor | None = None) -> OpenCase:
    if args.example:
        data: Any = example(args.example, now, args.reference, actor)
    else:
        data = read_json(args.file, "--file")
        if not isinstance(data, dict):
            where = shown_path(args.file)
            raise bad_input(f"--file: {where}: expected a JSON object (an OpenCase)")
        if args.reference:
            data["reference"] = args.reference
    try:
        return OpenCase.model_validate(data)
    except ValidationError as err:
        raise bad_input(one_line(err)) from None


def cases_query(args: argparse.Namespace, actor: Actor | None = None) -> str:
    """`sims-case list`'s filters as a Temporal list filter on the search attributes; an
    integrator or a school lists its own cases only."""
    integrator = args.integrator
    if actor is not None and actor.role is Role.INTEGRATOR:
        if integrator not in (None, actor.id):
            raise bad_input(f"--integrator: integrator {actor.id} lists its own cases only")
        integrator = actor.id
    query = cases.list_query(
        include_closed=args.all,
        late=args.late,
        state=args.state,
        priority=args.priority,
        integrator=integrator,
    )
    if actor is not None and actor.role is Role.SCHOOL:
        # An id has no quote nor backslash (its pattern), so it needs no escaping.
        query += f' AND {search.SCHOOL_URN.name} = "{actor.id}"'
    return query


async def seen_by(answer: Awaitable[CaseStatus], viewer: Actor | None) -> CaseStatus:
    """The status a command answers with, as its actor may see it."""
    return status_for(await answer, viewer)


def prepare(
    args: argparse.Namespace, actor: Actor | None = None, settings: Settings | None = None
) -> Callable[[Client, str], Awaitable[CaseStatus | FeedbackRecord]]:
    """Read and check the input (once: `--file -` is standard input), then say what to
    send as `actor` (default: `--as`, else SIMS_ACTOR, else the desk as the login user);
    `call(client, task_queue)` sends it."""
    actor = actor or actor_of(args, settings)
    viewer = viewer_of(actor)
    if args.command == "open":
        intake = read_intake(args, dt.datetime.now(dt.UTC), actor)
        return lambda client, task_queue: seen_by(
            cases.open_case(client, intake, opened_by=actor, task_queue=task_queue), viewer
        )
    reference = read_reference(args.reference, "case")
    command = COMMANDS.get(args.command) or NOTES.get(args.command)
    if command is None:
        return lambda client, _: cases.status(client, reference, viewer=viewer)
    request = read_request(args, command)
    if command.update == "give_feedback":
        from sims_support.cli import feedback

        return lambda client, _: feedback.give(client, reference, request, actor, settings)
    return lambda client, _: seen_by(
        cases.send(client, reference, command.update, request, actor=actor), viewer
    )


async def run(
    client: Client, args: argparse.Namespace, task_queue: str, settings: Settings | None = None
) -> CaseStatus | FeedbackRecord:
    """One case command against Temporal; input is checked before anything is sent."""
    return await prepare(args, settings=settings)(client, task_queue)


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """`main.dispatch` for the case commands: returns what to print."""
    actor = actor_of(args, settings)
    if args.command == "open" and args.print_intake:
        intake = read_intake(args, dt.datetime.now(dt.UTC), actor)
        return intake.model_dump_json(indent=2, exclude_none=True)
    if args.command == "list":
        query = cases_query(args, actor)
        client = await connect(settings, address=args.address, namespace=args.namespace)
        rows = await cases.list_cases(client, query, limit=args.limit)
        if args.json:
            return TypeAdapter(list[cases.CaseRow]).dump_json(rows).decode()
        return render_rows(rows)
    later = " The case will open when one starts." if args.command == "open" else ""
    answer = await call_temporal(args, settings, prepare(args, actor, settings), later=later)
    if not isinstance(answer, CaseStatus):
        from sims_support.cli import feedback

        notified = settings.webhook_url is not None
        return feedback.render_record(answer, as_json=args.json, notified=notified)
    return answer.model_dump_json() if args.json else render_status(answer)
