"""A webhook receiver on loopback that checks and records what the Notifier delivers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from activities.notify import ID_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER

# Raw text, as most operators set it; the `whsec_` form has its own tests.
SECRET = b"shared-with-the-platform-0123456789"
# How old (or how far ahead) a delivery's timestamp may be: Standard Webhooks' 5 minutes.
TOLERANCE = 5 * 60
# A scripted answer: the receiver takes the delivery, then hangs up before answering
# (the platform has it, but the Notifier never hears so).
HANG_UP = 0
# What the receiver answers a delivery that does not verify.
UNVERIFIED = 401


@dataclass(frozen=True)
class Signed:
    """The Standard Webhooks headers of one delivery, as received."""

    id: str
    timestamp: str
    signature: str
    idempotency_key: str = ""

    def headers(self) -> dict[str, str]:
        return {
            ID_HEADER: self.id,
            TIMESTAMP_HEADER: self.timestamp,
            SIGNATURE_HEADER: self.signature,
        }


def verifies(secret: bytes, body: bytes, signed: Signed, *, now: float | None = None) -> bool:
    """The receiver's check, per the Standard Webhooks verification and written
    independently of `activities.notify`: an id, a timestamp within TOLERANCE of `now`,
    and one `v1` signature of `{id}.{timestamp}.{body}` made with the secret."""
    if not signed.id or not signed.timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(signed.timestamp)) > TOLERANCE:
        return False  # a replay of a delivery captured earlier, or a forged timestamp
    key = secret
    if secret.startswith(b"whsec_"):
        key = base64.b64decode(secret[len(b"whsec_") :])
    content = b".".join([signed.id.encode(), signed.timestamp.encode(), body])
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    # The header may carry several signatures (a secret being rotated), space-separated.
    for candidate in signed.signature.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


@dataclass(frozen=True)
class Attempt:
    key: str
    body: bytes
    signature: Signed
    answer: int


class Receiver:
    """A platform's webhook on 127.0.0.1: answers as scripted by `will_answer`, then 200.

    Like a real receiver it verifies each delivery (UNVERIFIED when it does not, before
    any scripted answer) and is idempotent: it acts on each webhook-id once
    (`deliveries`) and acknowledges a repeat without acting again. An error answer means
    it did not act; a hang-up means it did. `clock_ahead` moves its clock forward.
    """

    def __init__(self, secret: bytes = SECRET) -> None:
        self.secret = secret
        self.clock_ahead = 0.0
        self.attempts: list[Attempt] = []
        self.deliveries: list[str] = []
        self._script: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/sims"

    def __enter__(self) -> Receiver:
        # A short poll keeps shutdown quick: the default half second adds up across tests.
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def will_answer(self, *answers: int) -> None:
        with self._lock:
            self._script.extend(answers)

    def seen(self) -> list[Attempt]:
        """Every request so far, safe to read while the receiver is serving."""
        with self._lock:
            return list(self.attempts)

    def _receive(self, body: bytes, signed: Signed) -> int:
        with self._lock:
            if not verifies(self.secret, body, signed, now=time.time() + self.clock_ahead):
                answer = UNVERIFIED
            else:
                answer = self._script.pop(0) if self._script else 200
            self.attempts.append(Attempt(signed.id, body, signed, answer))
            if answer in (200, HANG_UP) and signed.id not in self.deliveries:
                self.deliveries.append(signed.id)
            return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = Signed(
                    self.headers.get(ID_HEADER, ""),
                    self.headers.get(TIMESTAMP_HEADER, ""),
                    self.headers.get(SIGNATURE_HEADER, ""),
                    self.headers.get(IDEMPOTENCY_HEADER, ""),
                )
                answer = receiver._receive(body, signed)
                if answer == HANG_UP:
                    self.close_connection = True
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep pytest's output for the tests

        return Handler
