"""A worker killed outright while updates are in flight: each update happened once, or its
caller got an error and a retry with the same request id applies it once. Never half."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.models import Acknowledge, PostUpdate, Withdraw
from domain.workflow_inputs import CaseInput
from sims_support.client import cases
from tests.factories import DESK, intake
from tests.system.conftest import Sims, unique
from workflows.case import CaseWorkflow

pytestmark = pytest.mark.timeout(120)
LANES = 4


async def test_updates_in_flight_when_the_worker_is_killed_apply_once_or_fail_cleanly(
    sims: Sims,
) -> None:
    first = sims.start_worker()
    client = await Client.connect(sims.address, data_converter=pydantic_data_converter)
    case = intake(reference=unique("INC"), logged_at=dt.datetime.now(dt.UTC))
    # A short workflow task timeout: the task the dead worker held is retried in 2 s, not 10.
    handle = await client.start_workflow(
        CaseWorkflow.run,
        CaseInput(intake=case, opened_by=DESK),
        id=cases.workflow_id(case.reference),
        task_queue=sims.task_queue,
        task_timeout=dt.timedelta(seconds=2),
    )
    await handle.execute_update(CaseWorkflow.opened)
    await cases.send(
        client, case.reference, "acknowledge", Acknowledge(request_id="ack"), actor=DESK
    )

    outcomes: dict[str, tuple[float, float, str]] = {}
    stop = asyncio.Event()

    async def lane(number: int) -> None:
        for n in range(10_000):
            request = PostUpdate(request_id=f"lane{number}-{n}", message=f"note {n}")
            began = time.monotonic()
            try:
                await asyncio.wait_for(
                    cases.send(client, case.reference, "post_update", request, actor=DESK),
                    timeout=45,
                )
                answer = "ok"
            except Exception as err:  # the caller's view: any error at all
                answer = type(err).__name__
            outcomes[request.request_id] = (began, time.monotonic(), answer)
            if stop.is_set():
                return
            await asyncio.sleep(0.01)

    lanes = [asyncio.create_task(lane(n)) for n in range(LANES)]
    await asyncio.sleep(1.0)
    killed_at = time.monotonic()
    first.kill()  # SIGKILL mid-stream: some updates are being validated or applied now
    await asyncio.to_thread(first.wait)
    stop.set()
    await asyncio.to_thread(sims.start_worker)
    await asyncio.gather(*lanes)

    in_flight = [rid for rid, (began, ended, _) in outcomes.items() if began < killed_at < ended]
    failed = [rid for rid, (_, _, answer) in outcomes.items() if answer != "ok"]
    seen = Counter(e.request_id for e in (await cases.status(client, case.reference)).timeline)
    for rid in failed:  # the caller's retry, with the same request id
        await cases.send(
            client,
            case.reference,
            "post_update",
            PostUpdate(request_id=rid, message="x"),
            actor=DESK,
        )
    final = await cases.status(client, case.reference)
    final_seen = Counter(e.request_id for e in final.timeline)
    history = await handle.fetch_history()

    assert in_flight, "no update was in flight when the worker died: the test proved nothing"
    assert all(seen[rid] == 1 for rid, (_, _, a) in outcomes.items() if a == "ok")
    assert all(seen[rid] <= 1 for rid in failed)
    assert all(final_seen[rid] == 1 for rid in outcomes)
    assert not [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    print(
        f"\n{len(outcomes)} updates, {len(in_flight)} in flight at the kill, "
        f"{len(failed)} failed to their caller and applied once on retry"
    )
    await cases.send(
        client, case.reference, "withdraw", Withdraw(request_id="end", reason="over"), actor=DESK
    )
