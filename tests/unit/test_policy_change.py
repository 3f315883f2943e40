"""A new support policy reaching an open case (DESIGN §15): its version, what the record
takes and refuses, and every clock derived again under it, on fixed dates; a property
that no action is taken twice for one deadline however often the policy changes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.actors import Actor, Role
from domain.case_actors import admit
from domain.case_record import CaseRecord
from domain.change_requests import CrEvent, CrEventKind
from domain.cr_schedule import CrAction, add_months
from domain.cr_schedule import evaluate as evaluate_cr
from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseEvent,
    CaseType,
    ChangePriority,
    ClockStatus,
    EventKind,
    Priority,
)
from domain.policy import SupportPolicy
from domain.policy_change import ApplyPolicy, changed_line, changes, policy_version
from domain.refusals import CaseClosed, InvalidInput, NotAllowed
from domain.sla import Action, Due, SlaView, evaluate
from tests.case_records import SETUP, rid
from tests.factories import DESK, intake
from tests.unit.test_sla import CALENDAR, P1, P2, P3, dec, event, logged, nov, taken

K = EventKind
CHARTER = SupportPolicy()


def policy(**fields: object) -> SupportPolicy:
    """The charter's policy with `fields` changed, read as a policy file would be."""
    return SupportPolicy.model_validate({**CHARTER.model_dump(), **fields})


def targets(p3: str) -> dict[str, str]:
    return {"P1": "20m", "P2": "1h", "P3": p3, "P4": "24h"}


FOUR_HOURS = policy(response_targets=targets("4h"))
TWELVE_HOURS = policy(response_targets=targets("12h"))


def changed(at: dt.datetime) -> CaseEvent:
    return event(K.POLICY_CHANGED, at)


def view_at(
    now: dt.datetime, events: list[CaseEvent], under: SupportPolicy, state: str = "investigating"
) -> SlaView:
    return evaluate(events, state, CaseType.INCIDENT, under, CALENDAR, now)


def response(view: SlaView) -> tuple[dt.datetime | None, ClockStatus]:
    found = next(c for c in view.clocks if c.name == "response")
    return found.deadline, found.status


def response_pending(view: SlaView) -> list[tuple[Action, dt.datetime]]:
    return [(d.action, d.at) for d in view.pending if d.action.value.startswith("response")]


# A P3 logged Monday 30 November 09:00: under the charter (8 h) warned 15:00, due 17:00.
MONDAY_9 = logged(nov(30, 9))
WARNED = taken(Due(nov(30, 15), Action.RESPONSE_WARNING))
BREACHED = taken(Due(nov(30, 17), Action.RESPONSE_BREACH))


# -- the version --------------------------------------------------------------------------


def test_a_policy_written_two_ways_is_one_version_and_any_change_is_another() -> None:
    as_minutes = policy(response_targets=targets("480m"))

    assert policy_version(as_minutes) == policy_version(CHARTER)
    assert policy_version(FOUR_HOURS) != policy_version(CHARTER)
    assert len(policy_version(CHARTER)) == 16


def test_the_timeline_line_names_both_versions_and_each_number_changed() -> None:
    both = policy(response_targets=targets("4h"), update_interval="3d")

    assert changes(CHARTER, both) == [
        "response_targets.P3 8h -> 4h",
        "update_interval 42h30m -> 25h30m",
    ]
    line = changed_line(CHARTER, both)
    assert line.startswith(f"support policy {policy_version(CHARTER)} -> {policy_version(both)}")


# -- the record ---------------------------------------------------------------------------


def apply(p: SupportPolicy, version: str | None = None, actor: Actor = DESK) -> ApplyPolicy:
    return ApplyPolicy(
        request_id=rid(), actor=actor, policy=p, version=version or policy_version(p)
    )


def investigating() -> CaseRecord:
    record = CaseRecord(intake(logged_at=nov(30, 9), impact=3, urgency=2), opened_by=DESK)
    record.load(SETUP)
    record.log(nov(30, 9))
    record.apply(Acknowledge(request_id=rid(), actor=DESK), nov(30, 9, 30))
    return record


def test_the_record_takes_the_new_policy_and_logs_who_changed_it_from_what_to_what() -> None:
    record = investigating()

    record.apply_policy(apply(FOUR_HOURS), nov(30, 11))

    last = record.events[-1]
    assert (last.kind, last.actor, last.at) == (K.POLICY_CHANGED, DESK, nov(30, 11))
    assert "response_targets.P3 8h -> 4h" in last.detail
    assert record.setup is not None and record.setup.policy == FOUR_HOURS


def test_the_same_version_again_records_nothing() -> None:
    record = investigating()
    record.apply_policy(apply(FOUR_HOURS), nov(30, 11))
    events = list(record.events)

    record.apply_policy(apply(FOUR_HOURS), nov(30, 12))
    record.apply_policy(apply(CHARTER), nov(30, 13))  # back to the charter: a change
    record.apply_policy(apply(CHARTER), nov(30, 14))

    assert record.events[: len(events)] == events
    assert [e.kind for e in record.events[len(events) :]] == [K.POLICY_CHANGED]


def test_a_version_that_is_not_the_policys_is_refused_naming_it_and_changes_nothing() -> None:
    record = investigating()
    before = list(record.events)

    with pytest.raises(InvalidInput, match=r"^version: "):
        record.check_policy(apply(FOUR_HOURS, version=policy_version(CHARTER)))

    assert record.events == before and record.setup == SETUP


def test_the_handler_trusts_the_version_its_validator_checked_so_a_later_release_replays() -> None:
    """A later release may add a policy field: the same policy then hashes otherwise, and a
    replay (which runs the handler, not the validator) must still record what it did."""
    record = investigating()
    as_recorded = apply(FOUR_HOURS, version="0123456789abcdef")

    record.apply_policy(as_recorded, nov(30, 11))

    assert record.events[-1].kind is K.POLICY_CHANGED
    assert record.setup is not None and record.setup.policy == FOUR_HOURS


def test_a_closed_case_keeps_the_policy_it_ran_on() -> None:
    record = investigating()
    record.state = "resolution_offered"
    record.apply(AcceptResolution(request_id=rid(), actor=DESK), nov(30, 10))

    with pytest.raises(CaseClosed, match="closed case keeps the policy"):
        record.check_policy(apply(FOUR_HOURS))


@pytest.mark.parametrize("role", [Role.INTEGRATOR, Role.SCHOOL, Role.PRODUCT_MANAGER])
def test_only_the_desk_applies_a_policy(role: Role) -> None:
    record = investigating()
    owner = {Role.INTEGRATOR: "INT-042", Role.SCHOOL: "123456"}.get(role, "pm-ann")

    with pytest.raises(NotAllowed, match="cannot apply a support policy to a case"):
        admit(record.intake, apply(FOUR_HOURS, actor=Actor(role=role, id=owner)))


# -- the response clock -------------------------------------------------------------------


def test_a_shorter_target_moves_the_deadline_still_counted_from_logging() -> None:
    view = view_at(nov(30, 11), [MONDAY_9, changed(nov(30, 11))], FOUR_HOURS)

    assert response(view) == (nov(30, 13), ClockStatus.PENDING)
    assert response_pending(view) == [
        (Action.RESPONSE_WARNING, nov(30, 12)),
        (Action.RESPONSE_BREACH, nov(30, 13)),
    ]


def test_a_warning_sent_before_a_longer_target_is_not_sent_again() -> None:
    events = [MONDAY_9, WARNED, changed(nov(30, 15, 30))]

    view = view_at(nov(30, 15, 30), events, TWELVE_HOURS)

    # 12 h from Monday 09:00: Tuesday 12:30; its warning (Tuesday 09:30) was sent already.
    assert response(view) == (dec(1, 12, 30), ClockStatus.PENDING)
    assert response_pending(view) == [(Action.RESPONSE_BREACH, dec(1, 12, 30))]


def test_a_target_cut_below_the_time_already_taken_breaches_at_once() -> None:
    events = [MONDAY_9, WARNED, changed(nov(30, 15, 30))]

    view = view_at(nov(30, 15, 30), events, FOUR_HOURS)

    assert response(view) == (nov(30, 13), ClockStatus.BREACHED)
    assert response_pending(view) == [(Action.RESPONSE_BREACH, nov(30, 13))]


def test_a_breach_recorded_stays_recorded_when_the_target_grows_past_it() -> None:
    later = policy(response_targets=targets("24h"))
    events = [MONDAY_9, WARNED, BREACHED, changed(dec(1, 9))]

    open_view = view_at(dec(1, 9, 30), events, later)
    answered = [*events, event(K.ACKNOWLEDGED, dec(1, 10))]
    answered_view = view_at(dec(1, 10), answered, later)

    assert response(open_view)[1] is ClockStatus.BREACHED
    assert open_view.response_breached and response_pending(open_view) == []
    assert response(answered_view)[1] is ClockStatus.BREACHED


def test_a_priority_change_after_a_policy_change_makes_new_deadlines_as_ever() -> None:
    events = [MONDAY_9, WARNED, changed(nov(30, 15, 30))]
    events.append(event(K.PRIORITY_CHANGED, nov(30, 15, 40), P2))

    view = view_at(nov(30, 15, 40), events, TWELVE_HOURS)

    # P2: 1 h from logging, long past: its breach is a new action, taken at once.
    assert response_pending(view) == [(Action.RESPONSE_BREACH, nov(30, 10))]


def test_a_regrade_that_keeps_the_target_keeps_the_breach_recorded_before_a_policy_change() -> None:
    regraded = event(K.PRIORITY_CHANGED, dec(1, 9, 30), P3)  # impact and urgency, still P3
    events = [MONDAY_9, WARNED, BREACHED, changed(dec(1, 9)), regraded]

    view = view_at(dec(1, 9, 30), events, TWELVE_HOURS)

    assert view.response_breached and response_pending(view) == []


def test_back_to_the_same_priority_after_a_policy_change_is_the_same_deadline() -> None:
    to_p2 = event(K.PRIORITY_CHANGED, dec(1, 9, 10), P2)
    back = event(K.PRIORITY_CHANGED, dec(1, 9, 20), P3)
    events = [MONDAY_9, WARNED, BREACHED, changed(dec(1, 9)), to_p2, back]

    view = view_at(dec(1, 9, 30), events, TWELVE_HOURS)

    assert view.response_breached and response_pending(view) == []


# -- the update cadence and the information chaser ------------------------------------------


def test_an_update_missed_before_a_longer_interval_stays_missed_and_is_not_sent_again() -> None:
    acknowledged = event(K.ACKNOWLEDGED, nov(30, 10))
    missed = taken(Due(dec(7, 10), Action.UPDATE_DUE))
    events = [MONDAY_9, acknowledged, missed, changed(dec(7, 11))]

    view = view_at(dec(7, 11), events, policy(update_interval="10d"))

    update = next(c for c in view.clocks if c.name == "update")
    assert (update.deadline, update.status) == (dec(14, 10), ClockStatus.BREACHED)
    assert view.updates_missed == 1
    assert [(d.action, d.at) for d in view.pending] == [(Action.UPDATE_OVERDUE, dec(15, 10))]


def test_a_raise_to_p1_after_a_policy_change_still_makes_its_own_update_deadline() -> None:
    acknowledged = event(K.ACKNOWLEDGED, nov(30, 10))
    missed = taken(Due(dec(7, 10), Action.UPDATE_DUE))
    raised = event(K.PRIORITY_CHANGED, dec(7, 12), P1)
    events = [MONDAY_9, acknowledged, missed, changed(dec(7, 11)), raised]

    view = view_at(dec(7, 12), events, policy(update_interval="6d"))

    # P1: every 4 working hours from the acknowledgement, long past: a new missed update.
    assert (Action.UPDATE_DUE, nov(30, 14)) in [(d.action, d.at) for d in view.pending]


def test_the_chaser_runs_on_from_the_last_one_sent_at_the_new_period() -> None:
    asked = event(K.INFO_REQUESTED, nov(30, 10))
    chased = taken(Due(dec(7, 10), Action.INFORMATION_CHASER))
    events = [MONDAY_9, event(K.ACKNOWLEDGED, nov(30, 9, 30)), asked, chased, changed(dec(7, 12))]

    view = view_at(dec(7, 12), events, policy(information_chaser="2d"), "awaiting_information")

    # Not Wednesday 2 December (two days from the request: long past, so sent at once).
    assert [(d.action, d.at) for d in view.pending] == [(Action.INFORMATION_CHASER, dec(9, 10))]


# -- change requests ----------------------------------------------------------------------


def cr_event(kind: CrEventKind, at: dt.datetime, detail: str = "") -> CrEvent:
    return CrEvent(kind=kind, at=at, detail=detail)


def test_a_change_requests_lapsed_decision_is_not_announced_twice_and_stays_due() -> None:
    considered = dt.datetime(2024, 1, 10, 10, tzinfo=dt.UTC)
    lapsed = Due(add_months(considered, 36), CrAction.DECISION_DUE)
    events = [
        cr_event(CrEventKind.PUBLISHED, considered - dt.timedelta(days=30)),
        cr_event(CrEventKind.CONSIDERED, considered),
        cr_event(CrEventKind.ACTION_TAKEN, lapsed.at, lapsed.key),
        cr_event(CrEventKind.POLICY_CHANGED, lapsed.at + dt.timedelta(days=1)),
    ]
    now = lapsed.at + dt.timedelta(days=1)

    view = evaluate_cr(
        events, "considered_for_future_release", policy(cr_considered_lapse_months=48), now
    )

    assert view.decision_due
    assert CrAction.DECISION_DUE not in {d.action for d in view.pending}


def test_a_change_requests_review_reminders_run_on_from_the_last_one_sent() -> None:
    published = dt.datetime(2026, 1, 10, 10, tzinfo=dt.UTC)
    reminded = Due(add_months(published, 3), CrAction.REVIEW_DUE)
    changed_at = reminded.at + dt.timedelta(days=1)
    events = [
        cr_event(CrEventKind.PUBLISHED, published),
        cr_event(CrEventKind.ACTION_TAKEN, reminded.at, reminded.key),
        cr_event(CrEventKind.POLICY_CHANGED, changed_at),
    ]

    view = evaluate_cr(
        events, "published_for_consultation", policy(cr_review_interval_months=2), changed_at
    )

    # Not 10 March (two months from publishing: past, so sent at once): 10 June.
    assert [(d.action, d.at) for d in view.pending] == [
        (CrAction.REVIEW_DUE, add_months(reminded.at, 2))
    ]


# -- the property -------------------------------------------------------------------------

STEP = st.one_of(
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=600)),  # working minutes
    st.tuples(st.just("policy"), st.sampled_from(["1h", "2h", "4h", "8h", "12h", "24h", "3d"])),
    # (impact, urgency): P3 twice (a regrade that keeps it), and P2.
    st.tuples(st.just("regrade"), st.sampled_from([(3, 2), (2, 3), (2, 2)])),
)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=14))
@example(steps=[("wait", 480)])  # to the deadline's instant: the breach fires, and shows
def test_however_often_the_policy_changes_each_response_action_is_taken_once_and_a_breach_stays(
    steps: list[tuple[str, object]],
) -> None:
    """While the case stays at one priority, each response action is taken at most once;
    once breached while at a priority, it is breached whenever it is at that priority."""
    record = CaseRecord(intake(logged_at=nov(30, 9), impact=3, urgency=2), opened_by=DESK)
    record.load(SETUP)
    now = nov(30, 9)
    record.log(now)
    breached_at: set[Priority] = set()
    for kind, value in steps:
        if kind == "wait":
            assert isinstance(value, int)
            now = CALENDAR.add_working_time(now, dt.timedelta(minutes=value))
        elif kind == "policy":
            assert isinstance(value, str)
            record.apply_policy(apply(policy(response_targets=targets(value))), now)
        else:
            assert isinstance(value, tuple)
            impact, urgency = value
            regrade = ChangePriority(
                request_id=rid(), actor=DESK, impact=impact, urgency=urgency, reason="regraded"
            )
            record.apply(regrade, now)
        taken = record.take_due(record.view(now), now)
        if any(due.action is Action.RESPONSE_BREACH for due in taken):
            breached_at.add(record.priority)
        view = record.view(now)
        assert view.response_breached or record.priority not in breached_at, steps
    for run in _runs_at_one_priority(record.events):
        taken_kinds = [e.detail.split("@")[0] for e in run if e.kind is K.ACTION_TAKEN]
        assert taken_kinds.count(Action.RESPONSE_WARNING) <= 1
        assert taken_kinds.count(Action.RESPONSE_BREACH) <= 1


def _runs_at_one_priority(events: list[CaseEvent]) -> list[list[CaseEvent]]:
    """The log cut where the priority changes value (a regrade to the same one is no cut)."""
    runs: list[list[CaseEvent]] = [[]]
    priority = None
    for logged_event in events:
        if logged_event.priority is not None and logged_event.priority != priority:
            priority = logged_event.priority
            runs.append([])
        runs[-1].append(logged_event)
    return runs
