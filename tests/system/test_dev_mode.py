"""`python worker.py --dev` (what `make run` runs): its own server, a clean stop, plain errors."""

from __future__ import annotations

import signal
import subprocess

import pytest

from sims_support.runtime.devserver import DevServer, port_is_free
from tests.system.conftest import Sims, free_port

pytestmark = pytest.mark.timeout(120)


async def test_dev_mode_runs_a_server_and_a_worker_and_ctrl_c_stops_both(sims: Sims) -> None:
    port, ui_port = free_port(), free_port()
    dev = sims.start_worker("--dev", SIMS_DEV_PORT=str(port), SIMS_DEV_UI_PORT=str(ui_port))
    banner = sims.log_of(dev)
    assert f"http://localhost:{ui_port}" in banner
    assert "open --example p1-incident" in banner
    assert (sims.home / "data" / "temporal.db").exists()

    opened = sims.cli("--address", f"localhost:{port}", "open", "--example", "p3-enquiry")
    assert opened.returncode == 0, opened.stderr

    dev.send_signal(signal.SIGINT)
    assert dev.wait(20) == 0
    assert "Stopping the worker and the dev server" in sims.log_of(dev)
    assert port_is_free(port) and port_is_free(ui_port)


async def test_dev_mode_on_a_busy_port_says_so_in_one_line(
    sims: Sims, dev_server: DevServer
) -> None:
    busy = dev_server.address.rsplit(":", 1)[1]
    result = subprocess.run(
        sims.worker_command("--dev"),
        env=sims.env(SIMS_DEV_PORT=busy, SIMS_DEV_UI_PORT=str(free_port())),
        cwd=sims.home,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"port {busy} (gRPC) is already in use" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
