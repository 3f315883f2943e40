"""When product managers hear about a change request: calendar months, fixed dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.change_requests import CrEvent, CrEventKind
from domain.cr_schedule import CrAction, Due, add_months, evaluate, review_reminder
from domain.policy import SupportPolicy

UTC = dt.UTC
POLICY = SupportPolicy()
PUBLISHED = dt.datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=UTC)


def event(kind: CrEventKind, when: dt.datetime, detail: str = "") -> CrEvent:
    return CrEvent(kind=kind, at=when, detail=detail)


def taken(*dues: Due) -> list[CrEvent]:
    return [event(CrEventKind.ACTION_TAKEN, d.at, d.key) for d in dues]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2026, 1, 31), 1, at(2026, 2, 28)),
        (at(2028, 1, 31), 1, at(2028, 2, 29)),
        (at(2026, 1, 31), 2, at(2026, 3, 31)),
        (at(2026, 11, 30), 3, at(2027, 2, 28)),
        (at(2026, 5, 15), 12, at(2027, 5, 15)),
        (at(2026, 8, 31), 18, at(2028, 2, 29)),
        (at(2026, 3, 1), 36, at(2029, 3, 1)),
    ],
)
def test_months_are_calendar_months_with_the_day_clamped_to_the_months_end(
    start: dt.datetime, months: int, expected: dt.datetime
) -> None:
    assert add_months(start, months) == expected


def test_months_are_counted_in_utc_whatever_the_offset_given() -> None:
    bst = dt.timezone(dt.timedelta(hours=1))
    assert add_months(dt.datetime(2026, 7, 1, 0, 30, tzinfo=bst), 1) == at(2026, 7, 30, 23) + (
        dt.timedelta(minutes=30)
    )


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="start"):
        add_months(dt.datetime(2026, 1, 1), 1)


@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.integers(min_value=0, max_value=240),
)
def test_adding_months_lands_that_many_months_on_never_past_the_day(
    start: dt.datetime, months: int
) -> None:
    start = start.replace(tzinfo=UTC)
    later = add_months(start, months)

    assert (later.year - start.year) * 12 + later.month - start.month == months
    assert later.day <= start.day
    assert later.time() == start.time()
    assert later >= start


def test_review_reminders_fall_due_every_three_months_for_a_year() -> None:
    events = [event(CrEventKind.PUBLISHED, PUBLISHED)]
    sent: list[Due] = []
    now = PUBLISHED
    for _ in range(4):
        due = evaluate([*events, *taken(*sent)], "published_for_consultation", POLICY, now)
        sent.append(due.pending[0])
        now = due.pending[0].at

    assert [d.at for d in sent] == [
        at(2026, 4, 30),
        at(2026, 7, 31),
        at(2026, 10, 31),
        at(2027, 1, 31),
    ]
    assert {d.action for d in sent} == {CrAction.REVIEW_DUE}


def test_a_review_restarts_the_reminder_clock() -> None:
    events = [
        event(CrEventKind.PUBLISHED, PUBLISHED),
        event(CrEventKind.REVIEWED, at(2026, 3, 10)),
    ]

    view = evaluate(events, "published_for_consultation", POLICY, at(2026, 3, 10))

    assert view.next_action_due == at(2026, 6, 10)


def test_reminders_missed_while_no_worker_ran_are_sent_once_not_once_each() -> None:
    late = at(2027, 2, 1)

    first = review_reminder(PUBLISHED, 3, late, set())
    after = review_reminder(PUBLISHED, 3, late, {first.key})

    assert first.at == at(2027, 1, 31)
    assert after.at == at(2027, 4, 30)


def test_a_considered_request_is_due_a_decision_after_thirty_six_months() -> None:
    considered = at(2026, 2, 15)
    events = [
        event(CrEventKind.PUBLISHED, PUBLISHED),
        event(CrEventKind.CONSIDERED, considered),
    ]
    state = "considered_for_future_release"

    before = evaluate(events, state, POLICY, at(2029, 2, 15) - dt.timedelta(seconds=1))
    after = evaluate(events, state, POLICY, at(2029, 2, 15))

    assert Due(at(2029, 2, 15), CrAction.DECISION_DUE) in before.pending
    assert not before.decision_due
    assert after.decision_due
    decided = taken(Due(at(2029, 2, 15), CrAction.DECISION_DUE))
    still = evaluate([*events, *decided], state, POLICY, at(2029, 3, 1))
    assert still.decision_due
    assert CrAction.DECISION_DUE not in {d.action for d in still.pending}


def test_a_planned_request_is_reminded_at_twelve_months_and_overdue_at_eighteen() -> None:
    planned = at(2026, 8, 31)
    events = [
        event(CrEventKind.PUBLISHED, PUBLISHED),
        event(CrEventKind.CONSIDERED, at(2026, 3, 1)),
        event(CrEventKind.REVIEWED, at(2026, 6, 1)),
        event(CrEventKind.PLANNED, planned),
    ]

    view = evaluate(events, "planned_for_future_release", POLICY, planned)
    late = evaluate(events, "planned_for_future_release", POLICY, at(2028, 2, 29))

    assert view.pending == [
        Due(at(2027, 8, 31), CrAction.DELIVERY_DUE),
        Due(at(2028, 2, 29), CrAction.DELIVERY_OVERDUE),
    ]
    assert not view.delivery_overdue
    assert late.delivery_overdue


@pytest.mark.parametrize("state", ["delivered", "rejected", "duplicate"])
def test_a_finished_request_needs_nobody(state: str) -> None:
    events = [event(CrEventKind.PUBLISHED, PUBLISHED)]

    view = evaluate(events, state, POLICY, at(2030, 1, 1))

    assert view.pending == []
    assert view.next_action_due is None
    assert not view.decision_due and not view.delivery_overdue


def test_the_policy_sets_the_cadence() -> None:
    monthly = SupportPolicy(cr_review_interval_months=1)
    events = [event(CrEventKind.PUBLISHED, PUBLISHED)]

    view = evaluate(events, "published_for_consultation", monthly, PUBLISHED)

    assert view.next_action_due == at(2026, 2, 28)
