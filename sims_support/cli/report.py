"""`sims-case report`: KPI attainment read straight from the ledger (SQL), no Temporal.

SQLAlchemy and the renderers are imported when a report is built, so every other
command starts without them.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from domain.kpi import Period
from domain.kpi_report import KpiReport, kpi_report
from sims_support.cli.common import REPORT
from sims_support.cli.exits import BAD_INPUT, UNREACHABLE, Failure, bad_input
from sims_support.config import Settings
from sims_support.reports.format import LONDON

FORMATS = ("table", "json", "html")


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
    """The options of `report` (`main` adds them when `report` is used); it has no actions
    of its own, so `parents` is not needed here."""
    report.add_argument("--from", dest="start", type=_date, required=True, metavar="DATE")
    report.add_argument("--to", dest="end", type=_date, required=True, metavar="DATE")
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument(
        "--at-risk",
        type=_hours,
        metavar="HOURS",
        help="also list open cases that pass their next limit within HOURS of working time",
    )
    report.add_argument("--integrator", help="only this integrator's cases")
    report.add_argument("--ledger", metavar="URL", help="SQLAlchemy URL (default SIMS_LEDGER_URL)")
    report.add_argument("--output", metavar="FILE", help="write the report here, not stdout")


def period_of(args: argparse.Namespace) -> Period:
    if args.end < args.start:
        raise bad_input(f"--to {args.end} is before --from {args.start}")
    start = dt.datetime.combine(args.start, dt.time(0), LONDON)
    end = dt.datetime.combine(args.end + dt.timedelta(days=1), dt.time(0), LONDON)
    return Period(start=start, end=end)


def build_report(args: argparse.Namespace, settings: Settings, now: dt.datetime) -> KpiReport:
    from sqlalchemy.exc import SQLAlchemyError

    from activities.ledger import Ledger, LedgerMissing, LedgerSchemaMismatch

    period = period_of(args)
    ledger = Ledger(args.ledger or settings.ledger_url)
    within = dt.timedelta(hours=args.at_risk) if args.at_risk else None
    try:
        ledger.open_existing()
        cases = ledger.cases(period.start, period.end, integrator=args.integrator)
        events = ledger.sla_events(period.start, period.end, integrator=args.integrator)
        open_cases = (
            ledger.cases(period.start, period.end, integrator=args.integrator, open_only=True)
            if within
            else []
        )
    except (LedgerMissing, LedgerSchemaMismatch) as err:
        raise Failure(BAD_INPUT, "ledger", str(err)) from None
    except SQLAlchemyError as err:
        where = ledger.url.render_as_string(hide_password=True)
        raise Failure(
            UNREACHABLE, "ledger_unreachable", f"cannot read the KPI ledger at {where}: {err}"
        ) from None
    finally:
        ledger.dispose()
    return kpi_report(
        cases,
        events,
        settings.policy,
        settings.calendar,
        period,
        now,
        integrator=args.integrator,
        open_cases=open_cases,
        at_risk_within=within,
    )


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
    report = build_report(args, settings, now or dt.datetime.now(dt.UTC))
    form = "json" if args.json and args.format == "table" else args.format
    text = render(report, form)
    if not args.output:
        return text
    try:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    except OSError as err:
        raise bad_input(f"--output: {err.strerror}: {args.output}") from None
    return f"wrote the {form} report to {args.output}"
