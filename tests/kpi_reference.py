"""The KPI report as it was built before DESIGN §16, kept as the reference the SQL report
is compared with: every case row and SLA event of the period read as Python objects,
every figure and list of references computed from them (`tests/kpi_reference_figures.py`).
Unchanged but for this docstring, its imports and `reference_report`, which reads the
ledger as `sims-case report` did; and, since, the feedback given in the period (DESIGN
§12), every rating read as a Python object too (`feedback_counts`).

One KPI report: attainment for a period, SLA events, and the open cases at risk (pure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from activities.ledger import Ledger
from activities.ledger_schema import feedback
from domain.calendar import WorkingCalendar
from domain.kpi import Period
from domain.kpi_ledger import CLOCK_STOPPED, CaseRow, FeedbackRecord, SlaEventRecord
from domain.models import Priority
from domain.policy import SupportPolicy
from tests.kpi_reference_figures import (
    PriorityName,
    ResolutionAttainment,
    ResponseAttainment,
    SlaEventCounts,
    resolution_attainment,
    resolution_time,
    response_attainment,
    sla_event_counts,
)

_FROZEN = ConfigDict(frozen=True)


class AtRisk(BaseModel):
    """An open case whose resolution clock reaches its next KPI limit soon."""

    model_config = _FROZEN
    reference: str
    priority: PriorityName
    state: str
    used: dt.timedelta
    limit: dt.timedelta
    left: dt.timedelta
    passes_at: dt.datetime


def at_risk(
    cases: Iterable[CaseRow],
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    now: dt.datetime,
    within: dt.timedelta,
) -> list[AtRisk]:
    """Open cases whose running clock passes its next limit within `within` working time.

    Paused cases (awaiting information) and standing offers have stopped clocks: they
    pass nothing until they start again.
    """
    found = []
    for case in cases:
        running = case.is_open and case.state not in CLOCK_STOPPED and case.paused_since is None
        if not running:
            continue
        used = resolution_time(case, calendar, now)
        ahead = [limit for limit, _ in policy.kpi_targets(case.priority) if limit >= used]
        if not ahead or ahead[0] - used > within:
            continue
        left = ahead[0] - used
        found.append(
            AtRisk(
                reference=case.reference,
                priority=case.priority,
                state=case.state,
                used=used,
                limit=ahead[0],
                left=left,
                passes_at=calendar.add_working_time(now, left),
            )
        )
    return sorted(found, key=lambda r: (r.passes_at, r.reference))


class FeedbackCounts(BaseModel):
    model_config = _FROZEN
    priority: PriorityName
    count: int
    mean_rating: float | None


def feedback_counts(given: Iterable[FeedbackRecord]) -> list[FeedbackCounts]:
    ratings: dict[Priority, list[int]] = {p: [] for p in Priority}
    for record in given:
        ratings[record.priority].append(record.rating)
    return [
        FeedbackCounts(
            priority=p,
            count=len(found),
            mean_rating=round(sum(found) / len(found), 2) if found else None,
        )
        for p, found in ratings.items()
    ]


class KpiReport(BaseModel):
    model_config = _FROZEN
    period: Period
    as_of: dt.datetime
    integrator: str | None
    logged: int
    resolved: int
    withdrawn: int
    open: int
    response: list[ResponseAttainment]
    resolution: list[ResolutionAttainment]
    sla_events: list[SlaEventCounts]
    at_risk_within: dt.timedelta | None = None
    at_risk: list[AtRisk] = []
    feedback: list[FeedbackCounts] = []


def kpi_report(
    cases: Sequence[CaseRow],
    events: Iterable[SlaEventRecord],
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    period: Period,
    now: dt.datetime,
    *,
    integrator: str | None = None,
    open_cases: Iterable[CaseRow] = (),
    at_risk_within: dt.timedelta | None = None,
    given: Iterable[FeedbackRecord] = (),
) -> KpiReport:
    logged = [c for c in cases if period.holds(c.logged_at)]
    risky = (
        at_risk(open_cases, policy, calendar, now, at_risk_within)
        if at_risk_within is not None
        else []
    )
    return KpiReport(
        period=period,
        as_of=now,
        integrator=integrator,
        logged=len(logged),
        resolved=sum(1 for c in logged if c.state == "resolved"),
        withdrawn=sum(1 for c in logged if c.state == "withdrawn"),
        open=sum(1 for c in logged if c.is_open),
        response=response_attainment(cases, policy, period, now),
        resolution=resolution_attainment(cases, policy, calendar, period, now),
        sla_events=sla_event_counts(e for e in events if period.holds(e.taken_at)),
        at_risk_within=at_risk_within,
        at_risk=risky,
        feedback=feedback_counts(f for f in given if period.holds(f.given_at)),
    )


def reference_report(
    url: str,
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    period: Period,
    now: dt.datetime,
    *,
    integrator: str | None = None,
    at_risk_within: dt.timedelta | None = None,
) -> KpiReport:
    """What `sims-case report` printed before DESIGN §16, for this ledger."""
    ledger = Ledger(url).open_existing()
    try:
        cases = ledger.cases(period.start, period.end, integrator=integrator)
        events = ledger.sla_events(period.start, period.end, integrator=integrator)
        open_cases = (
            ledger.cases(period.start, period.end, integrator=integrator, open_only=True)
            if at_risk_within
            else []
        )
        given = feedback_given(ledger, integrator)
    finally:
        ledger.dispose()
    return kpi_report(
        cases,
        events,
        policy,
        calendar,
        period,
        now,
        integrator=integrator,
        open_cases=open_cases,
        at_risk_within=at_risk_within,
        given=given,
    )


def feedback_given(ledger: Ledger, integrator: str | None) -> list[FeedbackRecord]:
    """Every rating in the ledger (one integrator's), whenever it was given."""
    query = sa.select(feedback)
    if integrator:
        query = query.where(feedback.c.integrator_id == integrator)
    with ledger.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [FeedbackRecord.model_validate({**r, "priority": Priority[r["priority"]]}) for r in rows]
