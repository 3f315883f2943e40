"""Refused notifications reach the KPI ledger behind `workflow.patched` (a refusal that
comes with no other change would otherwise add a ledger write to a recorded run): a case
recorded before the change (its refusal never written) replays on today's code, and so
does one recorded today."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.ledger import Ledger
from sims_support.client.cases import case_status, handle_for
from sims_support.runtime.converter import data_converter
from tests.webhook import Receiver
from tests.workflows.test_webhook_delivery import Desk, call_task_rows, desk, receiver
from worker import SANDBOX, WORKFLOWS
from workflows import ledger_sync
from workflows.ledger_sync import REFUSALS_IN_LEDGER

__all__ = ["desk", "receiver"]  # the fixtures

real_patched = ledger_sync.workflow.patched


def as_before(patch_id: str) -> bool:
    """Cases run as before refusals reached the ledger: no marker, no write."""
    return False if patch_id == REFUSALS_IN_LEDGER else real_patched(patch_id)


async def refused_call_task(env: WorkflowEnvironment, desk: Desk, receiver: Receiver) -> str:
    """A P1 case whose call task the webhook refused, its next action then planned."""
    receiver.will_answer(400)
    intake = await desk.log_p1_incident()
    for _ in range(300):
        status = await case_status(env.client, intake.reference)
        if "notification_refused" in [e.kind.value for e in status.timeline]:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail(f"{intake.reference} recorded no refusal")
    await env.sleep(dt.timedelta(minutes=1))  # a workflow task or two past the refusal
    return intake.reference


async def history_of(env: WorkflowEnvironment, reference: str) -> WorkflowHistory:
    handle = handle_for(env.client, reference)
    await handle.terminate("recorded")
    return await handle.fetch_history()


def replayer() -> Replayer:
    return Replayer(
        workflows=list(WORKFLOWS), data_converter=data_converter(), workflow_runner=SANDBOX
    )


async def recorded_before_the_change(
    env: WorkflowEnvironment, desk: Desk, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, WorkflowHistory]:
    with monkeypatch.context() as before:
        before.setattr(ledger_sync.workflow, "patched", as_before)
        reference = await refused_call_task(env, desk, receiver)
        return reference, await history_of(env, reference)


async def test_a_case_recorded_before_refusals_reached_the_ledger_replays_on_todays_code(
    env: WorkflowEnvironment,
    desk: Desk,
    receiver: Receiver,
    ledger: Ledger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference, history = await recorded_before_the_change(env, desk, receiver, monkeypatch)

    await replayer().replay_workflow(history)

    assert call_task_rows(ledger, reference) == []  # as before the change


async def test_a_case_recorded_today_with_a_refusal_replays(
    env: WorkflowEnvironment, desk: Desk, receiver: Receiver, ledger: Ledger
) -> None:
    reference = await refused_call_task(env, desk, receiver)
    history = await history_of(env, reference)

    await replayer().replay_workflow(history)

    [row] = call_task_rows(ledger, reference)
    assert row.outcome == "refused"
