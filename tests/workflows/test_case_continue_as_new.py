"""A long case continues as new with its clocks, timeline and request ids intact."""

from __future__ import annotations

import datetime as dt

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import Acknowledge, PostUpdate, ProvideInformation, RequestInformation
from sims_support.client import cases as api
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake
from tests.workflows.helpers import MONDAY, near, request_id, send, until


async def test_continue_as_new_mid_case_keeps_every_clock_and_the_timeline(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday)
    opened = await api.open_case(
        client, case, opened_by=DESK, task_queue=task_queue, history_threshold=40
    )
    handle = api.handle_for(client, case.reference)
    first_run = (await handle.describe()).run_id
    ack = Acknowledge(request_id=request_id())
    answers = [await send(client, case.reference, "acknowledge", ack)]
    ask = RequestInformation(request_id=request_id(), message="logs please")
    answers.append(await send(client, case.reference, "request_information", ask))
    await move_clock_to(env, monday + dt.timedelta(days=1))
    answer = ProvideInformation(request_id=request_id(), message="attached")
    answers.append(await send(client, case.reference, "provide_information", answer))
    for n in range(4):
        note = PostUpdate(request_id=request_id(), message=f"progress {n}")
        answers.append(await send(client, case.reference, "post_update", note))
    # The answers hold what each update recorded: together, the timeline. (A query while
    # the case continues as new would wait for the new run's first workflow task.)
    before = answers[-1].model_copy(
        update={"timeline": [*opened.timeline, *(e for a in answers for e in a.timeline)]}
    )
    assert len(before.timeline) == before.timeline_total

    async def run_id() -> str:
        return (await handle.describe()).run_id

    for _ in range(100):
        if await run_id() != first_run:
            break
        await env.sleep(dt.timedelta(seconds=1))
    after = await api.case_status(client, case.reference)
    replayed = await send(client, case.reference, "acknowledge", ack)

    assert await run_id() != first_run
    assert after.timeline == before.timeline
    assert [(c.name, c.deadline, c.status) for c in after.clocks] == [
        (c.name, c.deadline, c.status) for c in before.clocks
    ]
    assert after.paused_working_time == before.paused_working_time
    # The request id survived the new run: a no-op, recording nothing.
    assert (replayed.timeline, replayed.timeline_total) == ([], len(before.timeline))
    assert (await api.case_status(client, case.reference)).timeline == before.timeline

    update_due = next(c for c in after.clocks if c.name == "update").deadline
    assert update_due is not None
    await move_clock_to(env, update_due + dt.timedelta(minutes=1))
    await until(lambda: "update_due" in outbox.kinds(case.reference))
    assert outbox.kinds(case.reference).count("update_due") == 1
    assert near(outbox.of(case.reference)[-1].due, update_due)
