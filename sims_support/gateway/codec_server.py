"""The codec server (DESIGN §8): lets the Temporal Web UI and CLI show encrypted payloads.

Temporal's remote codec protocol: `POST {endpoint}/decode` (and `/encode`) with
`{"payloads": [{"metadata": {k: base64}, "data": base64}]}`, answered in kind. Callers
present `Authorization: Bearer <SIMS_CODEC_TOKEN>`; browsers on `SIMS_CODEC_ORIGINS`
may call it cross-origin (the UI's preflight included).

    python -m sims_support.gateway.codec_server [--host 127.0.0.1] [--port 8234]
    temporal workflow show -w case-REF --codec-endpoint http://localhost:8234 \\
        --codec-auth "Bearer $SIMS_CODEC_TOKEN"
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import json
import sys
import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from sims_support.config import Settings
from sims_support.security.codec import CodecError, Keyring, decrypt, encrypt

MAX_BODY = 8 * 1024 * 1024
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"


class CodecServer:
    """Serves /encode and /decode on a background thread; a context manager."""

    def __init__(
        self,
        keyring: Keyring,
        token: str | None,
        origins: Sequence[str] = ("http://localhost:8233",),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.keyring = keyring
        self.token = token
        self.origins = frozenset(o.strip().rstrip("/") for o in origins if o.strip())
        self._host = host
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._host, self._server.server_address[1]
        return f"http://{'localhost' if is_loopback(host) else host}:{port}"

    def start(self) -> CodecServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        """In the calling thread, until KeyboardInterrupt."""
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()

    def __enter__(self) -> CodecServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def authorised(self, header: str | None) -> bool:
        if self.token is None:
            return True  # loopback only: main() refuses to listen wider without a token
        expected = f"Bearer {self.token}"
        return header is not None and hmac.compare_digest(header.encode(), expected.encode())

    def transform(self, path: str, body: bytes) -> bytes:
        """The answer to one /encode or /decode body; ValueError when it is not one."""
        step: Callable[[Keyring, Payload], Payload]
        step = encrypt if path.endswith("/encode") else decrypt
        request = Payloads()
        json_format.Parse(body, request)
        answer = Payloads(payloads=[step(self.keyring, p) for p in request.payloads])
        return json_format.MessageToJson(answer).encode()


def _handler(codec: CodecServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_OPTIONS(self) -> None:
            # A preflight carries no credentials: answer it for allowed origins only.
            self._reply(HTTPStatus.NO_CONTENT if self._origin() else HTTPStatus.FORBIDDEN)

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/")
            if not path.endswith(("/encode", "/decode")):
                return self._reply(HTTPStatus.NOT_FOUND, {"message": "POST /encode or /decode"})
            if not codec.authorised(self.headers.get("Authorization")):
                return self._reply(
                    HTTPStatus.UNAUTHORIZED,
                    {"message": "a bearer token is required (Authorization: Bearer ...)"},
                    {"WWW-Authenticate": 'Bearer realm="sims-codec"'},
                )
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "too large"})
            try:
                answer = codec.transform(path, self.rfile.read(length))
            except (CodecError, json_format.ParseError, ValueError) as err:
                return self._reply(HTTPStatus.BAD_REQUEST, {"message": str(err)[:300]})
            self._reply(HTTPStatus.OK, raw=answer)

        def _origin(self) -> str | None:
            origin = (self.headers.get("Origin") or "").rstrip("/")
            return origin if origin in codec.origins else None

        def _reply(
            self,
            status: HTTPStatus,
            message: dict[str, str] | None = None,
            headers: dict[str, str] | None = None,
            raw: bytes | None = None,
        ) -> None:
            body = raw if raw is not None else json.dumps(message).encode() if message else b""
            self.send_response(status)
            origin = self._origin()
            if origin:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.send_header("Vary", "Origin")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if body:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # request lines would show who decoded what, not the data: keep quiet

    return Handler


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_for_dev(settings: Settings) -> CodecServer | None:
    """`worker.py --dev`: the codec server on loopback beside the dev UI, when keys are set."""
    keyring = settings.keyring
    if keyring is None or not settings.dev_ui_port:
        return None
    token = settings.codec_token.get_secret_value() if settings.codec_token else None
    origins = [*settings.codec_origins.split(","), f"http://localhost:{settings.dev_ui_port}"]
    return CodecServer(keyring, token, origins, "127.0.0.1", settings.codec_port).start()


def main(argv: Sequence[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description="the SIMS codec server for the Temporal UI")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.codec_port)
    args = parser.parse_args(argv)
    keyring = settings.keyring
    if keyring is None:
        sys.exit(
            "codec_server: set SIMS_CODEC_KEYS "
            "(python -m sims_support.security.codec new-key makes one)"
        )
    token = settings.codec_token.get_secret_value() if settings.codec_token else None
    if token is None and not is_loopback(args.host):
        sys.exit(f"codec_server: set SIMS_CODEC_TOKEN before listening on {args.host}")
    server = CodecServer(keyring, token, settings.codec_origins.split(","), args.host, args.port)
    print(f"codec server on {server.url} (keys: {', '.join(k for k, _ in keyring.keys)})")
    server.serve_forever()


if __name__ == "__main__":
    main()
