"""`make run`: the worker with its embedded dev server (`python worker.py --dev`) and the
HTTP gateway (`sims-gateway --dev`), as one command.

The worker's banner is passed through with the gateway's address and its docs beside the
UI's, both metrics endpoints (the worker's on SIMS_METRICS_PORT, the gateway's on
SIMS_GATEWAY_METRICS_PORT: 9464 and 9465 unless set), and, while the key store holds no
active key, how to create the first. Ctrl-C reaches both (they share the terminal's
process group) and each stops itself; if either ends, the other is stopped; SIGTERM is
passed on to both. Each child is asked to get SIGTERM should this process be killed
outright (Linux).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

from pydantic import ValidationError

from sims_support.config import Settings
from sims_support.gateway.serve import first_key_hint, metrics_url, urls
from sims_support.runtime.connect import one_line
from sims_support.runtime.devserver import port_is_free
from sims_support.runtime.supervision import die_with_parent

BESIDE = "  Try next:"  # the worker's banner line the gateway's lines go before
SAID = "  Metrics:"  # the worker's own metrics line: said in the lines added already
WORKER_METRICS_PORT = 9464
GATEWAY_METRICS_PORT = 9465
STOP_WAIT = 15.0
# `make run` runs in the checkout; elsewhere, the checkout this package is installed from.
WORKER = (Path("worker.py"), Path(__file__).resolve().parents[2] / "worker.py")


def with_metrics(settings: Settings) -> Settings:
    """Both processes serve metrics: on the ports the caller set, else the defaults."""
    return settings.model_copy(
        update={
            "metrics_port": settings.metrics_port or WORKER_METRICS_PORT,
            "gateway_metrics_port": settings.gateway_metrics_port or GATEWAY_METRICS_PORT,
        }
    )


def banner(settings: Settings) -> list[str]:
    base, docs = urls(settings)
    worker_metrics = f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
    lines = [
        f"  HTTP API:      {base}/v1   (docs: {docs})",
        f"  Metrics:       {worker_metrics}   (the worker's: the SDK's and sims_*)",
        f"                 {metrics_url(settings)}   (the gateway's: its client's and requests)",
    ]
    hint = first_key_hint(settings)
    if hint:
        lines.append(f"  API keys:      {hint}")
    return lines


def relay(source: IO[str], extra: Callable[[], list[str]], out: IO[str] = sys.stdout) -> None:
    """The worker's output, line by line, with `extra()` before its `Try next` line."""
    added = False
    for line in source:
        if not added and line.startswith(BESIDE):
            for more in extra():
                out.write(more + "\n")
            added = True
        elif added and line.startswith(SAID):
            continue
        out.write(line)
        out.flush()


def commands(worker: Path) -> tuple[list[str], list[str]]:
    python = sys.executable
    gateway = [python, "-m", "sims_support.gateway.serve", "--dev", "--quiet"]
    return [python, str(worker), "--dev"], [*gateway, "--log-level", "warning"]


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: Sequence[str] | None = None) -> None:
    worker_script = next((p for p in WORKER if p.is_file()), None)
    if worker_script is None:
        sys.exit("make run: worker.py is not here: run it from the repository's root")
    try:
        settings = with_metrics(Settings())
    except ValidationError as err:
        sys.exit(f"make run: configuration: {one_line(err)}")
    if (taken := taken_port(settings)) is not None:
        sys.exit(f"make run: {taken}")
    # Set for both children: a variable beats `.env`, and each reads only its own port.
    env = os.environ | {
        "SIMS_METRICS_PORT": str(settings.metrics_port),
        "SIMS_GATEWAY_METRICS_PORT": str(settings.gateway_metrics_port),
    }
    worker_command, gateway_command = commands(worker_script)
    preexec = die_with_parent()
    worker = subprocess.Popen(
        worker_command, stdout=subprocess.PIPE, text=True, bufsize=1, preexec_fn=preexec, env=env
    )
    gateway = subprocess.Popen(gateway_command, text=True, preexec_fn=preexec, env=env)
    children = (worker, gateway)

    def passed_on(signum: int, _: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    # Ctrl-C reaches the children from the terminal; we wait for them to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, passed_on)
    assert worker.stdout is not None
    relaying = threading.Thread(
        target=relay, args=(worker.stdout, lambda: banner(settings)), daemon=True
    )
    relaying.start()
    while all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        stop(child)
    relaying.join(timeout=2)
    sys.exit(outcome(worker.returncode, gateway.returncode))


def taken_port(settings: Settings) -> str | None:
    """Why a port the gateway or a metrics endpoint needs cannot be had, or None; said
    before anything starts."""
    wanted = [
        (settings.gateway_port, settings.gateway_host, "the HTTP gateway", "SIMS_GATEWAY_PORT"),
        (settings.metrics_port, settings.metrics_host, "the worker's metrics", "SIMS_METRICS_PORT"),
        (
            settings.gateway_metrics_port,
            settings.metrics_host,
            "the gateway's metrics",
            "SIMS_GATEWAY_METRICS_PORT",
        ),
    ]
    seen: dict[int, str] = {}
    for port, host, what, variable in wanted:
        assert port is not None  # `with_metrics` set them
        if port in seen:
            return f"port {port} is asked for by {seen[port]} and {what}: set {variable}"
        seen[port] = what
        if not port_is_free(port, host):
            return (
                f"port {port} ({what}) is already in use, perhaps by another `make run`: "
                f"stop that, or choose another with {variable}"
            )
    return None


def outcome(*codes: int | None) -> int:
    """The first child's failure, else 0 (stopped by us, or by Ctrl-C, is no failure)."""
    stopped = (0, None, -signal.SIGTERM, -signal.SIGINT)
    return next((code for code in codes if code not in stopped and code is not None), 0)


if __name__ == "__main__":
    main()
