"""A webhook receiver on loopback that records what the Notifier delivers."""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from activities.notify import IDEMPOTENCY_HEADER, SIGNATURE_HEADER

SECRET = b"shared-with-the-platform"
# A scripted answer: the receiver takes the delivery, then hangs up before answering
# (the platform has it, but the Notifier never hears so).
HANG_UP = 0


def verifies(secret: bytes, body: bytes, signature: str) -> bool:
    """The receiver's check, written independently of `activities.notify.sign`."""
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass(frozen=True)
class Attempt:
    key: str
    body: bytes
    signature: str
    answer: int


class Receiver:
    """A platform's webhook on 127.0.0.1: answers as scripted by `will_answer`, then 200.

    Like a real receiver it is idempotent: it acts on each Idempotency-Key once
    (`deliveries`) and acknowledges a repeat without acting again. An error answer means
    it did not act; a hang-up means it did.
    """

    def __init__(self) -> None:
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

    def _receive(self, key: str, body: bytes, signature: str) -> int:
        with self._lock:
            answer = self._script.pop(0) if self._script else 200
            self.attempts.append(Attempt(key, body, signature, answer))
            if answer in (200, HANG_UP) and key not in self.deliveries:
                self.deliveries.append(key)
            return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = receiver._receive(
                    self.headers.get(IDEMPOTENCY_HEADER, ""),
                    body,
                    self.headers.get(SIGNATURE_HEADER, ""),
                )
                if answer == HANG_UP:
                    self.close_connection = True
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep pytest's output for the tests

        return Handler
