"""`make run` (the launcher it runs): the worker with its dev server and the gateway beside
it, their addresses and their metrics endpoints in one banner with how to create the first
API key; Ctrl-C stops both, and both stop when either ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sims_support.config import Settings
from sims_support.gateway.devrun import taken_port, with_metrics
from tests.gateway.conftest import free_port


def waited(done: Callable[[], bool], seconds: float = 45.0) -> bool:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, dict[str, int]]]:
    names = ("dev", "ui", "gateway", "metrics", "gateway_metrics")
    ports = {name: free_port() for name in names}
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}
    env |= {
        "SIMS_DEV_PORT": str(ports["dev"]),
        "SIMS_DEV_UI_PORT": str(ports["ui"]),
        "SIMS_GATEWAY_PORT": str(ports["gateway"]),
        "SIMS_METRICS_PORT": str(ports["metrics"]),
        "SIMS_GATEWAY_METRICS_PORT": str(ports["gateway_metrics"]),
        "SIMS_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        # A session of its own: the test's Ctrl-C goes to it and its children only.
        process = subprocess.Popen(
            [sys.executable, "-m", "sims_support.gateway.devrun"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    yield process, log, ports
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_make_run_starts_worker_and_gateway_in_one_banner_and_ctrl_c_stops_both(
    launched: tuple[subprocess.Popen[bytes], Path, dict[str, int]],
) -> None:
    process, log, ports = launched
    assert waited(lambda: "Stop:" in log.read_text()), log.read_text()
    base = f"http://127.0.0.1:{ports['gateway']}"
    worker_metrics = f"http://127.0.0.1:{ports['metrics']}/metrics"
    gateway_metrics = f"http://127.0.0.1:{ports['gateway_metrics']}/metrics"

    assert waited(lambda: _answers(f"{base}/readyz") == 200), log.read_text()
    lines = log.read_text().splitlines()
    ui = next(i for i, line in enumerate(lines) if "Temporal UI:" in line)
    assert lines[ui + 1 : ui + 4] == [
        f"  HTTP API:      {base}/v1   (docs: {base}/docs)",
        f"  Metrics:       {worker_metrics}   (the worker's: the SDK's and sims_*)",
        f"                 {gateway_metrics}   (the gateway's: its client's and requests)",
    ]
    assert lines[ui + 4].startswith("  API keys:      no API key yet: create the first with ")
    assert lines[ui + 5].startswith("  Try next:")
    assert sum(line.startswith("  Metrics:") for line in lines) == 1  # the worker's not again
    assert "temporal_" in httpx.get(worker_metrics, timeout=5).text
    readiness = 'sims_gateway_requests_total{method="GET",route="/readyz"'
    assert readiness in httpx.get(gateway_metrics, timeout=5).text

    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the terminal sends it

    assert process.wait(30) == 0, log.read_text()
    assert "Stopping the worker and the dev server" in log.read_text()
    assert not any(_listening(port) for name, port in ports.items() if name != "ui"), (
        log.read_text()
    )


def test_make_run_serves_metrics_on_9464_and_9465_unless_the_caller_chose_ports() -> None:
    defaults = with_metrics(Settings(_env_file=None))
    chosen = with_metrics(Settings(_env_file=None, metrics_port=9100, gateway_metrics_port=9101))

    assert (defaults.metrics_port, defaults.gateway_metrics_port) == (9464, 9465)
    assert (chosen.metrics_port, chosen.gateway_metrics_port) == (9100, 9101)


def test_make_run_refuses_one_port_for_both_metrics_endpoints_before_it_starts() -> None:
    port = free_port()
    settings = Settings(
        _env_file=None, gateway_port=free_port(), metrics_port=port, gateway_metrics_port=port
    )

    assert taken_port(settings) == (
        f"port {port} is asked for by the worker's metrics and the gateway's metrics: "
        "set SIMS_GATEWAY_METRICS_PORT"
    )


def _listening(port: int) -> bool:
    """Whether anything still accepts connections there (a port that served is in TIME_WAIT
    a while, so binding it is no test)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _answers(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_when_the_gateway_ends_the_worker_and_its_dev_server_are_stopped_too(
    launched: tuple[subprocess.Popen[bytes], Path, dict[str, int]],
) -> None:
    process, log, ports = launched
    assert waited(lambda: "Stop:" in log.read_text()), log.read_text()
    [gateway] = [pid for pid in _children(process.pid) if b"gateway.serve" in _command(pid)]

    os.kill(gateway, signal.SIGKILL)

    assert process.wait(30) != 0, "a gateway killed is a failure of make run"
    assert "Stopping the worker and the dev server" in log.read_text()
    assert not _listening(ports["dev"]), log.read_text()


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def _command(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
