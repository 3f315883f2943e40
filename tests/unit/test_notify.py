"""The Notifier against a real webhook receiver on loopback."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import Notifier
from domain.models import Priority
from domain.notifications import Notification, NotificationKind, notification
from tests.webhook import HANG_UP, SECRET, Receiver, verifies


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def call_task() -> Notification:
    return notification(
        NotificationKind.CALL_TASK,
        reference="INC-00042",
        priority=Priority.P1,
        at=dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC),
        message="P1 incident: call Priya Shah first (0123)",
    )


async def notify(notifier: Notifier, n: Notification) -> None:
    await ActivityEnvironment().run(notifier.notify, n)


async def test_the_platform_receives_the_notification_as_json(receiver: Receiver) -> None:
    n = call_task()

    await notify(Notifier(receiver.url, SECRET), n)

    [attempt] = receiver.attempts
    assert json.loads(attempt.body) == n.model_dump(mode="json")
    assert Notification.model_validate_json(attempt.body) == n


async def test_the_signature_verifies_with_the_shared_secret_only(receiver: Receiver) -> None:
    await notify(Notifier(receiver.url, SECRET), call_task())

    [attempt] = receiver.attempts
    assert verifies(SECRET, attempt.body, attempt.signature)
    assert not verifies(b"someone-elses-secret", attempt.body, attempt.signature)
    assert not verifies(SECRET, attempt.body + b" ", attempt.signature)


async def test_the_idempotency_key_is_the_notifications_key(receiver: Receiver) -> None:
    n = call_task()

    await notify(Notifier(receiver.url, SECRET), n)

    [attempt] = receiver.attempts
    assert attempt.key == n.key
    assert receiver.deliveries == [n.key]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_receiver_having_a_bad_moment_is_tried_again(
    receiver: Receiver, status: int
) -> None:
    receiver.will_answer(status)

    with pytest.raises(ApplicationError) as refused:
        await notify(Notifier(receiver.url, SECRET), call_task())

    assert refused.value.type == "WebhookUnavailable"
    assert refused.value.non_retryable is False
    assert receiver.deliveries == []


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_a_receiver_that_refuses_the_notification_is_not_tried_again(
    receiver: Receiver, status: int
) -> None:
    receiver.will_answer(status)

    with pytest.raises(ApplicationError) as refused:
        await notify(Notifier(receiver.url, SECRET), call_task())

    assert refused.value.type == "WebhookRefused"
    assert refused.value.non_retryable is True


async def test_a_receiver_that_is_down_is_tried_again() -> None:
    # Bound but not listening: connecting is refused, and no other test can take the port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hooks/sims"

        # Not an ApplicationError: Temporal retries any other exception.
        with pytest.raises(httpx.ConnectError):
            await notify(Notifier(url, SECRET), call_task())


async def test_a_receiver_that_hangs_up_before_answering_is_tried_again(
    receiver: Receiver,
) -> None:
    receiver.will_answer(HANG_UP)

    # The platform has it, but nothing says so: Temporal retries with the same key.
    with pytest.raises(httpx.RemoteProtocolError):
        await notify(Notifier(receiver.url, SECRET), call_task())

    assert receiver.deliveries == [call_task().key]


async def test_without_a_webhook_the_notification_goes_to_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    n = call_task()

    with caplog.at_level(logging.INFO, logger="activities.notify"):
        await notify(Notifier(None, SECRET), n)

    [record] = [r for r in caplog.records if r.name == "activities.notify"]
    assert n.key in record.getMessage()
    assert n.message in record.getMessage()
