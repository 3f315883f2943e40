import datetime as dt

import pytest

from domain.calendar import WorkingCalendar
from domain.models import CaseEvent, CaseType, Clock, ClockStatus, EventKind, Priority
from domain.policy import SupportPolicy
from domain.sla import Action, Due, SlaView, evaluate
from tests.factories import LONDON

CALENDAR = WorkingCalendar.england_and_wales()
POLICY = SupportPolicy()
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)
P1, P2, P3, P4 = Priority.P1, Priority.P2, Priority.P3, Priority.P4
K = EventKind


# Late 2026 in London, no bank holiday near: Thu 26, Fri 27, Mon 30 Nov ... Mon 14 Dec.
def nov(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def dec(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


def event(kind: EventKind, at: dt.datetime, priority: Priority | None = None) -> CaseEvent:
    return CaseEvent(kind=kind, at=at, priority=priority)


def logged(at: dt.datetime, priority: Priority = P3) -> CaseEvent:
    return event(K.LOGGED, at, priority)


def taken(due: Due) -> CaseEvent:
    return CaseEvent(kind=K.ACTION_TAKEN, at=due.at, detail=due.key)


def evaluate_at(now: dt.datetime, events: list[CaseEvent], state: str = "investigating") -> SlaView:
    return evaluate(events, state, CaseType.INCIDENT, POLICY, CALENDAR, now)


def clock(view: SlaView, name: str) -> Clock:
    return next(c for c in view.clocks if c.name == name)


def pending(view: SlaView) -> list[tuple[Action, dt.datetime]]:
    return [(d.action, d.at) for d in view.pending]


def actions(view: SlaView) -> set[Action]:
    return {d.action for d in view.pending}


FRIDAY_LATE_P1 = [logged(nov(27, 16, 50), P1)]


# -- first response ------------------------------------------------------------------------


def test_a_p1_logged_late_on_friday_is_warned_and_breaches_early_on_monday() -> None:
    view = evaluate_at(nov(27, 16, 55), FRIDAY_LATE_P1, state="logged")

    response = clock(view, "response")
    assert response.warning_at == nov(30, 8, 35)
    assert response.deadline == nov(30, 8, 40)
    assert response.status is ClockStatus.PENDING
    assert response.working_time_left == 15 * MIN
    assert pending(view) == [
        (Action.RESPONSE_WARNING, nov(30, 8, 35)),
        (Action.RESPONSE_BREACH, nov(30, 8, 40)),
    ]


@pytest.mark.parametrize(
    ("priority", "deadline"),
    [(P1, nov(30, 8, 50)), (P2, nov(30, 9, 30)), (P3, nov(30, 16, 30)), (P4, dec(2, 15, 30))],
)
def test_the_response_target_depends_on_the_priority(
    priority: Priority, deadline: dt.datetime
) -> None:
    view = evaluate_at(nov(30, 8, 30), [logged(nov(30, 8, 30), priority)], state="logged")

    assert clock(view, "response").deadline == deadline


@pytest.mark.parametrize(
    ("acknowledged", "status", "used"),
    [
        (nov(30, 8, 40), ClockStatus.MET, 20 * MIN),  # exactly at the deadline
        (nov(30, 8, 41), ClockStatus.BREACHED, 21 * MIN),
    ],
)
def test_an_acknowledgement_by_the_deadline_meets_the_target_and_a_late_one_breaches_it(
    acknowledged: dt.datetime, status: ClockStatus, used: dt.timedelta
) -> None:
    view = evaluate_at(nov(30, 9), [*FRIDAY_LATE_P1, event(K.ACKNOWLEDGED, acknowledged)])

    assert clock(view, "response").status is status
    assert view.response_working_time == used
    assert view.response_breached is view.sla_breached is (status is ClockStatus.BREACHED)
    assert not {Action.RESPONSE_WARNING, Action.RESPONSE_BREACH} & actions(view)


def test_the_warning_is_dropped_once_the_deadline_has_passed_unanswered() -> None:
    before = evaluate_at(nov(30, 8, 36), FRIDAY_LATE_P1, state="logged")
    after = evaluate_at(nov(30, 8, 41), FRIDAY_LATE_P1, state="logged")

    assert actions(before) == {Action.RESPONSE_WARNING, Action.RESPONSE_BREACH}
    assert clock(after, "response").status is ClockStatus.BREACHED
    assert pending(after) == [(Action.RESPONSE_BREACH, nov(30, 8, 40))]


def test_a_warning_already_sent_is_no_longer_pending() -> None:
    warning = evaluate_at(nov(27, 16, 55), FRIDAY_LATE_P1, state="logged").pending[0]

    view = evaluate_at(nov(30, 8, 36), [*FRIDAY_LATE_P1, taken(warning)], state="logged")

    assert pending(view) == [(Action.RESPONSE_BREACH, nov(30, 8, 40))]


# -- updates while investigating -----------------------------------------------------------

ACKNOWLEDGED_MONDAY = [logged(nov(30, 9)), event(K.ACKNOWLEDGED, nov(30, 10))]


def test_an_update_falls_due_five_working_days_after_the_last_contact() -> None:
    view = evaluate_at(nov(30, 11), ACKNOWLEDGED_MONDAY)

    update = clock(view, "update")
    assert update.deadline == dec(7, 10)
    assert CALENDAR.working_time_between(nov(30, 10), dec(7, 10)) == 42.5 * H
    assert update.escalation_at == dec(8, 10)
    assert pending(view) == [(Action.UPDATE_DUE, dec(7, 10)), (Action.UPDATE_OVERDUE, dec(8, 10))]


def test_an_update_to_the_integrator_restarts_the_cadence() -> None:
    view = evaluate_at(dec(3, 9), [*ACKNOWLEDGED_MONDAY, event(K.UPDATED, dec(2, 14))])

    assert clock(view, "update").deadline == dec(9, 14)


def test_a_p1_incident_is_updated_every_four_working_hours() -> None:
    events = [logged(nov(30, 13, 50), P1), event(K.ACKNOWLEDGED, nov(30, 14))]

    update = clock(evaluate_at(nov(30, 14), events), "update")

    assert update.deadline == dec(1, 9, 30)
    assert update.escalation_at == dec(2, 9, 30)


def test_a_missed_update_breaches_and_is_escalated_a_working_day_later() -> None:
    due = evaluate_at(nov(30, 11), ACKNOWLEDGED_MONDAY).pending[0]

    view = evaluate_at(dec(7, 11), [*ACKNOWLEDGED_MONDAY, taken(due)])

    assert clock(view, "update").status is ClockStatus.BREACHED
    assert view.updates_missed == 1 and view.sla_breached
    assert pending(view) == [(Action.UPDATE_OVERDUE, dec(8, 10))]


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        ("awaiting_information", K.INFO_REQUESTED),
        ("escalated_to_problem", K.ESCALATED),
        ("resolution_offered", K.RESOLUTION_OFFERED),
    ],
)
def test_no_update_is_due_while_the_case_waits_elsewhere(state: str, kind: EventKind) -> None:
    view = evaluate_at(dec(10, 9), [*ACKNOWLEDGED_MONDAY, event(kind, nov(30, 11))], state)

    assert clock(view, "update").deadline is None
    assert not {Action.UPDATE_DUE, Action.UPDATE_OVERDUE} & actions(view)


# -- awaiting information ------------------------------------------------------------------

PAUSED_OVER_THE_WEEKEND = [
    logged(nov(26, 9)),
    event(K.ACKNOWLEDGED, nov(26, 9, 30)),
    event(K.INFO_REQUESTED, nov(27, 15)),
    event(K.INFO_PROVIDED, nov(30, 10)),
]
OFFERED_AND_ACCEPTED = [
    event(K.RESOLUTION_OFFERED, nov(30, 12)),
    event(K.ACCEPTED, nov(30, 12, 30)),
]


def test_a_pause_over_the_weekend_counts_only_working_time() -> None:
    events = [*PAUSED_OVER_THE_WEEKEND, *OFFERED_AND_ACCEPTED]

    view = evaluate_at(nov(30, 13), events, state="resolved")

    # Friday 15:00-17:00 and Monday 08:30-10:00; worked Thu 8 h + Fri 6.5 h + Mon 2 h.
    assert view.paused_working_time == 3.5 * H
    assert view.resolution_working_time == 16.5 * H


def test_a_pause_still_open_counts_up_to_now() -> None:
    view = evaluate_at(nov(30, 10), PAUSED_OVER_THE_WEEKEND[:3], state="awaiting_information")

    assert view.paused_working_time == 3.5 * H
    assert view.resolution_working_time == 14.5 * H


def test_the_integrator_is_chased_every_five_working_days_while_silent() -> None:
    waiting = PAUSED_OVER_THE_WEEKEND[:3]
    chased_at = []
    for _ in range(3):
        chaser = evaluate_at(nov(30, 9), waiting, state="awaiting_information").pending[0]
        assert chaser.action is Action.INFORMATION_CHASER
        chased_at.append(chaser.at)
        waiting = [*waiting, taken(chaser)]

    assert chased_at == [dec(4, 15), dec(11, 15), dec(18, 15)]
    answered = evaluate_at(nov(30, 11), PAUSED_OVER_THE_WEEKEND)
    assert Action.INFORMATION_CHASER not in actions(answered)


# -- resolution offered and resolved -------------------------------------------------------


def test_a_resolution_offered_lapses_to_resolved_after_ten_working_days() -> None:
    offered = [*ACKNOWLEDGED_MONDAY, event(K.RESOLUTION_OFFERED, nov(30, 12))]

    waiting = evaluate_at(dec(4, 9), offered, state="resolution_offered")
    lapse = waiting.pending[0]
    lapsed = [*offered, taken(lapse), event(K.RESOLVED, lapse.at)]
    resolved = evaluate_at(dec(14, 12), lapsed, state="resolved")

    assert clock(waiting, "resolution_offered").status is ClockStatus.PENDING
    assert pending(waiting) == [(Action.RESOLVE, dec(14, 12))]
    assert clock(resolved, "resolution_offered").status is ClockStatus.MET
    assert resolved.pending == []
    # The offer stopped the resolution clock (Mon 09:00-12:00) while it stood, and for good.
    assert waiting.resolution_working_time == resolved.resolution_working_time == 3 * H


def test_resolution_time_runs_to_the_offer_finally_accepted_after_a_reopen() -> None:
    events = [
        *ACKNOWLEDGED_MONDAY,
        event(K.RESOLUTION_OFFERED, nov(30, 12)),
        event(K.REOPENED, dec(1, 9)),
        event(K.INFO_REQUESTED, dec(1, 10)),
        event(K.INFO_PROVIDED, dec(1, 12)),
        event(K.RESOLUTION_OFFERED, dec(2, 10)),
        event(K.ACCEPTED, dec(2, 11)),
    ]

    view = evaluate_at(dec(2, 11), events, state="resolved")

    # Mon 09:00-17:00, all of Tuesday, Wed 08:30-10:00; less Tuesday's 2 h pause.
    assert view.paused_working_time == 2 * H
    assert view.resolution_working_time == (8 + 8.5 + 1.5 - 2) * H


# -- priority changes ----------------------------------------------------------------------


def test_raising_a_p4_to_p1_recomputes_the_response_from_the_original_logging() -> None:
    as_p4 = [logged(nov(27, 16, 50), P4)]
    as_p1 = [*as_p4, event(K.PRIORITY_CHANGED, nov(30, 9), P1)]

    before = evaluate_at(nov(30, 9), as_p4, state="logged")
    after = evaluate_at(nov(30, 9), as_p1, state="logged")

    assert clock(before, "response").deadline == dec(2, 15, 20)
    assert clock(after, "response").deadline == nov(30, 8, 40)
    assert clock(after, "response").status is ClockStatus.BREACHED
    assert pending(after) == [(Action.RESPONSE_BREACH, nov(30, 8, 40))]


def test_a_priority_change_after_a_pause_keeps_the_time_paused() -> None:
    changed = [*PAUSED_OVER_THE_WEEKEND, event(K.PRIORITY_CHANGED, nov(30, 11), P2)]
    events = [*changed, *OFFERED_AND_ACCEPTED]

    view = evaluate_at(nov(30, 13), events, state="resolved")

    assert view.paused_working_time == 3.5 * H
    assert view.resolution_working_time == 16.5 * H
    assert clock(view, "response").deadline == nov(26, 10)  # P2's hour from logging
    assert clock(view, "response").status is ClockStatus.MET


# -- the deadline's own instant ------------------------------------------------------------


def test_the_response_clock_reads_breached_from_the_instant_its_breach_fires() -> None:
    # A P3 logged Mon 30 Nov 09:00 has until 17:00. The timer fires at 17:00 exactly (as on
    # the time-skipping server): once the breach is taken, the case is late, not pending
    # with no time left (found by the policy-change property, steps [("wait", 480)]).
    events = [logged(nov(30, 9))]
    before = evaluate_at(nov(30, 17), events)
    breach = Due(nov(30, 17), Action.RESPONSE_BREACH)
    assert (Action.RESPONSE_BREACH, nov(30, 17)) in pending(before)
    assert clock(before, "response").status is ClockStatus.PENDING

    after = evaluate_at(nov(30, 17), [*events, taken(breach)])

    assert after.response_breached
    assert clock(after, "response").status is ClockStatus.BREACHED
    assert Action.RESPONSE_BREACH not in actions(after)


def test_an_acknowledgement_at_the_deadline_s_instant_still_meets_it() -> None:
    events = [logged(nov(30, 9)), event(K.ACKNOWLEDGED, nov(30, 17))]

    assert clock(evaluate_at(nov(30, 17), events), "response").status is ClockStatus.MET


def test_an_acknowledgement_at_that_instant_after_the_breach_fired_leaves_it_breached() -> None:
    # The integrator was told of the breach: the clock does not turn back to met.
    breach = taken(Due(nov(30, 17), Action.RESPONSE_BREACH))
    events = [logged(nov(30, 9)), breach, event(K.ACKNOWLEDGED, nov(30, 17))]

    view = evaluate_at(nov(30, 17), events)

    assert clock(view, "response").status is ClockStatus.BREACHED
    assert view.response_breached


def test_the_update_clock_reads_breached_from_the_instant_its_update_falls_due() -> None:
    events = [logged(nov(30, 9)), event(K.ACKNOWLEDGED, nov(30, 9))]
    due = next(d for d in evaluate_at(nov(30, 9), events).pending if d.action is Action.UPDATE_DUE)

    after = evaluate_at(due.at, [*events, taken(due)])

    assert clock(after, "update").status is ClockStatus.BREACHED
    assert clock(evaluate_at(due.at, events), "update").status is ClockStatus.PENDING
