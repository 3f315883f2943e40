"""`sims-case report schedule` on the dev server: the schedule made by the command, its runs
done by a worker, the month's report in the folder with the ledger's figures."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleBackfill,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    WorkflowHandle,
)
from temporalio.service import RPCError
from temporalio.worker import Replayer

from activities.ledger import Ledger
from domain.kpi_ledger import LedgerEntry
from domain.models import Priority
from domain.monthly_report import LONDON, Month, MonthlyReportDone, month_before
from sims_support.cli import main as starter
from sims_support.cli.main import build_parser
from sims_support.cli.report import dispatch
from sims_support.config import Settings
from sims_support.reports.build import kpi_report
from sims_support.runtime.converter import data_converter
from sims_support.runtime.devserver import DevServer
from tests.kpi_data import case
from tests.kpi_ledgers import write
from worker import SANDBOX, WORKFLOWS, create_worker
from workflows.contract import KPI_REPORT_SCHEDULE_ID, KPI_REPORT_WORKFLOW_ID

H = dt.timedelta(hours=1)


@dataclass
class Desk:
    """The operator's command and a worker, on one task queue of the dev server."""

    client: Client
    settings: Settings
    home: Path

    @property
    def schedule(self) -> ScheduleHandle:
        return self.client.get_schedule_handle(KPI_REPORT_SCHEDULE_ID)

    def argv(self, *args: str) -> list[str]:
        settings = self.settings
        where = ["--address", settings.temporal_address, "--task-queue", settings.task_queue]
        return [*where, "report", "schedule", *args]

    async def command(self, *args: str) -> str:
        """The command's own function, as `sims-case report schedule ARGS` calls it."""
        return await dispatch(build_parser().parse_args(self.argv(*args)), self.settings)

    async def exit_code(self, *args: str) -> int:
        """The whole command, exit code and all (`run` has a loop of its own)."""
        return await asyncio.to_thread(starter.run, self.argv(*args))

    def ledger_holds(self, month: Month, *references: str) -> None:
        """Cases logged on the month's 10th at 10:00, resolved in 2 h and 5 h."""
        logged = dt.datetime.combine(month.first_day.replace(day=10), dt.time(10), LONDON)
        rows = [
            case(
                reference,
                Priority.P2,
                resolved=(2 + 3 * n) * H,
                logged_at=logged,
                response_due=logged + H,
                first_response_at=logged + dt.timedelta(minutes=10),
                closed_at=logged + dt.timedelta(days=1),
            )
            for n, reference in enumerate(references)
        ]
        write(self.settings.ledger_url, [LedgerEntry(case=row) for row in rows])


pytestmark = pytest.mark.usefixtures("no_local_settings")


@pytest.fixture
async def desk(dev_server: DevServer, tmp_path: Path) -> AsyncIterator[Desk]:
    settings = Settings(
        temporal_address=dev_server.address,
        task_queue=f"sims-report-{tmp_path.name}",
        data_dir=tmp_path / "data",
        ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}",
    )
    client = await Client.connect(dev_server.address, data_converter=data_converter())
    operator = Desk(client, settings, tmp_path)
    try:
        async with create_worker(client, settings.task_queue, settings=settings):
            yield operator
    finally:
        # The schedule's id is fixed: the next test makes its own.
        with contextlib.suppress(RPCError):
            await operator.schedule.delete()


async def run_of(
    desk: Desk, workflow_id: str, seconds: float = 20.0
) -> WorkflowHandle[object, MonthlyReportDone]:
    """The schedule's run with this id, once it has been started."""
    handle = desk.client.get_workflow_handle(workflow_id, result_type=MonthlyReportDone)
    async with asyncio.timeout(seconds):
        while True:
            with contextlib.suppress(RPCError):
                await handle.describe()
                return handle
            await asyncio.sleep(0.1)


async def test_a_triggered_schedule_writes_the_report_of_the_month_before_with_its_figures(
    desk: Desk,
) -> None:
    reported = month_before(dt.datetime.now(LONDON).date())
    desk.ledger_holds(reported, "SCH-P2-2H", "SCH-P2-5H")
    folder = desk.home / "reports"
    said = await desk.command("--monthly", "--output-dir", str(folder))
    assert said.startswith(f"created the schedule {KPI_REPORT_SCHEDULE_ID}")

    await desk.schedule.trigger()
    async with asyncio.timeout(20):
        while not (described := await desk.schedule.describe()).info.recent_actions:
            await asyncio.sleep(0.1)
    started = described.info.recent_actions[0].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    handle = await run_of(desk, started.workflow_id)
    done = await handle.result()

    assert done.month == reported
    page, document = (folder / f"kpi-{reported.label}.{form}" for form in ("html", "json"))
    assert done.files == [str(page), str(document)]
    figures = json.loads(document.read_text())
    assert (figures["logged"], figures["resolved"]) == (2, 2)
    start = dt.datetime.fromisoformat(figures["period"]["start"])
    assert start == reported.period().start
    ledger = Ledger(desk.settings.ledger_url)
    as_of = dt.datetime.fromisoformat(figures["as_of"])
    expected = kpi_report(
        ledger, desk.settings.policy, desk.settings.calendar, reported.period(), as_of
    )
    ledger.dispose()
    assert figures == json.loads(expected.model_dump_json())
    assert page.read_text().startswith("<!doctype html>")
    # Recorded on the dev server, the run replays on today's code.
    history = await handle.fetch_history()
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=data_converter(), workflow_runner=SANDBOX
    )
    await replayer.replay_workflow(history)


async def test_the_first_week_of_may_2023_reports_april_once_on_tuesday_the_2nd(
    desk: Desk,
) -> None:
    april = Month(year=2023, month=4)
    desk.ledger_holds(april, "SCH-APRIL-1")
    folder = desk.home / "reports"
    await desk.command("--monthly", "--output-dir", str(folder))

    # Each of the firings of 1 to 7 May 2023 (09:00 BST), as if the schedule had run then.
    start = dt.datetime(2023, 5, 1, tzinfo=LONDON)
    await desk.schedule.backfill(
        ScheduleBackfill(
            start_at=start,
            end_at=start + dt.timedelta(days=7),
            overlap=ScheduleOverlapPolicy.ALLOW_ALL,
        )
    )
    runs = {}
    for day in range(1, 8):
        handle = await run_of(desk, f"{KPI_REPORT_WORKFLOW_ID}-2023-05-0{day}T08:00:00Z")
        runs[day] = await handle.result()

    assert {day: done.month for day, done in runs.items() if done.month} == {2: april}
    assert "Mon 01 May 2023 is not the first working day of May 2023" in (runs[1].skipped or "")
    assert sorted(p.name for p in folder.iterdir()) == ["kpi-2023-04.html", "kpi-2023-04.json"]
    assert json.loads((folder / "kpi-2023-04.json").read_text())["logged"] == 1


async def test_list_shows_the_schedule_its_spec_next_runs_and_output_and_delete_removes_it(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (await desk.command("--list")).startswith(f"no schedule {KPI_REPORT_SCHEDULE_ID}")
    await desk.command("--monthly", "--output-dir", "old")
    await desk.schedule.pause(note="the ledger is being moved")
    updated = await desk.command("--monthly", "--output-dir", "reports", "--webhook")
    state = (await desk.schedule.describe()).schedule.state
    assert state.paused and state.note == "the ledger is being moved"  # kept as it was

    listed = await desk.command("--list")
    [shown] = json.loads(await desk.command("--list", "--json"))

    assert updated.startswith(f"updated the schedule {KPI_REPORT_SCHEDULE_ID}")
    assert f"schedule {KPI_REPORT_SCHEDULE_ID}: MonthlyKpiReport on task queue" in listed
    assert "09:00 on days 1-7 of every month (Europe/London)" in listed
    assert f"files in {desk.home / 'reports'}" in listed and "the webhook" in listed
    assert shown["output_dir"] == str(desk.home / "reports") and shown["webhook"] is True
    runs = [dt.datetime.fromisoformat(t).astimezone(LONDON) for t in shown["next_runs"]]
    assert len(runs) == 7 and all(t.day <= 7 and t.time() == dt.time(9) for t in runs)
    at = dt.datetime.fromisoformat(shown["next_report"]["at"]).astimezone(LONDON)
    assert at.day <= 7 and at.time() == dt.time(9) and at >= runs[0]
    assert shown["next_report"]["month"] == month_before(at.date()).label

    assert (await desk.command("--delete")).startswith(
        f"deleted the schedule {KPI_REPORT_SCHEDULE_ID}"
    )
    assert json.loads(await desk.command("--list", "--json")) == []
    capsys.readouterr()
    assert await desk.exit_code("--delete") == 4
    assert f"no schedule {KPI_REPORT_SCHEDULE_ID} in namespace default" in capsys.readouterr().err
