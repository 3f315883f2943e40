"""Years in a change request's life, skipped: review reminders, the 36-month decision, the
12- and 18-month delivery reminders, on a history kept small by continue-as-new."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.change_requests import Plan
from domain.cr_schedule import add_months
from sims_support.client import change_requests as cr_api
from tests.conftest import Outbox, move_clock_to
from tests.workflows.cr_helpers import (
    close_change_requests,
    decision,
    history_length,
    raise_cr,
    send,
)
from tests.workflows.helpers import until

pytestmark = pytest.mark.usefixtures("worker", close_change_requests.__name__)
# Test-only continue-as-new threshold, and the history a run may reach at most: one
# reminder costs about a dozen events (timer, tasks, the notify activity, an upsert).
THRESHOLD = 30
BOUND = THRESHOLD + 20
MINUTE = dt.timedelta(minutes=1)


def sent(outbox: Outbox, reference: str, kind: str) -> list[dt.datetime | None]:
    return [n.due for n in outbox.of(reference) if n.kind == kind]


async def test_review_reminders_come_every_three_months_for_a_year_on_a_small_history(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue, history_threshold=THRESHOLD)
    handle = cr_api.handle_for(client, cr.reference)
    first_run = (await handle.describe()).run_id
    dues = [add_months(cr.raised_at, months) for months in (3, 6, 9, 12)]

    for count, due in enumerate(dues, start=1):
        await move_clock_to(env, due - MINUTE)
        assert len(sent(outbox, cr.reference, "cr_review_due")) == count - 1
        await move_clock_to(env, due + MINUTE)
        await until(lambda n=count: len(sent(outbox, cr.reference, "cr_review_due")) == n)

    assert sent(outbox, cr.reference, "cr_review_due") == dues
    assert {n.recipient.value for n in outbox.of(cr.reference)} == {"product_manager"}
    status = await cr_api.cr_status(client, cr.reference)
    assert status.next_action_due == add_months(cr.raised_at, 15)
    assert (await handle.describe()).run_id != first_run
    assert await history_length(client, cr.reference) < BOUND


async def test_a_review_puts_the_next_reminder_three_months_after_it(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    await move_clock_to(env, add_months(cr.raised_at, 2))

    reviewed = await send(client, cr.reference, "review", decision(reason="revisit at CCG"))
    assert reviewed.last_reviewed_at is not None
    await move_clock_to(env, add_months(cr.raised_at, 3) + MINUTE)

    assert sent(outbox, cr.reference, "cr_review_due") == []
    assert reviewed.next_action_due == add_months(reviewed.last_reviewed_at, 3)


async def test_a_request_considered_for_thirty_six_months_is_flagged_for_a_decision(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue, history_threshold=THRESHOLD)
    considered = await send(client, cr.reference, "consider", decision())
    handle = cr_api.handle_for(client, cr.reference)
    first_run = (await handle.describe()).run_id
    lapse = add_months(considered.timeline[-1].at, 36)

    await move_clock_to(env, lapse - dt.timedelta(days=1))
    before = await cr_api.cr_status(client, cr.reference)
    await move_clock_to(env, lapse + MINUTE)
    await until(lambda: "cr_decision_due" in [n.kind for n in outbox.of(cr.reference)])
    after = await cr_api.cr_status(client, cr.reference)

    assert not before.decision_due
    assert after.decision_due and after.state == "considered_for_future_release"
    assert sent(outbox, cr.reference, "cr_decision_due") == [lapse]
    # Reminders kept coming every three months meanwhile, twelve of them.
    await until(lambda: len(sent(outbox, cr.reference, "cr_review_due")) == 12)
    assert (await handle.describe()).run_id != first_run
    assert await history_length(client, cr.reference) < BOUND


async def test_a_planned_request_is_reminded_at_twelve_months_and_overdue_at_eighteen(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue, history_threshold=THRESHOLD)
    await send(client, cr.reference, "consider", decision())
    planned = await send(client, cr.reference, "plan", decision(Plan, target_release="2027.1"))
    start = planned.timeline[-1].at
    reminder, overdue = add_months(start, 12), add_months(start, 18)

    await move_clock_to(env, reminder - MINUTE)
    assert sent(outbox, cr.reference, "cr_delivery_due") == []
    await move_clock_to(env, reminder + MINUTE)
    await until(lambda: sent(outbox, cr.reference, "cr_delivery_due") == [reminder])
    assert not (await cr_api.cr_status(client, cr.reference)).delivery_overdue
    await move_clock_to(env, overdue + MINUTE)
    await until(lambda: sent(outbox, cr.reference, "cr_delivery_overdue") == [overdue])

    status = await cr_api.cr_status(client, cr.reference)
    assert status.delivery_overdue and status.next_action_due is None
    assert sent(outbox, cr.reference, "cr_review_due") == []
    assert await history_length(client, cr.reference) < BOUND
