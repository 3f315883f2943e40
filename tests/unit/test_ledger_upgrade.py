"""The ledger's schema versions 2 (the KPI report's indexes, DESIGN §16), 3 (the
feedback table, DESIGN §12) and 5 (the gateway's API keys, DESIGN §14): an older ledger
is refused, untouched, with the step that upgrades it, the step upgrades it in place and
keeps every row, and a report's reads see one moment of the ledger; on SQLite and on
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from activities.ledger import Ledger, LedgerSchemaMismatch, LedgerSchemaOutdated
from activities.ledger_schema import (
    SCHEMA_VERSION,
    api_keys,
    case_outcomes,
    feedback,
    schema_version,
)
from domain.kpi_ledger import LedgerEntry
from domain.models import Priority
from tests.kpi_data import CASES, WEEK, case
from tests.kpi_ledgers import seeded_entries, write
from tests.ledger_db import as_version_1, ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

INDEXES = {
    "case_outcomes": {"ix_case_outcomes_period", "ix_case_outcomes_response"},
    "sla_events": {"ix_sla_events_period"},
    "feedback": {"ix_feedback_period"},
}
TABLES = ("case_outcomes", "sla_events", "notifications", "feedback")
KEY = {
    "key_id": "0a1b2c3d",
    "token_sha256": "0" * 64,
    "role": "desk",
    "actor_id": "PST-017",
    "name": None,
    "created_at": dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC),
    "revoked_at": None,
}


def indexes(url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(url)
    try:
        found = sa.inspect(engine)
        return {t: {str(i["name"]) for i in found.get_indexes(t)} for t in INDEXES}
    finally:
        engine.dispose()


def has_table(url: str, table: sa.Table) -> bool:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).has_table(table.name)
    finally:
        engine.dispose()


def as_version_4(url: str) -> None:
    """The ledger at `url` as schema version 4 left it: no API keys table."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            api_keys.drop(conn)
            conn.execute(sa.update(schema_version).values(version=4))
    finally:
        engine.dispose()


def as_version_2(url: str) -> None:
    """The ledger at `url` as schema version 2 left it: no feedback table (nor API keys;
    version 2's notifications had no outcome, which no test here reads)."""
    as_version_4(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            feedback.drop(conn)
            conn.execute(sa.update(schema_version).values(version=2))
    finally:
        engine.dispose()


def as_version_1_exactly(url: str) -> None:
    as_version_2(url)
    as_version_1(url)


def rows(url: str) -> list[int]:
    ledger = Ledger(url)
    try:
        return [ledger.count(t) for t in TABLES]
    finally:
        ledger.dispose()


def test_a_new_ledger_has_the_reports_indexes_and_the_feedback_table(ledger_url: str) -> None:
    write(ledger_url, [])

    assert indexes(ledger_url) == INDEXES


def test_a_version_1_ledger_is_refused_with_the_step_that_upgrades_it(ledger_url: str) -> None:
    write(ledger_url, [LedgerEntry(case=c) for c in CASES])
    as_version_1_exactly(ledger_url)

    with pytest.raises(LedgerSchemaOutdated) as refused:
        Ledger(ledger_url).record(LedgerEntry(case=case("INC-NEW", Priority.P1)))

    assert isinstance(refused.value, LedgerSchemaMismatch)  # the worker retries it as before
    assert refused.value.found == 1
    assert "schema version 1, older than this release's 5" in str(refused.value)
    assert "the indexes the KPI report's queries need; the feedback table" in str(refused.value)
    assert "sims-case report --upgrade-ledger" in str(refused.value)


def test_a_version_2_ledger_is_refused_untouched_naming_the_feedback_table(
    ledger_url: str,
) -> None:
    write(ledger_url, [LedgerEntry(case=c) for c in CASES])
    as_version_2(ledger_url)

    with pytest.raises(LedgerSchemaOutdated) as refused:
        Ledger(ledger_url).record(LedgerEntry(case=case("INC-NEW", Priority.P1)))

    assert refused.value.found == 2
    assert "older than this release's 5 (which adds the feedback table;" in str(refused.value)
    assert not has_table(ledger_url, feedback)


def test_the_upgrade_from_version_2_adds_the_feedback_table_and_keeps_every_row(
    ledger_url: str,
) -> None:
    entries = seeded_entries()
    write(ledger_url, [e.model_copy(update={"feedback": []}) for e in entries])
    kept = rows(ledger_url)[:3]
    as_version_2(ledger_url)

    done = Ledger(ledger_url).upgrade()
    write(ledger_url, entries)  # the feedback, written as the workflows write it

    assert done == [3, 4, 5]
    assert indexes(ledger_url) == INDEXES
    assert rows(ledger_url) == [*kept, sum(len(e.feedback) for e in entries)]
    assert kept[0] == len(entries) and kept[1] > 0


def test_the_upgrade_builds_the_indexes_in_place_and_keeps_every_row(ledger_url: str) -> None:
    write(ledger_url, [LedgerEntry(case=c) for c in CASES])
    as_version_1_exactly(ledger_url)

    done = Ledger(ledger_url).upgrade()
    again = Ledger(ledger_url).upgrade()

    assert (done, again) == ([2, 3, 4, 5], [])
    assert indexes(ledger_url) == INDEXES
    ledger = Ledger(ledger_url)
    assert len(ledger.cases(WEEK.start, WEEK.end)) == len(CASES) - 1  # one is last week's
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.select(schema_version.c.version)).scalar() == SCHEMA_VERSION
    ledger.dispose()


def test_a_version_4_ledger_is_refused_naming_the_api_keys_table(ledger_url: str) -> None:
    write(ledger_url, [LedgerEntry(case=c) for c in CASES])
    as_version_4(ledger_url)

    with pytest.raises(LedgerSchemaOutdated) as refused:
        Ledger(ledger_url).record(LedgerEntry(case=case("INC-NEW", Priority.P1)))

    assert refused.value.found == 4
    assert "(which adds the HTTP gateway's API keys table;" in str(refused.value)
    assert not has_table(ledger_url, api_keys)


def test_the_upgrade_from_version_4_adds_the_api_keys_table_and_keeps_every_row(
    ledger_url: str,
) -> None:
    write(ledger_url, seeded_entries())
    kept = rows(ledger_url)
    as_version_4(ledger_url)

    done = Ledger(ledger_url).upgrade()
    ledger = Ledger(ledger_url)
    with ledger.engine.begin() as conn:
        conn.execute(api_keys.insert().values(KEY))
    ledger.dispose()

    assert done == [5]
    assert rows(ledger_url) == kept
    assert Ledger(ledger_url).count("api_keys") == 1


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
