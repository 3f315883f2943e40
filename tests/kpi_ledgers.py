"""Ledgers for the KPI report's tests: a small seeded one (the golden files' ledger), and
the pieces hypothesis builds ledgers from.

The seeded ledger is the hand-worked week of `tests/kpi_data.py`, one long P1, and
`SEEDED` cases logged over that week and the one before, with SLA events, from a fixed
seed: every run writes the same rows. The seeded cases' feedback comes from a seed of its
own, so the cases and events are those the ledger held before there was feedback.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from activities.ledger import Ledger
from activities.ledger_schema import case_outcomes, feedback, notifications, sla_events
from domain.calendar import WorkingCalendar
from domain.kpi_ledger import SLA_EVENT_KINDS, FeedbackRecord, LedgerEntry, SlaEventRecord
from domain.models import CaseType, FeedbackEscalation, Priority
from domain.policy import SupportPolicy
from domain.sla import Due
from tests.kpi_data import CASES, NOW, case, mon

LONGEST = "INC-" + "9" * 36  # references are up to 40 characters
SEEDED = 60
SEED = 20260302
# The feedback's own: one whose INT-2 report has a priority without any (P3).
FEEDBACK_SEED = SEED + 4
POLICY = SupportPolicy()
# The week of 2 March 2026 and the one before hold no bank holiday: this calendar and the
# default one (England and Wales) agree on them.
CALENDAR = WorkingCalendar()
MIN = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)
PRIORITIES = [Priority.P1, Priority.P2, Priority.P3, Priority.P4]
SHARES = [5, 15, 50, 30]  # the project's mix of priorities, in percent
STATES = {
    "resolved": 50,
    "resolution_offered": 10,
    "investigating": 14,
    "logged": 5,
    "awaiting_information": 8,
    "escalated_to_problem": 5,
    "withdrawn": 8,
}


def _near_a_limit(rng: random.Random, priority: Priority) -> dt.timedelta:
    """A resolution time at, just under or just over one of the priority's limits."""
    limit = rng.choice([lim for lim, _ in POLICY.kpi_targets(priority)])
    return max(dt.timedelta(0), limit + rng.choice([-30 * MIN, -SECOND, 0 * MIN, SECOND, 2 * MIN]))


def _events(
    rng: random.Random, reference: str, priority: Priority, start: dt.datetime
) -> list[SlaEventRecord]:
    found = []
    for n in range(rng.choice([0, 0, 1, 2, 3, 5])):
        action = rng.choice(sorted(SLA_EVENT_KINDS))
        taken = min(start + rng.randrange(0, 3000) * 5 * MIN, NOW)
        due = Due(taken - n * SECOND, action)
        found.append(
            SlaEventRecord(
                reference=reference,
                key=due.key,
                action=action,
                kind=SLA_EVENT_KINDS[action],
                # The priority when the action was taken: now and then a former one.
                priority=rng.choice([priority, priority, priority, rng.choice(PRIORITIES)]),
                due_at=due.at,
                taken_at=taken,
            )
        )
    return found


def seeded_entry(rng: random.Random, number: int) -> LedgerEntry:
    priority = rng.choices(PRIORITIES, SHARES)[0]
    state = rng.choices(list(STATES), list(STATES.values()))[0]
    reference = f"S{number:03d}-{priority.name}"
    logged = mon(9) - dt.timedelta(days=7) + rng.randrange(0, 2 * 24 * 60 * 6) * MIN
    logged = min(CALENDAR.next_working_instant(logged), NOW - 30 * MIN)
    due = CALENDAR.add_working_time(logged, POLICY.response_target(priority))
    answered = logged + rng.choice([5, 20, 60, 240, 600]) * MIN
    first = None if state == "logged" or rng.random() < 0.1 or answered > NOW else answered
    stopped = state in ("resolved", "resolution_offered")
    closed = (
        rng.choice([logged + 3 * MIN, NOW - MIN]) if state in ("resolved", "withdrawn") else None
    )
    row = case(
        reference,
        priority,
        case_type=rng.choice([CaseType.INCIDENT, CaseType.ENQUIRY]),
        integrator_id=rng.choice(["INT-1", "INT-1", "INT-2", "INT-3"]),
        state=state,
        logged_at=logged,
        response_due=due,
        first_response_at=first if state != "withdrawn" or rng.random() < 0.5 else None,
        response_working_time=None
        if first is None
        else CALENDAR.working_time_between(logged, first),
        resolution_working_time=_near_a_limit(rng, priority) if stopped else None,
        paused_working_time=rng.choice([dt.timedelta(0), dt.timedelta(0), 30 * MIN]),
        paused_since=NOW - rng.randrange(1, 600) * MIN if state == "awaiting_information" else None,
        closed_at=closed,
        breaches=rng.randrange(0, 3),
    )
    return LedgerEntry(case=row, sla_events=_events(rng, reference, priority, logged))


def seeded_feedback(rng: random.Random, entry: LedgerEntry) -> LedgerEntry:
    """The entry with none, one or two ratings, given between its logging and `NOW`."""
    row, found = entry.case, []
    for n in range(rng.choice([0, 0, 1, 1, 2])):
        given = min(row.logged_at + rng.randrange(1, 2000) * 5 * MIN, NOW)
        school = rng.random() < 0.25
        found.append(
            FeedbackRecord(
                reference=row.reference,
                key=f"feedback-{n}",
                case_type=row.case_type,
                priority=row.priority,
                integrator_id=row.integrator_id,
                school_urn=row.school_urn,
                rating=rng.randint(1, 5),
                escalate=rng.choice([*[FeedbackEscalation.NONE] * 4, *FeedbackEscalation]),
                by_role="school" if school else "integrator",
                by_id=row.school_urn if school else row.integrator_id,
                given_at=given,
                after_resolution=row.state == "resolved" and given > (row.closed_at or NOW),
            )
        )
    return entry.model_copy(update={"feedback": found})


def seeded_entries(count: int = SEEDED, seed: int = SEED) -> list[LedgerEntry]:
    rng = random.Random(seed)
    hand_worked = [*CASES, case(LONGEST, Priority.P1, resolved=mon(9) - mon(0))]
    seeded = [seeded_entry(rng, n) for n in range(count)]
    rated = random.Random(FEEDBACK_SEED)
    return [LedgerEntry(case=c) for c in hand_worked] + [seeded_feedback(rated, e) for e in seeded]


def write(url: str, entries: Iterable[LedgerEntry]) -> None:
    """The entries written as the case workflow writes them (the schema first, if new)."""
    ledger = Ledger(url)
    try:
        _ = ledger.engine
        for entry in entries:
            ledger.record(entry)
    finally:
        ledger.dispose()


def emptied(url: str) -> None:
    """Every row gone, the schema kept: one ledger per hypothesis example."""
    ledger = Ledger(url)
    try:
        with ledger.engine.begin() as conn:
            for table in (feedback, sla_events, notifications, case_outcomes):
                conn.execute(sa.delete(table))
    finally:
        ledger.dispose()


REFERENCE_LISTS = frozenset({"met", "missed", "pending", "inside"})
LISTED_ONLY = frozenset({"breached"})


def counts_only(data: Any) -> Any:
    """A listed report's JSON as the report without references reads it: every list of
    references behind a figure replaced by its count, `<name>_count`, in the same place,
    and the cases with a breach left out."""
    if isinstance(data, list):
        return [counts_only(item) for item in data]
    if not isinstance(data, dict):
        return data
    return {
        (f"{key}_count" if key in REFERENCE_LISTS else key): (
            len(value) if key in REFERENCE_LISTS else counts_only(value)
        )
        for key, value in data.items()
        if key not in LISTED_ONLY
    }
