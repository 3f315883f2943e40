import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseType,
    ChangePriority,
    Channel,
    EscalateToProblem,
    OfferResolution,
    PostUpdate,
    Priority,
    Reopen,
    Withdraw,
)
from domain.priority import priority_for
from tests.factories import intake, p1_incident

LOGGED_ON = dt.date(2026, 11, 27)  # the factory's logged_at, a Friday


def agreement_expiring(day: dt.date) -> dict[str, Any]:
    return {"id": "INT-042", "name": "Acme Attendance Ltd", "support_agreement_expires": day}


def named(err: ValidationError) -> str:
    """str(err) without the echoed input, which spells out every field of the intake."""
    return "\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())


def refused(field: str, **overrides: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        intake(**overrides)
    assert field in named(caught.value)
    return caught.value


# -- what a good intake looks like ---------------------------------------------------------


def test_a_complete_incident_from_a_licensed_integrator_is_accepted() -> None:
    case = intake()

    assert case.case_type is CaseType.INCIDENT
    assert case.channel is Channel.PORTAL
    assert case.priority is Priority.P3
    assert case.logged_at.date() == LOGGED_ON


def test_an_agreement_expiring_on_the_day_of_logging_is_still_valid() -> None:
    case = intake(integrator=agreement_expiring(LOGGED_ON))

    assert case.integrator.support_agreement_expires == LOGGED_ON


def test_a_p1_incident_may_be_logged_by_phone() -> None:
    case = p1_incident()

    assert case.channel is Channel.PHONE
    assert case.priority is Priority.P1


def test_an_enquiry_need_not_name_an_api() -> None:
    case = intake(case_type="enquiry", apis=[])

    assert case.apis == []


# -- the charter's rules, each refused with the field named --------------------------------


def test_an_agreement_that_expired_the_day_before_logging_is_refused() -> None:
    err = refused(
        "integrator.support_agreement_expires",
        integrator=agreement_expiring(LOGGED_ON - dt.timedelta(days=1)),
    )

    assert "2026-11-26" in str(err)


@pytest.mark.parametrize(
    ("case_type", "impact", "urgency"),
    [
        ("incident", 2, 2),  # a P2 incident
        ("incident", 4, 3),  # a P4 incident
        ("enquiry", 1, 1),  # a P1 on the grid, capped at P3
        ("service_request", 1, 1),
    ],
)
def test_the_phone_line_is_refused_for_anything_but_a_p1_incident(
    case_type: str, impact: int, urgency: int
) -> None:
    refused("channel", case_type=case_type, impact=impact, urgency=urgency, channel="phone")


@pytest.mark.parametrize("urn", ["12345", "1234567", "12345A", ""])
def test_a_school_urn_that_is_not_six_digits_is_refused(urn: str) -> None:
    refused("school.urn", school={"urn": urn, "name": "Hilltop Academy"})


def test_an_unknown_environment_is_refused() -> None:
    refused("environments", environments=["live", "staging"])


def test_an_incident_that_names_no_api_is_refused() -> None:
    refused("apis", apis=[])


def test_a_logged_time_without_a_timezone_is_refused() -> None:
    refused("logged_at", logged_at=dt.datetime(2026, 11, 27, 10, 0))


def test_a_misspelt_field_is_refused_rather_than_dropped() -> None:
    err = refused("enviroments", enviroments=["live"])

    assert "Extra inputs are not permitted" in str(err)


@pytest.mark.parametrize("reference", ["inc-1", "AB", "A" * 41, "INC 00001", "INC_1"])
def test_a_reference_outside_the_platforms_pattern_is_refused(reference: str) -> None:
    refused("reference", reference=reference)


@pytest.mark.parametrize("summary", ["", "x" * 201])
def test_a_summary_must_be_one_to_two_hundred_characters(summary: str) -> None:
    refused("summary", summary=summary)


@pytest.mark.parametrize("case_type", ["problem", "change_request", "complaint"])
def test_a_case_is_only_an_incident_enquiry_or_service_request(case_type: str) -> None:
    refused("case_type", case_type=case_type)


@given(
    case_type=st.sampled_from([CaseType.INCIDENT, CaseType.ENQUIRY, CaseType.SERVICE_REQUEST]),
    impact=st.integers(min_value=1, max_value=4),
    urgency=st.integers(min_value=1, max_value=3),
    channel=st.sampled_from(list(Channel)),
)
def test_any_grid_cell_is_accepted_unless_it_phones_in_something_below_a_p1_incident(
    case_type: CaseType, impact: int, urgency: int, channel: Channel
) -> None:
    priority = priority_for(case_type, impact, urgency)
    phone_allowed = case_type is CaseType.INCIDENT and priority is Priority.P1
    fields = {"case_type": case_type, "impact": impact, "urgency": urgency, "channel": channel}

    if channel is Channel.PHONE and not phone_allowed:
        with pytest.raises(ValidationError) as caught:
            intake(**fields)
        assert "channel" in named(caught.value)
    else:
        assert intake(**fields).priority is priority


# -- what a platform backend sends to a running case ---------------------------------------

REQUEST_MODELS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (Acknowledge, {}),
    (PostUpdate, {"message": "Still looking"}),
    (ChangePriority, {"impact": 1, "urgency": 1, "reason": "Whole trust affected"}),
    (EscalateToProblem, {"problem_reference": "PRB-00042"}),
    (OfferResolution, {"kind": "workaround", "summary": "Re-run the nightly sync"}),
    (AcceptResolution, {}),
    (Reopen, {"reason": "Came back after the sync"}),
    (Withdraw, {"reason": "Fixed on our side"}),
]


@pytest.mark.parametrize(("model", "fields"), REQUEST_MODELS)
def test_every_request_to_a_case_is_accepted_with_its_request_id(
    model: type[BaseModel], fields: dict[str, Any]
) -> None:
    model.model_validate({"request_id": "req-1", **fields})


@pytest.mark.parametrize(("model", "fields"), REQUEST_MODELS)
def test_a_request_without_a_request_id_is_refused(
    model: type[BaseModel], fields: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError, match="request_id"):
        model.model_validate({"request_id": "", **fields})


@pytest.mark.parametrize(("field", "value"), [("impact", 0), ("impact", 5), ("urgency", 4)])
def test_a_priority_change_outside_the_grid_is_refused(field: str, value: int) -> None:
    fields = {"request_id": "req-1", "impact": 2, "urgency": 2, "reason": "Spreading", field: value}

    with pytest.raises(ValidationError, match=field):
        ChangePriority.model_validate(fields)


def test_an_offer_of_an_unknown_kind_of_resolution_is_refused() -> None:
    with pytest.raises(ValidationError, match="kind"):
        OfferResolution.model_validate({"request_id": "req-1", "kind": "magic", "summary": "x"})
