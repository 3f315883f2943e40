"""sims-case: open support cases, send them events, read their status, list them; as
the actor --as ROLE:ID[:NAME] names (else SIMS_ACTOR, else the desk as the login user).

Exit codes: 0 done, 1 cannot reach Temporal (or no worker answered), 2 bad input,
3 refused by the case's state, a charter rule or the actor's role, 4 no such case (or
not the actor's own), 141 the reader of the output went away (`| head`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import ValidationError
from temporalio.service import RPCError

from sims_support.cli import case
from sims_support.cli.case import in_command_words
from sims_support.cli.common import (
    CHANGE_REQUEST,
    PROBLEM,
    REPORT,
    SCHOOL,
    Group,
    Parser,
    common_options,
    deferred,
)
from sims_support.cli.exits import (
    BAD_INPUT,
    INTERRUPTED,
    NO_SUCH_CASE,
    OK,
    PIPE_CLOSED,
    REFUSED,
    UNREACHABLE,
    Failure,
)
from sims_support.cli.shown import escaped, printable
from sims_support.client.errors import ClientError, NotFound, Refused
from sims_support.config import Settings
from sims_support.runtime.connect import StartupError, Unreachable, one_line


class Actions(Protocol):
    """What the module of a command with actions of its own gives `main`."""

    def add_arguments(
        self, parser: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser]
    ) -> None: ...

    async def dispatch(self, args: argparse.Namespace, settings: Settings) -> str: ...


def _problem() -> Actions:
    from sims_support.cli import problem

    return problem


def _change_request() -> Actions:
    from sims_support.cli import change_request

    return change_request


def _report() -> Actions:
    from sims_support.cli import report

    return report


def _school() -> Actions:
    from sims_support.cli import school

    return school


def _keys() -> Actions:
    from sims_support.cli import keys

    return keys


def _policy() -> Actions:
    from sims_support.cli import policy

    return policy


KEYS = Group("keys", "API keys for the HTTP gateway, each acting as one actor")
POLICY = Group("policy", "the support policy: show it, apply a new one to open cases")


# Each command with actions of its own, and its module: imported when the command is used
# (its models, client and renderer with it), so no other command pays for it. Every
# other command is a case's.
GROUPS: dict[str, tuple[Group, Callable[[], Actions]]] = {
    PROBLEM.name: (PROBLEM, _problem),
    CHANGE_REQUEST.name: (CHANGE_REQUEST, _change_request),
    REPORT.name: (REPORT, _report),
    SCHOOL.name: (SCHOOL, _school),
    KEYS.name: (KEYS, _keys),
    POLICY.name: (POLICY, _policy),
}


def _add_actions(
    module: Callable[[], Actions],
    parents: Sequence[argparse.ArgumentParser],
    parser: argparse.ArgumentParser,
) -> None:
    module().add_arguments(parser, parents)


def build_parser(description: str | None = None) -> Parser:
    common = common_options(with_defaults=False)
    parser = Parser(
        prog="sims-case",
        description=description,
        parents=[common_options(with_defaults=True)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    case.add_parser(commands, parents=[common])
    for group, module in GROUPS.values():
        actions = group.add_parser(commands, parents=[common])
        deferred(actions, functools.partial(_add_actions, module, [common]))
    return parser


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """Read and check the input, then reach Temporal; returns what to print."""
    if args.command in GROUPS:
        _, module = GROUPS[args.command]
        return await module().dispatch(args, settings)
    return await case.dispatch(args, settings)


def run(argv: Sequence[str] | None = None) -> int:
    """The whole command: every failure becomes one line on stderr and an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            args = build_parser(__doc__).parse_args(argv)
        except BrokenPipeError:  # `--help | head`: the reader went away
            return reader_gone()
        try:
            settings = Settings()
        except ValidationError as err:
            raise Failure(BAD_INPUT, "configuration", f"configuration: {one_line(err)}") from None
        output = asyncio.run(dispatch(args, settings))
    except KeyboardInterrupt:
        return INTERRUPTED
    except Exception as err:  # each kind we know becomes a Failure; others are re-raised
        return report_failure(failure_for(err), as_json="--json" in argv)
    return write(printable(output, as_json=prints_json(args)))


def prints_json(args: argparse.Namespace) -> bool:
    if args.command == REPORT.name:
        from sims_support.cli.report import form_of

        return form_of(args) == "json"
    return bool(args.json or getattr(args, "print_intake", False))


def write(output: str) -> int:
    try:
        print(output)
    except BrokenPipeError:
        return reader_gone()
    return OK


def failure_for(err: Exception) -> Failure:
    match err:
        case Failure():
            return err
        # The same exit as for no case at all: no one learns that another's case exists.
        case Refused(type="NotYourCase"):
            return Failure(NO_SUCH_CASE, err.type, str(err))
        case Refused(type="InvalidInput"):
            return Failure(BAD_INPUT, err.type, str(err))
        case Refused():
            return Failure(REFUSED, err.type, f"refused: {in_command_words(str(err))}")
        case NotFound():
            return Failure(NO_SUCH_CASE, err.type, str(err))
        case Unreachable():
            return Failure(UNREACHABLE, "unreachable", str(err))
        case StartupError():
            return Failure(BAD_INPUT, "configuration", str(err))
        case ClientError() | RPCError():
            return Failure(UNREACHABLE, type(err).__name__, f"Temporal could not do it: {err}")
    raise err


def report_failure(failure: Failure, *, as_json: bool) -> int:
    if as_json:
        line = json.dumps({"error": failure.kind, "message": str(failure), "exit": failure.code})
    else:
        line = "sims-case: " + escaped(" ".join(str(failure).split()))
    with contextlib.suppress(BrokenPipeError):  # `2>&1 | head`: the exit code still says it
        print(line, file=sys.stderr)
    return failure.code


def reader_gone() -> int:
    """The reader of standard output went away (`| head`): the rest goes nowhere, so no
    later flush fails, and the command ends quietly."""
    try:
        gone = sys.stdout.fileno()
    except (OSError, ValueError):  # no file beneath it (a test's capture)
        return PIPE_CLOSED
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, gone)
    os.close(devnull)
    return PIPE_CLOSED


def flushed(code: int) -> int:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = reader_gone()
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    return code


def main() -> None:
    # A terminal that cannot show a character gets its escape, not a traceback.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        code = run()
    except SystemExit as done:  # `--help`: argparse has printed it (perhaps to a closed pipe)
        code = done.code if isinstance(done.code, int) else OK
    # Not sys.exit: a Temporal call still in flight (one we gave up waiting for) makes the
    # SDK's Rust runtime wait for Python during interpreter shutdown, and the process hangs.
    os._exit(flushed(code))


if __name__ == "__main__":
    main()
