"""Workflow plumbing any long-lived workflow here needs: deliver an outbox of
notifications, sleep until the next action or a change, publish search attributes only
when they change, and know when to continue as new.

Workflow code (it calls `temporalio.workflow`): deterministic, no business rules.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError

from workflows import metrics

with workflow.unsafe.imports_passed_through():
    from activities.notify import Notifier
    from domain.kpi_ledger import NotificationOutcome
    from domain.notifications import Notification

NOTIFY_TIMEOUT = dt.timedelta(seconds=30)


async def deliver(
    outbox: list[Notification],
    refused: Callable[[str], None],
    delivered: Callable[[Notification, NotificationOutcome], None] = lambda *_: None,
) -> None:
    """Send each notification in order, removing it once the webhook took it or refused
    it for good (which `refused` records: retries are otherwise unlimited, a webhook that
    is down or misconfigured holds the outbox until it is put right). `delivered` hears
    of either, with its outcome, for the KPI ledger."""
    while outbox:
        message = outbox[0]
        try:
            await workflow.execute_activity_method(
                Notifier.notify,
                message,
                start_to_close_timeout=NOTIFY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_interval=dt.timedelta(minutes=5)),
                summary=notice_summary(message),
            )
        except ActivityError as err:
            refused(f"{message.key}: {err.cause}")
            outcome = NotificationOutcome.REFUSED
        else:
            outcome = NotificationOutcome.DELIVERED
        delivered(message, outcome)
        metrics.notification(message.kind.value, outcome.value)
        outbox.pop(0)


async def sleep_until(
    due: dt.datetime | None, woken: Callable[[], bool], summary: str | None = None
) -> None:
    """Until `due` (forever if None), or until `woken()` turns true; `summary` names the
    timer in the Web UI (which deadline it is)."""
    timeout = (due - workflow.now()) if due else None
    if timeout is not None and timeout <= dt.timedelta(0):
        return  # fell due while the outbox was being delivered: take it now
    with contextlib.suppress(TimeoutError):
        await workflow.wait_condition(woken, timeout=timeout, timeout_summary=summary)


def notice_summary(message: Notification) -> str:
    """What a notify activity sends, as the Web UI lists it: kind, recipient and key (no
    text: the message may hold personal data)."""
    kind = message.kind.value.replace("_", " ")
    return f"notify {message.recipient.value.replace('_', ' ')}: {kind} ({message.key})"


def publish(attributes: list[SearchAttributeUpdate[Any]], details: str) -> None:
    """Upsert the attributes whose value differs from the run's current one (the SDK keeps
    those, from the start and every upsert since; a continued run starts with its
    predecessor's)."""
    current = workflow.info().typed_search_attributes
    changed = [a for a in attributes if current.get(a.key) != a.value]
    if changed:
        workflow.upsert_search_attributes(changed)
    workflow.set_current_details(details)


def continue_as_new_due(history_threshold: int | None) -> bool:
    info = workflow.info()
    return info.is_continue_as_new_suggested() or (
        history_threshold is not None and info.get_current_history_length() >= history_threshold
    )
