"""The ledger's schema version 2 (the KPI report's indexes, DESIGN §16): a version 1
ledger is refused with the step that upgrades it, the step upgrades it in place, and a
report's reads see one moment of the ledger; on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from activities.ledger import Ledger, LedgerSchemaMismatch, LedgerSchemaOutdated
from activities.ledger_schema import SCHEMA_VERSION, case_outcomes, schema_version
from domain.kpi_ledger import LedgerEntry
from domain.models import Priority
from tests.kpi_data import CASES, WEEK, case
from tests.kpi_ledgers import write
from tests.ledger_db import as_version_1, ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

VERSION_2_INDEXES = {
    "case_outcomes": {"ix_case_outcomes_period", "ix_case_outcomes_response"},
    "sla_events": {"ix_sla_events_period"},
}


def indexes(url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(url)
    try:
        found = sa.inspect(engine)
        return {t: {str(i["name"]) for i in found.get_indexes(t)} for t in VERSION_2_INDEXES}
    finally:
        engine.dispose()


def test_a_new_ledger_has_the_reports_indexes(ledger_url: str) -> None:
    write(ledger_url, [])

    assert indexes(ledger_url) == VERSION_2_INDEXES


def test_a_version_1_ledger_is_refused_with_the_step_that_upgrades_it(ledger_url: str) -> None:
    write(ledger_url, [LedgerEntry(case=c) for c in CASES])
    as_version_1(ledger_url)

    with pytest.raises(LedgerSchemaOutdated) as refused:
        Ledger(ledger_url).record(LedgerEntry(case=case("INC-NEW", Priority.P1)))

    assert isinstance(refused.value, LedgerSchemaMismatch)  # the worker retries it as before
    assert refused.value.found == 1
    assert "schema version 1, older than this release's 2" in str(refused.value)
    assert "sims-case report --upgrade-ledger" in str(refused.value)


def test_the_upgrade_builds_the_indexes_in_place_and_keeps_every_row(ledger_url: str) -> None:
    write(ledger_url, [LedgerEntry(case=c) for c in CASES])
    as_version_1(ledger_url)

    done = Ledger(ledger_url).upgrade()
    again = Ledger(ledger_url).upgrade()

    assert (done, again) == ([2], [])
    assert indexes(ledger_url) == VERSION_2_INDEXES
    ledger = Ledger(ledger_url)
    assert len(ledger.cases(WEEK.start, WEEK.end)) == len(CASES) - 1  # one is last week's
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.select(schema_version.c.version)).scalar() == SCHEMA_VERSION
    ledger.dispose()


def test_the_upgrade_leaves_a_newer_ledger_alone_and_refuses_it(ledger_url: str) -> None:
    write(ledger_url, [])
    engine = sa.create_engine(ledger_url)
    with engine.begin() as conn:
        conn.execute(sa.update(schema_version).values(version=SCHEMA_VERSION + 1))
    engine.dispose()

    with pytest.raises(LedgerSchemaMismatch) as refused:
        Ledger(ledger_url).upgrade()

    assert not isinstance(refused.value, LedgerSchemaOutdated)


def test_a_reports_reads_see_the_ledger_as_it_was_at_the_first(ledger_url: str) -> None:
    write(ledger_url, [LedgerEntry(case=case("INC-1", Priority.P1))])
    reader, writer = Ledger(ledger_url), Ledger(ledger_url)
    count = sa.select(sa.func.count()).select_from(case_outcomes)

    with reader.snapshot() as conn:
        before = conn.execute(count).scalar()
        writer.record(LedgerEntry(case=case("INC-2", Priority.P1)))
        during = conn.execute(count).scalar()
    after = reader.count("case_outcomes")
    reader.dispose()
    writer.dispose()

    assert (before, during, after) == (1, 1, 2)
