"""The KPI ledger's schema versions: a new database is given this release's, one of another
version is refused with a message saying what to do, and an older one is upgraded in
place by `Ledger.upgrade` (`sims-case report --upgrade-ledger`), one step a version.
"""

from __future__ import annotations

import sqlalchemy as sa

from activities.ledger_schema import (
    SCHEMA_VERSION,
    api_keys,
    case_outcomes,
    feedback,
    metadata,
    notifications,
    schema_version,
    sla_events,
)


class LedgerSchemaMismatch(RuntimeError):
    """The database was written by another version of the ledger."""


class LedgerSchemaOutdated(LedgerSchemaMismatch):
    """The database was written by an older version: `Ledger.upgrade` brings it up to date."""

    def __init__(self, where: str, found: int) -> None:
        adds = "; ".join(ADDS[v] for v in range(found + 1, SCHEMA_VERSION + 1) if v in ADDS)
        super().__init__(
            f"the KPI ledger at {where} has schema version {found}, older than this "
            f"release's {SCHEMA_VERSION} (which adds {adds}; no row changes): upgrade it in "
            "place with `sims-case report --upgrade-ledger --ledger URL` (writes wait while "
            "it runs), or point SIMS_LEDGER_URL at a new database"
        )
        self.found = found


def prepare(engine: sa.Engine, where: str) -> None:
    """Create the tables of a new ledger; refuse one of another version, untouched."""
    with engine.begin() as conn:
        found = _version(conn)
        if found is None:
            metadata.create_all(conn, checkfirst=True)
            conn.execute(schema_version.insert().values(id=1, version=SCHEMA_VERSION))
            return
    if found < SCHEMA_VERSION:
        raise LedgerSchemaOutdated(where, found)
    if found != SCHEMA_VERSION:
        raise LedgerSchemaMismatch(
            f"the KPI ledger at {where} has schema version {found}; this release reads "
            f"and writes version {SCHEMA_VERSION}: migrate it, or point SIMS_LEDGER_URL "
            "at a new database"
        )


def upgrade(engine: sa.Engine) -> list[int]:
    """Take an older ledger to SCHEMA_VERSION in one transaction; the versions it passed.
    Nothing for a new database (created as usual on first use) or a current or newer one."""
    with engine.begin() as conn:
        if not sa.inspect(conn).has_table(schema_version.name):
            return []
        # Two upgrades at once on PostgreSQL: the second waits, then finds it done.
        found = conn.execute(sa.select(schema_version.c.version).with_for_update()).scalar()
        if found is None or found >= SCHEMA_VERSION:
            return []
        done = []
        for version in range(found + 1, SCHEMA_VERSION + 1):
            UPGRADES[version](conn)
            conn.execute(sa.update(schema_version).values(version=version))
            done.append(version)
        return done


def _version(conn: sa.Connection) -> int | None:
    """The ledger's schema version; None for a database the ledger has not written yet."""
    if not sa.inspect(conn).has_table(schema_version.name):
        return None
    found: int | None = conn.execute(sa.select(schema_version.c.version)).scalar()
    return found


# Version 1's indexes, made by `index=True` on the columns version 2 indexes with more.
_VERSION_1_INDEXES = (
    "ix_case_outcomes_logged_at",
    "ix_case_outcomes_response_due",
    "ix_sla_events_taken_at",
)


def _to_version_2(conn: sa.Connection) -> None:
    for name in _VERSION_1_INDEXES:
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    for table in (case_outcomes, sla_events):
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            index.create(conn, checkfirst=True)


def _to_version_3(conn: sa.Connection) -> None:
    feedback.create(conn, checkfirst=True)  # with its index


def _to_version_4(conn: sa.Connection) -> None:
    column = notifications.c.outcome
    found = {c["name"] for c in sa.inspect(conn).get_columns(notifications.name)}
    if column.name in found:
        return
    # The same DDL on SQLite and PostgreSQL; the default fills the rows already there.
    kind = column.type.compile(conn.dialect)
    conn.execute(
        sa.text(
            f"ALTER TABLE {notifications.name} ADD COLUMN {column.name} {kind} "
            "NOT NULL DEFAULT 'delivered'"
        )
    )


def _to_version_5(conn: sa.Connection) -> None:
    api_keys.create(conn, checkfirst=True)  # with its unique hash


# Each step takes a database from the version before it to its own; what it adds, for
# the message that names the upgrade.
UPGRADES = {2: _to_version_2, 3: _to_version_3, 4: _to_version_4, 5: _to_version_5}
ADDS = {
    2: "the indexes the KPI report's queries need",
    3: "the feedback table",
    4: "the notifications' outcome column, delivered or refused",
    5: "the HTTP gateway's API keys table",
}
