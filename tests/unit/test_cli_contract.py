"""Every event a lifecycle takes has a `sims-case` command, and every command an event:
the CLI's tables are checked against workflows/contract.py, the names written once."""

from __future__ import annotations

from typing import Any

import pytest

from sims_support.cli import case, change_request, problem, school
from sims_support.cli.common import Command
from sims_support.client import cases, change_requests, problems
from sims_support.client import school as school_client
from workflows import contract

TABLES: dict[str, tuple[dict[str, Command[Any]], tuple[str, ...]]] = {
    "case": (case.COMMANDS, contract.CASE_EVENTS),
    "problem": (problem.COMMANDS, contract.PROBLEM_EVENTS),
    "cr": (change_request.COMMANDS, contract.CHANGE_REQUEST_EVENTS),
    "school": (school.COMMANDS, contract.SCHOOL_EVENTS),
}


@pytest.mark.parametrize("lifecycle", TABLES)
def test_a_command_sends_only_an_event_the_contract_names(lifecycle: str) -> None:
    commands, events = TABLES[lifecycle]

    unknown = {name: c.update for name, c in commands.items() if c.update not in events}

    assert unknown == {}, f"`sims-case {lifecycle}` commands the contract does not have"


@pytest.mark.parametrize("lifecycle", TABLES)
def test_every_event_the_contract_names_has_a_command(lifecycle: str) -> None:
    commands, events = TABLES[lifecycle]

    missing = set(events) - {c.update for c in commands.values()}

    assert missing == set(), f"events with no `sims-case {lifecycle}` command"


@pytest.mark.parametrize("lifecycle", TABLES)
def test_no_two_commands_send_the_same_event(lifecycle: str) -> None:
    commands, _ = TABLES[lifecycle]
    updates = [c.update for c in commands.values()]

    assert len(updates) == len(set(updates))


def test_each_command_names_only_fields_its_request_has() -> None:
    for commands, _ in TABLES.values():
        for name, command in commands.items():
            assert set(command.options.values()) <= set(command.model.model_fields), name
            assert set(command.choices) <= set(command.options.values()), name


def test_the_client_sends_exactly_the_events_the_contract_names() -> None:
    assert cases.EVENTS == contract.CASE_EVENTS
    assert problems.EVENTS == contract.PROBLEM_EVENTS
    assert change_requests.EVENTS == contract.CHANGE_REQUEST_EVENTS
    assert school_client.EVENTS == contract.SCHOOL_EVENTS
