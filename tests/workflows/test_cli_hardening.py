"""`sims-case` against a running case (test server and the session's worker): a message
read from a file reaches the case whole and is shown escaped, one line of its timeline;
the real command's `status --json` piped into a reader that goes away ends quietly."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import CaseStatus, EventKind
from sims_support.cli import case
from sims_support.cli.exits import PIPE_CLOSED
from sims_support.cli.main import build_parser
from sims_support.cli.render import render_status
from tests.factories import intake, new_reference

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(120)]

# What a message may hold (newline, tab, a line separator): shown escaped, never raw.
MESSAGE = "Vendor log:\r\n\tproxy 502\u2028then a timeout\n"


async def sent(client: Client, task_queue: str, *argv: str) -> CaseStatus:
    answer = await case.run(client, build_parser().parse_args(argv), task_queue)
    assert isinstance(answer, CaseStatus)
    return answer


async def opened(client: Client, env: WorkflowEnvironment, task_queue: str, at: Path) -> str:
    found = intake(reference=new_reference(), logged_at=await env.get_current_time())
    at.write_text(found.model_dump_json(), encoding="utf-8")
    await sent(client, task_queue, "open", "--file", str(at))
    return found.reference


async def test_a_message_from_a_file_reaches_the_case_and_shows_as_one_escaped_line(
    client: Client, env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    reference = await opened(client, env, task_queue, tmp_path / "intake.json")
    message = tmp_path / "message.txt"
    message.write_bytes(b"\xef\xbb\xbf" + MESSAGE.encode())

    await sent(client, task_queue, "acknowledge", reference, "--message-file", str(message))
    status = await sent(client, task_queue, "status", reference)

    acknowledged = next(e for e in status.timeline if e.kind is EventKind.ACKNOWLEDGED)
    assert acknowledged.detail == "Vendor log:\n\tproxy 502\u2028then a timeout"
    line = render_status(status).splitlines()[-1]
    assert line.endswith("Vendor log:\\n\\tproxy 502\\u2028then a timeout")


async def test_status_as_json_to_a_reader_gone_ends_quietly_with_141(
    client: Client, env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    reference = await opened(client, env, task_queue, tmp_path / "intake.json")
    address = client.service_client.config.target_host
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}
    reader, writer = os.pipe()
    os.close(reader)

    try:
        # Asynchronously: the session's worker, in this process, answers the query.
        command = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "sims_support.cli.main"),
            *("--address", address, "status", reference, "--json"),
            stdout=writer,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            cwd=tmp_path,
        )
    finally:
        os.close(writer)
    _, errors = await command.communicate()

    assert (command.returncode, errors.decode()) == (PIPE_CLOSED, "")
