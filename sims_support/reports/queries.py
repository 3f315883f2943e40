"""The KPI report's statements (SQLAlchemy Core, the same on SQLite and PostgreSQL).

Counts are made in the database; rows come back only for the cases whose resolution
working time the ledger does not hold (their clock runs: the calendar is needed) and,
when the report lists references, one narrow row per case in the ledger's order (logged,
then reference). Each statement reads one of the ledger's indexes alone
(`activities/ledger_schema.py`), and names every priority, state and kind it counts
(`IN` lists of all of them, as the writer's models allow no others) so that the
database walks the index one group after the other instead of sorting rows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from activities.ledger_schema import case_outcomes, feedback, sla_events
from domain.kpi import Period
from domain.kpi_ledger import SlaEventKind
from domain.kpi_report import RUNNING, STATES
from domain.kpi_tally import WITHDRAWN
from domain.models import Priority

if TYPE_CHECKING:
    from typing import TypeAlias

    Query: TypeAlias = sa.Select[*tuple[Any, ...]]
    Queries: TypeAlias = sa.CompoundSelect[*tuple[Any, ...]]

c, e, f = case_outcomes.c, sla_events.c, feedback.c
PRIORITIES = [p.name for p in Priority]
KINDS = [(p, k) for p in Priority for k in SlaEventKind]
BREACH = SlaEventKind.BREACH.value
# What a case whose clock the report works out needs.
CLOCK_COLUMNS = (
    c.reference,
    c.priority,
    c.state,
    c.logged_at,
    c.closed_at,
    c.paused_working_seconds,
    c.paused_since,
    c.resolution_working_seconds,
)


def _within(column: sa.ColumnElement[dt.datetime], period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.start, column < period.end)


def _cases(query: Query, integrator: str | None, states: frozenset[str] = STATES) -> Query:
    query = query.where(c.priority.in_(PRIORITIES), c.state.in_(sorted(states)))
    return query if integrator is None else query.where(c.integrator_id == integrator)


def logged(period: Period, integrator: str | None, limits: list[dt.timedelta]) -> Query:
    """(priority, state, cases, with a working time, within each limit) for the cases
    logged in the period."""
    seconds = c.resolution_working_seconds
    return _cases(
        sa.select(
            c.priority,
            c.state,
            sa.func.count(),
            sa.func.count(seconds),
            *(sa.func.count().filter(seconds <= limit) for limit in limits),
        ).where(_within(c.logged_at, period)),
        integrator,
    ).group_by(c.priority, c.state)


def running(period: Period, integrator: str | None, groups: list[tuple[str, str]]) -> Query:
    """The cases in a share whose working time the calendar must give, among the
    (priority, state) `groups` that `logged` found some in: the index is read for those
    priorities and states only (a group of the cross product without such cases adds none;
    a row-value IN would read the whole table)."""
    query = sa.select(*CLOCK_COLUMNS).where(
        c.priority.in_(sorted({priority for priority, _ in groups})),
        c.state.in_(sorted({state for _, state in groups})),
        _within(c.logged_at, period),
        c.resolution_working_seconds.is_(None),
    )
    return query if integrator is None else query.where(c.integrator_id == integrator)


def bucket(limits: list[dt.timedelta]) -> sa.ColumnElement[int | None]:
    """The first limit a stopped clock is within (`domain.kpi_tally.first_within`); NULL
    while the ledger holds no working time for the case."""
    seconds = c.resolution_working_seconds
    return sa.case(
        (seconds.is_(None), sa.null()),
        *((seconds <= limit, n) for n, limit in enumerate(limits)),
        else_=len(limits),
    )


def listed(period: Period, integrator: str | None, limits: list[dt.timedelta]) -> Query:
    """Every case in a share, in the ledger's order, with its bucket when it is known."""
    return _cases(
        sa.select(*CLOCK_COLUMNS, bucket(limits).label("bucket"))
        .where(_within(c.logged_at, period))
        .order_by(c.logged_at, c.reference),
        integrator,
        STATES - {WITHDRAWN},
    )


def _responded(now: dt.datetime) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """(met, missed): answered by the deadline; answered later, or not answered when it
    fell due before `now` unless withdrawn (closed) by the deadline."""
    answered, due, closed = c.first_response_at, c.response_due, c.closed_at
    met = answered <= due
    unanswered = answered.is_(None) & (closed.is_(None) | (closed > due)) & (due < now)
    return met, (answered > due) | unanswered


def responses(period: Period, integrator: str | None, now: dt.datetime) -> Query:
    """(priority, met, missed) for the responses due in the period."""
    met, missed = _responded(now)
    query = sa.select(c.priority, sa.func.count().filter(met), sa.func.count().filter(missed))
    query = query.where(c.priority.in_(PRIORITIES), _within(c.response_due, period))
    if integrator is not None:
        query = query.where(c.integrator_id == integrator)
    return query.group_by(c.priority)


def responses_listed(period: Period, integrator: str | None, now: dt.datetime) -> Query:
    """(reference, priority, met) of each response counted, in the ledger's order."""
    met, missed = _responded(now)
    query = sa.select(c.reference, c.priority, sa.case((met, 1), else_=0)).where(
        _within(c.response_due, period), met | missed
    )
    if integrator is not None:
        query = query.where(c.integrator_id == integrator)
    return query.order_by(c.logged_at, c.reference)


def _events(query: Query, period: Period, integrator: str | None) -> Query:
    query = query.where(_within(e.taken_at, period))
    if integrator is None:
        # Every event is written with its case's row (one transaction): none to leave out.
        return query
    return query.join(case_outcomes, c.reference == e.reference).where(
        c.integrator_id == integrator
    )


def events(period: Period, integrator: str | None) -> Queries:
    """(n, events): how many events of `KINDS[n]` (priority, kind) the period has; one
    count along the index for each."""
    return sa.union_all(
        *(
            _events(
                sa.select(sa.literal_column(str(n), sa.Integer), sa.func.count())
                .select_from(sla_events)
                .where(e.kind == kind.value, e.priority == priority.name),
                period,
                integrator,
            )
            for n, (priority, kind) in enumerate(KINDS)
        )
    )


def breached_listed(period: Period, integrator: str | None) -> Query:
    """(priority, reference) of each case with a breach among the period's events."""
    query = sa.select(e.priority, e.reference).where(e.kind == BREACH).distinct()
    return _events(query, period, integrator)


def open_running(integrator: str | None) -> Query:
    """Every open case whose clock runs, whenever it was logged (for `--at-risk`)."""
    return _cases(sa.select(*CLOCK_COLUMNS).where(c.paused_since.is_(None)), integrator, RUNNING)


def feedback_given(period: Period, integrator: str | None) -> Query:
    """(priority, ratings, their sum) for the feedback given in the period, by the case's
    priority when it was given: the mean is the sum over the count, exact in integers."""
    query = sa.select(f.priority, sa.func.count(), sa.func.sum(f.rating)).where(
        f.priority.in_(PRIORITIES), _within(f.given_at, period)
    )
    if integrator is not None:
        query = query.where(f.integrator_id == integrator)
    return query.group_by(f.priority)
