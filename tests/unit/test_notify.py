"""The Notifier against a real webhook receiver on loopback: Standard Webhooks signing,
and what each answer of the receiver means."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import Notifier, sign, signing_key
from domain.models import Priority
from domain.notifications import Notification, NotificationKind, notification
from tests.webhook import HANG_UP, SECRET, TOLERANCE, UNVERIFIED, Receiver, Signed, verifies

# Standard Webhooks' own test vector (its specification's reference libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


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


def test_the_signature_is_standard_webhooks_v1_of_id_timestamp_and_body() -> None:
    key = signing_key(SPEC_SECRET)

    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')

    assert signature == SPEC_SIGNATURE


async def test_the_delivery_carries_the_key_as_webhook_id_and_the_time_it_was_sent(
    receiver: Receiver,
) -> None:
    n = call_task()
    before = int(time.time())

    await notify(Notifier(receiver.url, SECRET), n)

    [attempt] = receiver.attempts
    assert attempt.signature.id == n.key == attempt.signature.idempotency_key
    assert before <= int(attempt.signature.timestamp) <= time.time()
    assert attempt.signature.signature.startswith("v1,")
    assert receiver.deliveries == [n.key]


async def test_the_signature_verifies_with_the_shared_secret_only(receiver: Receiver) -> None:
    await notify(Notifier(receiver.url, SECRET), call_task())

    [attempt] = receiver.attempts
    signed = attempt.signature
    assert verifies(SECRET, attempt.body, signed)
    assert not verifies(b"someone-elses-secret-0123456789abc", attempt.body, signed)
    assert not verifies(SECRET, attempt.body + b" ", signed)
    assert not verifies(
        SECRET, attempt.body, Signed("another-id", signed.timestamp, signed.signature)
    )
    later = str(int(signed.timestamp) + 1)
    assert not verifies(SECRET, attempt.body, Signed(signed.id, later, signed.signature))


async def test_a_whsec_secret_signs_with_the_key_it_encodes() -> None:
    with Receiver(secret=SPEC_SECRET.encode()) as receiver:
        await notify(Notifier(receiver.url, SPEC_SECRET.encode()), call_task())

    [attempt] = receiver.attempts
    assert attempt.answer == 200
    # The key is the decoded bytes, not the text: signing with the text does not verify.
    assert not verifies(b"x" + SPEC_SECRET.encode(), attempt.body, attempt.signature)


async def test_a_delivery_replayed_after_five_minutes_is_refused_by_the_receiver(
    receiver: Receiver,
) -> None:
    n = call_task()
    await notify(Notifier(receiver.url, SECRET), n)
    [captured] = receiver.seen()

    async with httpx.AsyncClient() as client:
        receiver.clock_ahead = TOLERANCE - 5  # still fresh: taken again, acted on once
        soon = await client.post(
            receiver.url, content=captured.body, headers=captured.signature.headers()
        )
        receiver.clock_ahead = TOLERANCE + 1
        late = await client.post(
            receiver.url, content=captured.body, headers=captured.signature.headers()
        )

    assert (soon.status_code, late.status_code) == (200, UNVERIFIED)
    assert receiver.deliveries == [n.key]


async def test_a_retry_ten_minutes_on_is_signed_afresh_and_is_no_replay(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.will_answer(503)
    notifier = Notifier(receiver.url, SECRET)
    with pytest.raises(ApplicationError):
        await notify(notifier, call_task())

    later = time.time() + 600
    monkeypatch.setattr(time, "time", lambda: later)  # for the receiver's clock too
    await notify(notifier, call_task())

    first, retry = receiver.seen()
    assert (first.answer, retry.answer) == (503, 200)
    assert int(retry.signature.timestamp) - int(first.signature.timestamp) >= 599
    assert first.key == retry.key and first.body == retry.body


@pytest.mark.parametrize("status", [500, 503, 408, 429])
async def test_a_receiver_having_a_bad_moment_is_tried_again(
    receiver: Receiver, status: int
) -> None:
    receiver.will_answer(status)

    with pytest.raises(ApplicationError) as refused:
        await notify(Notifier(receiver.url, SECRET), call_task())

    assert refused.value.type == "WebhookUnavailable"
    assert refused.value.non_retryable is False
    assert receiver.deliveries == []


@pytest.mark.parametrize("status", [400, 422, 409])
async def test_a_receiver_that_refuses_the_notification_is_not_tried_again(
    receiver: Receiver, status: int
) -> None:
    receiver.will_answer(status)

    with pytest.raises(ApplicationError) as refused:
        await notify(Notifier(receiver.url, SECRET), call_task())

    assert refused.value.type == "WebhookRefused"
    assert refused.value.non_retryable is True


@pytest.mark.parametrize(
    ("status", "setting"),
    [
        (301, "SIMS_WEBHOOK_URL"),
        (302, "SIMS_WEBHOOK_URL"),
        (307, "SIMS_WEBHOOK_URL"),
        (308, "SIMS_WEBHOOK_URL"),
        (404, "SIMS_WEBHOOK_URL"),
        (401, "SIMS_WEBHOOK_SECRET"),
        (403, "SIMS_WEBHOOK_SECRET"),
    ],
)
async def test_an_answer_that_says_our_settings_are_wrong_is_retried_and_logged_as_such(
    receiver: Receiver, status: int, setting: str, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.will_answer(status)
    n = call_task()

    with caplog.at_level(logging.INFO), pytest.raises(ApplicationError) as misconfigured:
        await notify(Notifier(receiver.url, SECRET), n)

    assert misconfigured.value.type == "WebhookMisconfigured"
    assert misconfigured.value.non_retryable is False
    assert len(receiver.seen()) == 1  # a redirect is not followed
    [line] = [r for r in caplog.records if r.name == "activities.notify"]
    assert line.levelno == logging.ERROR
    said = line.getMessage()
    assert f"answered {status}" in said and setting in said and n.key in said
    assert "Priya" not in said and "0123" not in said


async def test_a_receiver_with_another_secret_is_a_secret_to_put_right(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = Receiver(secret=b"the-platforms-idea-of-the-secret-0123")
    refused = pytest.raises(ApplicationError)
    with receiver, caplog.at_level(logging.ERROR), refused as misconfigured:
        await notify(Notifier(receiver.url, SECRET), call_task())

    assert [a.answer for a in receiver.attempts] == [UNVERIFIED]
    assert misconfigured.value.type == "WebhookMisconfigured"
    assert "SIMS_WEBHOOK_SECRET" in caplog.text


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


async def test_without_a_webhook_the_log_names_the_notification_by_kind_and_key_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    n = call_task()

    with caplog.at_level(logging.INFO, logger="activities.notify"):
        await notify(Notifier(None, SECRET), n)

    [record] = [r for r in caplog.records if r.name == "activities.notify"]
    assert n.key in record.getMessage() and n.kind.value in record.getMessage()
    assert n.message not in record.getMessage()
    assert "Priya" not in record.getMessage()
