"""SLA clocks derived from a case's event log (DESIGN §5).

Nothing here counts down. Every deadline is computed from the append-only log, the
policy and the calendar, so a priority change or a pause recomputes everything from the
original logging time, and a replay always gives the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from domain.calendar import WorkingCalendar
from domain.machines import CASE_CLOSED, CaseMachine
from domain.models import (
    CaseEvent,
    CaseType,
    Clock,
    ClockStatus,
    EventKind,
    Priority,
    Visibility,
)
from domain.policy import SupportPolicy

OPEN_STATES = frozenset(state.id for state in CaseMachine.states) - CASE_CLOSED
# The desk or the integrator talking to each other restarts the update cadence.
CONTACTS = frozenset(
    {
        EventKind.ACKNOWLEDGED,
        EventKind.UPDATED,
        EventKind.INFO_REQUESTED,
        EventKind.INFO_PROVIDED,
        EventKind.PROBLEM_NEWS,
        EventKind.INVESTIGATION_RESUMED,
        EventKind.REOPENED,
    }
)
# Leaving awaiting_information ends a pause.
PAUSE_ENDS = frozenset({EventKind.INFO_PROVIDED, EventKind.RESOLUTION_OFFERED, EventKind.WITHDRAWN})
CLOSINGS = frozenset({EventKind.ACCEPTED, EventKind.RESOLVED, EventKind.WITHDRAWN})


class Action(StrEnum):
    RESPONSE_WARNING = "response_warning"
    RESPONSE_BREACH = "response_breach"
    UPDATE_DUE = "update_due"
    UPDATE_OVERDUE = "update_overdue"
    INFORMATION_CHASER = "information_chaser"
    RESOLVE = "resolve"


ActionT = TypeVar("ActionT", bound=StrEnum)


@dataclass(frozen=True, order=True)
class Due(Generic[ActionT]):
    """A timer action at an instant; cases and change requests each have their actions."""

    at: dt.datetime
    action: ActionT

    @property
    def key(self) -> str:
        """Identifies this action at this instant: a recomputed deadline is a new action."""
        return f"{self.action}@{self.at.astimezone(dt.UTC).isoformat()}"


@dataclass(frozen=True)
class SlaView:
    clocks: list[Clock]
    pending: list[Due[Action]]
    response_breached: bool
    updates_missed: int
    resolution_working_time: dt.timedelta
    paused_working_time: dt.timedelta
    response_working_time: dt.timedelta | None

    @property
    def next_action_due(self) -> dt.datetime | None:
        return self.pending[0].at if self.pending else None

    @property
    def sla_breached(self) -> bool:
        return (
            self.response_breached
            or self.updates_missed > 0
            or any(c.status is ClockStatus.BREACHED for c in self.clocks)
        )


def logged_at(events: list[CaseEvent]) -> dt.datetime:
    return events[0].at


def current_priority(events: list[CaseEvent]) -> Priority:
    changes = [e.priority for e in events if e.priority is not None]
    return changes[-1] if changes else Priority.P4


def taken(events: list[CaseEvent]) -> set[str]:
    return {e.detail for e in events if e.kind is EventKind.ACTION_TAKEN}


def taken_before_policy_change(
    events: list[CaseEvent],
    since: int,
    action: Action,
    same: Callable[[Priority], bool] | None = None,
) -> CaseEvent | None:
    """The last `action` taken since the event at index `since` (the one that started its
    clock) and before the last policy change, while the case's priority was one whose
    deadline the policy sets alike (`same`; any, by default) (DESIGN §15). The new policy
    moves that deadline, it does not make a new one: what was done for it is not done
    again, and a breach recorded stays recorded. Without a policy change since `since`,
    None: a deadline recomputed otherwise is judged by its key, as it always was."""
    changed = [i for i, e in enumerate(events) if e.kind is EventKind.POLICY_CHANGED]
    if not changed or changed[-1] < since:
        return None
    priority = current_priority(events[: since + 1])
    prefix, found = f"{action}@", None
    for event in events[since : changed[-1]]:
        if event.priority is not None:
            priority = event.priority
        kept = same is None or same(priority)
        if event.kind is EventKind.ACTION_TAKEN and event.detail.startswith(prefix) and kept:
            found = event
    return found


def _fired(
    events: list[CaseEvent], deadline: dt.datetime, now: dt.datetime, action: Action
) -> bool:
    """At its deadline's very instant, whether its breach was taken: the timer fires at the
    deadline, and from then on the clock reads breached (not only once time moves on)."""
    if now != deadline:
        return False
    key = Due(deadline, action).key
    return any(e.kind is EventKind.ACTION_TAKEN and e.detail == key for e in events)


def _index_of(events: list[CaseEvent], event: CaseEvent | None) -> int:
    """Where `event` (one of `events`, by identity) is; 0 for None (since logging)."""
    if event is None:
        return 0
    return next(i for i in range(len(events) - 1, -1, -1) if events[i] is event)


def _last(
    events: list[CaseEvent], kinds: frozenset[EventKind] | set[EventKind]
) -> CaseEvent | None:
    return next((e for e in reversed(events) if e.kind in kinds), None)


def pauses(events: list[CaseEvent]) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Each stretch spent awaiting information: [requested, provided) or still open."""
    spans: list[tuple[dt.datetime, dt.datetime | None]] = []
    started: dt.datetime | None = None
    for event in events:
        if event.kind is EventKind.INFO_REQUESTED and started is None:
            started = event.at
        elif event.kind in PAUSE_ENDS and started is not None:
            spans.append((started, event.at))
            started = None
    if started is not None:
        spans.append((started, None))
    return spans


def paused_between(
    calendar: WorkingCalendar, events: list[CaseEvent], start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    total = dt.timedelta(0)
    for a, b in pauses(events):
        total += calendar.working_time_between(max(a, start), min(b or end, end))
    return total


def resolution_end(events: list[CaseEvent], now: dt.datetime) -> dt.datetime:
    """The offer finally accepted (or left to lapse) stops the resolution clock."""
    closing = _last(events, set(CLOSINGS))
    if closing is not None and closing.kind is EventKind.WITHDRAWN:
        return closing.at
    # An offer still standing (not reopened) has stopped the clock already, before the
    # integrator accepts it: otherwise the time would grow for ten days, then drop back.
    standing = _last(events, {EventKind.RESOLUTION_OFFERED, EventKind.REOPENED})
    if standing is not None and standing.kind is EventKind.RESOLUTION_OFFERED:
        return standing.at
    return closing.at if closing is not None else now


def _response(
    events: list[CaseEvent], policy: SupportPolicy, calendar: WorkingCalendar, now: dt.datetime
) -> tuple[Clock, list[Due[Action]], bool, dt.timedelta | None]:
    start = logged_at(events)
    target = policy.response_target(current_priority(events))
    deadline = calendar.add_working_time(start, target)
    warning = calendar.add_working_time(start, target * policy.response_warning_fraction)
    ack = _last(events, {EventKind.ACKNOWLEDGED})
    closed = _last(events, set(CLOSINGS))
    stop = ack.at if ack else (closed.at if closed else None)
    used = calendar.working_time_between(start, ack.at) if ack else None
    # Counted from logging: a priority whose target the policy sets alike has the same
    # deadline (a regrade within P3, or P3 to P2 and back), a policy change only moves it.
    priority = current_priority(events)

    def alike(other: Priority) -> bool:
        return policy.response_target(other) == policy.response_target(priority)

    warned = taken_before_policy_change(events, 0, Action.RESPONSE_WARNING, alike)
    breached = taken_before_policy_change(events, 0, Action.RESPONSE_BREACH, alike)
    pending: list[Due[Action]] = []
    if stop is None:
        late = (
            now > deadline
            or breached is not None
            or _fired(events, deadline, now, Action.RESPONSE_BREACH)
        )
        status = ClockStatus.BREACHED if late else ClockStatus.PENDING
        if now < deadline and warned is None and breached is None:
            pending.append(Due(warning, Action.RESPONSE_WARNING))
        if breached is None:
            pending.append(Due(deadline, Action.RESPONSE_BREACH))
    else:
        fired = _fired(events, deadline, stop, Action.RESPONSE_BREACH)  # at that instant
        met = stop <= deadline and breached is None and not fired
        status = ClockStatus.MET if met else ClockStatus.BREACHED
    left = calendar.working_time_between(now, deadline) if status is ClockStatus.PENDING else None
    clock = Clock(
        name="response",
        deadline=deadline,
        status=status,
        warning_at=warning,
        working_time_left=left,
    )
    return clock, pending, status is ClockStatus.BREACHED, used


def _update(
    events: list[CaseEvent],
    state: str,
    case_type: CaseType,
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> tuple[Clock, list[Due[Action]]]:
    if state != "investigating":
        # Paused while awaiting information; stopped while a problem speaks for the case.
        idle = ClockStatus.PENDING if state in OPEN_STATES else ClockStatus.MET
        return Clock(name="update", deadline=None, status=idle), []
    # A desk note is no contact with the integrator: it leaves the cadence running.
    public = [e for e in events if e.visibility is Visibility.PUBLIC]
    contact = _last(public, set(CONTACTS))
    since = contact.at if contact else logged_at(events)
    interval = policy.update_interval_for(case_type, current_priority(events))
    due = calendar.add_working_time(since, interval)
    escalation = calendar.add_working_time(due, policy.update_escalation_grace)
    started = _index_of(events, contact)

    def alike(other: Priority) -> bool:  # a priority whose interval is this one's
        return policy.update_interval_for(case_type, other) == interval

    missed = taken_before_policy_change(events, started, Action.UPDATE_DUE, alike)
    escalated = taken_before_policy_change(events, started, Action.UPDATE_OVERDUE, alike)
    late = now > due or missed is not None or _fired(events, due, now, Action.UPDATE_DUE)
    status = ClockStatus.BREACHED if late else ClockStatus.PENDING
    left = calendar.working_time_between(now, due) if now < due else None
    clock = Clock(
        name="update",
        deadline=due,
        status=status,
        escalation_at=escalation,
        working_time_left=left,
    )
    pending = [] if missed else [Due(due, Action.UPDATE_DUE)]
    pending += [] if escalated else [Due(escalation, Action.UPDATE_OVERDUE)]
    return clock, pending


def _information_chaser(
    events: list[CaseEvent], state: str, policy: SupportPolicy, calendar: WorkingCalendar
) -> list[Due[Action]]:
    request = _last(events, {EventKind.INFO_REQUESTED})
    if state != "awaiting_information" or request is None:
        return []
    done = taken(events)
    # After a policy change the chasers run on from the last one sent, at the new period.
    chased = taken_before_policy_change(
        events, _index_of(events, request), Action.INFORMATION_CHASER
    )
    since = chased.at if chased else request.at
    chase = Due(
        calendar.add_working_time(since, policy.information_chaser), Action.INFORMATION_CHASER
    )
    # Chase again every period while the integrator stays silent.
    while chase.key in done:
        chase = Due(calendar.add_working_time(chase.at, policy.information_chaser), chase.action)
    return [chase]


def _resolution_offered(
    events: list[CaseEvent],
    state: str,
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> tuple[Clock, list[Due[Action]]]:
    offer = _last(events, {EventKind.RESOLUTION_OFFERED})
    if state == "resolved":
        return Clock(name="resolution_offered", deadline=None, status=ClockStatus.MET), []
    if state != "resolution_offered" or offer is None:
        return Clock(name="resolution_offered", deadline=None, status=ClockStatus.PENDING), []
    expiry = calendar.add_working_time(offer.at, policy.resolution_offered_window)
    left = calendar.working_time_between(now, expiry)
    clock = Clock(
        name="resolution_offered",
        deadline=expiry,
        status=ClockStatus.PENDING,
        working_time_left=left,
    )
    return clock, [Due(expiry, Action.RESOLVE)]


def evaluate(
    events: list[CaseEvent],
    state: str,
    case_type: CaseType,
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> SlaView:
    """Every clock of the case at `now`, and the timer actions not yet taken."""
    response, due_response, response_breached, response_used = _response(
        events, policy, calendar, now
    )
    update, due_update = _update(events, state, case_type, policy, calendar, now)
    offered, due_offered = _resolution_offered(events, state, policy, calendar, now)
    due_chaser = _information_chaser(events, state, policy, calendar)
    done = taken(events)
    pending = sorted(
        d for d in [*due_response, *due_update, *due_chaser, *due_offered] if d.key not in done
    )
    end = resolution_end(events, now)
    paused = paused_between(calendar, events, logged_at(events), now)
    worked = calendar.working_time_between(logged_at(events), end)
    worked -= paused_between(calendar, events, logged_at(events), end)
    missed = sum(1 for key in done if key.startswith(f"{Action.UPDATE_DUE}@"))
    return SlaView(
        clocks=[response, update, offered],
        pending=pending,
        response_breached=response_breached,
        updates_missed=missed,
        resolution_working_time=worked,
        paused_working_time=paused,
        response_working_time=response_used,
    )
