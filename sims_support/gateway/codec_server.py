"""The codec server (DESIGN §8, §14): lets the Temporal Web UI and CLI show encrypted payloads.

Temporal's remote codec protocol: `POST {endpoint}/decode` (and `/encode`) with
`{"payloads": [{"metadata": {k: base64}, "data": base64}]}`, answered in kind. Callers
present `Authorization: Bearer <SIMS_CODEC_TOKEN>`; browsers on `SIMS_CODEC_ORIGINS`
may call it cross-origin (the UI's preflight included). Served by FastAPI on uvicorn,
as the gateway is.

    python -m sims_support.gateway.codec_server [--host 127.0.0.1] [--port 8234]
    temporal workflow show -w case-REF --codec-endpoint http://localhost:8234 \\
        --codec-auth "Bearer $SIMS_CODEC_TOKEN"
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import ipaddress
import socket
import sys
import threading
from collections.abc import Sequence

import h11
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads
from uvicorn.protocols.http.h11_impl import H11Protocol

from sims_support.config import Settings
from sims_support.security.codec import CodecError, Keyring, decrypt, encrypt

MAX_BODY = 8 * 1024 * 1024
IDLE_TIMEOUT = 5  # seconds a connection may go without a whole request head
BODY_TIMEOUT = 30  # seconds for a body to arrive once its head has
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"


class CodecServer:
    """Serves /encode and /decode on a background thread; a context manager. Listens from
    construction, so `url` is known (and a taken port fails) before `start()`."""

    def __init__(
        self,
        keyring: Keyring,
        token: str | None,
        origins: Sequence[str] = ("http://localhost:8233",),
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_timeout: int = IDLE_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        if token is None and not is_loopback(host):
            raise ValueError("set SIMS_CODEC_TOKEN first (without one, loopback only)")
        self.keyring = keyring
        self.token = token
        self.origins = frozenset(o.strip().rstrip("/") for o in origins if o.strip())
        self._host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            _app(self, body_timeout),
            http=_HeadDeadline,
            timeout_keep_alive=idle_timeout,
            timeout_graceful_shutdown=1,
            lifespan="off",
            ws="none",
            log_config=None,  # the worker's logging is the worker's
            access_log=False,  # request lines would show who decoded what: keep quiet
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = self._host
        if is_loopback(host):
            host = "[::1]" if ":" in host else "localhost"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> CodecServer:
        self._thread = threading.Thread(
            target=self._server.run, args=([self._socket],), name="codec-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def serve_forever(self) -> None:
        """In the calling thread, until SIGINT or SIGTERM."""
        try:
            self._server.run([self._socket])
        except KeyboardInterrupt:
            pass  # uvicorn has already shut down cleanly; it re-raises the signal
        finally:
            self._socket.close()

    def __enter__(self) -> CodecServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def authorised(self, header: str | None) -> bool:
        if self.token is None:
            return True  # loopback only, and only a loopback Host (see _Guard)
        expected = f"Bearer {self.token}"
        return header is not None and hmac.compare_digest(header.encode(), expected.encode())

    def allowed_origin(self, header: str | None) -> str | None:
        origin = (header or "").rstrip("/")
        return origin if origin in self.origins else None

    def transform(self, path: str, body: bytes) -> bytes:
        """The answer to one /encode or /decode body; ValueError when it is not one."""
        step = encrypt if path.endswith("/encode") else decrypt
        request = Payloads()
        json_format.Parse(body, request)
        answer = Payloads(payloads=[step(self.keyring, p) for p in request.payloads])
        return json_format.MessageToJson(answer).encode()


class _HeadDeadline(H11Protocol):
    """uvicorn times a connection out only after a response, and any byte restarts that
    clock. Here a whole request head must arrive within the keep-alive timeout of the
    connection opening or of the last response, however slowly it trickles in."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        self._arm()
        super().on_response_complete()

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.timeout_keep_alive, self._expire)

    def _expire(self) -> None:
        # Waiting for a head, or answered while the body still comes: either way, done.
        # (On a connection already lost, the handler does nothing.)
        if self.conn.their_state is h11.IDLE or self.conn.our_state is h11.DONE:
            self.timeout_keep_alive_handler()


class _Guard:
    """Before the app, the Host check of a tokenless server; around it, the CORS headers
    an allowed origin's answers carry."""

    def __init__(self, app: ASGIApp, codec: CodecServer) -> None:
        self.app, self.codec = app, codec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)  # http only: no lifespan, no websockets
        # A page on a rebound DNS name reaches loopback too, but names its own host.
        loopback = {f"{name}:{self.codec.port}" for name in ("localhost", "127.0.0.1", "[::1]")}
        if self.codec.token is None and headers.get("host", "").lower() not in loopback:
            message = f"without a token, only Host: localhost:{self.codec.port} is answered"
            return await _refusal(400, message)(scope, receive, send)
        origin = self.codec.allowed_origin(headers.get("origin"))
        if origin is None:
            return await self.app(scope, receive, send)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                cors = MutableHeaders(scope=message)
                cors["Access-Control-Allow-Origin"] = origin
                cors["Access-Control-Allow-Methods"] = "POST, OPTIONS"
                cors["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                cors["Access-Control-Allow-Credentials"] = "true"
                cors["Vary"] = "Origin"
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Given before the body is read: the connection closes, the rest is never read."""
    return JSONResponse({"message": message}, status, {**(headers or {}), "Connection": "close"})


async def _body(request: Request) -> bytes | None:
    """None past MAX_BODY, counted as it streams: the length header is h11's to check."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def _app(codec: CodecServer, body_timeout: float) -> ASGIApp:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.options("/{path:path}")
    async def preflight(request: Request) -> Response:
        # A preflight carries no credentials: answer it for allowed origins only.
        allowed = codec.allowed_origin(request.headers.get("origin"))
        return Response(status_code=204 if allowed else 403)

    @app.post("/{path:path}")
    async def transform(request: Request) -> Response:
        path = request.url.path.rstrip("/")
        if not path.endswith(("/encode", "/decode")):
            return _refusal(404, "POST /encode or /decode")
        if not codec.authorised(request.headers.get("authorization")):
            challenge = {"WWW-Authenticate": 'Bearer realm="sims-codec"'}
            return _refusal(
                401, "a bearer token is required (Authorization: Bearer ...)", challenge
            )
        if not {"content-length", "transfer-encoding"} & set(request.headers.keys()):
            return _refusal(411, "a body is required, with its Content-Length")
        try:
            async with asyncio.timeout(body_timeout):
                body = await _body(request)
        except (TimeoutError, ClientDisconnect):
            return _refusal(408, f"the body did not arrive within {body_timeout} s")
        if body is None:
            return _refusal(413, f"a body is at most {MAX_BODY} bytes")
        try:
            answer = await run_in_threadpool(codec.transform, path, body)
        except (CodecError, json_format.ParseError, ValueError) as err:
            return JSONResponse({"message": str(err)[:300]}, 400)
        return Response(answer, media_type="application/json")

    return _Guard(app, codec)


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
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
    try:
        settings = Settings()
    except ValidationError as err:
        from sims_support.config import one_line

        sys.exit(f"codec_server: configuration: {one_line(err)}")
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
    origins = settings.codec_origins.split(",")
    try:
        server = CodecServer(keyring, token, origins, args.host, args.port)
    except (OSError, OverflowError, ValueError) as err:  # a taken port, a wide host, no token
        sys.exit(f"codec_server: cannot listen on {args.host}:{args.port}: {err}")
    print(f"codec server on {server.url} (keys: {', '.join(k for k, _ in keyring.keys)})")
    server.serve_forever()


if __name__ == "__main__":
    main()
