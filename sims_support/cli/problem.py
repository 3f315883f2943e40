"""`sims-case problem ACTION`: log a problem, record the desk's decisions, read its status;
as the actor `--as` names (the desk decides; an integrator or a school reads the public
timeline only).

Failures are the `Failure`, `Refused` and `NotFound` that `main` turns into exit codes
(2 bad input, 3 refused, 4 no such problem, 1 no worker).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client

from domain.actors import Actor
from domain.problems import (
    AcceptAsDefect,
    FixVehicle,
    OpenProblem,
    ProblemScope,
    ProblemStatus,
    Reject,
    ReleaseFix,
    RequestInformation,
    ScheduleFix,
    ScheduleReview,
)
from sims_support.cli.actors import actor_of, marked, timeline_table, visible, who
from sims_support.cli.common import (
    PROBLEM,
    Command,
    add_commands,
    call_temporal,
    read_reference,
    read_request,
)
from sims_support.cli.exits import bad_input
from sims_support.cli.inputs import add_text_option, flags_given, texts_from_files
from sims_support.cli.shown import escaped, table
from sims_support.client import problems
from sims_support.config import Settings
from sims_support.reports.format import NONE, london, words
from sims_support.runtime.connect import one_line

OPENING_TEXT = {"summary": "--summary"}
CHOICES = {"scope": [s.value for s in ProblemScope], "vehicle": [v.value for v in FixVehicle]}
# Action -> the problem event it sends; tests/unit/test_cli_contract.py checks it against
# workflows/contract.py.
COMMANDS: dict[str, Command[Any]] = {
    "review": Command(
        "schedule_review",
        ScheduleReview,
        {"--message": "message"},
        "the problem is going to be reviewed (linked cases are told)",
    ),
    "accept": Command(
        "accept_as_defect",
        AcceptAsDefect,
        {"--message": "message", "--scope": "scope", "--school": "school_urn"},
        "accept it as a defect, optionally (re)classified (linked cases are told)",
        choices={"scope": CHOICES["scope"]},
    ),
    "reject": Command(
        "reject",
        Reject,
        {"--reason": "reason"},
        "not a defect: linked cases go back to investigating",
    ),
    "need-info": Command(
        "request_information",
        RequestInformation,
        {"--message": "message"},
        "a developer needs more information (linked cases are told)",
    ),
    "schedule-fix": Command(
        "schedule_fix",
        ScheduleFix,
        {"--vehicle": "vehicle", "--version": "target_version"},
        "schedule the fix: script, hotfix, service pack or main release, and its version",
        choices={"vehicle": CHOICES["vehicle"]},
    ),
    "release": Command(
        "release_fix",
        ReleaseFix,
        {"--version": "version", "--summary": "summary"},
        "the fix is out: every linked case is offered it (10-working-day window)",
    ),
}


def add_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add `problem` and its actions to the `sims-case` sub-commands."""
    add_arguments(PROBLEM.add_parser(subparsers, parents), parents)


def add_arguments(
    problem: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser] = ()
) -> None:
    """The actions of `problem` (`main` adds them when `problem` is used)."""
    actions = problem.add_subparsers(dest="problem_command", required=True, metavar="ACTION")
    opener = actions.add_parser("open", parents=list(parents), help="log a problem")
    opener.add_argument("reference", metavar="REF")
    add_text_option(opener, "--summary", "summary", required=True)
    opener.add_argument("--scope", choices=CHOICES["scope"], default=ProblemScope.GENERIC.value)
    opener.add_argument("--school", dest="school_urn", help="DfE URN (site-specific problems)")
    add_commands(actions, COMMANDS, parents)
    status = actions.add_parser("status", parents=list(parents), help="a problem and its cases")
    status.add_argument("reference", metavar="REF")


def read_opening(args: argparse.Namespace) -> OpenProblem:
    fields = {"reference": args.reference, "summary": args.summary, "scope": args.scope}
    if args.school_urn is not None:
        fields["school_urn"] = args.school_urn
    given = texts_from_files(args, OPENING_TEXT)
    fields |= given
    names = {"reference": "REF", "school_urn": "--school", **flags_given(OPENING_TEXT, given)}
    try:
        return OpenProblem.model_validate(fields)
    except ValidationError as err:
        message = one_line(err, names)
        # The scope rule is checked across fields, so its message names the field itself.
        raise bad_input(message.replace("school_urn:", "--school:")) from None


async def seen_by(answer: Awaitable[ProblemStatus], viewer: Actor) -> ProblemStatus:
    """The status as `viewer` may see it: without internal events for an integrator or a
    school (a problem belongs to no one, so nothing else is hidden)."""
    status = await answer
    return status.model_copy(update={"timeline": visible(status.timeline, viewer)})


def prepare(
    args: argparse.Namespace, actor: Actor | None = None
) -> Callable[[Client, str], Awaitable[ProblemStatus]]:
    """Read and check the input, then say what to send as `actor` (default: `--as`, else
    the desk as the login user); `call(client, task_queue)` sends it."""
    actor = actor or actor_of(args)
    if args.problem_command == "open":
        opening = read_opening(args)
        return lambda client, task_queue: seen_by(
            problems.open_problem(client, opening, opened_by=actor, task_queue=task_queue), actor
        )
    reference = read_reference(args.reference, "problem")
    if args.problem_command == "status":
        return lambda client, _: seen_by(problems.status(client, reference), actor)
    command = COMMANDS[args.problem_command]
    request = read_request(args, command)
    return lambda client, _: seen_by(
        problems.send(client, reference, command.update, request, actor=actor), actor
    )


async def run(client: Client, args: argparse.Namespace, task_queue: str) -> ProblemStatus:
    """One `problem` action against Temporal; input is checked before anything is sent."""
    return await prepare(args)(client, task_queue)


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """`main.dispatch` for `problem`: returns what to print."""
    status = await call_temporal(args, settings, prepare(args, actor_of(args, settings)))
    return status.model_dump_json() if args.json else render_problem(status)


def render_problem(status: ProblemStatus) -> str:
    fix = NONE
    if status.vehicle:
        fix = f"{status.vehicle.label} {status.target_version}"
        if status.released_version:
            fix += f", released in {status.released_version}"
    school = f" · school {status.school_urn}" if status.school_urn else ""
    lines = [
        escaped(line)
        for line in (
            f"{status.reference}  {status.priority.name} problem  {words(status.state)}",
            f"  {status.summary}",
            f"  {words(status.scope.value)}{school} · fix: {fix}",
        )
    ]
    lines += [
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
        timeline_table(
            ("timeline (London)", "event", "actor", "detail"),
            [
                (london(e.at), marked(words(e.kind.value), e.visibility), who(e.actor), e.detail)
                for e in status.timeline
            ],
        ),
    ]
    return "\n".join(lines)
