"""Every timer and activity a case or a change request starts carries a summary, so the
Web UI's timeline reads in the charter's words instead of "timer 1 (11h 1m)" (DESIGN §15).
Read from the raw history: the summaries are the commands' user metadata."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import Acknowledge, Withdraw
from sims_support.client import cases, change_requests
from tests.conftest import move_clock_to, quiet_weekday_at
from tests.factories import DESK, p1_incident
from tests.workflows.cr_helpers import raise_cr
from tests.workflows.helpers import MONDAY, request_id, send

pytestmark = pytest.mark.usefixtures("worker")
SUMMARISED = {
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
}


def summary(event: HistoryEvent) -> str | None:
    payload = event.user_metadata.summary
    return json.loads(payload.data) if payload.data else None


def summaries(events: list[HistoryEvent]) -> list[tuple[str, str | None]]:
    return [
        (EventType.Name(e.event_type), summary(e)) for e in events if e.event_type in SUMMARISED
    ]


async def test_a_p1_incidents_timers_and_activities_say_what_they_are(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = p1_incident(logged_at=monday)
    await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await move_clock_to(env, monday + dt.timedelta(minutes=16))  # past the warning
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    await send(client, case.reference, "withdraw", Withdraw(request_id=request_id(), reason="x"))
    await cases.handle_for(client, case.reference).result()
    history = await cases.handle_for(client, case.reference).fetch_history()
    found = summaries(list(history.events))
    markers = [
        summary(e) for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]

    timers = [text for kind, text in found if kind == "EVENT_TYPE_TIMER_STARTED"]
    assert timers and all(text for text in timers), found
    assert any(t.startswith("response warning ") for t in timers), timers
    notices = [text or "" for kind, text in found if kind == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"]
    assert any(n.startswith("notify support desk: call task (case-") for n in notices), notices
    assert any(n.startswith("notify support desk: response warning") for n in notices), notices
    # Local activities are markers: the setup and the KPI ledger's writes.
    assert "load the support policy and the working calendar" in markers
    assert any((m or "").startswith(f"KPI ledger: case {case.reference}") for m in markers)
    # No personal data in a summary (they are shown in clear where no codec is set).
    for text in [*timers, *notices]:
        assert case.reporter.name not in text and case.summary not in text


async def test_a_change_requests_reminder_timer_says_which_reminder(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    handle = change_requests.handle_for(client, cr.reference)

    async def timer_summaries() -> list[str | None]:
        history = await handle.fetch_history()
        return [t for k, t in summaries(list(history.events)) if k == "EVENT_TYPE_TIMER_STARTED"]

    found: list[str | None] = []

    async def poll() -> bool:
        found[:] = await timer_summaries()
        return bool(found)

    for _ in range(100):
        if await poll():
            break
        await env.sleep(dt.timedelta(seconds=1))
    assert found and all(f and "quarterly review" in f for f in found), found
