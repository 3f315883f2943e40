"""The KPI ledger on SQLite and on PostgreSQL: rows as written, idempotent, versioned."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from temporalio.testing import ActivityEnvironment

from activities.ledger import Ledger, LedgerActivities, LedgerSchemaMismatch
from activities.ledger_schema import SCHEMA_VERSION, schema_version
from domain.kpi_ledger import LedgerEntry, NotificationRecord, SlaEventKind, SlaEventRecord
from domain.models import Priority
from domain.sla import Action, Due
from tests.kpi_data import CASES, WEEK, case, mon
from tests.ledger_db import ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

LATE = mon(9, 20)


def breach(reference: str) -> SlaEventRecord:
    return SlaEventRecord(
        reference=reference,
        key=Due(LATE, Action.RESPONSE_BREACH).key,
        action=Action.RESPONSE_BREACH,
        kind=SlaEventKind.BREACH,
        priority=Priority.P1,
        due_at=LATE,
        taken_at=LATE,
    )


def told(reference: str) -> NotificationRecord:
    return NotificationRecord(
        key=f"case-{reference}:response_breach",
        reference=reference,
        kind="response_breach",
        recipient="support_desk",
        priority=Priority.P1,
        at=LATE,
        delivered_at=LATE + dt.timedelta(seconds=1),
    )


def milestone(reference: str = "INC-1", revision: int = 3) -> LedgerEntry:
    return LedgerEntry(
        case=case(reference, Priority.P1, revision=revision),
        sla_events=[breach(reference)],
        notifications=[told(reference)],
    )


@pytest.fixture
def ledger(ledger_url: str) -> Ledger:
    return Ledger(ledger_url)


def test_a_case_row_reads_back_exactly_as_it_was_written(ledger: Ledger) -> None:
    precise = case(
        "INC-PRECISE",
        Priority.P2,
        resolved=dt.timedelta(hours=3, microseconds=7),
        paused_working_time=dt.timedelta(minutes=7, microseconds=1),
        logged_at=mon(9) + dt.timedelta(microseconds=123),
    )
    ledger.record(LedgerEntry(case=precise))

    (found,) = ledger.cases(WEEK.start, WEEK.end)

    assert found == precise
    assert found.logged_at.tzinfo is not None


async def test_the_same_milestone_activity_run_twice_leaves_one_row_of_each(
    ledger: Ledger,
) -> None:
    record_case = LedgerActivities(ledger).record_case
    entry = milestone()

    await ActivityEnvironment().run(record_case, entry)
    await ActivityEnvironment().run(record_case, entry)

    assert [ledger.count(t) for t in ("case_outcomes", "sla_events", "notifications")] == [1, 1, 1]


def test_a_late_write_of_an_older_revision_never_replaces_a_newer_one(ledger: Ledger) -> None:
    ledger.record(milestone(revision=5))
    ledger.record(LedgerEntry(case=case("INC-1", Priority.P1, revision=4, state="logged")))

    (found,) = ledger.cases(WEEK.start, WEEK.end)

    assert (found.revision, found.state) == (5, "investigating")


def test_a_newer_revision_replaces_the_row(ledger: Ledger) -> None:
    ledger.record(milestone(revision=3))
    ledger.record(LedgerEntry(case=case("INC-1", Priority.P1, resolved=dt.timedelta(hours=2))))

    (found,) = ledger.cases(WEEK.start, WEEK.end)

    assert (found.state, found.resolution_working_time) == ("resolved", dt.timedelta(hours=2))


def test_a_ledger_of_another_schema_version_is_refused_with_a_clear_message(
    ledger: Ledger, ledger_url: str
) -> None:
    ledger.record(milestone())
    with ledger.engine.begin() as conn:
        conn.execute(sa.update(schema_version).values(version=SCHEMA_VERSION + 1))
    ledger.dispose()

    with pytest.raises(LedgerSchemaMismatch) as refused:
        Ledger(ledger_url).record(milestone())

    assert f"schema version {SCHEMA_VERSION + 1}" in str(refused.value)
    assert "SIMS_LEDGER_URL" in str(refused.value)


def test_reports_read_the_period_and_one_integrators_cases(ledger: Ledger) -> None:
    for found in CASES:
        ledger.record(LedgerEntry(case=found, sla_events=[breach(found.reference)]))
    other = case("OTHER-INTEGRATOR", Priority.P1, integrator_id="INT-2")
    ledger.record(LedgerEntry(case=other, sla_events=[breach(other.reference)]))

    mine = ledger.cases(WEEK.start, WEEK.end, integrator="INT-1")
    open_ones = ledger.cases(WEEK.start, WEEK.end, integrator="INT-1", open_only=True)
    events = ledger.sla_events(WEEK.start, WEEK.end, integrator="INT-2")

    in_week = [c.reference for c in CASES if WEEK.holds(c.logged_at)]
    assert sorted(c.reference for c in mine) == sorted(in_week)
    assert {c.reference for c in open_ones} == {
        "P1-OPEN-5H",
        "P1-PAUSED-1H",
        "P2-OFFERED-6H",
        "P3-OPEN-4H",
    }
    assert [e.reference for e in events] == ["OTHER-INTEGRATOR"]
