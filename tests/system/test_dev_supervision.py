"""`python worker.py --dev` and its server live and die together: a worker killed with
SIGKILL leaves no server on its ports, and a worker whose server dies stops, saying so."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from sims_support.runtime.devserver import port_is_free, start_dev_server
from tests.system.conftest import Sims, free_port, poll

pytestmark = pytest.mark.timeout(180)


def running(pid: int) -> bool:
    """Alive and not a zombie: an orphan's new parent here may never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def server_pid(sims: Sims) -> int:
    return int((sims.home / "data" / "temporal.pid").read_text())


def dev_ports() -> dict[str, str]:
    return {"SIMS_DEV_PORT": str(free_port()), "SIMS_DEV_UI_PORT": str(free_port())}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
async def test_after_a_sigkill_of_the_worker_its_server_goes_and_the_next_start_has_the_ports(
    sims: Sims,
) -> None:
    ports = dev_ports()
    first = sims.start_worker("--dev", **ports)
    address = f"localhost:{ports['SIMS_DEV_PORT']}"
    opened = sims.cli("--address", address, "open", "--example", "p3-enquiry", "--json")
    assert opened.returncode == 0, opened.stderr
    server = server_pid(sims)

    first.send_signal(signal.SIGKILL)
    first.wait(10)

    assert not poll(lambda: running(server), lambda alive: not alive), "the server outlived it"
    assert port_is_free(int(ports["SIMS_DEV_PORT"]))
    second = sims.start_worker("--dev", **ports)  # not "port ... is already in use"
    reference = json.loads(opened.stdout)["reference"]
    shown = sims.cli("--address", address, "status", reference)
    assert shown.returncode == 0, shown.stderr  # the same database, kept
    second.send_signal(signal.SIGINT)
    assert second.wait(20) == 0


async def test_a_server_left_running_by_a_killed_worker_is_stopped_by_the_next_start(
    sims: Sims,
) -> None:
    """Where the kernel cannot tie the server to its worker (not Linux), the pid file does."""
    ports = dev_ports()
    leftover = await start_dev_server(
        sims.home / "data" / "temporal.db", int(ports["SIMS_DEV_PORT"]), ui_port=None
    )
    try:
        dev = sims.start_worker("--dev", **ports)
        assert leftover.process.wait(20) is not None
        assert server_pid(sims) != leftover.process.pid
        dev.send_signal(signal.SIGINT)
        assert dev.wait(20) == 0
        assert not (sims.home / "data" / "temporal.pid").exists()
    finally:
        leftover.stop()


async def test_when_its_server_dies_the_worker_stops_with_a_message(sims: Sims) -> None:
    dev = sims.start_worker("--dev", **dev_ports())

    os.kill(server_pid(sims), signal.SIGKILL)

    assert dev.wait(30) != 0
    log = sims.log_of(dev)
    assert "sims-worker: the Temporal dev server was killed by SIGKILL, so the worker stops" in log
    assert "Traceback" not in log
