"""Reaching Temporal and running the worker: a cluster from the settings, or `--dev`.

The worker and the command line both connect through `connect()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.client import Client, TLSConfig
from temporalio.runtime import Runtime

from sims_support.config import Settings, one_line
from sims_support.runtime.converter import data_converter
from sims_support.runtime.devserver import (
    DevServer,
    DevServerStopped,
    StartupError,
    start_dev_server,
)
from sims_support.runtime.metrics import runtime_for

__all__ = [
    "DevServerStopped",
    "StartupError",
    "Unreachable",
    "connect",
    "one_line",
    "run_worker",
    "tls_config",
]


if TYPE_CHECKING:
    from temporalio.worker import Worker

    # The worker's own module builds it: only the type is needed here.
    WorkerFactory = Callable[..., Worker]


class Unreachable(StartupError):
    """Temporal did not answer: the CLI's exit code 1."""


def tls_config(settings: Settings) -> TLSConfig | bool:
    if not settings.uses_tls:
        return False

    def read(path: Path | None) -> bytes | None:
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError as err:
            raise StartupError(
                f"cannot read {path}: {err.strerror}; check SIMS_TEMPORAL_TLS_CA/CERT/KEY"
            ) from None

    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca),
        client_cert=read(settings.temporal_tls_cert),
        client_private_key=read(settings.temporal_tls_key),
        domain=settings.temporal_tls_server_name,
    )


async def connect(
    settings: Settings,
    *,
    address: str | None = None,
    namespace: str | None = None,
    runtime: Runtime | None = None,
) -> Client:
    """A client with the pydantic converter (encrypting when keys are configured);
    `Unreachable` when Temporal does not answer. `runtime`: the one exporting metrics
    (`runtime_for`: the worker's or the gateway's; a command's never binds a port)."""
    address = address or settings.temporal_address
    namespace = namespace or settings.temporal_namespace
    api_key = settings.temporal_api_key
    try:
        return await asyncio.wait_for(
            Client.connect(
                address,
                namespace=namespace,
                tls=tls_config(settings),
                api_key=api_key.get_secret_value() if api_key else None,
                data_converter=data_converter(settings.keyring),
                runtime=runtime,
            ),
            timeout=settings.connect_timeout,
        )
    except (RuntimeError, TimeoutError) as err:
        reason = "no answer" if isinstance(err, TimeoutError) else _reason(str(err))
        raise Unreachable(
            f"cannot reach Temporal at {address} (namespace {namespace}): {reason}. "
            "Start the embedded server with `make run`, or point --address / "
            "SIMS_TEMPORAL_ADDRESS at your cluster"
        ) from None


def _reason(message: str) -> str:
    known = ("connection refused", "dns error", "certificate", "unauthenticated", "deadline")
    return next(
        (hint for hint in known if hint in message.lower()),
        message.removeprefix("Failed client connect: ")[:200],
    )


def _say(line: str) -> None:
    print(line, flush=True)


async def run_worker(
    settings: Settings,
    create_worker: WorkerFactory,
    *,
    dev: bool = False,
    say: Callable[[str], None] = _say,
) -> None:
    """Run the worker until Ctrl-C or SIGTERM; with `dev`, inside its own dev server.
    `create_worker` is `worker.create_worker`: this package never imports the workflows."""
    # Read the policy and the calendar first: a bad policy file stops us before anything runs.
    _ = (settings.policy, settings.calendar)
    if not dev:
        _check_encryption(settings)
    server: DevServer | None = None
    codec = None
    try:
        if dev:
            # Only the dev worker serves the codec (and pays for cryptography's import).
            from sims_support.gateway.codec_server import start_for_dev

            codec = start_for_dev(settings)
            db_file = settings.data_dir / "temporal.db"
            endpoint = codec.url if codec else None
            server = await start_dev_server(
                db_file, settings.dev_port, settings.dev_ui_port, codec_endpoint=endpoint
            )
            settings = _plain(settings, server.address)
        client = await connect(settings, runtime=runtime_for(settings))
        try:
            async with create_worker(client, settings.task_queue, settings=settings):
                say(_banner(settings, server))
                if codec is not None:
                    say(f"  Codec server:  {codec.url} (the UI decrypts payloads through it)")
                if settings.metrics_port is not None:
                    where = f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
                    say(f"  Metrics:       {where} (Prometheus: the SDK's and sims_*)")
                await until_stopped(server)
                say("Stopping the worker" + (" and the dev server" if server else "") + "...")
        except (Exception, asyncio.CancelledError):
            # A dev server that dies can fail the worker's polls (a fatal worker error, which
            # cancels this task) before its watcher sees it end: say why, not how.
            if server is not None and (ended := await _ended(server)) is not None:
                raise ended from None
            raise
    finally:
        if server is not None:
            server.stop()
        if codec is not None:
            codec.stop()


async def _ended(server: DevServer, wait: float = 5.0) -> DevServerStopped | None:
    """Why the dev server ended, if it ends within `wait` seconds (its exit is reaped)."""
    try:
        return await asyncio.wait_for(server.exited(), wait)
    except TimeoutError:
        return None


def _check_encryption(settings: Settings) -> None:
    """Outside `--dev`, no keys means personal data in clear in Temporal's history."""
    if settings.codec_keys is not None:
        return
    if not settings.allow_plaintext:
        raise StartupError(
            "SIMS_CODEC_KEYS is not set, so case payloads (personal data) would be written "
            "to Temporal unencrypted: refusing to start. Set SIMS_CODEC_KEYS (make a key with "
            "`python -m sims_support.security.codec new-key`), or SIMS_ALLOW_PLAINTEXT=true "
            "where no data is real"
        )
    print(
        "WARNING: SIMS_CODEC_KEYS is not set: this worker writes payloads to Temporal "
        "UNENCRYPTED (SIMS_ALLOW_PLAINTEXT=true); never run it so with real personal data",
        file=sys.stderr,
        flush=True,
    )


async def until_stopped(server: DevServer | None = None) -> None:
    """Returns on SIGINT (Ctrl-C) or SIGTERM (`docker stop`); raises `DevServerStopped`
    if `server` ends first, so the worker does not retry beside a dead server."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    signalled = asyncio.ensure_future(stop.wait())
    ended = asyncio.ensure_future(server.exited()) if server is not None else None
    try:
        await asyncio.wait(
            [signalled, *([ended] if ended else [])], return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        signalled.cancel()
        if ended is not None:
            ended.cancel()
    if ended is not None and ended.done() and not ended.cancelled():
        raise ended.result()


def _plain(settings: Settings, address: str) -> Settings:
    """The dev server speaks plain gRPC in the default namespace, whatever `.env` says."""
    return settings.model_copy(
        update={
            "temporal_address": address,
            "temporal_namespace": "default",
            "temporal_tls": False,
            "temporal_tls_ca": None,
            "temporal_tls_cert": None,
            "temporal_tls_key": None,
            "temporal_api_key": None,
        }
    )


def _banner(settings: Settings, server: DevServer | None) -> str:
    where = f"{settings.temporal_address}, namespace {settings.temporal_namespace}"
    lines = [f"SIMS support worker is running on task queue {settings.task_queue} ({where})."]
    if server is not None:
        lines.append(f"  Temporal data: {settings.data_dir / 'temporal.db'}")
        if server.ui_url:
            lines.append(f"  Temporal UI:   {server.ui_url}/namespaces/default/workflows")
    lines += [
        f"  Try next:      {_cli_command()} open --example p1-incident   (in another terminal)",
        "  Stop:          Ctrl-C",
    ]
    return "\n".join(lines)


def _cli_command() -> str:
    """`sims-case` when it is on PATH, else where this venv keeps it."""
    if shutil.which("sims-case"):
        return "sims-case"
    local = Path(sys.executable).parent / "sims-case"
    with contextlib.suppress(ValueError):
        return str(local.relative_to(Path.cwd()))
    return str(local)
