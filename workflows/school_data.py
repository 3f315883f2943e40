"""The school-data updates of CaseWorkflow (DESIGN §8), mixed into it.

Thin like the rest of the case: each update asks `domain.school_data` whether the charter
allows it, keeps the new record and writes the event in the timeline. A refusal reaches
the caller as an `ApplicationError` whose type names the rule; nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import WorkingCalendar
    from domain.machines import CASE_CLOSED
    from domain.models import CaseEvent, CaseRequest, EventKind, OpenCase, Priority
    from domain.school_data import (
        ApprovePartnerAccess,
        PartnerAccess,
        RecordDataTransfer,
        RefusePartnerAccess,
        RequestPartnerAccess,
        RequestSchoolData,
        SchoolData,
        SchoolDataRefused,
    )
    from domain.workflow_inputs import CaseSetup

T = TypeVar("T")
CLOSED = CASE_CLOSED


class SchoolDataUpdates:
    # Kept by CaseWorkflow; declared here for the type checker.
    _intake: OpenCase
    _state: str
    _events: list[CaseEvent]
    _request_ids: list[str]
    _school_data: SchoolData
    _calendar: WorkingCalendar | None
    _setup: CaseSetup | None

    def _record(
        self,
        kind: EventKind,
        detail: str = "",
        *,
        request_id: str | None = None,
        priority: Priority | None = None,
    ) -> None:
        raise NotImplementedError

    @workflow.update
    def request_school_data(self, req: RequestSchoolData) -> SchoolData:
        if self._new_data_request(req):
            self._school_data = _ruled(lambda: self._data_requested(req))
            self._note(req, EventKind.SCHOOL_DATA_REQUESTED, req.purpose)
        return self._school_data

    @request_school_data.validator
    def _request_school_data_allowed(self, req: RequestSchoolData) -> None:
        if self._new_data_request(req):
            _ruled(lambda: self._data_requested(req))

    @workflow.update
    def record_data_transfer(self, req: RecordDataTransfer) -> SchoolData:
        if self._new_data_request(req):
            self._school_data = _ruled(lambda: self._school_data.record_transfer(req))
            detail = f"{req.data_request_id}: {req.sftp_reference}"
            self._note(req, EventKind.DATA_TRANSFER_RECORDED, detail)
        return self._school_data

    @record_data_transfer.validator
    def _record_data_transfer_allowed(self, req: RecordDataTransfer) -> None:
        if self._new_data_request(req):
            _ruled(lambda: self._school_data.record_transfer(req))

    @workflow.update
    def request_partner_access(self, req: RequestPartnerAccess) -> SchoolData:
        if self._new_data_request(req):
            self._school_data, access = _ruled(lambda: self._access_requested(req))
            if access.expires_at is None:
                detail = f"{access.label} inside the EEA: no approval needed"
            else:
                detail = f"{access.label} outside the EEA: approval needed (school or integrator)"
            self._note(req, EventKind.PARTNER_ACCESS_REQUESTED, f"{detail}; {req.purpose}")
        return self._school_data

    @request_partner_access.validator
    def _request_partner_access_allowed(self, req: RequestPartnerAccess) -> None:
        if self._new_data_request(req):
            _ruled(lambda: self._access_requested(req))

    @workflow.update
    def approve_partner_access(self, req: ApprovePartnerAccess) -> SchoolData:
        if self._new_data_request(req):
            self._school_data, access = _ruled(lambda: self._decided(req, req.approved_by))
            detail = f"{access.label} approved by {req.approved_by} ({req.approver})"
            self._note(req, EventKind.PARTNER_ACCESS_APPROVED, detail)
        return self._school_data

    @approve_partner_access.validator
    def _approve_partner_access_allowed(self, req: ApprovePartnerAccess) -> None:
        if self._new_data_request(req):
            _ruled(lambda: self._decided(req, req.approved_by))

    @workflow.update
    def refuse_partner_access(self, req: RefusePartnerAccess) -> SchoolData:
        if self._new_data_request(req):
            self._school_data, access = _ruled(lambda: self._decided(req, req.refused_by))
            detail = f"{access.label} refused by {req.refused_by} ({req.approver}): {req.reason}"
            self._note(req, EventKind.PARTNER_ACCESS_REFUSED, detail)
        return self._school_data

    @refuse_partner_access.validator
    def _refuse_partner_access_allowed(self, req: RefusePartnerAccess) -> None:
        if self._new_data_request(req):
            _ruled(lambda: self._decided(req, req.refused_by))

    @workflow.query
    def school_data(self) -> SchoolData:
        return self._school_data

    # -- called by the case's timer loop ---------------------------------------------------

    def _expire_partner_access(self) -> None:
        self._school_data, expired = self._school_data.expire_due(workflow.now())
        for access in expired:
            detail = f"{access.label} not approved in time: the request lapsed, nothing shared"
            self._record(EventKind.PARTNER_ACCESS_EXPIRED, detail)

    def _next_wake(self, due: dt.datetime | None) -> dt.datetime | None:
        expiry = self._school_data.next_expiry
        return min((t for t in (due, expiry) if t is not None), default=None)

    # -- rules, asked alike by validators (nothing kept) and handlers ------------------------

    def _new_data_request(self, req: CaseRequest) -> bool:
        """False for a retry of a request already applied (a no-op); refuses a closed case."""
        if req.request_id in self._request_ids:
            return False
        if not self._events:
            raise ApplicationError("the case is still being opened; try again", type="NotReady")
        if self._state in CLOSED:
            raise ApplicationError(
                f"case {self._intake.reference} is {self._state}: its school data is closed",
                type="InvalidTransition",
            )
        return True

    def _data_requested(self, req: RequestSchoolData) -> SchoolData:
        return self._school_data.request_data(self._intake.reporter.role, req, workflow.now())

    def _access_requested(self, req: RequestPartnerAccess) -> tuple[SchoolData, PartnerAccess]:
        assert self._setup is not None and self._calendar is not None
        now = workflow.now()
        window = self._setup.policy.partner_approval_window
        return self._school_data.request_access(
            req, now, self._calendar.add_working_time(now, window)
        )

    def _decided(
        self, req: ApprovePartnerAccess | RefusePartnerAccess, by: str
    ) -> tuple[SchoolData, PartnerAccess]:
        approve = isinstance(req, ApprovePartnerAccess)
        return self._school_data.decide(req.access_request_id, approve, by, workflow.now())

    def _note(self, req: CaseRequest, kind: EventKind, detail: str) -> None:
        self._record(kind, detail, request_id=req.request_id)
        self._request_ids.append(req.request_id)


def _ruled(rule: Callable[[], T]) -> T:
    try:
        return rule()
    except SchoolDataRefused as err:
        raise ApplicationError(str(err), type=err.type, non_retryable=True) from None
