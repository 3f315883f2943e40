"""A caller that gives up on an update (asyncio.wait_for) gets asyncio's TimeoutError, not
the SDK's own error: every failure of the client is a `ClientError`, or the caller's own
cancellation (found by the failover test: the SDK's error escaped `cases.send`)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import PostUpdate
from domain.workflow_inputs import CaseInput
from sims_support.client import cases
from tests.factories import DESK, intake


async def test_an_update_given_up_on_is_a_timeout_error_and_can_be_retried(
    env: WorkflowEnvironment, client: Client
) -> None:
    case = intake(logged_at=await env.get_current_time())
    handle = await client.start_workflow(  # on a queue no worker polls: it never answers
        "CaseWorkflow",
        CaseInput(intake=case, opened_by=DESK),
        id=cases.workflow_id(case.reference),
        task_queue=f"nobody-{uuid.uuid4()}",
    )
    note = PostUpdate(request_id="n1", message="are you there?")
    try:
        with pytest.raises(TimeoutError):
            call = cases.send(client, case.reference, "post_update", note, actor=DESK)
            await asyncio.wait_for(call, timeout=1)
    finally:
        await handle.terminate()
