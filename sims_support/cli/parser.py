"""What a `sims-case` user asks for: the argument parser, and the models read from it.

Everything here is checked before Temporal is contacted, so bad input fails fast (exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pydantic import TypeAdapter, ValidationError

from domain.machines import CaseMachine
from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseRequest,
    ChangePriority,
    EscalateToProblem,
    OfferResolution,
    OpenCase,
    PostUpdate,
    Priority,
    ProvideInformation,
    Reference,
    Reopen,
    RequestInformation,
    ResolutionKind,
    Withdraw,
)
from sims_support.cli.examples import EXAMPLES, example
from sims_support.runtime.connect import one_line

BAD_INPUT = 2
WAIT_SECONDS = 30.0


class Failure(Exception):
    """A one-line message for a person, and the exit code that goes with it."""

    def __init__(self, code: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.code, self.kind = code, kind


def bad_input(message: str) -> Failure:
    return Failure(BAD_INPUT, "bad_input", message)


@dataclass(frozen=True)
class Event:
    update: str  # the Update's name, one of api.CASE_EVENTS
    model: type[CaseRequest]
    options: dict[str, str]  # command-line flag -> field of the model
    help: str


MESSAGE = {"--message": "message"}
REASON = {"--reason": "reason"}
EVENTS = {
    "acknowledge": Event("acknowledge", Acknowledge, MESSAGE, "first response to the integrator"),
    "update": Event("post_update", PostUpdate, MESSAGE, "tell the integrator how it is going"),
    "request-info": Event(
        "request_information", RequestInformation, MESSAGE, "ask the integrator (clocks pause)"
    ),
    "provide-info": Event(
        "provide_information", ProvideInformation, MESSAGE, "the integrator answers"
    ),
    "priority": Event(
        "change_priority",
        ChangePriority,
        {"--impact": "impact", "--urgency": "urgency", "--reason": "reason"},
        "re-assess impact and urgency (targets recomputed from logging)",
    ),
    "escalate": Event(
        "escalate_to_problem",
        EscalateToProblem,
        {"--problem": "problem_reference"},
        "link the case to a problem",
    ),
    "offer": Event(
        "offer_resolution",
        OfferResolution,
        {"--kind": "kind", "--summary": "summary"},
        "offer a resolution (starts the 10-working-day window)",
    ),
    "accept": Event("accept_resolution", AcceptResolution, {}, "the integrator accepts the offer"),
    "reopen": Event("reopen", Reopen, REASON, "the integrator reopens an offered resolution"),
    "withdraw": Event("withdraw", Withdraw, REASON, "the integrator withdraws the case"),
}
CHOICES = {"kind": [k.value for k in ResolutionKind]}


def in_command_words(message: str) -> str:
    """A refusal names events as the workflow does (`post_update`): say them as commands."""
    for command, event in EVENTS.items():
        message = re.sub(rf"\b{event.update}\b", command, message)
    return message


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise bad_input(f"{message} (see `{self.prog} --help`)")


def common_options(*, with_defaults: bool) -> Parser:
    """Options every command takes, before or after its name. Sub-commands get them with
    SUPPRESS as default, so an option given before the command is not reset after it."""

    def default(value: object) -> object:
        return value if with_defaults else argparse.SUPPRESS

    common = Parser(add_help=False)
    common.add_argument("--address", default=default(None), help="Temporal host:port")
    common.add_argument("--namespace", default=default(None), help="Temporal namespace")
    common.add_argument("--task-queue", default=default(None), help="the workers' task queue")
    common.add_argument("--json", action="store_true", default=default(False), help="print JSON")
    common.add_argument(
        "--wait",
        type=float,
        default=default(WAIT_SECONDS),
        metavar="SECONDS",
        help=f"how long to wait for a worker (default {WAIT_SECONDS:.0f})",
    )
    return common


def build_parser(description: str | None = None) -> Parser:
    common = common_options(with_defaults=False)
    parser = Parser(
        prog="sims-case",
        description=description,
        parents=[common_options(with_defaults=True)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    opener = commands.add_parser("open", parents=[common], help="log a new case")
    source = opener.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="intake JSON (OpenCase); '-' reads standard input")
    source.add_argument("--example", choices=sorted(EXAMPLES), help="a sample, logged now")
    opener.add_argument("--reference", help="use this reference instead")

    for name, event in EVENTS.items():
        sub = commands.add_parser(name, parents=[common], help=event.help)
        sub.add_argument("reference", metavar="REF")
        for flag, field in event.options.items():
            required = event.model.model_fields[field].is_required()
            sub.add_argument(flag, dest=field, required=required, choices=CHOICES.get(field))
        sub.add_argument("--request-id", help="idempotency key (default: a fresh uuid4)")

    status = commands.add_parser("status", parents=[common], help="a case's clocks and timeline")
    status.add_argument("reference", metavar="REF")

    lister = commands.add_parser("list", parents=[common], help="find cases")
    lister.add_argument("--late", action="store_true", help="only cases whose SLA is breached")
    lister.add_argument("--state", choices=[s.id for s in CaseMachine.states])
    lister.add_argument("--priority", choices=[p.name for p in Priority])
    lister.add_argument("--integrator", help="integrator id")
    lister.add_argument("--all", action="store_true", help="closed cases too")
    lister.add_argument("--limit", type=int, default=50)

    # Imported here: these modules import this one for `Failure` and `bad_input`.
    from sims_support.cli.change_request import add_cr_parser
    from sims_support.cli.problem import add_problem_parser
    from sims_support.cli.report import add_report_parser
    from sims_support.cli.school import add_school_parser

    add_problem_parser(commands, parents=[common])
    add_cr_parser(commands, parents=[common])
    add_report_parser(commands, parents=[common])
    add_school_parser(commands, parents=[common])
    return parser


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


def read_request(args: argparse.Namespace, event: Event) -> CaseRequest:
    fields = {f: getattr(args, f) for f in event.options.values() if getattr(args, f) is not None}
    request_id = args.request_id or str(uuid.uuid4())
    try:
        return event.model.model_validate({"request_id": request_id, **fields})
    except ValidationError as err:
        flags = {field: flag for flag, field in event.options.items()}
        raise bad_input(one_line(err, flags)) from None


def read_reference(args: argparse.Namespace) -> str:
    try:
        return TypeAdapter(Reference).validate_python(args.reference)
    except ValidationError:
        raise bad_input(
            f"REF: {args.reference!r} is not a case reference (3 to 40 of A-Z, 0-9 and -)"
        ) from None
