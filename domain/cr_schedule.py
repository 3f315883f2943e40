"""When a change request needs a product manager (DESIGN §4, §7): calendar months, pure.

- Stages 1 and 2: a review reminder every `cr_review_interval_months` since the stage
  began or since the last review, whichever is later. A reminder missed while no worker
  ran is sent once, not once per missed interval.
- Stage 2: a decision falls due `cr_considered_lapse_months` after it began (once; the
  status keeps the flag until the CR moves on).
- Stage 3: a delivery reminder at `cr_planned_reminder_months`, overdue at
  `cr_planned_overdue_months`.

Months are calendar months in UTC with the day clamped to the month's end: 31 January
plus one month is 28 (or 29) February, and plus two months is 31 March.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.change_requests import DECIDED, CrEvent, CrEventKind, last
from domain.policy import SupportPolicy
from domain.sla import Due

# The event that starts each stage's clock.
STAGE_STARTS = {
    "published_for_consultation": CrEventKind.PUBLISHED,
    "considered_for_future_release": DECIDED["consider"],
    "planned_for_future_release": DECIDED["plan"],
}


class CrAction(StrEnum):
    REVIEW_DUE = "cr_review_due"
    DECISION_DUE = "cr_decision_due"
    DELIVERY_DUE = "cr_delivery_due"
    DELIVERY_OVERDUE = "cr_delivery_overdue"


@dataclass(frozen=True)
class ScheduleView:
    pending: list[Due[CrAction]]
    decision_due: bool
    delivery_overdue: bool

    @property
    def next_action_due(self) -> dt.datetime | None:
        return self.pending[0].at if self.pending else None


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    """`start` plus whole calendar months (UTC), the day clamped to the month's last."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start: must be timezone-aware")
    utc = start.astimezone(dt.UTC)
    year, month = divmod(utc.month - 1 + months, 12)
    year += utc.year
    day = min(utc.day, calendar.monthrange(year, month + 1)[1])
    return utc.replace(year=year, month=month + 1, day=day)


def taken(events: Sequence[CrEvent]) -> set[str]:
    return {e.detail for e in events if e.kind is CrEventKind.ACTION_TAKEN}


def taken_before_policy_change(
    events: Sequence[CrEvent], since: dt.datetime, action: CrAction
) -> CrEvent | None:
    """The last `action` taken since `since` (its stage began, or its review), if the
    policy has changed since then too (DESIGN §15): the new policy moves the reminder, it
    does not make a new one. Without a policy change, None, as it always was."""
    later = [e for e in events if e.at >= since]
    if not any(e.kind is CrEventKind.POLICY_CHANGED for e in later):
        return None
    prefix = f"{action}@"
    found = [e for e in later if e.kind is CrEventKind.ACTION_TAKEN and e.detail.startswith(prefix)]
    return found[-1] if found else None


def stage_started(events: Sequence[CrEvent], state: str) -> dt.datetime | None:
    start = STAGE_STARTS.get(state)
    event = last(events, start) if start else None
    return event.at if event else None


def last_reviewed(events: Sequence[CrEvent], state: str) -> dt.datetime | None:
    began = stage_started(events, state)
    review = last(events, CrEventKind.REVIEWED)
    return review.at if review and began and review.at >= began else None


def review_reminder(
    anchor: dt.datetime, months: int, now: dt.datetime, done: set[str]
) -> Due[CrAction]:
    """The latest reminder already due and not yet sent, else the next one to come."""
    k = 1
    while add_months(anchor, (k + 1) * months) <= now:
        k += 1
    latest = Due(add_months(anchor, k * months), CrAction.REVIEW_DUE)
    if latest.at <= now and latest.key not in done:
        return latest
    if latest.at <= now:
        return Due(add_months(anchor, (k + 1) * months), CrAction.REVIEW_DUE)
    return latest


def evaluate(
    events: Sequence[CrEvent], state: str, policy: SupportPolicy, now: dt.datetime
) -> ScheduleView:
    """The reminders not yet sent, earliest first, and the flags the status shows."""
    began = stage_started(events, state)
    if began is None:  # a final state: nothing more is due
        return ScheduleView(pending=[], decision_due=False, delivery_overdue=False)
    done = taken(events)
    due: list[Due[CrAction]] = []
    decision_due = delivery_overdue = False
    if state == "planned_for_future_release":
        reminder = add_months(began, policy.cr_planned_reminder_months)
        overdue = add_months(began, policy.cr_planned_overdue_months)
        if taken_before_policy_change(events, began, CrAction.DELIVERY_DUE) is None:
            due.append(Due(reminder, CrAction.DELIVERY_DUE))
        late = taken_before_policy_change(events, began, CrAction.DELIVERY_OVERDUE)
        if late is None:
            due.append(Due(overdue, CrAction.DELIVERY_OVERDUE))
        delivery_overdue = now >= overdue or late is not None
    else:
        anchor = max(began, last_reviewed(events, state) or began)
        # After a policy change the reminders run on from the last one sent.
        reminded = taken_before_policy_change(events, anchor, CrAction.REVIEW_DUE)
        anchor = reminded.at if reminded else anchor
        due.append(review_reminder(anchor, policy.cr_review_interval_months, now, done))
    if state == "considered_for_future_release":
        lapse = add_months(began, policy.cr_considered_lapse_months)
        lapsed = taken_before_policy_change(events, began, CrAction.DECISION_DUE)
        if lapsed is None:
            due.append(Due(lapse, CrAction.DECISION_DUE))
        decision_due = now >= lapse or lapsed is not None
    pending = sorted(d for d in due if d.key not in done)
    return ScheduleView(
        pending=pending, decision_due=decision_due, delivery_overdue=delivery_overdue
    )
