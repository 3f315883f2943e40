"""The case commands of `sims-case`: `open`, one command per case event, `status`, `list`.

Everything a person typed is read and checked before Temporal is contacted, so bad input
fails fast (exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from temporalio.client import Client

from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseStatus,
    ChangePriority,
    EscalateToProblem,
    OfferResolution,
    OpenCase,
    PostUpdate,
    Priority,
    ProvideInformation,
    Reopen,
    RequestInformation,
    ResolutionKind,
    Withdraw,
)
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
from sims_support.cli.render import render_rows, render_status
from sims_support.client import cases
from sims_support.config import Settings
from sims_support.runtime.connect import connect, one_line

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

    add_commands(subparsers, COMMANDS, parents)

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


def read_intake(args: argparse.Namespace, now: dt.datetime) -> OpenCase:
    if args.example:
        data: Any = example(args.example, now, args.reference)
    else:
        try:
            data = json.loads(sys.stdin.read() if args.file == "-" else Path(args.file).read_text())
        except OSError as err:
            raise bad_input(f"--file: {err.strerror}: {args.file}") from None
        except json.JSONDecodeError as err:
            raise bad_input(f"--file: not valid JSON: {err}") from None
        if not isinstance(data, dict):
            raise bad_input("--file: expected a JSON object (an OpenCase)")
        if args.reference:
            data["reference"] = args.reference
    try:
        return OpenCase.model_validate(data)
    except ValidationError as err:
        raise bad_input(one_line(err)) from None


def cases_query(args: argparse.Namespace) -> str:
    """`sims-case list`'s filters as a Temporal list filter on the search attributes."""
    return cases.list_query(
        include_closed=args.all,
        late=args.late,
        state=args.state,
        priority=args.priority,
        integrator=args.integrator,
    )


def prepare(args: argparse.Namespace) -> Callable[[Client, str], Awaitable[CaseStatus]]:
    """Read and check the input (once: `--file -` is standard input), then say what to
    send; `call(client, task_queue)` sends it."""
    if args.command == "open":
        intake = read_intake(args, dt.datetime.now(dt.UTC))
        return lambda client, task_queue: cases.open_case(client, intake, task_queue=task_queue)
    reference = read_reference(args.reference, "case")
    if args.command not in COMMANDS:
        return lambda client, _: cases.status(client, reference)
    command = COMMANDS[args.command]
    request = read_request(args, command)
    return lambda client, _: cases.send(client, reference, command.update, request)


async def run(client: Client, args: argparse.Namespace, task_queue: str) -> CaseStatus:
    """One case command against Temporal; input is checked before anything is sent."""
    return await prepare(args)(client, task_queue)


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """`main.dispatch` for the case commands: returns what to print."""
    if args.command == "list":
        client = await connect(settings, address=args.address, namespace=args.namespace)
        rows = await cases.list_cases(client, cases_query(args), limit=args.limit)
        if args.json:
            return TypeAdapter(list[cases.CaseRow]).dump_json(rows).decode()
        return render_rows(rows)
    later = " The case will open when one starts." if args.command == "open" else ""
    status = await call_temporal(args, settings, prepare(args), later=later)
    return status.model_dump_json() if args.json else render_status(status)
