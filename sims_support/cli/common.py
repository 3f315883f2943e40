"""What every `sims-case` command shares: the parser, the options every command takes, the
command tables' one shape, the commands with actions of their own (as `--help` lists
them), reading a request from flags, and the wait for a worker.

Every lifecycle module (`case`, `problem`, `change_request`, `school`, `report`) imports
this one; `main` composes them. Nothing here imports a lifecycle module.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError

from domain.models import Reference
from sims_support.cli.exits import bad_input, no_worker
from sims_support.cli.inputs import add_text_option, flags_given, is_free_text, texts_from_files
from sims_support.config import Settings
from sims_support.runtime.connect import connect, one_line

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

WAIT_SECONDS = 30.0
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Command(Generic[M]):
    """One sub-command that sends one event: `sims-case update REF --message ...`."""

    update: str  # the Update's name, as workflows/contract.py lists it
    model: type[M]  # what the Update takes
    options: dict[str, str]  # command-line flag -> field of the model
    help: str
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)  # field -> its values
    # A flag that takes no value: flag -> (field, the value it sets), e.g. `--internal`.
    switches: Mapping[str, tuple[str, str]] = field(default_factory=dict)


class Parser(argparse.ArgumentParser):
    """Errors are bad input (exit 2). A command's own arguments may wait until it is used
    (`defer`): `sims-case status` builds no other command's flags, nor imports the models
    and machines they are read from; its `--help` and its errors are the same."""

    _deferred: tuple[Callable[[argparse.ArgumentParser], None], ...] = ()

    def error(self, message: str) -> NoReturn:
        raise bad_input(f"{message} (see `{self.prog} --help`)")

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        # argparse drops a write that fails; `--help | head` should end as any output does.
        if message:
            (file or sys.stderr).write(message)

    def defer(self, add: Callable[[argparse.ArgumentParser], None]) -> None:
        """Run `add(self)` just before this parser first parses or shows its help."""
        self._deferred = (*self._deferred, add)

    def complete(self) -> None:
        """Add the deferred arguments now (once)."""
        deferred, self._deferred = self._deferred, ()
        for add in deferred:
            add(self)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self.complete()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self.complete()
        return super().format_usage()

    def format_help(self) -> str:
        self.complete()
        return super().format_help()


def deferred(
    parser: argparse.ArgumentParser, add: Callable[[argparse.ArgumentParser], None]
) -> None:
    """`add(parser)` when the parser is first used (a `Parser`), or now (any other)."""
    if isinstance(parser, Parser):
        parser.defer(add)
    else:
        add(parser)


@dataclass(frozen=True)
class Group:
    """A command with actions of its own (`sims-case problem ACTION`), as the command list
    shows it; its module adds the actions, and `main` imports that module when it is used."""

    name: str
    help: str
    description: str | None = None

    def add_parser(
        self, subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            self.name, parents=list(parents), help=self.help, description=self.description
        )
        return parser


PROBLEM = Group("problem", "problems: the cause of one or more incidents")
CHANGE_REQUEST = Group("cr", "change requests and their votes")
REPORT = Group(
    "report",
    "KPI attainment against the charter, from the ledger",
    description="KPI attainment of the cases logged between two days (London), "
    "read from the KPI ledger: the charter's shares beside the actual ones, first "
    "responses, SLA events, and the cases behind each miss.",
)
SCHOOL = Group("school", "a case's school data and partner access")


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
        "--as",
        dest="acting_as",
        default=default(None),
        metavar="ROLE:ID[:NAME]",
        help="who sends or reads it: desk, integrator, school or product_manager "
        "(default SIMS_ACTOR, else the desk as the login user)",
    )
    common.add_argument(
        "--wait",
        type=float,
        default=default(WAIT_SECONDS),
        metavar="SECONDS",
        help=f"how long to wait for a worker (default {WAIT_SECONDS:.0f})",
    )
    return common


def add_commands(
    subparsers: Any,
    commands: Mapping[str, Command[Any]],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> None:
    """One sub-command per entry: `NAME REF --flag VALUE ... [--request-id ID]`."""
    for name, command in commands.items():
        sub = subparsers.add_parser(name, parents=list(parents), help=command.help)
        sub.add_argument("reference", metavar="REF")
        for flag, name_of_field in command.options.items():
            required = command.model.model_fields[name_of_field].is_required()
            if is_free_text(command.model, name_of_field):
                add_text_option(sub, flag, name_of_field, required=required)
                continue
            sub.add_argument(
                flag,
                dest=name_of_field,
                required=required,
                choices=command.choices.get(name_of_field),
            )
        for flag, (name_of_field, value) in command.switches.items():
            sub.add_argument(flag, dest=name_of_field, action="store_const", const=value)
        sub.add_argument("--request-id", help="idempotency key (default: a fresh uuid4)")


def validated(model: type[M], fields: dict[str, Any], flags: Mapping[str, str]) -> M:
    """The model, or bad input naming the flag (`flags`: field -> flag) the person typed."""
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        raise bad_input(one_line(err, dict(flags))) from None


def read_request(args: argparse.Namespace, command: Command[M]) -> M:
    """The command's request, with a fresh request id unless one was given; free text
    given in a file (`--message-file`) is read from it, and named so if refused."""
    options = [*command.options.values(), *(f for f, _ in command.switches.values())]
    fields = {f: getattr(args, f) for f in options if getattr(args, f, None) is not None}
    flags = {f: flag for flag, f in command.options.items()}
    from_files = texts_from_files(args, flags)
    fields |= from_files
    fields["request_id"] = args.request_id or str(uuid.uuid4())
    return validated(command.model, fields, flags_given(flags, from_files))


def read_reference(value: str, noun: str, flag: str = "REF") -> str:
    try:
        return TypeAdapter(Reference).validate_python(value)
    except ValidationError:
        raise bad_input(
            f"{flag}: {value!r} is not a {noun} reference (3 to 40 of A-Z, 0-9 and -)"
        ) from None


async def call_temporal(
    args: argparse.Namespace,
    settings: Settings,
    call: Callable[[Client, str], Awaitable[T]],
    *,
    later: str = "",
) -> T:
    """Connect, then run `call(client, task_queue)` for at most `--wait` seconds: a worker
    that does not answer in time is exit 1, saying where workers should be polling."""
    task_queue = args.task_queue or settings.task_queue
    client = await connect(settings, address=args.address, namespace=args.namespace)
    try:
        return await asyncio.wait_for(call(client, task_queue), timeout=args.wait)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise no_worker(args.wait, task_queue, later) from None
