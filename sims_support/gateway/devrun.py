"""`make run`: the worker with its embedded dev server (`python worker.py --dev`) and the
HTTP gateway (`sims-gateway --dev`), as one command.

The worker's banner is passed through with the gateway's address and its docs beside the
UI's, and, while the key store holds no active key, how to create the first. Ctrl-C
reaches both (they share the terminal's process group) and each stops itself; if either
ends, the other is stopped; SIGTERM is passed on to both. Each child is asked to get
SIGTERM should this process be killed outright (Linux).
"""

from __future__ import annotations

import contextlib
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
from sims_support.gateway.serve import first_key_hint, urls
from sims_support.runtime.connect import one_line
from sims_support.runtime.devserver import port_is_free
from sims_support.runtime.supervision import die_with_parent

BESIDE = "  Try next:"  # the worker's banner line the gateway's lines go before
STOP_WAIT = 15.0
# `make run` runs in the checkout; elsewhere, the checkout this package is installed from.
WORKER = (Path("worker.py"), Path(__file__).resolve().parents[2] / "worker.py")


def banner(settings: Settings) -> list[str]:
    base, docs = urls(settings)
    lines = [f"  HTTP API:      {base}/v1   (docs: {docs})"]
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
        settings = Settings()
    except ValidationError as err:
        sys.exit(f"make run: configuration: {one_line(err)}")
    if not port_is_free(settings.gateway_port, settings.gateway_host):
        sys.exit(
            f"make run: port {settings.gateway_port} (the HTTP gateway) is already in use, "
            "perhaps by another `make run`: stop that, or choose another with SIMS_GATEWAY_PORT"
        )
    worker_command, gateway_command = commands(worker_script)
    preexec = die_with_parent()
    worker = subprocess.Popen(
        worker_command, stdout=subprocess.PIPE, text=True, bufsize=1, preexec_fn=preexec
    )
    gateway = subprocess.Popen(gateway_command, text=True, preexec_fn=preexec)
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


def outcome(*codes: int | None) -> int:
    """The first child's failure, else 0 (stopped by us, or by Ctrl-C, is no failure)."""
    stopped = (0, None, -signal.SIGTERM, -signal.SIGINT)
    return next((code for code in codes if code not in stopped and code is not None), 0)


if __name__ == "__main__":
    main()
