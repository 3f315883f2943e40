"""The `problem` command line against a running worker: open, decide, read."""

import argparse

import pytest
from temporalio.client import Client

from sims_support.cli import problem as problem_cli
from sims_support.cli.common import Parser
from sims_support.client.errors import NotFound, Refused
from tests.factories import new_reference

pytestmark = pytest.mark.usefixtures("worker")


def parse(*argv: str) -> argparse.Namespace:
    parser = Parser(prog="sims-case")
    commands = parser.add_subparsers(dest="command", required=True)
    problem_cli.add_parser(commands)
    return parser.parse_args(argv)


async def test_a_problem_is_logged_reviewed_and_shown_from_the_command_line(
    client: Client, task_queue: str
) -> None:
    problem = new_reference("PRB")

    await problem_cli.run(
        client, parse("problem", "open", problem, "--summary", "Census export"), task_queue
    )
    await problem_cli.run(client, parse("problem", "review", problem), task_queue)
    shown = await problem_cli.run(client, parse("problem", "status", problem), task_queue)

    assert shown.state == "review_scheduled"
    text = problem_cli.render_problem(shown)
    assert f"{problem}  P4 problem  review scheduled" in text
    assert "no linked cases" in text and "review scheduled" in text
    # Sent as the desk (no --as: the login user), and each line says so.
    assert all(e.actor is not None and e.actor.role.value == "desk" for e in shown.timeline)


async def test_a_decision_the_state_refuses_is_reported_with_its_type(
    client: Client, task_queue: str
) -> None:
    problem = new_reference("PRB")
    opened = parse("problem", "open", problem, "--summary", "Census export")
    await problem_cli.run(client, opened, task_queue)

    with pytest.raises(Refused) as refused:
        await problem_cli.run(client, parse("problem", "release", problem), task_queue)

    assert refused.value.type == "InvalidTransition"


async def test_the_status_of_an_unknown_problem_says_so(client: Client, task_queue: str) -> None:
    with pytest.raises(NotFound) as missing:
        await problem_cli.run(client, parse("problem", "status", "PRB-NONE"), task_queue)

    assert missing.value.type == "NoSuchProblem"
