"""The KPI ledger: every case outcome, SLA event, notification and rating in SQL (DESIGN §10).

A SQLite file under the data directory by default, any SQLAlchemy URL in production
(`postgresql+psycopg://...`). The schema is created on first use and its version
checked. Writes are idempotent: the case row is an upsert that never goes back to an
older revision, SLA events, notifications and feedback are inserted once by their
natural key, so an activity retry or a workflow replay leaves exactly the rows one write
would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ledger_schema import (
    case_outcomes,
    feedback,
    insert_new,
    metadata,
    notifications,
    sla_events,
    upsert_case,
)
from activities.ledger_version import (
    LedgerSchemaMismatch,
    LedgerSchemaOutdated,
    prepare,
    upgrade,
)
from domain.kpi_ledger import (
    CaseRow,
    FeedbackRecord,
    LedgerEntry,
    NotificationRecord,
    SlaEventRecord,
)
from domain.machines import CASE_CLOSED
from domain.models import Priority

# The schema version's errors are raised here and caught by the ledger's callers.
__all__ = [
    "Ledger",
    "LedgerActivities",
    "LedgerMissing",
    "LedgerSchemaMismatch",
    "LedgerSchemaOutdated",
]


class LedgerMissing(RuntimeError):
    """A report asked for a SQLite ledger that nobody has written yet."""


class Ledger:
    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> sa.Engine:
        """Connects, and creates or checks the schema, on first use (thread-safe)."""
        with self._lock:
            if self._engine is None:
                engine = self._connect()
                try:
                    self._prepare(engine)
                except BaseException:
                    engine.dispose()
                    raise
                self._engine = engine
            return self._engine

    def open_existing(self) -> Ledger:
        """For readers: a missing SQLite file is an error, not an empty ledger to create."""
        self._refuse_missing()
        _ = self.engine
        return self

    def _refuse_missing(self) -> None:
        path = self._sqlite_path()
        if path is not None and not path.exists():
            raise LedgerMissing(
                f"no KPI ledger at {path}: the worker writes it there once a case is logged "
                "(check SIMS_DATA_DIR or SIMS_LEDGER_URL, or pass --ledger)"
            )

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        """One connection whose reads all see the ledger as at the first of them, so a
        report's queries add up while cases are being written: REPEATABLE READ on
        PostgreSQL, one read transaction on SQLite (pysqlite begins none for a SELECT)."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            elif conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def upgrade(self) -> list[int]:
        """Bring a ledger of an older schema version up to this release's, in place, in one
        transaction; the versions it went through ([] when there was nothing to do). A
        newer ledger is refused, as on any other use."""
        self._refuse_missing()
        engine = self._connect()
        try:
            done = upgrade(engine)
        finally:
            engine.dispose()
        _ = self.engine
        return done

    # -- writing ------------------------------------------------------------------------

    def record(self, entry: LedgerEntry) -> None:
        with self.engine.begin() as conn:
            upsert_case(conn, _case_row(entry.case))
            insert_new(conn, sla_events, [_names(e) for e in entry.sla_events])
            insert_new(conn, notifications, [_names(n) for n in entry.notifications])
            insert_new(conn, feedback, [_names(f) for f in entry.feedback])

    def record_feedback(self, record: FeedbackRecord) -> FeedbackRecord:
        """One rating given outside a workflow (the case is Resolved), written once by its
        key; what the ledger holds under that key, the first one written if it was there."""
        f = feedback.c
        with self.engine.begin() as conn:
            insert_new(conn, feedback, [_names(record)])
            query = sa.select(feedback).where(f.reference == record.reference, f.key == record.key)
            return _feedback_from(conn.execute(query).mappings().one())

    # -- reading ------------------------------------------------------------------------

    def case(self, reference: str) -> CaseRow | None:
        query = sa.select(case_outcomes).where(case_outcomes.c.reference == reference)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _case_from(row)

    def feedback_on(self, reference: str) -> list[FeedbackRecord]:
        """A case's ratings, in the order they were given."""
        f = feedback.c
        query = sa.select(feedback).where(f.reference == reference).order_by(f.given_at, f.key)
        with self.engine.connect() as conn:
            return [_feedback_from(r) for r in conn.execute(query).mappings()]

    def notifications_on(self, reference: str) -> list[NotificationRecord]:
        """A case's notifications the webhook took or refused, in the order it answered."""
        n = notifications.c
        query = sa.select(notifications).where(n.reference == reference)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(n.delivered_at, n.key)).mappings().all()
        return [
            NotificationRecord.model_validate(
                {**r, "priority": Priority[r["priority"]] if r["priority"] else None}
            )
            for r in rows
        ]

    def cases(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        integrator: str | None = None,
        open_only: bool = False,
    ) -> list[CaseRow]:
        """Cases logged in [start, end), or whose first response fell due then; with
        `open_only`, every case still open whenever it was logged."""
        c = case_outcomes.c
        where: sa.ColumnElement[bool]
        if open_only:
            where = c.state.not_in(sorted(CASE_CLOSED))
        else:
            where = sa.or_(
                sa.and_(c.logged_at >= start, c.logged_at < end),
                sa.and_(c.response_due >= start, c.response_due < end),
            )
        query = sa.select(case_outcomes).where(where).order_by(c.logged_at, c.reference)
        if integrator:
            query = query.where(c.integrator_id == integrator)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_case_from(r) for r in rows]

    def sla_events(
        self, start: dt.datetime, end: dt.datetime, *, integrator: str | None = None
    ) -> list[SlaEventRecord]:
        e, c = sla_events.c, case_outcomes.c
        query = (
            sa.select(sla_events)
            .join(case_outcomes, c.reference == e.reference)
            .where(e.taken_at >= start, e.taken_at < end)
            .order_by(e.taken_at, e.reference)
        )
        if integrator:
            query = query.where(c.integrator_id == integrator)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            SlaEventRecord.model_validate({**r, "priority": Priority[r["priority"]]}) for r in rows
        ]

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(metadata.tables[table])
                ).scalar_one()
            )

    # -- set-up -------------------------------------------------------------------------

    def _sqlite_path(self) -> Path | None:
        database = self.url.database
        if self.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
            return None
        return Path(database)

    def _connect(self) -> sa.Engine:
        path = self._sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Writers in several threads (or workers) wait for each other's lock.
            engine = sa.create_engine(self.url, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _write_ahead)
            return engine
        return sa.create_engine(self.url, pool_pre_ping=True)

    def _prepare(self, engine: sa.Engine) -> None:
        prepare(engine, self.url.render_as_string(hide_password=True))


def _write_ahead(connection: Any, _record: Any) -> None:
    """SQLite in WAL mode: a report reads while cases write, and commits are cheap."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _names(model: BaseModel) -> dict[str, Any]:
    """Model fields to columns: priorities are stored by name ("P1"), readable in SQL."""
    out = model.model_dump(mode="python")
    if isinstance(out.get("priority"), Priority):
        out["priority"] = out["priority"].name
    return out


def _case_row(case: CaseRow) -> dict[str, Any]:
    row = _names(case)
    for name in ("response", "resolution", "paused"):
        row[f"{name}_working_seconds"] = row.pop(f"{name}_working_time")
    return row


def _case_from(row: Mapping[Any, Any]) -> CaseRow:
    data = dict(row)
    for name in ("response", "resolution", "paused"):
        data[f"{name}_working_time"] = data.pop(f"{name}_working_seconds")
    data["priority"] = Priority[data["priority"]]
    return CaseRow.model_validate(data)


def _feedback_from(row: Mapping[Any, Any]) -> FeedbackRecord:
    return FeedbackRecord.model_validate({**row, "priority": Priority[row["priority"]]})


class LedgerActivities:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn
    async def record_case(self, entry: LedgerEntry) -> None:
        # SQLAlchemy blocks: keep it off the worker's event loop.
        try:
            await asyncio.to_thread(self._ledger.record, entry)
        except LedgerSchemaMismatch as err:
            # Retried like an outage: migrating the database lets the case carry on.
            raise ApplicationError(str(err), type="LedgerSchemaMismatch") from None
