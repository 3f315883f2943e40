"""`sims-case report schedule`: the Temporal Schedule that makes the KPI report monthly
(DESIGN §15). `--monthly` creates it (or replaces what it does), `--list` shows it,
`--delete` removes it.

Its spec fires at 09:00 London on days 1 to 7 of every month, and the run on the month's
first working day reports the month before (`domain.monthly_report` says why). The
overlap policy buffers every firing, so a report still running (a ledger down) delays
the next firing's check rather than dropping it; the catch-up window covers a Temporal
outage through the first week.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from pathlib import Path

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
)
from temporalio.service import RPCError, RPCStatusCode

from domain import monthly_report
from domain.calendar import CalendarSnapshot
from domain.monthly_report import FIRES_AT, FIRST_DAYS, TIMEZONE, MonthlyReportRequest
from sims_support.cli.common import validated
from sims_support.cli.exits import NO_SUCH_CASE, Failure, bad_input
from sims_support.cli.report_schedule_render import Shown, shown
from sims_support.config import Settings
from sims_support.runtime.connect import connect
from workflows.contract import (
    KPI_REPORT_SCHEDULE_ID,
    KPI_REPORT_WORKFLOW_ID,
    MONTHLY_KPI_REPORT_WORKFLOW,
)

CATCHUP_WINDOW = dt.timedelta(days=7)


def add_arguments(schedule: argparse.ArgumentParser) -> None:
    what = schedule.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--monthly",
        action="store_true",
        help="create the schedule (or replace what it does): the report of each month on "
        "the next month's first working day",
    )
    what.add_argument("--list", action="store_true", help="show the schedule and its next runs")
    what.add_argument("--delete", action="store_true", help="remove the schedule")
    schedule.add_argument(
        "--output-dir",
        metavar="DIR",
        help="with --monthly: write kpi-YYYY-MM.html and .json here, on the worker's machine",
    )
    schedule.add_argument(
        "--webhook",
        action="store_true",
        help="with --monthly: send it to the worker's SIMS_WEBHOOK_URL, signed as notifications",
    )


def request_of(args: argparse.Namespace) -> MonthlyReportRequest | None:
    """What each run is to do (`--monthly`), checked before Temporal is reached."""
    if not args.monthly:
        given = {"--output-dir": args.output_dir is not None, "--webhook": args.webhook}
        misplaced = [flag for flag, present in given.items() if present]
        if misplaced:
            raise bad_input(f"{misplaced[0]} goes with --monthly only: where a new report goes")
        return None
    if args.output_dir is None and not args.webhook:
        raise bad_input("--monthly needs --output-dir DIR, --webhook or both: where it goes")
    folder = None if args.output_dir is None else _folder(args.output_dir)
    fields = {"output_dir": folder, "webhook": args.webhook}
    return validated(MonthlyReportRequest, fields, {"output_dir": "--output-dir"})


def _folder(given: str) -> str:
    if not given.strip():
        raise bad_input("--output-dir: name a folder")
    path = Path(given).expanduser()
    try:
        a_file = path.exists() and not path.is_dir()
    except OSError as err:
        raise bad_input(f"--output-dir: {err.strerror}") from None
    if a_file:
        raise bad_input(f"--output-dir: {given} is a file, not a folder")
    # The worker writes it, so not relative to wherever this command ran.
    return str(path.absolute())


def schedule_for(request: MonthlyReportRequest, task_queue: str) -> Schedule:
    # No jitter: a run knows it is a firing (not a trigger) by its instant, 09:00:00.
    firing = ScheduleCalendarSpec(
        day_of_month=[ScheduleRange(FIRST_DAYS[0], FIRST_DAYS[-1])],
        hour=[ScheduleRange(FIRES_AT.hour)],
        minute=[ScheduleRange(FIRES_AT.minute)],
        comment="the first working day is among them; the run on it reports",
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MONTHLY_KPI_REPORT_WORKFLOW, request, id=KPI_REPORT_WORKFLOW_ID, task_queue=task_queue
        ),
        spec=ScheduleSpec(calendars=[firing], time_zone_name=TIMEZONE),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.BUFFER_ALL, catchup_window=CATCHUP_WINDOW
        ),
        state=ScheduleState(note="sims-case report schedule --monthly"),
    )


async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
    request = request_of(args)
    client = await connect(settings, address=args.address, namespace=args.namespace)
    if request is not None:
        task_queue = args.task_queue or settings.task_queue
        return await create(client, request, task_queue, settings, as_json=args.json)
    if args.list:
        return await show(client, settings, as_json=args.json)
    return await delete(client)


async def create(
    client: Client,
    request: MonthlyReportRequest,
    task_queue: str,
    settings: Settings,
    *,
    as_json: bool,
) -> str:
    schedule = schedule_for(request, task_queue)
    try:
        await client.create_schedule(KPI_REPORT_SCHEDULE_ID, schedule)
        done = "created"
    except ScheduleAlreadyRunningError:
        # Running the command again is how an operator changes where the report goes; a
        # schedule an operator paused stays paused (its state, note included, is kept).
        handle = client.get_schedule_handle(KPI_REPORT_SCHEDULE_ID)
        await handle.update(
            lambda current: ScheduleUpdate(
                schedule=dataclasses.replace(schedule, state=current.description.schedule.state)
            )
        )
        done = "updated"
    return await show(client, settings, as_json=as_json, done=done)


async def show(
    client: Client, settings: Settings, *, as_json: bool, done: str | None = None
) -> str:
    handle = client.get_schedule_handle(KPI_REPORT_SCHEDULE_ID)
    try:
        described = await handle.describe()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return "[]" if as_json else _none_here(client)
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    [request] = await client.data_converter.decode(list(action.args), [MonthlyReportRequest])
    now = dt.datetime.now(dt.UTC)
    at, month = monthly_report.next_report(now, _calendar_near(settings, now))
    view = Shown(
        described=described,
        workflow=action.workflow,
        task_queue=action.task_queue,
        request=request,
        next_report=at,
        next_month=month,
    )
    return shown(view, as_json=as_json, done=done)


async def delete(client: Client) -> str:
    try:
        await client.get_schedule_handle(KPI_REPORT_SCHEDULE_ID).delete()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        raise Failure(NO_SUCH_CASE, "no_such_schedule", _none_here(client)) from None
    return (
        f"deleted the schedule {KPI_REPORT_SCHEDULE_ID}: no report runs from it any more "
        "(a run already started finishes)"
    )


def _none_here(client: Client) -> str:
    return (
        f"no schedule {KPI_REPORT_SCHEDULE_ID} in namespace {client.namespace}: create it with "
        "`sims-case report schedule --monthly --output-dir DIR` (or --webhook)"
    )


def _calendar_near(settings: Settings, now: dt.datetime) -> CalendarSnapshot:
    """This machine's calendar over the first days of this month and the next (the
    worker decides by its own; they are the same unless configured apart)."""
    first = now.astimezone(monthly_report.LONDON).date().replace(day=1)
    return settings.calendar.snapshot(first, first + dt.timedelta(days=31 + FIRST_DAYS[-1]))
