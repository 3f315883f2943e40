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

from activities.ledger_schema import metadata

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
