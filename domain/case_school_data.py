"""The school data of one case (DESIGN §8): how each request changes it, and the line
it writes in the case's timeline. The rules themselves are `domain.school_data`'s; a
case's record asks this module, so its checks and its changes cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from domain.models import EventKind, ReporterRole
from domain.refusals import InvalidTransition
from domain.school_data import (
    ApprovePartnerAccess,
    RecordDataTransfer,
    RefusePartnerAccess,
    RequestPartnerAccess,
    RequestSchoolData,
    SchoolData,
)

SchoolRequest = (
    RequestSchoolData
    | RecordDataTransfer
    | RequestPartnerAccess
    | ApprovePartnerAccess
    | RefusePartnerAccess
)
# The update (and permission-table event) each request is.
SCHOOL_EVENTS: dict[type, str] = {
    RequestSchoolData: "request_school_data",
    RecordDataTransfer: "record_data_transfer",
    RequestPartnerAccess: "request_partner_access",
    ApprovePartnerAccess: "approve_partner_access",
    RefusePartnerAccess: "refuse_partner_access",
}
# The school data after a request, and the kind and detail of the event it records.
SchoolChange = tuple[SchoolData, EventKind, str]


def school_change(
    data: SchoolData,
    logged_by: ReporterRole,
    req: SchoolRequest,
    now: dt.datetime,
    approval_ends: Callable[[dt.datetime], dt.datetime],
) -> SchoolChange:
    """What `req` changes, or the charter's refusal. `approval_ends(now)` is when a share
    outside the EEA lapses if nobody decides it."""
    match req:
        case RequestSchoolData():
            requested = data.request_data(logged_by, req, now)
            return requested, EventKind.SCHOOL_DATA_REQUESTED, req.purpose
        case RecordDataTransfer():
            detail = f"{req.data_request_id}: {req.sftp_reference}"
            return data.record_transfer(req), EventKind.DATA_TRANSFER_RECORDED, detail
        case RequestPartnerAccess():
            shared, access = data.request_access(req, now, approval_ends(now))
            if access.expires_at is None:
                detail = f"{access.label} inside the EEA: no approval needed"
            else:
                detail = f"{access.label} outside the EEA: approval needed (school or integrator)"
            return shared, EventKind.PARTNER_ACCESS_REQUESTED, f"{detail}; {req.purpose}"
        case ApprovePartnerAccess():
            decided, access = data.decide(req.access_request_id, True, req.approved_by, now)
            detail = f"{access.label} approved by {req.approved_by} ({req.approver})"
            return decided, EventKind.PARTNER_ACCESS_APPROVED, detail
        case RefusePartnerAccess():
            decided, access = data.decide(req.access_request_id, False, req.refused_by, now)
            detail = f"{access.label} refused by {req.refused_by} ({req.approver}): {req.reason}"
            return decided, EventKind.PARTNER_ACCESS_REFUSED, detail


def closed_to_school_data(reference: str, state: str) -> InvalidTransition:
    """A closed case takes no school-data request: refused like any event it no longer
    allows, in words about its data."""
    message = f"case {reference} is {state}: its school data is closed"
    return InvalidTransition("case", "a school-data request", state, [], message)
