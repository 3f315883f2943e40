"""Seeded KPI ledgers of any size for `bench/kpi_report.py`, in the project's own tables.

Three years of cases up to END, logged uniformly over support hours; priorities P1 5%,
P2 15%, P3 50%, P4 30%. Each case gets a first response (on time nine times in ten), a
resolution working time drawn so that each priority lands a little under the charter's
shares, and a state that follows from it at END: withdrawn (3%), resolved (offered
more than two working days before END), an offer standing, or still open (logged if
not answered yet, else investigating, awaiting information with a pause running, or
escalated), with its clock running. About 2.9 SLA events a case (warnings, breaches,
escalations, chasers, at the case's priority nineteen times in twenty).

The schema is made by `Ledger` itself; rows go in through sqlite3's executemany, as
SQLAlchemy's SQLite types store them (UTC text to the microsecond, seconds as doubles),
and `check` reads a sample back through `Ledger.cases` to prove it.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from activities.ledger import Ledger
from domain.calendar import WorkingCalendar
from domain.kpi_ledger import SLA_EVENT_KINDS, CaseRow, LedgerEntry
from domain.models import CaseType, Priority
from domain.policy import SupportPolicy
from domain.sla import Action
from sims_support.reports.format import LONDON

END = dt.datetime(2026, 12, 1, 17, 0, tzinfo=LONDON)
START = dt.datetime(2023, 12, 1, 0, 0, tzinfo=LONDON)
POLICY = SupportPolicy()
CALENDAR = WorkingCalendar.england_and_wales()
PRIORITIES, SHARES = list(Priority), [5, 15, 50, 30]
ACTIONS = sorted(SLA_EVENT_KINDS)
ACTION_SHARES = {
    Action.RESPONSE_WARNING: 25,
    Action.RESPONSE_BREACH: 15,
    Action.UPDATE_DUE: 25,
    Action.UPDATE_OVERDUE: 15,
    Action.INFORMATION_CHASER: 20,
}
# Events per case, 0 to 7: a Poisson distribution of mean 2.9, cut at 7 (mean 2.87).
EVENT_COUNTS = [55, 160, 231, 224, 162, 94, 45, 29]
CHUNK = 50_000
CASE_COLUMNS = (
    "reference, case_type, priority, integrator_id, school_urn, state, logged_at, "
    "response_due, first_response_at, response_working_seconds, resolution_working_seconds, "
    "paused_working_seconds, paused_since, breaches, reopen_count, closed_at, revision"
)
EVENT_COLUMNS = "reference, key, action, kind, priority, due_at, taken_at"


def stored(moment: dt.datetime | None) -> str | None:
    """As SQLAlchemy's SQLite DateTime stores an instant (our type hands it UTC)."""
    if moment is None:
        return None
    utc = moment.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond:06d}"


def _resolution(rng: random.Random, priority: Priority) -> dt.timedelta:
    """A working time whose share within each limit is a little under the charter's."""
    draw, previous = rng.random(), dt.timedelta(0)
    for limit, share in POLICY.kpi_targets(priority):
        if draw < share * 0.97:
            return previous + (limit - previous) * rng.random()
        previous = limit
    return previous + previous * rng.random()


def _state(rng: random.Random, answered: bool, offered: dt.datetime) -> str:
    if rng.random() < 0.03:
        return "withdrawn"
    if offered <= END:
        accepted = CALENDAR.add_working_time(offered, dt.timedelta(hours=17))
        return "resolved" if accepted <= END else "resolution_offered"
    if not answered:
        return "logged"
    return rng.choices(
        ["investigating", "awaiting_information", "escalated_to_problem"], [75, 20, 5]
    )[0]


def case_row(rng: random.Random, number: int, logged: dt.datetime) -> tuple[object, ...]:
    priority = rng.choices(PRIORITIES, SHARES)[0]
    target = POLICY.response_target(priority)
    due = CALENDAR.add_working_time(logged, target)
    response = target * (rng.uniform(0.05, 1.0) if rng.random() < 0.9 else rng.uniform(1.0, 3.0))
    first = CALENDAR.add_working_time(logged, response)
    answered = first <= END
    worked = _resolution(rng, priority)
    offered = CALENDAR.add_working_time(logged, worked)
    state = _state(rng, answered, offered)
    closed = None
    if state == "resolved":
        closed = CALENDAR.add_working_time(offered, dt.timedelta(hours=17))
    elif state == "withdrawn":
        closed = min(END, logged + dt.timedelta(hours=2))
    paused_since = None
    if state == "awaiting_information":
        paused_since = logged + (END - logged) * rng.random()
    stopped = state in ("resolved", "resolution_offered")
    return (
        f"INC-{number:07d}",
        rng.choice(["incident", "incident", "enquiry", "service_request"]),
        priority.name,
        f"INT-{rng.randrange(50):03d}",
        f"{rng.randrange(100000, 999999)}",
        state,
        stored(logged),
        stored(due),
        stored(first) if answered else None,
        response.total_seconds() if answered else None,
        worked.total_seconds() if stopped else None,
        (
            dt.timedelta(hours=rng.choice([0, 0, 0, 0, 4, 12])) if stopped else dt.timedelta(0)
        ).total_seconds(),
        stored(paused_since),
        0,
        0,
        stored(closed),
        5,
    )


def event_rows(
    rng: random.Random, case: tuple[object, ...], logged: dt.datetime
) -> Iterator[tuple[object, ...]]:
    reference, priority = case[0], case[2]
    for n in range(rng.choices(range(len(EVENT_COUNTS)), EVENT_COUNTS)[0]):
        action = rng.choices(list(ACTION_SHARES), list(ACTION_SHARES.values()))[0]
        taken = min(END, logged + dt.timedelta(days=20) * rng.random() ** 2)
        at = stored(taken)
        yield (
            reference,
            f"{action}@{at}#{n}",
            action.value,
            SLA_EVENT_KINDS[action].value,
            priority if rng.random() < 0.95 else rng.choice(PRIORITIES).name,
            at,
            at,
        )


def logged_instants(rng: random.Random, cases: int) -> list[dt.datetime]:
    """`cases` instants spread uniformly over the support hours of [START, END), in order."""
    hours = CALENDAR.working_time_between(START, END)
    return [
        CALENDAR.add_working_time(START, hours * u)
        for u in sorted(rng.random() for _ in range(cases))
    ]


def build(path: Path, cases: int, seed: int) -> str:
    """A ledger of `cases` cases at `path` (made once: an existing file is kept)."""
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    same_as_sqlalchemy(path.with_suffix(".check.db"))
    Ledger(url).engine.dispose()  # the schema, by the ledger itself
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    rows: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    for number, logged in enumerate(logged_instants(rng, cases)):
        row = case_row(rng, number, logged)
        rows.append(row)
        events.extend(event_rows(rng, row, logged))
        if len(rows) >= CHUNK:
            _insert(db, rows, events)
    _insert(db, rows, events)
    db.commit()
    db.close()  # no ANALYZE: the report's plans must not need the statistics
    check(url, cases)
    return url


def _insert(
    db: sqlite3.Connection, rows: list[tuple[object, ...]], events: list[tuple[object, ...]]
) -> None:
    db.executemany(
        f"INSERT INTO case_outcomes ({CASE_COLUMNS}) VALUES ({', '.join('?' * 17)})", rows
    )
    db.executemany(
        f"INSERT INTO sla_events ({EVENT_COLUMNS}) VALUES ({', '.join('?' * 7)})", events
    )
    rows.clear()
    events.clear()


def same_as_sqlalchemy(scratch: Path) -> None:
    """`stored` writes an instant and a working time as the ledger's own types do: one
    row written by the ledger, read back raw."""
    moment = dt.datetime(2026, 3, 29, 1, 30, 0, 7, tzinfo=LONDON)
    row = CaseRow(
        reference="INC-CHECK",
        case_type=CaseType.INCIDENT,
        priority=Priority.P3,
        integrator_id="INT-000",
        school_urn="100000",
        state="investigating",
        logged_at=moment,
        response_due=moment,
        first_response_at=None,
        response_working_time=None,
        resolution_working_time=None,
        paused_working_time=dt.timedelta(minutes=7, microseconds=3),
        paused_since=None,
        breaches=0,
        reopen_count=0,
        closed_at=None,
        revision=1,
    )
    ledger = Ledger(f"sqlite:///{scratch}")
    try:
        ledger.record(LedgerEntry(case=row))
    finally:
        ledger.dispose()
    db = sqlite3.connect(scratch)
    raw = db.execute("SELECT logged_at, paused_working_seconds FROM case_outcomes").fetchone()
    db.close()
    scratch.unlink()
    assert raw == (stored(moment), 420.000003), raw


def check(url: str, cases: int) -> None:
    """Every case is there, and a day of them reads back through the ledger's own types."""
    ledger = Ledger(url)
    try:
        assert ledger.count("case_outcomes") == cases
        day = ledger.cases(END - dt.timedelta(days=1), END)
        assert all(START <= c.logged_at < END and c.logged_at.tzinfo for c in day)
    finally:
        ledger.dispose()
