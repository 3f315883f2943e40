"""Notifications delivered as JSON to a webhook under the Standard Webhooks scheme, or to
the log (by kind and key only) when none is set."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import logging
import time
from urllib.parse import urlsplit

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.notifications import Notification

log = logging.getLogger(__name__)

# Standard Webhooks (https://www.standardwebhooks.com): the id is the notification's key,
# the same on every retry, so a receiver acts once and can refuse a replayed delivery.
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
# The id again, for receivers that deduplicate by the older header.
IDEMPOTENCY_HEADER = "Idempotency-Key"
SECRET_PREFIX = "whsec_"
SECRET_MIN_BYTES = 32
URL_SETTING, SECRET_SETTING = "SIMS_WEBHOOK_URL", "SIMS_WEBHOOK_SECRET"
DEFAULT_SECRET = "change-me"  # the settings' default, refused once a URL is set
_STRONG = (
    f"set one of at least {SECRET_MIN_BYTES} bytes, shared with the receiver "
    f"(e.g. {SECRET_PREFIX}$(openssl rand -base64 32))"
)

# A receiver that answers these is having a bad moment: try again later.
RETRYABLE_STATUS = frozenset({408, 425, 429})
# Ours to fix, not the receiver's to refuse: the URL moved or names no endpoint, or the
# receiver does not take our signature. Retried (with back-off) until the settings are put
# right, so no notification is lost to a configuration slip.
MISCONFIGURED_STATUS = {
    401: SECRET_SETTING,
    403: SECRET_SETTING,
    404: URL_SETTING,
}


def signing_key(secret: str | bytes) -> bytes:
    """The HMAC key a secret stands for: `whsec_<base64>` as Standard Webhooks gives it,
    else the secret itself. `ValueError` when the base64 does not decode."""
    raw = secret.encode() if isinstance(secret, str) else secret
    if not raw.startswith(SECRET_PREFIX.encode()):
        return raw
    try:
        return base64.b64decode(raw.removeprefix(SECRET_PREFIX.encode()), validate=True)
    except binascii.Error:
        raise ValueError(f"the part after {SECRET_PREFIX} is not base64") from None


def check_settings(url: str, secret: str) -> None:
    """Refuse (`ValueError`, naming the setting) a webhook the worker must not start
    with: a URL that does not parse or is not https (http to loopback excepted), a secret
    that is empty, the default, or under SECRET_MIN_BYTES."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # the port is checked when read
    except ValueError as err:
        raise ValueError(f"{URL_SETTING} does not parse as a URL: {err}") from None
    if not host or parts.scheme not in ("http", "https") or not _printable(url):
        # Not the URL itself: a webhook's path often holds a token.
        raise ValueError(f"{URL_SETTING} does not parse as an http(s) URL with a host")
    if parts.scheme == "http" and not _loopback(host):
        raise ValueError(
            f"{URL_SETTING} must be https (plain http only to 127.0.0.1, ::1 or "
            f"localhost); got http to {host}"
        )
    if not secret:
        raise ValueError(f"{SECRET_SETTING} is empty: {_STRONG}")
    if secret == DEFAULT_SECRET:
        raise ValueError(f"{SECRET_SETTING} is the default {DEFAULT_SECRET}: {_STRONG}")
    try:
        size = len(signing_key(secret))
    except ValueError as err:
        raise ValueError(f"{SECRET_SETTING}: {err}") from None
    if size < SECRET_MIN_BYTES:
        raise ValueError(f"{SECRET_SETTING} has {size} bytes, too few: {_STRONG}")


def _printable(url: str) -> bool:
    # urlsplit drops tabs and newlines silently: a URL holding them was pasted wrong.
    return all(c.isprintable() and not c.isspace() for c in url)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


async def post_signed(
    url: str, key: bytes, webhook_id: str, body: bytes, timeout: float
) -> httpx.Response:
    """One delivery as Standard Webhooks sign it: signed afresh on each attempt (so a retry
    is no replay), the id also the Idempotency-Key; redirects are not followed, so a signed
    delivery goes to the configured URL only."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        ID_HEADER: webhook_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(key, webhook_id, timestamp, body),
        IDEMPOTENCY_HEADER: webhook_id,
    }
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        return await client.post(url, content=body, headers=headers)


def misconfigured_setting(status: int) -> str | None:
    """The setting to check when the webhook answers `status`; None when it is no
    configuration fault."""
    if 300 <= status < 400:
        return URL_SETTING  # redirects are not followed: the URL must be the final one
    return MISCONFIGURED_STATUS.get(status)


class Notifier:
    def __init__(self, webhook_url: str | None, secret: bytes, timeout: float = 10.0) -> None:
        self._url = webhook_url
        # Decoded only when it signs: without a URL the settings leave the secret unchecked.
        self._key = signing_key(secret) if webhook_url else b""
        self._timeout = timeout

    @activity.defn
    async def notify(self, notification: Notification) -> None:
        what = f"{notification.kind.value} notification {notification.key}"
        if not self._url:
            # Never the text: it names the caller and says what is wrong (DESIGN §8).
            log.info("%s: no webhook set (%s), not sent", what, URL_SETTING)
            return
        body = notification.model_dump_json().encode()
        response = await post_signed(self._url, self._key, notification.key, body, self._timeout)
        if response.is_success:
            return
        status = response.status_code
        setting = misconfigured_setting(status)
        if setting is not None:
            log.error(
                "webhook misconfigured: it answered %d to %s; check %s (retrying)",
                status,
                what,
                setting,
            )
            raise ApplicationError(
                f"webhook answered {status} for {what}: check {setting}",
                type="WebhookMisconfigured",
            )
        retryable = status >= 500 or status in RETRYABLE_STATUS
        if not retryable:
            log.warning("webhook refused %s for good: it answered %d", what, status)
        # Temporal retries the activity (with backoff) until the receiver takes it.
        raise ApplicationError(
            f"webhook answered {status} for {what}",
            type="WebhookRefused" if not retryable else "WebhookUnavailable",
            non_retryable=not retryable,
        )
