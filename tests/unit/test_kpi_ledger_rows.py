"""The ledger's rows are a function of the case's event log, worked out by hand."""

from __future__ import annotations

import datetime as dt

from domain.calendar import WorkingCalendar
from domain.kpi_ledger import SlaEventKind, case_row, sla_events
from domain.models import CaseEvent, EventKind, Priority
from domain.policy import SupportPolicy
from domain.sla import Action, Due
from tests.factories import LONDON, intake

CALENDAR = WorkingCalendar()
POLICY = SupportPolicy()
H = dt.timedelta(hours=1)
K = EventKind


def mon(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, tzinfo=LONDON)


def taken(action: Action, due: dt.datetime) -> CaseEvent:
    return CaseEvent(kind=K.ACTION_TAKEN, at=due, detail=Due(due, action).key)


# A P3 incident logged Monday 09:00: warned at 75% of its 8 h response, answered late on
# Tuesday at 08:45 (deadline Monday 17:00), an hour awaiting information on Tuesday
# (09:00-10:00), offered Tuesday 12:00.
LOG = [
    CaseEvent(kind=K.LOGGED, at=mon(9), priority=Priority.P3),
    taken(Action.RESPONSE_WARNING, mon(15)),
    taken(Action.RESPONSE_BREACH, mon(17)),
    CaseEvent(kind=K.ACKNOWLEDGED, at=mon(8, 45) + dt.timedelta(days=1), request_id="r1"),
    CaseEvent(kind=K.INFO_REQUESTED, at=mon(9) + dt.timedelta(days=1), request_id="r2"),
    CaseEvent(kind=K.INFO_PROVIDED, at=mon(10) + dt.timedelta(days=1), request_id="r3"),
    CaseEvent(kind=K.RESOLUTION_OFFERED, at=mon(12) + dt.timedelta(days=1), request_id="r4"),
]


def test_a_standing_offer_records_the_resolution_time_less_the_pause() -> None:
    case = intake(logged_at=mon(9))

    record = case_row(case, "resolution_offered", LOG, POLICY, CALENDAR)

    assert record.priority is Priority.P3
    assert record.response_due == mon(17)
    assert record.first_response_at == mon(8, 45) + dt.timedelta(days=1)
    assert record.response_working_time == 8.25 * H
    # Mon 09:00-17:00 (8 h) + Tue 08:30-12:00 (3.5 h), less Tue 09:00-10:00 paused.
    assert record.resolution_working_time == 10.5 * H
    assert (record.paused_working_time, record.paused_since) == (H, None)
    assert (record.breaches, record.reopen_count, record.closed_at) == (1, 0, None)
    assert record.revision == len(LOG)


def test_a_running_clock_records_no_resolution_time_and_an_open_pause_its_start() -> None:
    case = intake(logged_at=mon(9))

    record = case_row(case, "awaiting_information", LOG[:5], POLICY, CALENDAR)

    assert record.resolution_working_time is None
    assert record.paused_since == mon(9) + dt.timedelta(days=1)
    assert record.paused_working_time == dt.timedelta(0)


def test_an_accepted_offer_closes_the_case_at_acceptance() -> None:
    accepted = mon(15) + dt.timedelta(days=1)
    log = [*LOG, CaseEvent(kind=K.ACCEPTED, at=accepted, request_id="r5")]

    record = case_row(intake(logged_at=mon(9)), "resolved", log, POLICY, CALENDAR)

    assert record.closed_at == accepted
    assert record.resolution_working_time == 10.5 * H


def test_timer_actions_become_sla_events_keyed_by_their_action_and_instant() -> None:
    found = sla_events("INC-1", LOG)

    assert [(e.kind, e.action, e.due_at) for e in found] == [
        (SlaEventKind.WARNING, Action.RESPONSE_WARNING, mon(15)),
        (SlaEventKind.BREACH, Action.RESPONSE_BREACH, mon(17)),
    ]
    assert found[0].key == Due(mon(15), Action.RESPONSE_WARNING).key
    assert {e.priority for e in found} == {Priority.P3}


def test_a_note_to_the_integrator_changes_no_figure_in_the_row() -> None:
    case = intake(logged_at=mon(9))
    before = case_row(case, "investigating", LOG[:4], POLICY, CALENDAR)
    note = CaseEvent(kind=K.UPDATED, at=mon(11) + dt.timedelta(days=1), request_id="n1")

    after = case_row(case, "investigating", [*LOG[:4], note], POLICY, CALENDAR)

    assert after.revision == before.revision + 1
    assert after.same_figures(before)


def test_an_information_request_is_a_figure_in_the_row() -> None:
    case = intake(logged_at=mon(9))
    before = case_row(case, "investigating", LOG[:4], POLICY, CALENDAR)

    after = case_row(case, "awaiting_information", LOG[:5], POLICY, CALENDAR)

    assert not after.same_figures(before)
    assert not after.same_figures(None)
