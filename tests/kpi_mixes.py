"""Hypothesis strategies for KPI ledgers: mixes of cases around the edges the report's
rules have (DESIGN §4, §16).

A mix is a period of whole London days over a bank holiday (or a change of the clocks),
an instant to report at, and cases: logged on, just before or just after the period's
bounds; resolution times exactly at, a microsecond or a second either side of, or well
away from a limit; open cases whose running clock (the calendar's working time less
their pauses) lands the same way at the report's instant, some of them paused; responses
answered on the deadline or either side of it, or withdrawn before it was owed; SLA
events and feedback at the bounds; two integrators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import strategies as st

from domain.calendar import WorkingCalendar
from domain.kpi import Period
from domain.kpi_ledger import SLA_EVENT_KINDS, CaseRow, FeedbackRecord, LedgerEntry, SlaEventRecord
from domain.models import FeedbackEscalation, Priority
from domain.policy import SupportPolicy
from tests.factories import LONDON
from tests.kpi_data import case

POLICY = SupportPolicy()
CALENDAR = WorkingCalendar.england_and_wales()
STATES = [
    "logged",
    "investigating",
    "awaiting_information",
    "escalated_to_problem",
    "resolution_offered",
    "resolved",
    "withdrawn",
]
# Easter 2026 (Good Friday 3 April, Easter Monday 6 April; the clocks went forward on
# 29 March), Christmas 2025 and New Year, the late May bank holiday 2026.
PERIODS = [
    (dt.date(2026, 3, 30), dt.date(2026, 4, 10)),
    (dt.date(2025, 12, 22), dt.date(2026, 1, 2)),
    (dt.date(2026, 5, 25), dt.date(2026, 5, 29)),
]
US, SECOND, MINUTE = (
    dt.timedelta(microseconds=1),
    dt.timedelta(seconds=1),
    dt.timedelta(minutes=1),
)
EDGES = [-SECOND, -US, dt.timedelta(0), US, SECOND]


@dataclass(frozen=True)
class Mix:
    period: Period
    now: dt.datetime
    entries: list[LedgerEntry]


def _day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), LONDON)


def _instant(
    draw: st.DrawFn, start: dt.datetime, end: dt.datetime, edges: list[dt.datetime]
) -> dt.datetime:
    """One of `edges`, or a whole minute in [start, end]."""
    minutes = max(0, int((end - start) / MINUTE))
    return draw(
        st.one_of(
            st.sampled_from(edges),
            st.integers(0, minutes).map(lambda n: start + n * MINUTE),
        )
    )


def _near_a_limit(draw: st.DrawFn, priority: Priority) -> dt.timedelta:
    limit = draw(st.sampled_from([lim for lim, _ in POLICY.kpi_targets(priority)]))
    off = draw(st.one_of(st.sampled_from(EDGES), st.integers(-600, 600).map(lambda n: n * MINUTE)))
    return max(dt.timedelta(0), limit + off)


def _events(
    draw: st.DrawFn, reference: str, mix_period: Period, now: dt.datetime
) -> list[SlaEventRecord]:
    found = []
    edges = [mix_period.start, mix_period.end - US, mix_period.end]
    for n in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(sorted(SLA_EVENT_KINDS)))
        taken = _instant(draw, mix_period.start - dt.timedelta(days=2), now, edges)
        found.append(
            SlaEventRecord(
                reference=reference,
                key=f"{action}@{n}",
                action=action,
                kind=SLA_EVENT_KINDS[action],
                priority=draw(st.sampled_from(list(Priority))),
                due_at=taken,
                taken_at=taken,
            )
        )
    return found


def _feedback(draw: st.DrawFn, row: CaseRow, mix_period: Period) -> list[FeedbackRecord]:
    """Ratings given at the period's bounds or about them, with the case's priority at the
    time: now and then a former one."""
    edges = [mix_period.start - US, mix_period.start, mix_period.end - US, mix_period.end]
    return [
        FeedbackRecord(
            reference=row.reference,
            key=f"rating-{n}",
            case_type=row.case_type,
            priority=draw(st.sampled_from([row.priority, *Priority])),
            integrator_id=row.integrator_id,
            school_urn=row.school_urn,
            rating=draw(st.integers(1, 5)),
            escalate=draw(st.sampled_from(FeedbackEscalation)),
            by_role="integrator",
            by_id=row.integrator_id,
            given_at=_instant(draw, mix_period.start - dt.timedelta(days=1), mix_period.end, edges),
            after_resolution=draw(st.booleans()),
        )
        for n in range(draw(st.integers(0, 3)))
    ]


def _entry(draw: st.DrawFn, number: int, period: Period, now: dt.datetime) -> LedgerEntry:
    priority = draw(st.sampled_from(list(Priority)))
    state = draw(st.sampled_from(STATES))
    reference = draw(st.sampled_from(["C", "c", "C-", "B"])) + f"{number:02d}"
    bounds = [period.start, period.start - US, period.end - US, period.end]
    logged = _instant(
        draw, period.start - dt.timedelta(days=3), now, [b for b in bounds if b <= now]
    )
    due = draw(
        st.one_of(
            st.sampled_from([period.start, period.end, now, now - US]),
            st.integers(0, 3 * 24 * 60).map(lambda n: logged + n * MINUTE),
        )
    )
    answered = draw(
        st.one_of(
            st.none(),
            st.sampled_from([-10 * MINUTE, *EDGES, 3 * 60 * MINUTE]).map(lambda d: due + d),
        )
    )
    closed = None
    if state in ("resolved", "withdrawn"):
        closed = draw(st.sampled_from([due - MINUTE, due, due + US, now - MINUTE]))
    worked: dt.timedelta | None = None
    paused = dt.timedelta(0)
    paused_since = None
    if state in ("resolved", "resolution_offered"):
        # Now and then a stopped clock without its time: the report works it out.
        worked = None if draw(st.integers(0, 9)) == 0 else _near_a_limit(draw, priority)
    elif state != "withdrawn":
        # Pauses that bring the running clock to (or about) a limit at `now`.
        target = _near_a_limit(draw, priority)
        paused = max(dt.timedelta(0), CALENDAR.working_time_between(logged, now) - target)
        if state == "awaiting_information" and draw(st.booleans()):
            paused_since = _instant(draw, logged, now, [logged, now])
    row = case(
        reference,
        priority,
        integrator_id=draw(st.sampled_from(["INT-1", "INT-2"])),
        state=state,
        logged_at=logged,
        response_due=due,
        first_response_at=answered,
        resolution_working_time=worked,
        paused_working_time=paused,
        paused_since=paused_since,
        closed_at=closed,
    )
    return LedgerEntry(
        case=row,
        sla_events=_events(draw, reference, period, now),
        feedback=_feedback(draw, row, period),
    )


@st.composite
def mixes(draw: st.DrawFn, max_cases: int = 25) -> Mix:
    first, last = draw(st.sampled_from(PERIODS))
    period = Period(start=_day(first), end=_day(last + dt.timedelta(days=1)))
    now = _instant(
        draw,
        period.start + dt.timedelta(days=1),
        period.end + dt.timedelta(days=5),
        [period.end, period.end - US],
    )
    count = draw(st.integers(0, max_cases))
    return Mix(period, now, [_entry(draw, n, period, now) for n in range(count)])
