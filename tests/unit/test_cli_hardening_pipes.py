"""A reader that goes away (`sims-case list | head -1`) ends the command quietly: no
traceback, exit 141 (128 + SIGPIPE, as a shell reports `yes | head -1`), whether the
output was still buffered or already being written, and for `--help` too."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sims_support.cli import main
from sims_support.cli.exits import PIPE_CLOSED

pytestmark = pytest.mark.timeout(120)

# `sims-case` with the command's answer stubbed (no Temporal): `python -c STUB ROWS ARGV`
# prints ROWS rows of a case list, as a table or (with --json) as JSON.
STUB = """
import json, sys
from sims_support.cli import main

rows, sys.argv = int(sys.argv[1]), ["sims-case", *sys.argv[2:]]

async def dispatch(args, settings):
    if args.json:
        return json.dumps([{"reference": f"INC-{i}", "state": "logged"} for i in range(rows)])
    return "\\n".join(f"INC-{i}  incident  P1  logged" for i in range(rows))

main.dispatch = dispatch
main.main()
"""


@pytest.fixture
def environment() -> Iterator[dict[str, str]]:
    """The environment without SIMS_ settings, for a command run in an empty directory."""
    yield {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}


def closed_pipe_run(
    argv: list[str], environment: dict[str, str], tmp_path: Path, *, buffered: bool
) -> subprocess.CompletedProcess[str]:
    """Run `argv` with standard output a pipe whose reader has already gone."""
    reader, writer = os.pipe()
    os.close(reader)
    env = dict(environment)
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    try:
        return subprocess.run(
            argv, stdout=writer, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "argv",
    [["3", "list"], ["100000", "list"], ["3", "status", "INC-1", "--json"]],
    ids=["a-short-list", "a-long-list", "status-as-json"],
)
def test_output_to_a_closed_pipe_ends_quietly_with_141(
    argv: list[str], buffered: bool, environment: dict[str, str], tmp_path: Path
) -> None:
    done = closed_pipe_run(
        [sys.executable, "-c", STUB, *argv], environment, tmp_path, buffered=buffered
    )

    assert (done.returncode, done.stderr) == (PIPE_CLOSED, "")


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_help_to_a_closed_pipe_ends_quietly_with_141(
    buffered: bool, environment: dict[str, str], tmp_path: Path
) -> None:
    argv = [sys.executable, "-m", "sims_support.cli.main", "update", "--help"]

    done = closed_pipe_run(argv, environment, tmp_path, buffered=buffered)

    assert (done.returncode, done.stderr) == (PIPE_CLOSED, "")


@pytest.mark.parametrize(
    ("argv", "head", "first"),
    [
        (["100000", "list"], "head -1", "INC-0  incident  P1  logged\n"),
        (["100000", "status", "INC-1", "--json"], "head -c 10", '[{"referen'),
    ],
)
def test_piped_into_head_it_stops_when_head_does_and_says_nothing(
    argv: list[str], head: str, first: str, environment: dict[str, str], tmp_path: Path
) -> None:
    errors = tmp_path / "stderr"
    script = f'"$@" 2>"{errors}" | {head}; echo " exit ${{PIPESTATUS[0]}}"'

    done = subprocess.run(
        ["bash", "-c", script, "_", sys.executable, "-c", STUB, *argv],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
    )

    # head leaves after its first line while 4 MB are still to come: the write fails.
    assert done.stdout == f"{first} exit {PIPE_CLOSED}\n"
    assert errors.read_text() == ""


class Gone:
    """Standard output whose reader has gone."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")  # as pytest's capture says


def test_run_says_141_when_its_output_cannot_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    async def dispatch(*_: object) -> str:
        return json.dumps({"reference": "INC-1"})

    monkeypatch.setattr(main, "dispatch", dispatch)
    monkeypatch.setattr(sys, "stdout", Gone())

    assert main.run(["status", "INC-1", "--json"]) == PIPE_CLOSED
    assert main.flushed(0) == PIPE_CLOSED
