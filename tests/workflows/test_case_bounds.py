"""The two wedges of 0.1, replayed on the time-skipping server (DESIGN §13). Each is now
refused at the edge with a typed error, and the case goes on answering and firing its
timers: a megabyte description and oversized updates, then a log filled to its limit
(`CaseTooLarge`) that still continues as new; and oversized problem news, dropped."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.models import Acknowledge, OpenCase, PostUpdate, Withdraw
from domain.problem_links import NewsKind, ProblemNews
from sims_support.client import cases
from sims_support.client.errors import ClientError
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake
from tests.workflows.helpers import MONDAY, clock, request_id, send, until
from workflows.contract import PROBLEM_NEWS

pytestmark = pytest.mark.usefixtures("worker")
MESSAGE = "x" * 10_000  # the most one message may hold


async def acknowledged(
    env: WorkflowEnvironment, client: Client, task_queue: str, **options: int
) -> OpenCase:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday)
    await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue, **options)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    return case


async def test_an_oversized_intake_or_update_is_refused_naming_the_field(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    now = await env.get_current_time()
    huge = intake(logged_at=now).model_dump(mode="json") | {"description": "d" * 1_950_000}
    # A raw client (the Python client's models would refuse it before sending).
    started = await client.start_workflow(
        "CaseWorkflow",
        {"intake": huge, "opened_by": DESK.model_dump(mode="json")},
        id=cases.workflow_id(huge["reference"]),
        task_queue=task_queue,
    )
    with pytest.raises(WorkflowFailureError) as refused:
        await client.get_workflow_handle(started.id).result()
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "InvalidInput"
    assert "description:" in refused.value.cause.message

    case = await acknowledged(env, client, task_queue)
    before = await cases.status(client, case.reference)
    oversized = PostUpdate.model_construct(request_id=request_id(), message="u" * 600_000)
    with pytest.raises(ClientError) as update:
        await send(client, case.reference, "post_update", oversized)
    assert update.value.type == "InvalidInput" and "message:" in str(update.value)
    assert (await cases.status(client, case.reference)).timeline == before.timeline
    await send(client, case.reference, "withdraw", Withdraw(request_id=request_id(), reason="x"))


async def test_a_log_full_of_text_refuses_new_requests_and_still_fires_and_continues(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    case = await acknowledged(env, client, task_queue, history_threshold=400)
    handle = cases.handle_for(client, case.reference)
    first_run = (await handle.describe()).run_id
    due, _ = clock(await cases.status(client, case.reference), "update")
    assert due is not None
    sent = 0
    with pytest.raises(ClientError) as full:
        for _ in range(120):  # 1 MiB is 104.9 messages of 10,000 characters
            await send(
                client,
                case.reference,
                "post_update",
                PostUpdate(request_id=request_id(), message=MESSAGE, visibility="internal"),
            )
            sent += 1
    assert full.value.type == "CaseTooLarge", full.value
    assert str(full.value).startswith("max_log_text:")
    assert sent == 104  # every message that fitted was taken

    status = await cases.status(client, case.reference)  # still answering
    assert status.timeline_total == len(status.timeline) == 106
    await move_clock_to(env, due + dt.timedelta(minutes=1))  # internal notes are no contact
    await until(lambda: "update_due" in outbox.kinds(case.reference))
    # The carried log fits a continued run (the threshold makes it continue as new).
    for _ in range(100):
        if (await handle.describe()).run_id != first_run:
            break
        await env.sleep(dt.timedelta(minutes=5))
    assert (await handle.describe()).run_id != first_run
    after = await cases.status(client, case.reference)
    assert after.timeline[:106] == status.timeline
    # Full, it is still withdrawn, with all a reason may say (DESIGN §13, WINDING_UP).
    end = Withdraw(request_id=request_id(), reason=MESSAGE)
    await send(client, case.reference, "withdraw", end)
    assert (await handle.result()).state == "withdrawn"


async def test_oversized_problem_news_is_dropped_and_the_case_goes_on(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    case = await acknowledged(env, client, task_queue)
    due, _ = clock(await cases.status(client, case.reference), "update")
    assert due is not None
    handle = cases.handle_for(client, case.reference)
    news = ProblemNews.model_construct(
        news_id="problem-PRB-1:r1",
        problem_reference="PRB-1",
        kind=NewsKind.REVIEW_SCHEDULED,
        message="n" * 1_500_000,
    )
    for _ in range(2):
        await handle.signal(PROBLEM_NEWS, news)

    await move_clock_to(env, due + dt.timedelta(minutes=1))
    await until(lambda: "update_due" in outbox.kinds(case.reference))
    status = await cases.status(client, case.reference)
    assert "problem_news" not in [e.kind for e in status.timeline]
    assert "problem_news" not in outbox.kinds(case.reference)
    await send(client, case.reference, "withdraw", Withdraw(request_id=request_id(), reason="x"))
    assert (await handle.result()).state == "withdrawn"


async def test_a_request_id_reused_for_another_event_is_refused_and_changes_nothing(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    """0.1 took `withdraw` with an acknowledgement's id as a silent no-op (exit 0)."""
    case = await acknowledged(env, client, task_queue)
    status = await cases.status(client, case.reference)
    ack_id = status.timeline[-1].request_id
    assert ack_id is not None
    with pytest.raises(ClientError) as reused:
        await send(client, case.reference, "withdraw", Withdraw(request_id=ack_id, reason="x"))
    assert reused.value.type == "IdempotencyKeyReused"
    assert str(reused.value).startswith(f"request_id: {ack_id}")
    after = await cases.status(client, case.reference)
    assert (after.state, after.timeline) == ("investigating", status.timeline)
    # The same acknowledgement again is a retry: taken, and nothing recorded.
    again = await send(client, case.reference, "acknowledge", Acknowledge(request_id=ack_id))
    assert again.timeline == []
    await send(client, case.reference, "withdraw", Withdraw(request_id=request_id(), reason="x"))


@pytest.mark.parametrize(("days_back", "expected"), [(6, None), (8, "LoggedAtTooOld")])
async def test_a_case_logged_more_than_a_week_back_is_refused(
    env: WorkflowEnvironment, client: Client, task_queue: str, days_back: int, expected: str | None
) -> None:
    logged_at = await env.get_current_time() - dt.timedelta(days=days_back)
    case = intake(logged_at=logged_at)
    if expected is None:
        opened = await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue)
        assert opened.state == "logged"
        end = Withdraw(request_id=request_id(), reason="x")
        await send(client, case.reference, "withdraw", end)
        return
    with pytest.raises(ClientError) as refused:
        await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    assert refused.value.type == expected
    assert str(refused.value).startswith("logged_at:")
