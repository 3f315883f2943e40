"""School data and partner access: the charter's rules with fixed instants."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.models import ReporterRole
from domain.school_data import (
    EEA,
    AccessAlreadyDecided,
    AccessState,
    RecordDataTransfer,
    RequestPartnerAccess,
    RequestSchoolData,
    SchoolData,
    SchoolDataNotAllowed,
    UnknownAccessRequest,
    UnknownDataRequest,
    needs_approval,
)

AT = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(days=14)
SSU = ReporterRole.SCHOOL_SUPPORT_UNIT


def with_copy() -> SchoolData:
    return SchoolData().request_data(SSU, RequestSchoolData(request_id="d1", purpose="repro"), AT)


def access(request_id: str, country: str) -> RequestPartnerAccess:
    return RequestPartnerAccess(
        request_id=request_id, partner="Offshore Support Ltd", country=country, purpose="triage"
    )


def test_a_case_the_school_logged_through_its_support_unit_may_ask_for_a_copy() -> None:
    record = with_copy()
    assert [r.request_id for r in record.data_requests] == ["d1"]


def test_a_case_the_integrator_logged_may_not_ask_for_the_schools_data() -> None:
    with pytest.raises(SchoolDataNotAllowed, match="only when the school logged the case"):
        SchoolData().request_data(
            ReporterRole.INTEGRATOR, RequestSchoolData(request_id="d1", purpose="repro"), AT
        )


def test_a_transfer_is_recorded_against_its_request_by_reference() -> None:
    ref = "sftp://transfer.example.org/inbound/123456/backup-2026-11-30.bak"
    record = with_copy().record_transfer(
        RecordDataTransfer(request_id="t1", data_request_id="d1", sftp_reference=ref)
    )
    assert record.data_requests[0].transfers == (ref,)
    with pytest.raises(UnknownDataRequest, match="no school data request 'd9'"):
        record.record_transfer(
            RecordDataTransfer(request_id="t2", data_request_id="d9", sftp_reference=ref)
        )


@pytest.mark.parametrize(
    "reference",
    ["the data itself", "https://example.org/x", "sftp://host/", "sftp://h/" + "a" * 201, ""],
)
def test_a_transfer_reference_is_an_sftp_location_never_the_data(reference: str) -> None:
    with pytest.raises(ValidationError, match="sftp_reference"):
        RecordDataTransfer(request_id="t", data_request_id="d1", sftp_reference=reference)


def test_sharing_inside_the_eea_or_the_uk_needs_no_approval_and_outside_it_does() -> None:
    assert len(EEA) == 30 and {"IS", "LI", "NO", "IE", "FR"} <= EEA
    assert not needs_approval("FR") and not needs_approval("GB") and not needs_approval("NO")
    assert needs_approval("IN") and needs_approval("US") and needs_approval("CH")
    assert needs_approval("ZZ")  # unknown codes stay on the safe side


def test_access_inside_the_eea_is_granted_at_once_and_outside_waits_for_approval() -> None:
    record, inside = with_copy().request_access(access("a1", "IE"), AT, LATER)
    record, outside = record.request_access(access("a2", "IN"), AT, LATER)

    assert inside.state is AccessState.NOT_NEEDED and inside.expires_at is None
    assert outside.state is AccessState.PENDING and outside.expires_at == LATER
    assert record.next_expiry == LATER


def test_partner_access_needs_a_copy_to_share() -> None:
    with pytest.raises(UnknownDataRequest, match="request_school_data first"):
        SchoolData().request_access(access("a1", "IN"), AT, LATER)


def test_each_instance_is_approved_once_and_approving_one_leaves_the_other_pending() -> None:
    record, _ = with_copy().request_access(access("a1", "IN"), AT, LATER)
    record, _ = record.request_access(access("a2", "IN"), AT, LATER)
    record, approved = record.decide("a1", True, "head@school", AT)

    assert approved.state is AccessState.APPROVED and approved.decided_by == "head@school"
    assert [a.state for a in record.partner_access] == [AccessState.APPROVED, AccessState.PENDING]
    with pytest.raises(AccessAlreadyDecided, match="a1: Offshore Support Ltd \\(IN\\) is approved"):
        record.decide("a1", False, "integrator", AT)
    with pytest.raises(UnknownAccessRequest, match="'a9'"):
        record.decide("a9", True, "x", AT)


def test_a_refused_request_stays_refused() -> None:
    record, _ = with_copy().request_access(access("a1", "US"), AT, LATER)
    record, refused = record.decide("a1", False, "integrator-ops", AT)
    assert refused.state is AccessState.REFUSED
    assert record.next_expiry is None
    assert record.expire_due(LATER)[1] == []


def test_a_pending_request_expires_at_its_deadline_and_only_then() -> None:
    record, _ = with_copy().request_access(access("a1", "IN"), AT, LATER)

    same, none = record.expire_due(LATER - dt.timedelta(seconds=1))
    after, expired = record.expire_due(LATER)

    assert none == [] and same == record
    assert [a.request_id for a in expired] == ["a1"]
    assert after.partner_access[0].state is AccessState.EXPIRED
    assert after.next_expiry is None
    with pytest.raises(AccessAlreadyDecided, match="is expired"):
        after.decide("a1", True, "head", LATER)


@given(st.text(min_size=0, max_size=4))
def test_a_country_is_two_capital_letters(code: str) -> None:
    valid = len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()
    try:
        access("a", code)
    except ValidationError:
        assert not valid
    else:
        assert valid
