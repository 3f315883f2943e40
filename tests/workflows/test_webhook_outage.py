"""The platform's webhook is down for an hour: every notification arrives afterwards, in
order, and none is accepted twice under its idempotency key."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.models import Withdraw
from domain.notifications import Notification
from sims_support.client import cases as api
from sims_support.config import Settings
from tests.conftest import move_clock_to, quiet_weekday_at
from tests.factories import DESK, p1_incident
from tests.webhook import SECRET, Receiver, Signed
from tests.workflows.helpers import MONDAY, request_id
from worker import activities_for, create_worker

OUTAGE = dt.timedelta(hours=1)
CASES = 3
# Each P1 incident owes the platform a call task at logging; its response warning (15
# working minutes) and breach (20) fall due inside the outage. The case's loop delivers its
# outbox before it takes the next due action, so it reaches them only once the call task
# is through, past the deadline: the warning is then moot (domain.sla drops it) and only
# the breach is sent.
EXPECTED = ["call_task", "response_breach"]


class Outage(Receiver):
    """Answers 503 while `down`, like a platform in the middle of an incident."""

    down = True

    def _receive(self, body: bytes, signed: Signed) -> int:
        if self.down:
            self.will_answer(503)
        return super()._receive(body, signed)


@pytest.fixture
def receiver() -> Iterator[Outage]:
    with Outage() as running:
        yield running


@pytest.fixture
async def queue(env: WorkflowEnvironment, receiver: Outage, tmp_path: Path) -> AsyncIterator[str]:
    """A worker with the production activities, the real Notifier posting to `receiver`."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        webhook_url=receiver.url,
        webhook_secret=SECRET.decode(),
        data_dir=tmp_path,
    )
    name = f"outage-{uuid.uuid4()}"
    async with create_worker(env.client, name, activities=activities_for(settings, env.client)):
        yield name


def kinds(receiver: Outage, reference: str) -> list[str]:
    found = []
    for key in receiver.deliveries:
        attempt = next(a for a in receiver.seen() if a.key == key)
        sent = Notification.model_validate_json(attempt.body)
        if sent.reference == reference:
            found.append(sent.kind.value)
    return found


async def test_notifications_held_by_an_hour_long_outage_arrive_once_each_afterwards(
    env: WorkflowEnvironment, receiver: Outage, queue: str
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    cases = [p1_incident(logged_at=monday) for _ in range(CASES)]
    for case in cases:
        await api.open_case(env.client, case, opened_by=DESK, task_queue=queue)

    for _ in range(12):  # an hour of test time, five minutes at a time
        await env.sleep(OUTAGE / 12)
    during = receiver.seen()
    receiver.down = False
    for _ in range(60):
        if len(receiver.deliveries) == CASES * len(EXPECTED):
            break
        await env.sleep(dt.timedelta(minutes=1))
    attempts = receiver.seen()
    for case in cases:
        withdraw = Withdraw(request_id=request_id(), reason="test over")
        await api.send(env.client, case.reference, "withdraw", withdraw, actor=DESK)
        await api.handle_for(env.client, case.reference).result()

    accepted = Counter(a.key for a in attempts if a.answer == 200)
    assert during and {a.answer for a in during} == {503}
    assert len(during) >= CASES * 10  # retried all hour long, backing off to 5 minutes
    assert [kinds(receiver, c.reference) for c in cases] == [EXPECTED] * CASES
    assert len(accepted) == CASES * len(EXPECTED)
    assert set(accepted.values()) == {1}, "a notification was accepted twice"
    print(
        f"\noutage: {len(during)} attempts refused in {OUTAGE}; afterwards "
        f"{len(accepted)} notifications delivered once each, {len(attempts)} attempts in all"
    )
