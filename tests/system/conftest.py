"""The real thing: the dev server `worker.py --dev` runs, the worker and `sims-case` as
separate processes configured through SIMS_ variables, as an operator would run them."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from sims_support.config import find_binary
from sims_support.runtime.devserver import DevServer, start_dev_server

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
# Support open every hour of every day, bank holidays too: a worker with these settings
# fires real timers whenever the test runs.
ALWAYS_OPEN = {
    "SIMS_SUPPORT_OPENS": "00:00",
    "SIMS_SUPPORT_CLOSES": "23:59:59.999999",
    "SIMS_SUPPORT_WEEKDAYS": "0,1,2,3,4,5,6",
    "SIMS_BANK_HOLIDAYS": "false",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique(prefix: str) -> str:
    return f"{prefix}-SYS-{secrets.token_hex(4).upper()}"


def poll(fetch: Callable[[], T], done: Callable[[T], bool], seconds: float = 30.0) -> T:
    """Fetch until `done` (visibility and timers take a moment); bounded in time."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


@pytest.fixture(scope="session")
async def dev_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    db_file = tmp_path_factory.mktemp("temporal") / "temporal.db"
    server = await start_dev_server(db_file, free_port(), ui_port=None)
    yield server
    server.stop()


@dataclass
class Sims:
    """Runs `sims-case` and `python worker.py` against one server, in a clean environment."""

    address: str
    home: Path
    task_queue: str = field(default_factory=lambda: f"sims-system-{secrets.token_hex(4)}")
    settings: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        # No SIMS_ setting of the developer's shell leaks in; a `.env` in home would, so
        # home is a fresh temporary directory.
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}
        return {
            **clean,
            "SIMS_TEMPORAL_ADDRESS": self.address,
            "SIMS_TASK_QUEUE": self.task_queue,
            "SIMS_DATA_DIR": str(self.home / "data"),
            # The system tests hold no real data: their workers run without keys.
            "SIMS_ALLOW_PLAINTEXT": "true",
            **self.settings,
            **extra,
        }

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """`sims-case ARGS` as installed (the pyproject script), pointed at the server."""
        command = find_binary("sims-case")
        assert command, "sims-case is not installed: pip install -e '.[dev]'"
        return subprocess.run(
            [command, "--address", self.address, "--task-queue", self.task_queue, *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.home,
            env=self.env(),
            timeout=90,
        )

    def worker_command(self, *flags: str) -> list[str]:
        return [sys.executable, str(ROOT / "worker.py"), *flags]

    def start_worker(self, *flags: str, **env: str) -> subprocess.Popen[bytes]:
        """`python worker.py FLAGS`; returns once it says it is running."""
        log = self.home / f"worker-{len(self.workers)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                self.worker_command(*flags),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                env=self.env(**env),
            )
        self.workers.append(process)
        deadline = time.monotonic() + 30
        while "worker is running" not in log.read_text():
            assert process.poll() is None, f"the worker stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the worker did not start:\n{log.read_text()}"
            time.sleep(0.1)
        return process

    def log_of(self, process: subprocess.Popen[bytes]) -> str:
        return (self.home / f"worker-{self.workers.index(process)}.log").read_text()

    def stop_all(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def sims(dev_server: DevServer, tmp_path: Path) -> Iterator[Sims]:
    operator = Sims(address=dev_server.address, home=tmp_path)
    yield operator
    operator.stop_all()
