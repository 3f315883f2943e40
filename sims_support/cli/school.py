"""`sims-case school ACTION REF`: a case's school data and sharing it (DESIGN §8), as the
actor `--as` names: the desk asks, transfers and shares; the school or the integrator
approves or refuses (`--as school:URN --approver school`)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from temporalio.client import Client

from domain.actors import Actor
from domain.school_data import (
    ApprovePartnerAccess,
    RecordDataTransfer,
    RefusePartnerAccess,
    RequestPartnerAccess,
    RequestSchoolData,
    SchoolData,
)
from sims_support.cli.actors import actor_of, viewer_of
from sims_support.cli.common import SCHOOL, Command, add_commands, call_temporal, read_request
from sims_support.cli.shown import escaped
from sims_support.client import cases, school
from sims_support.config import Settings

DECIDER = {"--access": "access_request_id", "--approver": "approver"}
# Action -> the school-data event it sends; tests/unit/test_cli_contract.py checks it
# against workflows/contract.py.
COMMANDS: dict[str, Command[Any]] = {
    "request": Command(
        "request_school_data",
        RequestSchoolData,
        {"--purpose": "purpose"},
        "ask for a copy of the school's database (cases the school logged only)",
    ),
    "transfer": Command(
        "record_data_transfer",
        RecordDataTransfer,
        {"--data-request": "data_request_id", "--sftp": "sftp_reference"},
        "record where the copy was transferred (an sftp:// reference, never the data)",
    ),
    "share": Command(
        "request_partner_access",
        RequestPartnerAccess,
        {"--partner": "partner", "--country": "country", "--purpose": "purpose"},
        "share the copy with a support partner (outside the EEA: needs approval)",
    ),
    "approve": Command(
        "approve_partner_access",
        ApprovePartnerAccess,
        {**DECIDER, "--by": "approved_by"},
        "the school or integrator approves one share request",
    ),
    "refuse": Command(
        "refuse_partner_access",
        RefusePartnerAccess,
        {**DECIDER, "--by": "refused_by", "--reason": "reason"},
        "the school or integrator refuses one share request",
    ),
}


def add_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add `school` and its actions to the `sims-case` sub-commands."""
    add_arguments(SCHOOL.add_parser(subparsers, parents), parents)


def add_arguments(
    found: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser] = ()
) -> None:
    """The actions of `school` (`main` adds them when `school` is used)."""
    actions = found.add_subparsers(dest="school_command", required=True, metavar="ACTION")
    add_commands(actions, COMMANDS, parents)
    shown = actions.add_parser("status", parents=list(parents), help="the case's school data")
    shown.add_argument("reference", metavar="REF")


async def status_for(client: Client, reference: str, viewer: Actor | None) -> SchoolData:
    """The case's school data; an integrator or a school sees only its own case's (the
    same `NotFound` as for no case at all, otherwise)."""
    if viewer is not None:
        await cases.status(client, reference, viewer=viewer)
    return await school.status(client, reference)


def prepare(
    args: argparse.Namespace, actor: Actor | None = None
) -> Callable[[Client, str], Awaitable[SchoolData]]:
    """Read and check the input, then say what to send as `actor` (default: `--as`, else
    the desk as the login user); `call(client, task_queue)` sends it."""
    actor = actor or actor_of(args)
    reference = args.reference
    if args.school_command not in COMMANDS:
        return lambda client, _: status_for(client, reference, viewer_of(actor))
    command = COMMANDS[args.school_command]
    request = read_request(args, command)
    return lambda client, _: school.send(client, reference, command.update, request, actor=actor)


async def run(client: Client, args: argparse.Namespace, task_queue: str) -> SchoolData:
    """One `school` action against Temporal; input is checked before anything is sent."""
    return await prepare(args)(client, task_queue)


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    """`main.dispatch` for `school`: returns what to print."""
    data = await call_temporal(args, settings, prepare(args, actor_of(args, settings)))
    return data.model_dump_json() if args.json else render_school(data)


def render_school(data: SchoolData) -> str:
    lines = ["school data requests:" if data.data_requests else "no school data requested"]
    for r in data.data_requests:
        lines.append(f"  {r.request_id}  {r.purpose}  transfers: {', '.join(r.transfers) or '-'}")
    if data.partner_access:
        lines.append("partner access:")
    for a in data.partner_access:
        until = f" until {a.expires_at:%Y-%m-%d %H:%M} UTC" if a.state == "pending" else ""
        who = f" by {a.decided_by}" if a.decided_by else ""
        lines.append(f"  {a.label}  {a.state.value}{who}{until}")
    return "\n".join(escaped(line) for line in lines)
