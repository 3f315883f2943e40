"""Keeps a case's rows in the KPI ledger in step with its event log.

Called from the case's timer loop once the outbox is delivered and the search attributes
published: when a figure in the case's row changed, or SLA events or notifications the
webhook answered (delivered or refused) wait to be written, one local activity writes
them all. Retries are unlimited: a ledger that is down holds the loop until it is back,
and nothing is lost. What was written is remembered in memory only; a replay rebuilds
it, and a continued run writes its row again, which the ledger takes as a no-op.

Workflow code (it calls `temporalio.workflow`): deterministic, checked like the workflows.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.ledger import LedgerActivities
    from domain.case_record import CaseRecord
    from domain.kpi_ledger import (
        CaseRow,
        LedgerEntry,
        NotificationOutcome,
        NotificationRecord,
        case_row,
        sla_events,
    )
    from domain.notifications import Notification

LEDGER_TIMEOUT = dt.timedelta(seconds=30)
LEDGER_RETRIES = RetryPolicy(maximum_interval=dt.timedelta(minutes=5))
LOCAL_RETRY_THRESHOLD = dt.timedelta(seconds=5)
# `workflow.patched` id: a run recorded before refusals reached the ledger wrote none, so
# replays it without the write a refusal now brings.
REFUSALS_IN_LEDGER = "ledger-records-refused-notifications"


class LedgerSync:
    def __init__(self) -> None:
        self._written: CaseRow | None = None
        self._written_keys: set[str] = set()
        self._written_feedback: set[str] = set()
        self._delivered: list[NotificationRecord] = []

    def delivered(
        self,
        notification: Notification,
        outcome: NotificationOutcome = NotificationOutcome.DELIVERED,
    ) -> None:
        """A notification the webhook answered for good: took, or refused."""
        if outcome is NotificationOutcome.REFUSED and not workflow.patched(REFUSALS_IN_LEDGER):
            return
        self._delivered.append(NotificationRecord.of(notification, workflow.now(), outcome))

    async def sync(self, case: CaseRecord) -> bool:
        """Writes what changed since the last write; False when nothing had.

        The write awaits an activity, and updates may land meanwhile: call again (after
        delivering the outbox) until it returns False, so nothing is left behind."""
        assert case.setup is not None and case.calendar is not None
        intake, events = case.intake, case.events
        record = case_row(intake, case.state, events, case.setup.policy, case.calendar)
        fresh = [e for e in sla_events(intake.reference, events) if e.key not in self._written_keys]
        rated = [f for f in case.feedback if f.key not in self._written_feedback]
        if record.same_figures(self._written) and not (fresh or rated or self._delivered):
            return False
        entry = LedgerEntry(
            case=record, sla_events=fresh, notifications=self._delivered, feedback=rated
        )
        # Local: a ledger write is quick and idempotent, and leaves a marker in history
        # instead of an activity's round trip.
        await workflow.execute_local_activity_method(
            LedgerActivities.record_case,
            entry,
            start_to_close_timeout=LEDGER_TIMEOUT,
            retry_policy=LEDGER_RETRIES,
            # Longer back-offs become durable timers: an outage survives a restart.
            local_retry_threshold=LOCAL_RETRY_THRESHOLD,
            summary=f"KPI ledger: case {intake.reference}, revision {record.revision}",
        )
        self._written = record
        self._written_keys.update(e.key for e in fresh)
        self._written_feedback.update(f.key for f in rated)
        self._delivered = []
        return True
