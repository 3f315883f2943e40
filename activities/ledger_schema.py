"""The KPI ledger's tables (SQLAlchemy Core) and its idempotent writes, the same on SQLite
and PostgreSQL.

Natural keys make every write idempotent: a case by its reference, an SLA event by
(reference, timer key), a notification by its idempotency key, feedback by (reference,
the request id that gave it). Instants are stored in
UTC, working times in seconds (a double holds microseconds exactly at these sizes), so
a person querying the tables reads them without our code.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

# Bump on any change to the tables below; a database written by another version is
# refused with a clear message rather than read wrongly (an older one names the upgrade).
# 2: the KPI report's indexes (DESIGN §16), in place of version 1's single-column ones.
# 3: the feedback table (DESIGN §12).
# 4: the notifications' outcome: delivered, or refused for good by the webhook.
# 5: the HTTP gateway's API keys (DESIGN §14).
SCHEMA_VERSION = 5


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out (SQLite keeps no offset: store UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"the ledger stores aware datetimes only, got {value!r}")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        moment: dt.datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)


class Seconds(sa.TypeDecorator[dt.timedelta]):
    """A working time, as seconds."""

    impl = sa.Double()
    cache_ok = True

    def process_bind_param(self, value: dt.timedelta | None, dialect: Dialect) -> Any:
        return None if value is None else value.total_seconds()

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.timedelta | None:
        return None if value is None else dt.timedelta(seconds=float(value))


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
)

case_outcomes = sa.Table(
    "case_outcomes",
    metadata,
    sa.Column("reference", sa.String(40), primary_key=True),
    sa.Column("case_type", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(2), nullable=False),
    sa.Column("integrator_id", sa.String(100), nullable=False),
    sa.Column("school_urn", sa.String(6), nullable=False),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("logged_at", UtcDateTime, nullable=False),
    sa.Column("response_due", UtcDateTime, nullable=False),
    sa.Column("first_response_at", UtcDateTime),
    sa.Column("response_working_seconds", Seconds),
    sa.Column("resolution_working_seconds", Seconds),
    sa.Column("paused_working_seconds", Seconds, nullable=False),
    sa.Column("paused_since", UtcDateTime),
    sa.Column("breaches", sa.Integer, nullable=False),
    sa.Column("reopen_count", sa.Integer, nullable=False),
    sa.Column("closed_at", UtcDateTime),
    sa.Column("revision", sa.Integer, nullable=False),
    # The KPI report's (DESIGN §16): each query reads its columns from one index alone, and
    # the columns it groups by come first, so it counts along the index without sorting.
    sa.Index(
        "ix_case_outcomes_period", "priority", "state", "logged_at", "resolution_working_seconds"
    ),
    sa.Index(
        "ix_case_outcomes_response", "priority", "response_due", "first_response_at", "closed_at"
    ),
)

sla_events = sa.Table(
    "sla_events",
    metadata,
    sa.Column("reference", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(2), nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("taken_at", UtcDateTime, nullable=False),
    # Counts by kind and priority in a period, and the cases behind the breaches.
    sa.Index("ix_sla_events_period", "kind", "priority", "taken_at", "reference"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("reference", sa.String(40), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("recipient", sa.String(40), nullable=False),
    sa.Column("priority", sa.String(2)),
    sa.Column("at", UtcDateTime, nullable=False),
    # When the webhook answered for good: took it, or (outcome "refused") refused it.
    sa.Column("delivered_at", UtcDateTime, nullable=False),
    # The default fills the rows of a ledger upgraded from version 3: all were delivered.
    sa.Column("outcome", sa.String(10), nullable=False, server_default="delivered"),
)

# Ratings of the service; no comment (the ledger holds no personal data), the rater by id.
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("reference", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("case_type", sa.String(20), nullable=False),
    sa.Column("priority", sa.String(2), nullable=False),
    sa.Column("integrator_id", sa.String(100), nullable=False),
    sa.Column("school_urn", sa.String(6), nullable=False),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("escalate", sa.String(30), nullable=False),
    sa.Column("by_role", sa.String(20), nullable=False),
    sa.Column("by_id", sa.String(64), nullable=False),
    sa.Column("given_at", UtcDateTime, nullable=False),
    sa.Column("after_resolution", sa.Boolean, nullable=False),
    # The report's count and mean rating per priority in a period, one integrator's too.
    sa.Index("ix_feedback_period", "priority", "given_at", "integrator_id", "rating"),
)

# The HTTP gateway's API keys (DESIGN §14): each is an actor. Only the token's SHA-256 is
# kept, so a copy of the database lets no one call the gateway; `key_id` is the public
# part of the token, what `sims-case keys list` shows and `keys revoke` takes.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(100)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)


# -- idempotent writes: SQLite and PostgreSQL natively, other databases step by step --


def upsert_case(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """Insert or replace a case's row, unless the stored one has a newer revision."""
    table = case_outcomes
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        conn.execute(_upsert(dialect, tuple(row)), dict(row))
        return
    found = conn.execute(
        sa.select(table.c.revision).where(table.c.reference == row["reference"])
    ).scalar()
    if found is None:
        conn.execute(table.insert().values(row))
    elif found <= row["revision"]:
        conn.execute(table.update().where(table.c.reference == row["reference"]).values(row))


@functools.cache
def _upsert(dialect: str, columns: tuple[str, ...]) -> sa.Executable:
    """Built once per dialect and column set: building it per write cost more than the
    write (its `excluded` alias re-creates every column)."""
    table = case_outcomes
    insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c.reference],
        set_={k: insert.excluded[k] for k in columns if k != "reference"},
        # An older write arriving late (a timed-out attempt) never wins.
        where=table.c.revision <= insert.excluded.revision,
    )


def insert_new(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows whose primary key is not there yet; the others are left alone."""
    if not rows:
        return
    keys = list(table.primary_key.columns)
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)
        conn.execute(insert.on_conflict_do_nothing(index_elements=keys), list(rows))
        return
    for row in rows:
        match = sa.and_(*(c == row[c.name] for c in keys))
        if conn.execute(sa.select(sa.literal(1)).where(match)).first() is None:
            conn.execute(table.insert().values(row))
