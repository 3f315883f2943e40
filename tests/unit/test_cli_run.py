"""`sims-case` end to end without a server: exit codes, one-line messages, list filters."""

from __future__ import annotations

import json
import socket

import pytest
from temporalio.service import RPCError, RPCStatusCode

from sims_support.cli.case import cases_query
from sims_support.cli.main import build_parser, failure_for, run
from sims_support.client.errors import NotFound, Refused

pytestmark = pytest.mark.usefixtures("no_local_settings")


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_bad_input_is_exit_2_before_any_attempt_to_reach_temporal(
    closed_port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["--address", closed_port, "priority", "INC-1", "--impact", "9", "--urgency", "1",
                "--reason", "x"])  # fmt: skip

    assert code == 2
    err = capsys.readouterr().err
    assert err == "sims-case: --impact: Input should be less than or equal to 4\n"


def test_an_unreachable_server_is_exit_1_with_what_to_do(
    closed_port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--address", closed_port, "status", "INC-1"]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"sims-case: cannot reach Temporal at {closed_port}")
    assert "make run" in err and err.count("\n") == 1


def test_with_json_the_error_line_is_json_too(
    closed_port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["list", "--late", "--json", "--address", closed_port]) == 1

    error = json.loads(capsys.readouterr().err)
    assert (error["error"], error["exit"]) == ("unreachable", 1)


def test_a_bad_setting_in_the_environment_is_exit_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIMS_SUPPORT_WEEKDAYS", "1,9")

    assert run(["status", "INC-1"]) == 2
    assert capsys.readouterr().err.startswith("sims-case: configuration: support_weekdays.1:")


def test_help_is_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        run(["--help"])
    assert done.value.code == 0
    assert "Exit codes" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (
            Refused("InvalidTransition", "acknowledge is not allowed (allowed now: "
                            "post_update)"),
            3,
            "refused: acknowledge is not allowed (allowed now: update)",
        ),
        (NotFound("NoSuchCase", "reference: no case INC-9 exists"), 4, "no case INC-9"),
        (RPCError("gone", RPCStatusCode.UNAVAILABLE, b""), 1, "Temporal could not do it: gone"),
    ],
)  # fmt: skip
def test_each_answer_from_the_case_has_its_exit_code(
    error: Exception, code: int, message: str
) -> None:
    failure = failure_for(error)
    assert failure.code == code and message in str(failure)


def test_an_unexpected_error_is_not_hidden() -> None:
    with pytest.raises(ZeroDivisionError):
        failure_for(ZeroDivisionError("a bug"))


def test_list_filters_become_a_query_on_the_search_attributes() -> None:
    def query(*argv: str) -> str:
        return cases_query(build_parser().parse_args(["list", *argv]))

    assert query() == 'WorkflowType = "CaseWorkflow" AND ExecutionStatus = "Running"'
    assert query("--late", "--priority", "P1", "--state", "logged", "--all") == (
        'WorkflowType = "CaseWorkflow" AND SlaBreached = true'
        ' AND CaseState = "logged" AND CasePriority = "P1"'
    )
    assert query("--integrator", 'INT-"42"').endswith('IntegratorId = "INT-\\"42\\""')
