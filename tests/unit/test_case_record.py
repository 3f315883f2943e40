"""A case's record: what it takes, what it refuses, what it owes, what falls due."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from domain.calendar import WorkingCalendar
from domain.case_events import EVENTS
from domain.case_record import CaseRecord
from domain.models import (
    AcceptResolution,
    Acknowledge,
    ChangePriority,
    EscalateToProblem,
    EventKind,
    OfferResolution,
    OpenCase,
    Priority,
    Reopen,
    ResolutionKind,
    Withdraw,
)
from domain.notifications import NotificationKind
from domain.policy import SupportPolicy
from domain.problem_links import LinkedCaseChanged, NewsKind, ProblemNews
from domain.problems import FixVehicle
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
from domain.workflow_inputs import CaseSetup
from tests.factories import LONDON, intake
from workflows.contract import CASE_EVENTS

# Late 2026 in London, no bank holiday near: Fri 27 Nov ... Mon 14 Dec.
LOGGED = dt.datetime(2026, 11, 27, 10, 0, tzinfo=LONDON)
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)
SETUP = CaseSetup(
    policy=SupportPolicy(),
    calendar=WorkingCalendar.england_and_wales().snapshot(
        dt.date(2026, 11, 1), dt.date(2027, 12, 31)
    ),
)
PROBLEM = "PRB-7"
_ids = itertools.count(1)
Kind = NotificationKind


def rid() -> str:
    return f"r-{next(_ids)}"


def logged(case: OpenCase | None = None) -> CaseRecord:
    record = CaseRecord(case or intake(logged_at=LOGGED))
    record.load(SETUP)
    record.log(LOGGED)
    return record


def investigating(case: OpenCase | None = None) -> CaseRecord:
    record = logged(case)
    record.apply(Acknowledge(request_id=rid(), message="looking into it"), LOGGED)
    return record


def escalated() -> CaseRecord:
    record = investigating()
    record.apply(EscalateToProblem(request_id=rid(), problem_reference=PROBLEM), LOGGED)
    return record


def offer(kind: str = "workaround") -> OfferResolution:
    return OfferResolution(
        request_id=rid(), kind=ResolutionKind(kind), summary="clear the marks cache"
    )


def raise_to_p1() -> ChangePriority:
    return ChangePriority(request_id=rid(), impact=1, urgency=1, reason="every school is down")


def news(
    kind: NewsKind, news_id: str = "n-1", problem: str = PROBLEM, **fields: Any
) -> ProblemNews:
    message = f"problem {problem}: {kind.value.replace('_', ' ')}"
    return ProblemNews(
        news_id=news_id, problem_reference=problem, kind=kind, message=message, **fields
    )


def kinds(record: CaseRecord) -> list[EventKind]:
    return [e.kind for e in record.events]


def told(record: CaseRecord) -> list[NotificationKind]:
    return [n.kind for n in record.outbox]


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


# -- the problem's news -----------------------------------------------------------------


def test_a_released_fix_offers_the_resolution_and_tells_the_integrator() -> None:
    record = escalated()

    heard = record.hear(news(NewsKind.FIX_RELEASED, vehicle=FixVehicle.SERVICE_PACK), MONDAY)

    assert heard and record.state == "resolution_offered"
    assert record.events[-1].kind is EventKind.RESOLUTION_OFFERED
    assert record.events[-1].detail.startswith("service_pack: ")
    assert record.outbox[-1].kind is Kind.RESOLUTION_OFFERED
    assert record.outbox[-1].key == f"case-{record.intake.reference}:n-1"


def test_not_a_defect_sends_the_case_back_to_investigating() -> None:
    record = escalated()

    record.hear(news(NewsKind.NOT_A_DEFECT), MONDAY)

    assert record.state == "investigating"
    assert kinds(record)[-1] is EventKind.INVESTIGATION_RESUMED
    assert told(record)[-1] is Kind.PROBLEM_NEWS


@pytest.mark.parametrize(
    "kind", [NewsKind.REVIEW_SCHEDULED, NewsKind.ACCEPTED_AS_DEFECT, NewsKind.INFORMATION_NEEDED]
)
def test_other_news_is_recorded_and_passed_on_while_the_case_waits(kind: NewsKind) -> None:
    record = escalated()

    record.hear(news(kind), MONDAY)

    assert record.state == "escalated_to_problem"
    assert record.events[-1].kind is EventKind.PROBLEM_NEWS
    assert told(record)[-1] is Kind.PROBLEM_NEWS


def test_stale_news_from_another_problem_is_ignored() -> None:
    record = escalated()
    before = list(record.events)

    heard = record.hear(news(NewsKind.NOT_A_DEFECT, problem="PRB-9"), MONDAY)

    assert not heard
    assert record.events == before and record.state == "escalated_to_problem"


def test_news_heard_twice_is_taken_once() -> None:
    record = escalated()

    record.hear(news(NewsKind.REVIEW_SCHEDULED, news_id="n-5"), MONDAY)
    again = record.hear(news(NewsKind.REVIEW_SCHEDULED, news_id="n-5"), MONDAY)

    assert not again
    assert kinds(record).count(EventKind.PROBLEM_NEWS) == 1
    assert told(record).count(Kind.PROBLEM_NEWS) == 1


# -- what falls due ---------------------------------------------------------------------


def test_a_p3_response_breach_at_its_instant_tells_the_desk() -> None:
    record = logged()
    # Eight working hours from Friday 10:00: Friday's seven, then Monday 08:30 + 1 h.
    breach = dt.datetime(2026, 11, 30, 9, 30, tzinfo=LONDON)

    record.take_due(record.view(breach), breach)

    notice = record.outbox[-1]
    assert (notice.kind, notice.due) == (Kind.RESPONSE_BREACH, breach)
    assert notice.key.startswith(f"case-{record.intake.reference}:response_breach@")
    assert record.events[-1].kind is EventKind.ACTION_TAKEN


def test_nothing_is_taken_before_it_falls_due() -> None:
    record = logged()
    before = dt.datetime(2026, 11, 27, 15, 59, tzinfo=LONDON)

    record.take_due(record.view(before), before)

    assert kinds(record) == [EventKind.LOGGED]


def test_a_resolution_offered_for_ten_working_days_becomes_resolved() -> None:
    record = investigating()
    record.apply(offer(), MONDAY)
    window_closes = dt.datetime(2026, 12, 14, 10, 0, tzinfo=LONDON)

    record.take_due(record.view(window_closes), window_closes)

    assert record.state == "resolved" and record.closed
    assert kinds(record)[-2:] == [EventKind.ACTION_TAKEN, EventKind.RESOLVED]
    assert told(record)[-1] is Kind.RESOLVED


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
