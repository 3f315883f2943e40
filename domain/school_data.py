"""School data and sharing it with support partners (DESIGN §8), as pure rules.

A case may ask for a copy of a school's database only when the school logged it through
its support unit; the SFTP reference of each transfer is recorded, never the data.
Sharing the copy with a support partner outside the EEA needs an approval for each
instance (each access request, by its request id), by the school or the integrator;
an instance nobody decides within the policy's window expires.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.bounds import Message, Name, RequestId
from domain.models import CaseRequest, ReporterRole
from domain.refusals import (
    AccessAlreadyDecided,
    SchoolDataNotAllowed,
    SchoolDataRefused,
    UnknownAccessRequest,
    UnknownDataRequest,
)

__all__ = [
    "AccessAlreadyDecided",
    "SchoolDataNotAllowed",
    "SchoolDataRefused",
    "UnknownAccessRequest",
    "UnknownDataRequest",
]

# The European Economic Area: the EU's 27 members, plus Iceland, Liechtenstein and Norway.
EEA = frozenset(
    {
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO"),
    }
)
# The desk and its schools are in the UK: a UK partner receives no transfer abroad.
HOME = frozenset({"GB"})

CountryCode = Annotated[
    str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. FR, IN")
]
# Where the copy was put, never the copy: sftp://host[:port]/path, nothing else.
SftpReference = Annotated[
    str,
    Field(pattern=r"^sftp://[A-Za-z0-9.-]{1,100}(:[0-9]{1,5})?/[A-Za-z0-9._/-]{1,200}$"),
]
# Kept names: the bounds are DESIGN §13's (`domain.bounds`).
ShortText = Message


class ApproverRole(StrEnum):
    SCHOOL = "school"
    INTEGRATOR = "integrator"


class AccessState(StrEnum):
    PENDING = "pending"
    NOT_NEEDED = "not_needed"  # inside the EEA (or the UK): shared without an approval
    APPROVED = "approved"
    REFUSED = "refused"
    EXPIRED = "expired"


# -- the updates a platform backend sends --------------------------------------------------


class RequestSchoolData(CaseRequest):
    purpose: ShortText


class RecordDataTransfer(CaseRequest):
    data_request_id: RequestId
    sftp_reference: SftpReference


class RequestPartnerAccess(CaseRequest):
    partner: Name
    country: CountryCode
    purpose: ShortText


class ApprovePartnerAccess(CaseRequest):
    access_request_id: RequestId
    approver: ApproverRole
    approved_by: Name


class RefusePartnerAccess(CaseRequest):
    access_request_id: RequestId
    approver: ApproverRole
    refused_by: Name
    reason: ShortText


# -- what a case remembers ----------------------------------------------------------------


class DataRequest(BaseModel):
    model_config = ConfigDict(frozen=True)
    request_id: str
    requested_at: dt.datetime
    purpose: str
    transfers: tuple[str, ...] = ()


class PartnerAccess(BaseModel):
    model_config = ConfigDict(frozen=True)
    request_id: str
    partner: str
    country: str
    requested_at: dt.datetime
    state: AccessState
    expires_at: dt.datetime | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.request_id}: {self.partner} ({self.country})"


def needs_approval(country: str) -> bool:
    """Unknown codes count as outside the EEA: the safe side."""
    return country not in EEA | HOME


class SchoolData(BaseModel):
    """Every data request and partner access of one case; each method returns a new one."""

    model_config = ConfigDict(frozen=True)
    data_requests: tuple[DataRequest, ...] = ()
    partner_access: tuple[PartnerAccess, ...] = ()

    def request_data(
        self, role: ReporterRole, req: RequestSchoolData, at: dt.datetime
    ) -> SchoolData:
        if role is not ReporterRole.SCHOOL_SUPPORT_UNIT:
            raise SchoolDataNotAllowed(
                "a copy of a school's database may be requested only when the school logged "
                "the case through its support unit; this case was logged by the integrator: "
                "ask the school to log a case through its support unit"
            )
        data = DataRequest(request_id=req.request_id, requested_at=at, purpose=req.purpose)
        return self.model_copy(update={"data_requests": (*self.data_requests, data)})

    def record_transfer(self, req: RecordDataTransfer) -> SchoolData:
        found = self._data_request(req.data_request_id)
        moved = found.model_copy(update={"transfers": (*found.transfers, req.sftp_reference)})
        requests = tuple(
            moved if r.request_id == found.request_id else r for r in self.data_requests
        )
        return self.model_copy(update={"data_requests": requests})

    def request_access(
        self, req: RequestPartnerAccess, at: dt.datetime, expires_at: dt.datetime
    ) -> tuple[SchoolData, PartnerAccess]:
        if not self.data_requests:
            raise UnknownDataRequest(
                "no copy of the school's data was requested on this case, so there is "
                "nothing to share: request_school_data first"
            )
        pending = needs_approval(req.country)
        access = PartnerAccess(
            request_id=req.request_id,
            partner=req.partner,
            country=req.country,
            requested_at=at,
            state=AccessState.PENDING if pending else AccessState.NOT_NEEDED,
            expires_at=expires_at if pending else None,
        )
        return self.model_copy(update={"partner_access": (*self.partner_access, access)}), access

    def decide(
        self, access_request_id: str, approve: bool, by: str, at: dt.datetime
    ) -> tuple[SchoolData, PartnerAccess]:
        found = next((a for a in self.partner_access if a.request_id == access_request_id), None)
        if found is None:
            raise UnknownAccessRequest(
                f"access_request_id: no partner access request {access_request_id!r} on this "
                "case (each approval names the request_id of one request_partner_access)"
            )
        if found.state is not AccessState.PENDING:
            raise AccessAlreadyDecided(
                f"partner access {found.label} is {found.state.value.replace('_', ' ')}: "
                "each request is decided once; send a new request_partner_access to share again"
            )
        state = AccessState.APPROVED if approve else AccessState.REFUSED
        decided = found.model_copy(update={"state": state, "decided_by": by, "decided_at": at})
        return self._replace(decided), decided

    def expire_due(self, now: dt.datetime) -> tuple[SchoolData, list[PartnerAccess]]:
        due = [
            a
            for a in self.partner_access
            if a.state is AccessState.PENDING and a.expires_at is not None and a.expires_at <= now
        ]
        expired = [a.model_copy(update={"state": AccessState.EXPIRED}) for a in due]
        record = self
        for access in expired:
            record = record._replace(access)
        return record, expired

    @property
    def next_expiry(self) -> dt.datetime | None:
        pending = [
            a.expires_at
            for a in self.partner_access
            if a.state is AccessState.PENDING and a.expires_at is not None
        ]
        return min(pending, default=None)

    def _data_request(self, request_id: str) -> DataRequest:
        found = next((r for r in self.data_requests if r.request_id == request_id), None)
        if found is None:
            raise UnknownDataRequest(
                f"data_request_id: no school data request {request_id!r} on this case "
                "(a transfer names the request_id of its request_school_data)"
            )
        return found

    def _replace(self, new: PartnerAccess) -> SchoolData:
        accesses = tuple(new if a.request_id == new.request_id else a for a in self.partner_access)
        return self.model_copy(update={"partner_access": accesses})
