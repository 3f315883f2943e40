"""`sims-case` exit codes, defined once, and the failure that carries one to `main`."""

from __future__ import annotations

OK = 0
UNREACHABLE = 1  # Temporal or the ledger cannot be reached, or no worker answered
BAD_INPUT = 2  # checked before anything is sent
REFUSED = 3  # the lifecycle's state or a charter rule refused it; nothing changed
NO_SUCH_CASE = 4  # no case, problem or change request has that reference
INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
# The reader went away before all was written (`| head`): what a shell reports for a
# writer SIGPIPE stopped, as for `yes | head -1`; nothing is said on stderr.
PIPE_CLOSED = 141


class Failure(Exception):
    """A one-line message for a person, and the exit code that goes with it."""

    def __init__(self, code: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.code, self.kind = code, kind


def bad_input(message: str) -> Failure:
    return Failure(BAD_INPUT, "bad_input", message)


def no_worker(wait: float, task_queue: str, later: str = "") -> Failure:
    return Failure(
        UNREACHABLE,
        "no_worker",
        f"no worker answered within {wait:g}s: is one running on task queue "
        f"{task_queue} (`make run`, or `python worker.py`)?{later}",
    )
