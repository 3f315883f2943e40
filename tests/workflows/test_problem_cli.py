"""The `problem` command line against a running worker: open, decide, read."""

import argparse

import pytest
from temporalio.client import Client

from sims_support.cli.parser import Parser
from sims_support.cli.problem import add_problem_parser, render_problem, run_problem_command
from sims_support.client import cases as api
from tests.factories import new_reference

pytestmark = pytest.mark.usefixtures("worker")


def parse(*argv: str) -> argparse.Namespace:
    parser = Parser(prog="sims-case")
    commands = parser.add_subparsers(dest="command", required=True)
    add_problem_parser(commands)
    return parser.parse_args(argv)


async def test_a_problem_is_logged_reviewed_and_shown_from_the_command_line(
    client: Client, task_queue: str
) -> None:
    problem = new_reference("PRB")

    await run_problem_command(
        client, parse("problem", "open", problem, "--summary", "Census export"), task_queue
    )
    await run_problem_command(client, parse("problem", "review", problem), task_queue)
    shown = await run_problem_command(client, parse("problem", "status", problem), task_queue)

    assert shown.state == "review_scheduled"
    text = render_problem(shown)
    assert f"{problem}  P4 problem  review scheduled" in text
    assert "no linked cases" in text and "review scheduled" in text


async def test_a_decision_the_state_refuses_is_reported_with_its_type(
    client: Client, task_queue: str
) -> None:
    problem = new_reference("PRB")
    opened = parse("problem", "open", problem, "--summary", "Census export")
    await run_problem_command(client, opened, task_queue)

    with pytest.raises(api.CaseRefused) as refused:
        await run_problem_command(client, parse("problem", "release", problem), task_queue)

    assert refused.value.type == "InvalidTransition"


async def test_the_status_of_an_unknown_problem_says_so(client: Client, task_queue: str) -> None:
    with pytest.raises(api.NoSuchCase) as missing:
        await run_problem_command(client, parse("problem", "status", "PRB-NONE"), task_queue)

    assert missing.value.type == "NoSuchProblem"
