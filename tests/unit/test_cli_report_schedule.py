"""`sims-case report schedule`: what it refuses before Temporal is reached, and the
schedule it would make (no Temporal here; tests/system/test_report_schedule.py runs it)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from temporalio.client import ScheduleActionStartWorkflow, ScheduleOverlapPolicy, ScheduleRange

from domain.monthly_report import MonthlyReportRequest
from sims_support.cli import main as starter
from sims_support.cli.report_schedule import schedule_for
from workflows.contract import KPI_REPORT_WORKFLOW_ID, MONTHLY_KPI_REPORT_WORKFLOW

NOWHERE = ["--address", "127.0.0.1:1"]  # refused at once, should a check let one through


@pytest.fixture(autouse=True)
def no_local_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SIMS_")]:
        monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "one of the arguments --monthly --list --delete is required"),
        (["--monthly"], "--monthly needs --output-dir DIR, --webhook or both"),
        (["--monthly", "--list"], "argument --list: not allowed with argument --monthly"),
        (["--list", "--output-dir", "reports"], "--output-dir goes with --monthly only"),
        (["--delete", "--webhook"], "--webhook goes with --monthly only"),
        (["--monthly", "--output-dir", " "], "--output-dir: name a folder"),
        (["--monthly", "--output-dir", "a" * 300], "--output-dir: File name too long"),
        (["--monthly", "--output-dir", "x", "--from", "2026-11-01"], "unrecognized arguments"),
    ],
)
def test_a_schedule_command_with_bad_arguments_is_refused_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = starter.run([*NOWHERE, "report", "schedule", *argv])

    assert code == 2
    assert message in capsys.readouterr().err


def test_a_folder_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kpi").write_text("")

    code = starter.run([*NOWHERE, "report", "schedule", "--monthly", "--output-dir", "kpi"])

    assert code == 2
    assert "--output-dir: kpi is a file, not a folder" in capsys.readouterr().err


def test_the_reports_own_options_are_refused_before_schedule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = starter.run([*NOWHERE, "report", "--format", "html", "schedule", "--list"])

    assert code == 2
    assert "--format is the report's, not `report schedule`'s" in capsys.readouterr().err


def test_a_schedule_command_that_cannot_reach_temporal_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = starter.run([*NOWHERE, "report", "schedule", "--list"])

    assert code == 1
    assert "cannot reach Temporal at 127.0.0.1:1" in capsys.readouterr().err


def test_the_schedule_fires_at_nine_london_on_days_one_to_seven_and_buffers_every_firing() -> None:
    request = MonthlyReportRequest(output_dir="/srv/kpi", webhook=True)

    schedule = schedule_for(request, "sims-support")

    [firing] = schedule.spec.calendars
    assert schedule.spec.time_zone_name == "Europe/London" and schedule.spec.jitter is None
    assert list(firing.day_of_month) == [ScheduleRange(1, 7)]
    assert (list(firing.hour), list(firing.minute)) == ([ScheduleRange(9)], [ScheduleRange(0)])
    assert schedule.policy.overlap == ScheduleOverlapPolicy.BUFFER_ALL
    assert schedule.policy.catchup_window == dt.timedelta(days=7)
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.id) == (MONTHLY_KPI_REPORT_WORKFLOW, KPI_REPORT_WORKFLOW_ID)
    assert list(action.args) == [request] and action.task_queue == "sims-support"
