"""`sims-case school ACTION REF`: a case's school data and sharing it (DESIGN §8).

Wiring, as `cli_cr`: `cli_parser.build_parser` calls `add_school_parser(commands,
parents=[common])`; `starter.dispatch` starts with
`if args.command == "school": return await dispatch_school(args, settings)`.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from domain.models import CaseRequest
from domain.school_data import (
    ApprovePartnerAccess,
    RecordDataTransfer,
    RefusePartnerAccess,
    RequestPartnerAccess,
    RequestSchoolData,
    SchoolData,
)
from sims_support.cli.parser import Failure, bad_input
from sims_support.client import school as api_school
from sims_support.config import Settings
from sims_support.runtime.connect import connect, one_line

NO_WORKER = 1


@dataclass(frozen=True)
class Action:
    update: str
    model: type[CaseRequest]
    options: dict[str, str]  # flag -> field
    help: str


DECIDER = {"--access": "access_request_id", "--approver": "approver"}
ACTIONS = {
    "request": Action(
        "request_school_data",
        RequestSchoolData,
        {"--purpose": "purpose"},
        "ask for a copy of the school's database (cases the school logged only)",
    ),
    "transfer": Action(
        "record_data_transfer",
        RecordDataTransfer,
        {"--data-request": "data_request_id", "--sftp": "sftp_reference"},
        "record where the copy was transferred (an sftp:// reference, never the data)",
    ),
    "share": Action(
        "request_partner_access",
        RequestPartnerAccess,
        {"--partner": "partner", "--country": "country", "--purpose": "purpose"},
        "share the copy with a support partner (outside the EEA: needs approval)",
    ),
    "approve": Action(
        "approve_partner_access",
        ApprovePartnerAccess,
        {**DECIDER, "--by": "approved_by"},
        "the school or integrator approves one share request",
    ),
    "refuse": Action(
        "refuse_partner_access",
        RefusePartnerAccess,
        {**DECIDER, "--by": "refused_by", "--reason": "reason"},
        "the school or integrator refuses one share request",
    ),
}


def add_school_parser(commands: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    school = commands.add_parser(
        "school", parents=list(parents), help="a case's school data and partner access"
    )
    actions = school.add_subparsers(dest="school_command", required=True, metavar="ACTION")
    for name, action in ACTIONS.items():
        sub = actions.add_parser(name, parents=list(parents), help=action.help)
        sub.add_argument("reference", metavar="REF")
        for flag, field in action.options.items():
            sub.add_argument(flag, dest=field, required=True)
        sub.add_argument("--request-id", help="idempotency key (default: a fresh uuid4)")
    shown = actions.add_parser("status", parents=list(parents), help="the case's school data")
    shown.add_argument("reference", metavar="REF")


def read_request(args: argparse.Namespace, action: Action) -> CaseRequest:
    fields = {field: getattr(args, field) for field in action.options.values()}
    fields["request_id"] = args.request_id or str(uuid.uuid4())
    flags = {field: flag for flag, field in action.options.items()}
    try:
        return action.model.model_validate(fields)
    except ValidationError as err:
        raise bad_input(one_line(err, flags)) from None


def render(data: SchoolData) -> str:
    lines = ["school data requests:" if data.data_requests else "no school data requested"]
    for r in data.data_requests:
        lines.append(f"  {r.request_id}  {r.purpose}  transfers: {', '.join(r.transfers) or '-'}")
    if data.partner_access:
        lines.append("partner access:")
    for a in data.partner_access:
        until = f" until {a.expires_at:%Y-%m-%d %H:%M} UTC" if a.state == "pending" else ""
        who = f" by {a.decided_by}" if a.decided_by else ""
        lines.append(f"  {a.label}  {a.state.value}{who}{until}")
    return "\n".join(lines)


async def dispatch_school(args: argparse.Namespace, settings: Settings) -> str:
    reference = args.reference
    action = ACTIONS.get(args.school_command)
    request = read_request(args, action) if action else None  # bad input fails fast
    client = await connect(settings, address=args.address, namespace=args.namespace)
    if action is None or request is None:
        call = api_school.school_data(client, reference)
    else:
        call = api_school.send_school(client, reference, action.update, request)
    try:
        data = await asyncio.wait_for(call, args.wait)
    except TimeoutError:
        raise Failure(NO_WORKER, "no_worker", f"no worker answered within {args.wait:g}s") from None
    return data.model_dump_json() if args.json else render(data)
