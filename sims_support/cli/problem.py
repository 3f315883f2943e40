"""`sims-case problem ACTION`: log a problem, record the desk's decisions, read its status.

Wiring (this module imports `cli_parser`, so `cli_parser` imports it inside the function):
in `cli_parser.build_parser`, after the case commands,
`from cli_problem import add_problem_parser` and `add_problem_parser(commands, parents=[common])`;
in `starter.dispatch`, first thing,
`if args.command == "problem": return await dispatch_problem(args, settings)`.
Failures are the `Failure`, `api.CaseRefused` and `api.NoSuchCase` that `starter`
already turns into exit codes (2 bad input, 3 refused, 4 no such problem, 1 no worker).
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from temporalio.client import Client

from domain.models import Reference
from domain.problems import (
    AcceptAsDefect,
    FixVehicle,
    OpenProblem,
    ProblemRequest,
    ProblemScope,
    ProblemStatus,
    Reject,
    ReleaseFix,
    RequestInformation,
    ScheduleFix,
    ScheduleReview,
)
from sims_support.cli.parser import Failure, bad_input
from sims_support.cli.render import NONE, london, table, words
from sims_support.client import problems as api_problems
from sims_support.config import Settings
from sims_support.runtime.connect import connect, one_line

NO_WORKER = 1  # starter's UNREACHABLE: nobody answered


@dataclass(frozen=True)
class Action:
    update: str  # the Update's name, one of api_problems.PROBLEM_EVENTS
    model: type[ProblemRequest]
    options: dict[str, str]  # command-line flag -> field of the model
    help: str


ACTIONS = {
    "review": Action(
        "schedule_review",
        ScheduleReview,
        {"--message": "message"},
        "the problem is going to be reviewed (linked cases are told)",
    ),
    "accept": Action(
        "accept_as_defect",
        AcceptAsDefect,
        {"--message": "message", "--scope": "scope", "--school": "school_urn"},
        "accept it as a defect, optionally (re)classified (linked cases are told)",
    ),
    "reject": Action(
        "reject",
        Reject,
        {"--reason": "reason"},
        "not a defect: linked cases go back to investigating",
    ),
    "need-info": Action(
        "request_information",
        RequestInformation,
        {"--message": "message"},
        "a developer needs more information (linked cases are told)",
    ),
    "schedule-fix": Action(
        "schedule_fix",
        ScheduleFix,
        {"--vehicle": "vehicle", "--version": "target_version"},
        "schedule the fix: script, hotfix, service pack or main release, and its version",
    ),
    "release": Action(
        "release_fix",
        ReleaseFix,
        {"--version": "version", "--summary": "summary"},
        "the fix is out: every linked case is offered it (10-working-day window)",
    ),
}
CHOICES = {"scope": [s.value for s in ProblemScope], "vehicle": [v.value for v in FixVehicle]}


def add_problem_parser(
    commands: Any, parents: Sequence[argparse.ArgumentParser] = ()
) -> argparse.ArgumentParser:
    """Add `problem` and its actions to the `sims-case` sub-commands."""
    problem = commands.add_parser(
        "problem", parents=list(parents), help="problems: the cause of one or more incidents"
    )
    actions = problem.add_subparsers(dest="problem_command", required=True, metavar="ACTION")
    opener = actions.add_parser("open", parents=list(parents), help="log a problem")
    opener.add_argument("reference", metavar="REF")
    opener.add_argument("--summary", required=True)
    opener.add_argument("--scope", choices=CHOICES["scope"], default=ProblemScope.GENERIC.value)
    opener.add_argument("--school", dest="school_urn", help="DfE URN (site-specific problems)")
    for name, action in ACTIONS.items():
        sub = actions.add_parser(name, parents=list(parents), help=action.help)
        sub.add_argument("reference", metavar="REF")
        for flag, field in action.options.items():
            required = action.model.model_fields[field].is_required()
            sub.add_argument(flag, dest=field, required=required, choices=CHOICES.get(field))
        sub.add_argument("--request-id", help="idempotency key (default: a fresh uuid4)")
    status = actions.add_parser("status", parents=list(parents), help="a problem and its cases")
    status.add_argument("reference", metavar="REF")
    return problem


def read_reference(args: argparse.Namespace) -> str:
    try:
        return TypeAdapter(Reference).validate_python(args.reference)
    except ValidationError:
        raise bad_input(
            f"REF: {args.reference!r} is not a problem reference (3 to 40 of A-Z, 0-9 and -)"
        ) from None


def read_opening(args: argparse.Namespace) -> OpenProblem:
    fields = {"reference": args.reference, "summary": args.summary, "scope": args.scope}
    if args.school_urn is not None:
        fields["school_urn"] = args.school_urn
    try:
        return OpenProblem.model_validate(fields)
    except ValidationError as err:
        message = one_line(err, {"reference": "REF", "school_urn": "--school"})
        # The scope rule is checked across fields, so its message names the field itself.
        raise bad_input(message.replace("school_urn:", "--school:")) from None


def read_request(args: argparse.Namespace, action: Action) -> ProblemRequest:
    fields = {f: getattr(args, f) for f in action.options.values() if getattr(args, f) is not None}
    request_id = args.request_id or str(uuid.uuid4())
    try:
        return action.model.model_validate({"request_id": request_id, **fields})
    except ValidationError as err:
        flags = {field: flag for flag, field in action.options.items()}
        raise bad_input(one_line(err, flags)) from None


async def run_problem_command(
    client: Client, args: argparse.Namespace, task_queue: str
) -> ProblemStatus:
    """One `problem` action against Temporal; input is checked before anything is sent."""
    if args.problem_command == "open":
        opening = read_opening(args)
        return await api_problems.open_problem(client, opening, task_queue=task_queue)
    reference = read_reference(args)
    if args.problem_command == "status":
        return await api_problems.problem_status(client, reference)
    action = ACTIONS[args.problem_command]
    return await api_problems.send(client, reference, action.update, read_request(args, action))


async def dispatch_problem(args: argparse.Namespace, settings: Settings) -> str:
    """`starter.dispatch` for `problem`: returns what to print."""
    # Bad input fails fast, before Temporal is contacted.
    if args.problem_command == "open":
        read_opening(args)
    else:
        read_reference(args)
        if args.problem_command in ACTIONS:
            read_request(args, ACTIONS[args.problem_command])
    task_queue = args.task_queue or settings.task_queue
    client = await connect(settings, address=args.address, namespace=args.namespace)
    try:
        status = await asyncio.wait_for(
            run_problem_command(client, args, task_queue), timeout=args.wait
        )
    except TimeoutError:
        raise Failure(
            NO_WORKER,
            "no_worker",
            f"no worker answered within {args.wait:g}s: is one running on task queue "
            f"{task_queue} (`make run`, or `python worker.py`)?",
        ) from None
    return status.model_dump_json() if args.json else render_problem(status)


def render_problem(status: ProblemStatus) -> str:
    fix = NONE
    if status.vehicle:
        fix = f"{status.vehicle.label} {status.target_version}"
        if status.released_version:
            fix += f", released in {status.released_version}"
    school = f" · school {status.school_urn}" if status.school_urn else ""
    lines = [
        f"{status.reference}  {status.priority.name} problem  {words(status.state)}",
        f"  {status.summary}",
        f"  {words(status.scope.value)}{school} · fix: {fix}",
        "",
        table(
            ("linked case", "priority", "waiting on the problem", "linked (London)"),
            [
                (c.reference, c.priority.name, "yes" if c.open else "no", london(c.linked_at))
                for c in status.linked_cases
            ],
        )
        if status.linked_cases
        else "  no linked cases",
        "",
        table(
            ("timeline (London)", "event", "detail"),
            [(london(e.at), words(e.kind.value), e.detail) for e in status.timeline],
        ),
    ]
    return "\n".join(lines)
