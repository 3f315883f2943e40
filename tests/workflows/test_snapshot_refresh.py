"""A continued run whose calendar snapshot is running out asks for a fresh one first (a
local activity); an update that lands meanwhile is answered on the snapshot it carried,
never a workflow task failure (it had no calendar until the fresh one came)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.ledger import Ledger, LedgerActivities
from activities.setup import SetupActivities
from domain.models import Acknowledge, CaseEvent, EventKind, Withdraw
from domain.policy import SupportPolicy
from domain.workflow_inputs import CaseInput, CaseSetup, SetupRequest
from sims_support.client import cases
from tests.conftest import CALENDAR, Outbox
from tests.factories import DESK, intake
from tests.workflows.helpers import request_id, send
from worker import create_worker
from workflows.contract import CASE_WORKFLOW


class HeldSetup:
    """The worker's setup activity, held until the test lets it answer (a local activity:
    while it runs, the workflow task heartbeats, and an update reaches the workflow)."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()
        self.real = SetupActivities(SupportPolicy(), CALENDAR)

    @activity.defn(name="load_case_setup")
    async def load_case_setup(self, request: SetupRequest) -> CaseSetup:
        self.asked.set()
        await self.answer.wait()
        return await self.real.load_case_setup(request)


async def reached(client: Client, reference: str, seconds: float = 15.0) -> None:
    """Until the history shows the update accepted or a workflow task failed (bounded)."""
    kinds = {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    }
    for _ in range(int(seconds / 0.2)):
        history = await cases.handle_for(client, reference).fetch_history()
        if any(e.event_type in kinds for e in history.events):
            return
        await asyncio.sleep(0.2)


async def test_an_update_while_a_running_out_snapshot_is_renewed_is_answered(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, ledger: Ledger
) -> None:
    now = await env.get_current_time()
    case = intake(logged_at=now)
    # Carried as a continued run carries it: logged, with a snapshot ending in 30 days.
    short = CALENDAR.snapshot(now.date() - dt.timedelta(days=7), now.date() + dt.timedelta(days=30))
    carried = CaseInput(
        intake=case,
        opened_by=DESK,
        setup=CaseSetup(policy=SupportPolicy(), calendar=short),
        events=[CaseEvent(kind=EventKind.LOGGED, at=now, priority=case.priority, actor=DESK)],
    )
    held = HeldSetup()
    queue = f"refresh-{uuid.uuid4()}"
    activities = [outbox.notify, held.load_case_setup, LedgerActivities(ledger).record_case]
    async with create_worker(client, queue, activities=activities):
        await client.start_workflow(
            CASE_WORKFLOW,
            carried,
            id=cases.workflow_id(case.reference),
            task_queue=queue,
            task_timeout=dt.timedelta(seconds=2),  # the held task heartbeats every 1.6 s
        )
        await asyncio.wait_for(held.asked.wait(), 10)
        ack = Acknowledge(request_id=request_id())
        sending = asyncio.create_task(send(client, case.reference, "acknowledge", ack))
        try:
            # The held task's heartbeat brings the update to the workflow: its answer (or,
            # as before the fix, the task's failure) is in the history.
            await reached(client, case.reference)
        finally:
            held.answer.set()
        acknowledged = await asyncio.wait_for(sending, 20)
        await send(client, case.reference, "withdraw", Withdraw(request_id="w", reason="over"))
        await cases.handle_for(client, case.reference).result()

    assert acknowledged.state == "investigating"
    history = await cases.handle_for(client, case.reference).fetch_history()
    failed = EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    assert not [e for e in history.events if e.event_type == failed]
