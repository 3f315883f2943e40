"""A case's record: what it takes, what it refuses, and what a priority change owes."""

from __future__ import annotations

import pytest

from domain.case_events import EVENTS
from domain.case_record import CaseRecord
from domain.models import (
    AcceptResolution,
    Acknowledge,
    EscalateToProblem,
    EventKind,
    Priority,
    Reopen,
    Withdraw,
)
from domain.problem_links import LinkedCaseChanged
from domain.refusals import (
    EscalationInProgress,
    InvalidResolutionKind,
    InvalidTransition,
    LoggedAtInFuture,
    NotReady,
    ReopenWindowClosed,
    SchoolDataNotAllowed,
)
from domain.school_data import RequestSchoolData
from tests.case_records import (
    LOGGED,
    MONDAY,
    PROBLEM,
    Kind,
    escalated,
    investigating,
    kinds,
    logged,
    offer,
    raise_to_p1,
    rid,
    told,
)
from tests.factories import intake
from workflows.contract import CASE_EVENTS

# -- the problem's fixes ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["script", "hotfix", "service_pack", "main_release"])
def test_a_problem_fix_is_refused_on_a_case_not_escalated_to_a_problem(kind: str) -> None:
    record = investigating()

    with pytest.raises(InvalidResolutionKind, match="escalate it first"):
        record.check(offer(kind))

    assert record.state == "investigating"


@pytest.mark.parametrize("kind", ["advice", "workaround", "upgrade"])
def test_advice_a_workaround_or_an_upgrade_needs_no_problem(kind: str) -> None:
    record = investigating()

    record.apply(offer(kind), MONDAY)

    assert record.state == "resolution_offered"
    assert told(record)[-1] is Kind.RESOLUTION_OFFERED


def test_an_escalated_case_may_be_offered_its_problems_fix() -> None:
    record = escalated()

    record.apply(offer("hotfix"), MONDAY)

    assert record.state == "resolution_offered"
    assert record.events[-1].detail == "hotfix: clear the marks cache"


# -- priority ---------------------------------------------------------------------------


def test_an_incident_raised_to_p1_has_the_desk_call_the_reporter_first() -> None:
    record = investigating()

    record.apply(raise_to_p1(), MONDAY)

    assert record.priority is Priority.P1
    call = record.outbox[-1]
    assert call.kind is Kind.CALL_TASK and "call Priya Shah first" in call.message
    assert record.events[-1].detail.startswith("P3 -> P1: ")


def test_an_enquiry_raised_on_the_grid_stays_below_p1_and_owes_no_call() -> None:
    record = investigating(intake(logged_at=LOGGED, case_type="enquiry", apis=[]))

    record.apply(raise_to_p1(), MONDAY)

    assert record.priority is Priority.P3
    assert Kind.CALL_TASK not in told(record)


def test_a_retried_priority_change_calls_the_reporter_once() -> None:
    record = investigating()
    change = raise_to_p1()

    record.apply(change, MONDAY)
    record.apply(change, MONDAY)

    assert told(record).count(Kind.CALL_TASK) == 1
    assert kinds(record).count(EventKind.PRIORITY_CHANGED) == 1


def test_an_escalated_case_tells_its_problem_when_its_priority_changes_or_it_leaves() -> None:
    record = escalated()

    record.apply(raise_to_p1(), MONDAY)
    record.apply(Withdraw(request_id=rid(), reason="fixed by a local restart"), MONDAY)

    assert [(c.priority, c.open) for c in record.to_problem] == [
        (Priority.P1, True),
        (Priority.P1, False),
    ]
    assert all(isinstance(c, LinkedCaseChanged) for c in record.to_problem)


# -- requests ---------------------------------------------------------------------------


def test_a_repeated_request_id_changes_nothing_even_once_the_state_has_moved_on() -> None:
    record = logged()
    ack = Acknowledge(request_id="ack-1")
    record.apply(ack, LOGGED)
    before = list(record.events)

    record.check(ack)  # acknowledging is no longer allowed, but a retry is a no-op
    record.apply(ack, MONDAY)

    assert record.events == before and record.state == "investigating"


def test_a_resolved_case_cannot_be_reopened_and_the_integrator_is_told_what_to_do() -> None:
    record = investigating()
    record.apply(offer(), MONDAY)
    record.apply(AcceptResolution(request_id=rid()), MONDAY)

    with pytest.raises(ReopenWindowClosed, match="log a new case quoting reference"):
        record.check(Reopen(request_id=rid(), reason="it came back"))


def test_an_event_the_state_does_not_allow_is_refused_and_changes_nothing() -> None:
    record = logged()

    with pytest.raises(InvalidTransition):
        record.apply(offer(), MONDAY)

    assert kinds(record) == [EventKind.LOGGED]


def test_nothing_is_taken_before_the_case_is_logged() -> None:
    with pytest.raises(NotReady):
        CaseRecord(intake()).check(Acknowledge(request_id=rid()))


def test_every_other_request_waits_while_the_case_is_linked_to_its_problem() -> None:
    record = investigating()
    record.start_linking(EscalateToProblem(request_id=rid(), problem_reference=PROBLEM))

    with pytest.raises(EscalationInProgress, match=PROBLEM):
        record.check(Withdraw(request_id=rid(), reason="found it"))


def test_a_case_logged_in_the_future_is_refused() -> None:
    record = CaseRecord(intake(logged_at=MONDAY))

    with pytest.raises(LoggedAtInFuture, match="logged_at"):
        record.log(LOGGED)


def test_every_request_the_record_takes_is_an_event_a_caller_may_send() -> None:
    assert sorted(event for event, _ in EVENTS.values()) == sorted(CASE_EVENTS)


# -- school data ------------------------------------------------------------------------


def test_a_case_the_integrator_logged_may_not_ask_for_the_schools_data() -> None:
    record = logged()

    with pytest.raises(SchoolDataNotAllowed):
        record.check_school(RequestSchoolData(request_id=rid(), purpose="reproduce"), MONDAY)


def test_a_closed_case_takes_no_school_data_request() -> None:
    school = intake(
        logged_at=LOGGED,
        reporter={"name": "Sam", "email": "sam@school.example", "role": "school_support_unit"},
    )
    record = investigating(school)
    record.apply(Withdraw(request_id=rid(), reason="solved"), MONDAY)

    with pytest.raises(InvalidTransition, match="its school data is closed"):
        record.apply_school(RequestSchoolData(request_id=rid(), purpose="reproduce"), MONDAY)
