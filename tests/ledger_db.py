"""The databases the ledger tests run on: a SQLite file, and PostgreSQL when
SIMS_TEST_POSTGRES_URL names one (`.ci/run` starts it with `.ci/postgres.sh`).

Usage in a test module: `from tests.ledger_db import ledger_url` makes the fixture
available, and every test that takes it runs once per database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from activities.ledger_schema import case_outcomes, metadata, schema_version, sla_events

POSTGRES_URL = os.environ.get("SIMS_TEST_POSTGRES_URL")


def _empty(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database; each test starts from nothing."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    if not POSTGRES_URL:
        message = (
            "SIMS_TEST_POSTGRES_URL is not set: start a server with "
            "`export SIMS_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)` to run this on PostgreSQL"
        )
        if os.environ.get("CI"):
            pytest.fail(message)  # CI starts one: a missing URL there is a broken set-up
        pytest.skip(message)
    _empty(POSTGRES_URL)
    yield POSTGRES_URL
    _empty(POSTGRES_URL)


def as_version_1(url: str) -> None:
    """The ledger at `url` made as schema version 1 left it: the same tables, with
    version 1's single-column indexes instead of version 2's."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for index in (*case_outcomes.indexes, *sla_events.indexes):
                index.drop(conn)
            # As text: an `sa.Index` would join the tables' metadata for good.
            for table, column in [
                ("case_outcomes", "logged_at"),
                ("case_outcomes", "response_due"),
                ("sla_events", "taken_at"),
            ]:
                conn.execute(sa.text(f"CREATE INDEX ix_{table}_{column} ON {table} ({column})"))
            conn.execute(sa.update(schema_version).values(version=1))
    finally:
        engine.dispose()
