"""A P1 call task reaches the platform's webhook through retries, and only once."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.ledger import Ledger, LedgerActivities
from activities.notify import Notifier
from activities.setup import SetupActivities
from domain.models import OpenCase, Priority
from domain.notifications import Notification, NotificationKind, Recipient
from domain.policy import SupportPolicy
from sims_support.client.cases import handle_for, open_case
from tests.conftest import CALENDAR
from tests.factories import DESK, p1_incident
from tests.webhook import HANG_UP, SECRET, Attempt, Receiver, verifies
from worker import create_worker

FAILURES = 3
# Test time to wait for a delivery. Retries back off 1 s, 2 s, 4 s, ... and the server
# skips that time, so a minute covers a handful of failures in well under a real second.
PATIENCE = dt.timedelta(seconds=60)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


class Desk:
    """Logs cases on its own task queue and remembers them, to terminate them at the end."""

    def __init__(self, env: WorkflowEnvironment, task_queue: str) -> None:
        self.env = env
        self.task_queue = task_queue
        self.references: list[str] = []

    async def log_p1_incident(self) -> OpenCase:
        intake = p1_incident(logged_at=await self.env.get_current_time())
        self.references.append(intake.reference)
        await open_case(self.env.client, intake, opened_by=DESK, task_queue=self.task_queue)
        return intake


@pytest.fixture
async def desk(env: WorkflowEnvironment, receiver: Receiver, ledger: Ledger) -> AsyncIterator[Desk]:
    """A worker like the session's, but with the real Notifier posting to the receiver.

    Its own task queue, since the session worker polls the shared one; and its cases are
    terminated before it stops, as no worker would be left to serve their timers.
    """
    desk = Desk(env, f"webhook-{uuid.uuid4()}")
    notifier = Notifier(receiver.url, SECRET)
    setup = SetupActivities(SupportPolicy(), CALENDAR)
    record = LedgerActivities(ledger).record_case
    async with create_worker(
        env.client, desk.task_queue, activities=[notifier.notify, setup.load_case_setup, record]
    ):
        try:
            yield desk
        finally:
            for reference in desk.references:
                # A case whose opening was refused never started: nothing to terminate.
                with contextlib.suppress(RPCError):
                    await handle_for(env.client, reference).terminate("webhook test over")


def is_call_task(attempt: Attempt, reference: str) -> bool:
    sent = Notification.model_validate_json(attempt.body)
    return sent.kind is NotificationKind.CALL_TASK and sent.reference == reference


def same_key(attempts: list[Attempt]) -> str:
    keys = {a.key for a in attempts}
    assert len(keys) == 1, f"the retries carried different idempotency keys: {sorted(keys)}"
    return keys.pop()


async def call_task_attempts(
    env: WorkflowEnvironment, receiver: Receiver, reference: str
) -> list[Attempt]:
    """Skip test time a second at a time until the receiver answers 200 to the call task."""
    waited = dt.timedelta()
    while waited < PATIENCE:
        attempts = [a for a in receiver.seen() if is_call_task(a, reference)]
        if attempts and attempts[-1].answer == 200:
            return attempts
        await env.sleep(dt.timedelta(seconds=1))
        waited += dt.timedelta(seconds=1)
    pytest.fail(f"the call task for {reference} was not delivered in {PATIENCE} of test time")


async def test_a_p1_call_task_reaches_the_platform_once_it_recovers(
    env: WorkflowEnvironment, desk: Desk, receiver: Receiver
) -> None:
    receiver.will_answer(*[500] * FAILURES)

    intake = await desk.log_p1_incident()
    attempts = await call_task_attempts(env, receiver, intake.reference)

    assert [a.answer for a in attempts] == [500] * FAILURES + [200]
    key = same_key(attempts)
    assert all(verifies(SECRET, a.body, a.signature) for a in attempts)
    delivered = Notification.model_validate_json(attempts[-1].body)
    assert delivered.key == key
    assert delivered.recipient is Recipient.SUPPORT_DESK
    assert delivered.priority is Priority.P1
    accepted = Counter(a.key for a in receiver.seen() if a.answer == 200)
    assert set(accepted.values()) == {1}, "a notification was accepted twice"
    assert receiver.deliveries.count(key) == 1


async def test_a_call_task_the_platform_took_without_answering_is_not_delivered_twice(
    env: WorkflowEnvironment, desk: Desk, receiver: Receiver
) -> None:
    receiver.will_answer(HANG_UP)

    intake = await desk.log_p1_incident()
    attempts = await call_task_attempts(env, receiver, intake.reference)

    # Handed over twice (the retry could not know the first one landed) ...
    assert [a.answer for a in attempts] == [HANG_UP, 200]
    # ... as the very same notification under the same key, so the platform acts once.
    key = same_key(attempts)
    assert attempts[0].body == attempts[1].body
    assert all(verifies(SECRET, a.body, a.signature) for a in attempts)
    assert receiver.deliveries.count(key) == 1
