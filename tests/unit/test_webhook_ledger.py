"""The KPI ledger keeps what the webhook answered for each notification (schema version
4): delivered, or refused for good; a version 3 ledger is refused naming the step that
adds the column, and the step keeps every row, as delivered. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from activities.ledger import Ledger, LedgerSchemaOutdated
from activities.ledger_schema import SCHEMA_VERSION, notifications, schema_version
from domain.kpi_ledger import LedgerEntry, NotificationOutcome, NotificationRecord
from domain.models import Priority
from domain.notifications import NotificationKind, notification
from tests.kpi_data import case
from tests.ledger_db import ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

AT = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def told(
    reference: str, kind: NotificationKind, outcome: NotificationOutcome
) -> NotificationRecord:
    sent = notification(kind, reference=reference, priority=Priority.P1, at=AT, message="call")
    return NotificationRecord.of(sent, AT + dt.timedelta(minutes=1), outcome)


def entry(reference: str, *outcomes: NotificationOutcome) -> LedgerEntry:
    kinds = [NotificationKind.CALL_TASK, NotificationKind.RESPONSE_BREACH]
    return LedgerEntry(
        case=case(reference, Priority.P1),
        notifications=[told(reference, k, o) for k, o in zip(kinds, outcomes, strict=False)],
    )


def as_version_3(url: str) -> None:
    """The ledger at `url` as schema version 3 left it: notifications without an outcome."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE notifications DROP COLUMN outcome"))
            conn.execute(sa.update(schema_version).values(version=3))
    finally:
        engine.dispose()


def outcomes(ledger: Ledger, reference: str) -> list[tuple[str, str]]:
    return [(n.kind, n.outcome.value) for n in ledger.notifications_on(reference)]


def test_a_refused_notification_is_kept_as_refused_beside_the_delivered_ones(
    ledger_url: str,
) -> None:
    ledger = Ledger(ledger_url)

    ledger.record(entry("INC-1", NotificationOutcome.REFUSED, NotificationOutcome.DELIVERED))
    ledger.record(entry("INC-1", NotificationOutcome.REFUSED))  # a retried write: a no-op

    assert outcomes(ledger, "INC-1") == [("call_task", "refused"), ("response_breach", "delivered")]
    [first, _] = ledger.notifications_on("INC-1")
    assert first == told("INC-1", NotificationKind.CALL_TASK, NotificationOutcome.REFUSED)
    assert ledger.count("notifications") == 2
    ledger.dispose()


def test_a_version_3_ledger_is_refused_naming_the_outcome_column(ledger_url: str) -> None:
    Ledger(ledger_url).record(entry("INC-1", NotificationOutcome.DELIVERED))
    as_version_3(ledger_url)

    with pytest.raises(LedgerSchemaOutdated) as refused:
        Ledger(ledger_url).record(entry("INC-2", NotificationOutcome.REFUSED))

    assert refused.value.found == 3
    assert f"older than this release's {SCHEMA_VERSION}" in str(refused.value)
    assert "the notifications' outcome column, delivered or refused" in str(refused.value)


def test_the_upgrade_from_version_3_keeps_every_notification_as_delivered(
    ledger_url: str,
) -> None:
    Ledger(ledger_url).record(
        entry("INC-1", NotificationOutcome.DELIVERED, NotificationOutcome.DELIVERED)
    )
    as_version_3(ledger_url)

    done = Ledger(ledger_url).upgrade()
    again = Ledger(ledger_url).upgrade()
    ledger = Ledger(ledger_url)
    ledger.record(entry("INC-2", NotificationOutcome.REFUSED))

    assert (done, again) == ([4, 5], [])
    assert outcomes(ledger, "INC-1") == [
        ("call_task", "delivered"),
        ("response_breach", "delivered"),
    ]
    assert outcomes(ledger, "INC-2") == [("call_task", "refused")]
    columns = {c["name"]: c for c in sa.inspect(ledger.engine).get_columns(notifications.name)}
    assert columns["outcome"]["nullable"] is False
    ledger.dispose()
