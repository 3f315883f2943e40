"""What `sims-case` reads from a person, checked before Temporal is ever contacted."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from pathlib import Path

import pytest

from domain.models import ChangePriority, EscalateToProblem, OpenCase, Priority
from sims_support.cli.case import COMMANDS, in_command_words, prepare, read_intake
from sims_support.cli.common import read_request
from sims_support.cli.examples import EXAMPLES, example
from sims_support.cli.exits import BAD_INPUT, Failure
from sims_support.cli.main import build_parser

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(argv)


def test_a_priority_change_reads_as_the_update_the_workflow_expects() -> None:
    args = parse("priority", "INC-1", "--impact", "2", "--urgency", "1", "--reason", "outage")

    request = read_request(args, COMMANDS["priority"])

    assert isinstance(request, ChangePriority)
    assert (request.impact, request.urgency, request.reason) == (2, 1, "outage")
    assert uuid.UUID(request.request_id).version == 4


def test_a_retry_reuses_the_request_id_it_is_given() -> None:
    args = parse("escalate", "INC-1", "--problem", "PRB-7", "--request-id", "req-42")

    request = read_request(args, COMMANDS["escalate"])

    assert request == EscalateToProblem(request_id="req-42", problem_reference="PRB-7")


def test_each_request_gets_a_fresh_request_id_by_default() -> None:
    first = read_request(parse("accept", "INC-1"), COMMANDS["accept"])
    second = read_request(parse("accept", "INC-1"), COMMANDS["accept"])
    assert first.request_id != second.request_id


def test_global_options_may_come_before_or_after_the_command() -> None:
    before = parse("--address", "temporal:7233", "--json", "status", "INC-1")
    after = parse("status", "INC-1", "--address", "temporal:7233", "--json")
    neither = parse("status", "INC-1")

    assert (before.address, before.json) == (after.address, after.json) == ("temporal:7233", True)
    assert (neither.address, neither.json, neither.wait) == (None, False, 30.0)


def test_a_value_out_of_range_names_the_flag_the_person_typed() -> None:
    args = parse("priority", "INC-1", "--impact", "7", "--urgency", "1", "--reason", "x")
    with pytest.raises(Failure, match=r"^--impact: .*less than or equal to 4") as refused:
        read_request(args, COMMANDS["priority"])
    assert refused.value.code == BAD_INPUT


def test_a_missing_option_or_unknown_command_is_bad_input_in_one_line() -> None:
    with pytest.raises(Failure, match="--message") as missing:
        parse("update", "INC-1")
    with pytest.raises(Failure, match="invalid choice: 'frob'") as unknown:
        parse("frob")
    assert missing.value.code == unknown.value.code == BAD_INPUT
    assert "\n" not in str(missing.value)


def test_an_offer_accepts_only_the_charters_kinds_of_resolution() -> None:
    with pytest.raises(Failure, match="invalid choice: 'magic'"):
        parse("offer", "INC-1", "--kind", "magic", "--summary", "x")


def test_a_reference_that_cannot_be_a_case_is_refused_before_asking_temporal() -> None:
    with pytest.raises(Failure, match="REF: 'inc 1' is not a case reference"):
        prepare(parse("status", "inc 1"))


@pytest.mark.parametrize(
    ("name", "priority"),
    [
        ("p1-incident", Priority.P1),
        ("p3-enquiry", Priority.P3),
        ("p4-service-request", Priority.P4),
    ],
)
def test_each_example_is_a_valid_intake_of_its_priority_logged_now(
    name: str, priority: Priority
) -> None:
    intake = read_intake(parse("open", "--example", name), NOW)

    assert intake.priority is priority
    assert intake.logged_at == NOW
    assert intake.integrator.support_agreement_expires > NOW.date()


def test_examples_get_a_fresh_reference_unless_one_is_given() -> None:
    first, second = (example("p1-incident", NOW)["reference"] for _ in range(2))
    given = read_intake(parse("open", "--example", "p3-enquiry", "--reference", "ENQ-9"), NOW)

    assert first != second and first.startswith("INC-20261127-")
    assert given.reference == "ENQ-9"
    assert set(EXAMPLES) == {"p1-incident", "p3-enquiry", "p4-service-request"}


def test_an_intake_file_with_a_bad_field_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = example("p1-incident", NOW)
    data["school"]["urn"] = "12"
    intake_file = tmp_path / "intake.json"
    intake_file.write_text(json.dumps(data))

    with pytest.raises(Failure, match=r"^school\.urn: String should match") as refused:
        read_intake(parse("open", "--file", str(intake_file)), NOW)
    assert refused.value.code == BAD_INPUT


def test_a_charter_rule_in_the_intake_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = example("p3-enquiry", NOW) | {"channel": "phone"}
    intake_file = tmp_path / "intake.json"
    intake_file.write_text(json.dumps(data))

    with pytest.raises(Failure, match=r"^channel: the phone line is for P1 incidents only"):
        read_intake(parse("open", "--file", str(intake_file)), NOW)


def test_an_intake_is_read_from_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(example("p4-service-request", NOW))))

    intake = read_intake(parse("open", "--file", "-", "--reference", "SR-77"), NOW)

    assert isinstance(intake, OpenCase) and intake.reference == "SR-77"


@pytest.mark.parametrize(
    ("text", "message"),
    [("{oops", "not valid JSON"), ("[1, 2]", "expected a JSON object")],
)
def test_an_intake_that_is_not_a_json_object_is_bad_input_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    intake_file = tmp_path / "intake.json"
    intake_file.write_text(text)
    with pytest.raises(Failure) as refused:
        read_intake(parse("open", "--file", str(intake_file)), NOW)
    assert str(refused.value).startswith(f"--file: {intake_file}: {message}")


def test_a_missing_intake_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(Failure, match="--file: No such file"):
        read_intake(parse("open", "--file", str(tmp_path / "absent.json")), NOW)


def test_refusals_name_events_as_the_commands_a_person_types() -> None:
    message = "acknowledge is not allowed (allowed now: post_update, request_information)"
    assert in_command_words(message) == (
        "acknowledge is not allowed (allowed now: update, request-info)"
    )
