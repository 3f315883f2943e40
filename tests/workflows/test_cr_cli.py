"""`sims-case cr` actions against a running change request (test server, no subprocess)."""

from __future__ import annotations

import argparse

import pytest
from temporalio.client import Client

from domain.change_requests import ChangeRequestStatus
from sims_support.cli import change_request
from sims_support.cli.change_request_render import render_cr
from sims_support.cli.main import build_parser, failure_for
from sims_support.client.errors import Refused
from tests.factories import new_reference
from tests.workflows.cr_helpers import RAISED, close_change_requests

pytestmark = pytest.mark.usefixtures("worker", close_change_requests.__name__)


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["cr", *argv])


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
        # The desk raises it on the integrator's behalf (the default actor).
        await cr(client, task_queue, "open", reference, "--title", "Codes", "--raised-by", "I-1")
    await cr(
        client, task_queue, "vote", original, "--integrator", "INT-1", "--as", "integrator:INT-1"
    )
    await cr(client, task_queue, "--as", "integrator:INT-2", "vote", copy, "--integrator", "INT-2")

    marked = await cr(
        client,
        task_queue,
        *("--as", "product_manager:PM-7:Ann Lee", "duplicate", copy),
        *("--by", "pm-ann", "--reason", "same ask", "--original", original),
    )
    shown = await cr(client, task_queue, "status", copy)

    assert marked.state == "duplicate"
    text = render_cr(shown)
    assert f"duplicate of {original}" in text
    assert "pm-ann" in text and "same ask" in text
    assert "1 vote (threshold 10): INT-2" in text
    assert "integrator:INT-2" in text and "product_manager:PM-7 (Ann Lee)" in text


async def test_a_vote_is_sent_as_the_voting_integrator_and_a_decision_as_a_manager(
    client: Client, task_queue: str
) -> None:
    reference = new_reference("CR")
    RAISED.append(reference)
    await cr(client, task_queue, "open", reference, "--title", "Codes", "--raised-by", "I-1")

    refused = {
        "the desk votes": ("vote", reference, "--integrator", "INT-1"),
        "a vote in another's name": (
            *("--as", "integrator:INT-2", "vote", reference, "--integrator", "INT-1"),
        ),
        "an integrator decides": (
            *("--as", "integrator:INT-1", "reject", reference, "--by", "x", "--reason", "y"),
        ),
        "the desk decides": ("reject", reference, "--by", "pm-ann", "--reason", "no"),
    }
    for why, argv in refused.items():
        with pytest.raises(Refused) as said:
            await cr(client, task_queue, *argv)
        assert (said.value.type, failure_for(said.value).code) == ("NotAllowed", 3), why

    shown = await cr(client, task_queue, "status", reference)
    assert shown.votes == 0 and shown.state == "published_for_consultation"
