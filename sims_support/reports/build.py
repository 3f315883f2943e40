"""The KPI report from the ledger (DESIGN §16): counts from SQL, running clocks in Python.

Every query runs in one snapshot of the ledger, so the figures add up while cases are
being written. Rows are streamed in batches: what the report holds is its tallies, the
references when it lists them, and one batch of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from activities.ledger import Ledger
from domain.calendar import WorkingCalendar
from domain.kpi import Period
from domain.kpi_ledger import CLOSED
from domain.kpi_report import AtRisk, OpenClock, at_risk
from domain.kpi_tally import (
    RESOLVED,
    WITHDRAWN,
    ResolutionTally,
    ResponseTally,
    SlaTally,
    first_within,
)
from domain.models import Priority
from domain.policy import SupportPolicy
from sims_support.reports import queries
from sims_support.reports.feedback import FeedbackCounts, ReportWithFeedback

if TYPE_CHECKING:
    from sims_support.reports.queries import Query

BATCH = 2000


def _rows(conn: sa.Connection, query: Query) -> Iterator[Any]:
    """The rows, fetched a batch at a time (a server-side cursor on PostgreSQL)."""
    for batch in conn.execute(query, execution_options={"yield_per": BATCH}).partitions():
        yield from batch


def _differences(cumulative: list[int]) -> list[int]:
    return [b - a for a, b in zip([0, *cumulative], cumulative, strict=False)]


def _clock(row: Any) -> OpenClock:
    return OpenClock(
        reference=row.reference,
        priority=Priority[row.priority],
        state=row.state,
        logged_at=row.logged_at,
        closed_at=row.closed_at,
        paused=row.paused_working_seconds,
        paused_since=row.paused_since,
        worked=row.resolution_working_seconds,
    )


def kpi_report(
    ledger: Ledger,
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    period: Period,
    now: dt.datetime,
    *,
    integrator: str | None = None,
    at_risk_within: dt.timedelta | None = None,
    listed: bool = False,
) -> ReportWithFeedback:
    """The report of the cases logged in `period` as at `now`, and of the feedback given
    in it; `listed`: with the references behind every figure."""
    reading = _Reading(
        policy, calendar, period, now, integrator=integrator, within=at_risk_within, listed=listed
    )
    return reading.run(ledger)


class _Reading:
    """One report being read: what it asks, and the tallies it adds up."""

    def __init__(
        self,
        policy: SupportPolicy,
        calendar: WorkingCalendar,
        period: Period,
        now: dt.datetime,
        *,
        integrator: str | None,
        within: dt.timedelta | None,
        listed: bool,
    ) -> None:
        self.policy, self.calendar, self.period, self.now = policy, calendar, period, now
        self.integrator, self.within, self.listed = integrator, within, listed
        self.resolution = ResolutionTally(policy, listed=listed)
        self.response = ResponseTally(policy, listed=listed)
        self.events = SlaTally(listed=listed)
        self.states: dict[str, int] = {}

    def run(self, ledger: Ledger) -> ReportWithFeedback:
        with ledger.snapshot() as conn:
            self._resolution(conn)
            self._responses(conn)
            self._events(conn)
            risky = self._at_risk(conn)
            feedback = self._feedback(conn)
        logged = sum(self.states.values())
        return ReportWithFeedback(
            period=self.period,
            as_of=self.now,
            integrator=self.integrator,
            logged=logged,
            resolved=self.states.get(RESOLVED, 0),
            withdrawn=self.states.get(WITHDRAWN, 0),
            open=sum(n for state, n in self.states.items() if state not in CLOSED),
            response=self.response.attainment(),
            resolution=self.resolution.attainment(),
            sla_events=self.events.counts(),
            at_risk_within=self.within,
            at_risk=risky,
            feedback=feedback,
        )

    def _bucket(self, clock: OpenClock) -> int:
        return first_within(self.resolution.limits, clock.used(self.calendar, self.now))

    def _resolution(self, conn: sa.Connection) -> None:
        tally, limits = self.resolution, self.resolution.limits
        query = queries.logged(self.period, self.integrator, limits)
        unknown = []  # (priority, state) of the cases whose working time the ledger lacks
        for priority, state, cases, known, *within in conn.execute(query):
            self.states[state] = self.states.get(state, 0) + cases
            if state == WITHDRAWN:
                continue
            # Within each limit, as counts per bucket: the first limit each case is within.
            for bucket, count in enumerate(_differences([*within, known])):
                tally.count(Priority[priority], state == RESOLVED, bucket, count)
            if cases > known:
                unknown.append((priority, state))
        if unknown:
            for row in _rows(conn, queries.running(self.period, self.integrator, unknown)):
                clock = _clock(row)
                tally.count(clock.priority, clock.state == RESOLVED, self._bucket(clock))
        if not self.listed:
            return
        for row in _rows(conn, queries.listed(self.period, self.integrator, limits)):
            bucket = row.bucket if row.bucket is not None else self._bucket(_clock(row))
            tally.note(row.reference, Priority[row.priority], row.state == RESOLVED, bucket)

    def _responses(self, conn: sa.Connection) -> None:
        args = (self.period, self.integrator, self.now)
        for priority, met, missed in conn.execute(queries.responses(*args)):
            self.response.count(Priority[priority], True, met)
            self.response.count(Priority[priority], False, missed)
        if self.listed:
            for reference, priority, met in _rows(conn, queries.responses_listed(*args)):
                self.response.note(reference, Priority[priority], bool(met))

    def _events(self, conn: sa.Connection) -> None:
        for n, events in conn.execute(queries.events(self.period, self.integrator)):
            self.events.count(*queries.KINDS[int(n)], events)
        if self.listed:
            query = queries.breached_listed(self.period, self.integrator)
            for priority, reference in _rows(conn, query):
                self.events.note_breached(reference, Priority[priority])

    def _at_risk(self, conn: sa.Connection) -> list[AtRisk]:
        if self.within is None:
            return []
        clocks = (_clock(row) for row in _rows(conn, queries.open_running(self.integrator)))
        return at_risk(clocks, self.policy, self.calendar, self.now, self.within)

    def _feedback(self, conn: sa.Connection) -> list[FeedbackCounts]:
        given = {
            priority: (count, int(total))
            for priority, count, total in conn.execute(
                queries.feedback_given(self.period, self.integrator)
            )
        }
        return [FeedbackCounts.of(p, *given.get(p.name, (0, 0))) for p in Priority]
