"""`sims-case cr` actions against a running change request (test server, no subprocess)."""

from __future__ import annotations

import argparse

import pytest
from temporalio.client import Client

from domain.change_requests import ChangeRequestStatus
from sims_support.cli import change_request
from sims_support.cli.change_request_render import render_cr
from sims_support.cli.common import Parser
from tests.factories import new_reference
from tests.workflows.cr_helpers import RAISED, close_change_requests

pytestmark = pytest.mark.usefixtures("worker", close_change_requests.__name__)


def parse(*argv: str) -> argparse.Namespace:
    parser = Parser(prog="sims-case")
    change_request.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["cr", *argv])


async def cr(client: Client, task_queue: str, *argv: str) -> ChangeRequestStatus:
    result = await change_request.run(client, parse(*argv), task_queue)
    assert isinstance(result, ChangeRequestStatus)
    return result


async def test_a_request_raised_voted_on_and_marked_duplicate_from_the_command_line(
    client: Client, task_queue: str
) -> None:
    original, copy = new_reference("CR"), new_reference("CR")
    RAISED.extend([original, copy])
    for reference in (original, copy):
        await cr(client, task_queue, "open", reference, "--title", "Codes", "--raised-by", "I-1")
    await cr(client, task_queue, "vote", original, "--integrator", "INT-1")
    await cr(client, task_queue, "vote", copy, "--integrator", "INT-2")

    marked = await cr(
        client,
        task_queue,
        "duplicate",
        copy,
        *("--by", "pm-ann", "--reason", "same ask", "--original", original),
    )
    shown = await cr(client, task_queue, "status", copy)

    assert marked.state == "duplicate"
    text = render_cr(shown)
    assert f"duplicate of {original}" in text
    assert "pm-ann" in text and "same ask" in text
    assert "1 vote (threshold 10): INT-2" in text
