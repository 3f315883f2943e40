"""Keeping `worker.py --dev`'s Temporal server tied to the worker that started it.

A worker killed outright (SIGKILL, an out-of-memory kill, a closed terminal) runs no
`finally`: its dev server would live on, holding the ports and the SQLite file, and the
next `make run` would find the port in use. Two guards: on Linux the server is asked to
get SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)`); everywhere, its pid is
written beside its database, and the next start stops a server still listed there.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has the child sent SIGTERM when this thread ends; None where
    the kernel cannot (not Linux). Popen must be called from the main thread, which ends
    only with the process: the signal follows the thread that forked."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # Resolved before the fork: the child only calls it.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took hold
            os._exit(1)

    return preexec


def record(pid_file: Path, process: subprocess.Popen[bytes]) -> None:
    pid_file.write_text(f"{process.pid}\n")


def forget(pid_file: Path) -> None:
    pid_file.unlink(missing_ok=True)


def stop_leftover(pid_file: Path, marker: str, timeout: float = 15.0) -> int | None:
    """Stop the process `pid_file` names if it is still running and its command line holds
    `marker` (the database path: a pid reused by something else is left alone); return its
    pid when one was stopped. The file is removed either way."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        forget(pid_file)
        return None
    found = None
    if pid != os.getpid() and _alive(pid) and marker in _command_line(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        found = pid
    forget(pid_file)
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's new parent may never reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        # The state follows the parenthesised command name in /proc/PID/stat.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    return True


def _command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        # No /proc (macOS): ps has the command line.
        listed = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5
        )
        return listed.stdout
    return ""
