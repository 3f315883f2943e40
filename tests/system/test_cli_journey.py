"""An operator's day on the real dev server: open, find, acknowledge, read; and every way
the command line can say no."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest

from domain.models import CaseStatus, ClockStatus, EventKind, Priority
from sims_support.cli.examples import example
from tests.system.conftest import Sims, free_port, poll, unique

pytestmark = pytest.mark.timeout(120)


def references(listed: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    assert listed.returncode == 0, listed.stderr
    return {row["reference"]: row for row in json.loads(listed.stdout)}


async def test_a_p1_incident_is_opened_found_in_the_list_acknowledged_and_read(
    sims: Sims,
) -> None:
    sims.start_worker()
    reference = unique("INC")

    opened = sims.cli("open", "--example", "p1-incident", "--reference", reference, "--json")
    assert opened.returncode == 0, opened.stderr
    status = CaseStatus.model_validate_json(opened.stdout)
    assert (status.state, status.priority) == ("logged", Priority.P1)

    listed = poll(
        lambda: sims.cli("list", "--priority", "P1", "--json"),
        lambda result: reference in references(result),
    )
    row = references(listed)[reference]
    assert (row["case_type"], row["priority"], row["state"]) == ("incident", "P1", "logged")

    acknowledged = sims.cli("acknowledge", reference, "--message", "We are on it")
    assert acknowledged.returncode == 0, acknowledged.stderr
    assert f"{reference}  P1 incident  investigating" in acknowledged.stdout

    shown = sims.cli("status", reference, "--json")
    status = CaseStatus.model_validate_json(shown.stdout)
    response = next(clock for clock in status.clocks if clock.name == "response")
    assert response.status is ClockStatus.MET
    assert [e.kind for e in status.timeline][:2] == [EventKind.LOGGED, EventKind.ACKNOWLEDGED]

    table = sims.cli("status", reference)
    assert table.returncode == 0
    assert "deadline (London)" in table.stdout and "We are on it" in table.stdout

    investigating = poll(
        lambda: sims.cli("list", "--state", "investigating", "--json"),
        lambda result: reference in references(result),
    )
    assert references(investigating)[reference]["state"] == "investigating"


async def test_every_refusal_of_the_command_line_has_its_exit_code_and_one_line(
    sims: Sims,
) -> None:
    sims.start_worker()
    reference = unique("INC")
    assert sims.cli("open", "--example", "p3-enquiry", "--reference", reference).returncode == 0

    intake = example("p1-incident", dt.datetime.now(dt.UTC))
    intake["school"]["urn"] = "12"
    bad_field = sims.cli("open", "--file", "-", stdin=json.dumps(intake))
    bad_json = sims.cli("open", "--file", "-", stdin="{not json")
    acknowledged = sims.cli("acknowledge", reference)
    twice = sims.cli("acknowledge", reference)
    unknown = sims.cli("status", "INC-NO-SUCH-CASE")
    no_worker = sims.cli(
        "--task-queue", "nobody-listens", "--wait", "2", "open", "--example", "p4-service-request"
    )
    closed_port = sims.cli("--address", f"127.0.0.1:{free_port()}", "status", reference)

    assert acknowledged.returncode == 0, acknowledged.stderr
    outcomes = {
        "bad field": (bad_field, 2, "school.urn"),
        "bad JSON": (bad_json, 2, "not valid JSON"),
        "acknowledged twice": (twice, 3, "acknowledge is not allowed while the case is"),
        "unknown reference": (unknown, 4, "no case INC-NO-SUCH-CASE exists"),
        "no worker": (no_worker, 1, "no worker answered within 2s"),
        "closed port": (closed_port, 1, "cannot reach Temporal"),
    }
    for name, (result, code, words) in outcomes.items():
        assert result.returncode == code, f"{name}: {result.returncode} {result.stderr}"
        assert words in result.stderr, f"{name}: {result.stderr}"
        assert result.stderr.count("\n") == 1, f"{name}: not one line: {result.stderr}"
        assert "Traceback" not in result.stderr
