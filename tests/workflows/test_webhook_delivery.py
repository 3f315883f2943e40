"""A P1 call task reaches the platform's webhook through retries, and only once; a
webhook that is misconfigured holds it until put right, one that refuses it for good
leaves it in the timeline and the KPI ledger; and no log line names the caller."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.ledger import Ledger, LedgerActivities
from activities.notify import Notifier
from activities.setup import SetupActivities
from domain.kpi_ledger import NotificationOutcome, NotificationRecord
from domain.models import AcceptResolution, Acknowledge, OfferResolution, OpenCase, Priority
from domain.notifications import Notification, NotificationKind, Recipient
from domain.policy import SupportPolicy
from sims_support.client.cases import case_status, handle_for, open_case
from tests.conftest import CALENDAR
from tests.factories import DESK, p1_incident
from tests.webhook import HANG_UP, SECRET, Attempt, Receiver, verifies
from tests.workflows.helpers import request_id, send, until
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

    async def log_p1_incident(self, **intake_fields: object) -> OpenCase:
        intake = p1_incident(logged_at=await self.env.get_current_time(), **intake_fields)
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


def call_task_rows(ledger: Ledger, reference: str) -> list[NotificationRecord]:
    return [n for n in ledger.notifications_on(reference) if n.kind == "call_task"]


@pytest.mark.parametrize("misconfigured", [307, 401, 404])
async def test_a_misconfigured_webhook_holds_the_call_task_until_put_right(
    env: WorkflowEnvironment, desk: Desk, receiver: Receiver, ledger: Ledger, misconfigured: int
) -> None:
    receiver.will_answer(*[misconfigured] * FAILURES)

    intake = await desk.log_p1_incident()
    attempts = await call_task_attempts(env, receiver, intake.reference)
    await until(lambda: bool(call_task_rows(ledger, intake.reference)))

    assert [a.answer for a in attempts] == [misconfigured] * FAILURES + [200]
    [row] = call_task_rows(ledger, intake.reference)
    assert (row.key, row.outcome) == (same_key(attempts), NotificationOutcome.DELIVERED)
    status = await case_status(env.client, intake.reference)
    assert "notification_refused" not in [e.kind.value for e in status.timeline]


async def test_a_call_task_refused_for_good_is_in_the_timeline_and_the_ledger(
    env: WorkflowEnvironment, desk: Desk, receiver: Receiver, ledger: Ledger
) -> None:
    receiver.will_answer(400)

    intake = await desk.log_p1_incident()
    await until(lambda: bool(call_task_rows(ledger, intake.reference)))

    [attempt] = [a for a in receiver.seen() if is_call_task(a, intake.reference)]
    [row] = call_task_rows(ledger, intake.reference)
    assert (attempt.answer, row.key, row.outcome) == (400, attempt.key, "refused")
    assert row.priority is Priority.P1
    status = await case_status(env.client, intake.reference)
    refusals = [e.detail for e in status.timeline if e.kind.value == "notification_refused"]
    assert len(refusals) == 1 and refusals[0].startswith(attempt.key)
    assert receiver.deliveries.count(attempt.key) == 0


# Personal data a P1 caller gives, each distinctive enough to find in any log line.
REPORTER = {
    "name": "Ottoline Verity-Marsh",
    "email": "o.verity@hilltop.example",
    "phone": "+44 20 7946 0991",
}
SUMMARY = "Marks write-back drops Year 9 attendance overnight"
DESCRIPTION = "Since Tuesday the marks of pupil Kit Harrow vanish after each sync"


async def test_no_log_line_through_a_p1_cases_life_holds_the_callers_personal_data(
    env: WorkflowEnvironment, desk: Desk, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # stricter than the worker's own WARNING / INFO
    # A receiver having a bad moment, then misconfigured, then refusing the offer for good.
    receiver.will_answer(500, 401, 307)

    intake = await desk.log_p1_incident(reporter=REPORTER, summary=SUMMARY, description=DESCRIPTION)
    reference = intake.reference
    await call_task_attempts(env, receiver, reference)
    await send(env.client, reference, "acknowledge", Acknowledge(request_id=request_id()))
    receiver.will_answer(400)
    offer = OfferResolution(request_id=request_id(), kind="workaround", summary="re-sync")
    await send(env.client, reference, "offer_resolution", offer)
    await send(
        env.client, reference, "accept_resolution", AcceptResolution(request_id=request_id())
    )
    outcome = await handle_for(env.client, reference).result()

    assert outcome.state == "resolved"
    answers = {a.answer for a in receiver.seen() if a.key.startswith(f"case-{reference}:")}
    assert {500, 401, 307, 400, 200} <= answers
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert reference in logged  # the log did hear of the case, by its key
    for personal in [*REPORTER.values(), SUMMARY, DESCRIPTION]:
        assert personal not in logged, f"a log line holds {personal!r}"
