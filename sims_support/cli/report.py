"""`sims-case report`: KPI attainment read straight from the ledger (SQL), no Temporal.

SQLAlchemy, the report's queries and the renderers are imported when a report is built,
so every other command starts without them. `--upgrade-ledger` brings a ledger of an
older schema version up to this release's (the error for one names it). `report schedule`
makes the report monthly, through Temporal (`report_schedule`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.kpi import Period
from domain.kpi_report import KpiReport
from sims_support.cli import report_schedule
from sims_support.cli.common import REPORT
from sims_support.cli.exits import bad_input
from sims_support.cli.ledger import reading
from sims_support.config import Settings
from sims_support.reports.format import LONDON

if TYPE_CHECKING:
    from activities.ledger import Ledger

FORMATS = ("table", "json", "html")
# The report's own options, by the name each is given: `report schedule` takes none.
REPORT_OPTIONS = {
    "start": "--from",
    "end": "--to",
    "with_references": "--with-references",
    "at_risk": "--at-risk",
    "integrator": "--integrator",
    "ledger": "--ledger",
    "output": "--output",
    "upgrade_ledger": "--upgrade-ledger",
}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write YYYY-MM-DD") from None


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not hours > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of working hours")
    return hours


def add_parser(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add `report` to the `sims-case` sub-commands."""
    add_arguments(REPORT.add_parser(subparsers, parents), parents)


def add_arguments(
    report: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser] = ()
) -> None:
    """The options of `report` (`main` adds them when `report` is used), and its one
    action, `schedule`, which takes the options every command takes (`parents`)."""
    # A report needs both; `--upgrade-ledger` needs neither (so: checked in `period_of`).
    report.add_argument("--from", dest="start", type=_date, metavar="DATE", help="the first day")
    report.add_argument("--to", dest="end", type=_date, metavar="DATE", help="the last day")
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument(
        "--with-references",
        action="store_true",
        help="list the cases behind every figure (the table and HTML: behind each miss)",
    )
    report.add_argument(
        "--at-risk",
        type=_hours,
        metavar="HOURS",
        help="also list open cases that pass their next limit within HOURS of working time",
    )
    report.add_argument("--integrator", help="only this integrator's cases")
    report.add_argument("--ledger", metavar="URL", help="SQLAlchemy URL (default SIMS_LEDGER_URL)")
    report.add_argument("--output", metavar="FILE", help="write the report here, not stdout")
    report.add_argument(
        "--upgrade-ledger",
        action="store_true",
        help="bring a ledger of an older schema version up to this release's, then stop",
    )
    # Optional: `sims-case report --from ... --to ...` is the report itself.
    modes = report.add_subparsers(dest="mode", metavar="[schedule]")
    report_schedule.add_arguments(
        modes.add_parser(
            "schedule",
            parents=list(parents),
            help="make the report monthly: a Temporal Schedule, run by the worker",
            description="The KPI report of each month, on the next month's first working "
            "day (London), written to a folder and/or sent to the webhook by the worker.",
        )
    )


def period_of(args: argparse.Namespace) -> Period:
    missing = [flag for flag, day in (("--from", args.start), ("--to", args.end)) if day is None]
    if missing:
        raise bad_input(f"the following arguments are required: {', '.join(missing)}")
    if args.end < args.start:
        raise bad_input(f"--to {args.end} is before --from {args.start}")
    start = dt.datetime.combine(args.start, dt.time(0), LONDON)
    end = dt.datetime.combine(args.end + dt.timedelta(days=1), dt.time(0), LONDON)
    return Period(start=start, end=end)


def build_report(args: argparse.Namespace, settings: Settings, now: dt.datetime) -> KpiReport:
    from sims_support.reports.build import kpi_report

    period = period_of(args)
    within = dt.timedelta(hours=args.at_risk) if args.at_risk else None
    with _reading(args, settings) as ledger:
        return kpi_report(
            ledger.open_existing(),
            settings.policy,
            settings.calendar,
            period,
            now,
            integrator=args.integrator,
            at_risk_within=within,
            listed=args.with_references,
        )


def _reading(args: argparse.Namespace, settings: Settings) -> AbstractContextManager[Ledger]:
    """The ledger the command names; its errors as the command's failures."""
    return reading(args.ledger or settings.ledger_url)


def upgrade_ledger(args: argparse.Namespace, settings: Settings) -> str:
    from activities.ledger_schema import SCHEMA_VERSION

    with _reading(args, settings) as ledger:
        done = ledger.upgrade()
        where = ledger.url.render_as_string(hide_password=True)
    if not done:
        return f"the KPI ledger at {where} is at schema version {SCHEMA_VERSION} already"
    steps = ", ".join(str(v) for v in done)
    return f"upgraded the KPI ledger at {where} to schema version {SCHEMA_VERSION} ({steps})"


def form_of(args: argparse.Namespace) -> str:
    return "json" if args.json and args.format == "table" else args.format


def render(report: KpiReport, form: str) -> str:
    if form == "json":
        return report.model_dump_json(indent=2)
    if form == "html":
        from sims_support.reports.html import render_html

        return render_html(report)
    from sims_support.reports.text import render_report

    return render_report(report)


async def dispatch(
    args: argparse.Namespace, settings: Settings, now: dt.datetime | None = None
) -> str:
    if args.mode == "schedule":
        given = [flag for name, flag in REPORT_OPTIONS.items() if getattr(args, name)]
        if given or args.format != "table":
            flag = given[0] if given else "--format"
            raise bad_input(f"{flag} is the report's, not `report schedule`'s")
        return await report_schedule.dispatch(args, settings)
    if args.upgrade_ledger:
        return upgrade_ledger(args, settings)
    report = build_report(args, settings, now or dt.datetime.now(dt.UTC))
    form = form_of(args)
    text = render(report, form)
    if not args.output:
        return text
    try:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    except OSError as err:
        raise bad_input(f"--output: {err.strerror}: {args.output}") from None
    return f"wrote the {form} report to {args.output}"
