"""Notifications delivered as signed JSON to a webhook, or to the log when none is set."""

from __future__ import annotations

import hashlib
import hmac
import logging

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.notifications import Notification

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-SIMS-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# A receiver that answers these is having a bad moment: try again later.
RETRYABLE_STATUS = frozenset({408, 425, 429})


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class Notifier:
    def __init__(self, webhook_url: str | None, secret: bytes, timeout: float = 10.0) -> None:
        self._url = webhook_url
        self._secret = secret
        self._timeout = timeout

    @activity.defn
    async def notify(self, notification: Notification) -> None:
        body = notification.model_dump_json().encode()
        if not self._url:
            log.info("notification %s: %s", notification.key, body.decode())
            return
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body),
            IDEMPOTENCY_HEADER: notification.key,
        }
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.post(self._url, content=body, headers=headers)
        if response.is_success:
            return
        status = response.status_code
        retryable = status >= 500 or status in RETRYABLE_STATUS
        # Temporal retries the activity (with backoff) until the receiver takes it.
        raise ApplicationError(
            f"webhook answered {status} for notification {notification.key}",
            type="WebhookRefused" if not retryable else "WebhookUnavailable",
            non_retryable=not retryable,
        )
