"""One KPI report: attainment for a period, SLA events, and the open cases at risk (pure).

The figures of cases whose clock has stopped are counted where the ledger is (SQL,
`sims_support/reports/`); a case whose resolution working time the ledger does not hold
yet comes here as an `OpenClock`, and the calendar says how far its clock has run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from domain.calendar import WorkingCalendar
from domain.kpi import (
    Period,
    PriorityName,
    ResolutionAttainment,
    ResponseAttainment,
    SlaEventCounts,
)
from domain.kpi_ledger import CLOCK_STOPPED, CLOSED, CaseRow
from domain.machines import CaseMachine
from domain.models import Priority
from domain.policy import SupportPolicy

_FROZEN = ConfigDict(frozen=True)
STATES = frozenset(s.id for s in CaseMachine.states)
# Open, and not stopped by an offer standing: a clock runs in these (unless paused).
RUNNING = STATES - CLOSED - CLOCK_STOPPED


@dataclass(frozen=True, slots=True)
class OpenClock:
    """What the report reads of a case whose resolution clock it must work out itself."""

    reference: str
    priority: Priority
    state: str
    logged_at: dt.datetime
    closed_at: dt.datetime | None
    paused: dt.timedelta  # pauses that have ended
    paused_since: dt.datetime | None  # a pause still open
    worked: dt.timedelta | None = None  # the ledger's figure, once the clock has stopped

    @classmethod
    def of(cls, case: CaseRow) -> OpenClock:
        return cls(
            reference=case.reference,
            priority=case.priority,
            state=case.state,
            logged_at=case.logged_at,
            closed_at=case.closed_at,
            paused=case.paused_working_time,
            paused_since=case.paused_since,
            worked=case.resolution_working_time,
        )

    @property
    def running(self) -> bool:
        return self.state in RUNNING and self.paused_since is None

    def used(self, calendar: WorkingCalendar, now: dt.datetime) -> dt.timedelta:
        """The working time on the resolution clock: final once it stopped, else as of `now`."""
        if self.worked is not None:
            return self.worked
        end = self.closed_at or now
        used = calendar.working_time_between(self.logged_at, end) - self.paused
        if self.paused_since is not None:
            used -= calendar.working_time_between(self.paused_since, end)
        return max(used, dt.timedelta(0))


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
    clocks: Iterable[OpenClock],
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
    for clock in clocks:
        if not clock.running:
            continue
        used = clock.used(calendar, now)
        ahead = [limit for limit, _ in policy.kpi_targets(clock.priority) if limit >= used]
        if not ahead or ahead[0] - used > within:
            continue
        left = ahead[0] - used
        found.append(
            AtRisk(
                reference=clock.reference,
                priority=clock.priority,
                state=clock.state,
                used=used,
                limit=ahead[0],
                left=left,
                passes_at=calendar.add_working_time(now, left),
            )
        )
    return sorted(found, key=lambda r: (r.passes_at, r.reference))


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

    @property
    def listed(self) -> bool:
        """The references behind the figures are in it (`--with-references`)."""
        return self.resolution[0].inside.references is not None
