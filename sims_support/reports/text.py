"""`sims-case report` for a terminal: every line fits 100 columns."""

from __future__ import annotations

import datetime as dt
import textwrap

from domain.calendar import WORKING_DAY
from domain.kpi import BucketAttainment, Cases, ResolutionAttainment
from domain.kpi_report import KpiReport
from sims_support.reports.feedback import feedback_of
from sims_support.reports.format import NONE, london, table, working_time

WIDTH = 100
MET, MISSED = "✓", "✗"
_H = dt.timedelta(hours=1)


def limit_label(limit: dt.timedelta) -> str:
    """The charter's words: 4h, 8h, 2d (working days of 8.5 h)."""
    if limit >= WORKING_DAY and limit % WORKING_DAY == dt.timedelta(0):
        return f"{limit // WORKING_DAY}d"
    if limit % _H == dt.timedelta(0):
        return f"{limit // _H}h"
    return working_time(limit).replace(" ", "")


def percent(share: float | None) -> str:
    return NONE if share is None else f"{share:.0%}"


def day(moment: dt.datetime) -> str:
    return london(moment)[:15]


def heading(report: KpiReport) -> list[str]:
    last_day = report.period.end - dt.timedelta(days=1)
    scope = f" · integrator {report.integrator}" if report.integrator else ""
    return [
        f"SIMS support KPIs: cases logged {day(report.period.start)} to {day(last_day)} (London)",
        f"as at {london(report.as_of)}{scope}",
        f"{report.logged} logged: {report.resolved} resolved, {report.open} open, "
        f"{report.withdrawn} withdrawn",
    ]


def response_lines(report: KpiReport) -> list[str]:
    rows = [
        [r.priority.name, limit_label(r.target), str(r.met.count), str(r.counted), percent(r.share)]
        for r in report.response
    ]
    return [
        "First response within target (responses due in the period)",
        table(["priority", "target", "met", "due", "actual"], rows),
    ]


def limits_of(report: KpiReport) -> list[dt.timedelta]:
    return sorted({b.limit for r in report.resolution for b in r.buckets})


def cell(bucket: BucketAttainment | None) -> str:
    if bucket is None:
        return ""
    if bucket.share is None:
        return NONE
    return f"{percent(bucket.share)} {MET if bucket.attained else MISSED}"


def resolution_lines(report: KpiReport) -> list[str]:
    limits = limits_of(report)
    lines = [
        f"Resolution within working time: the charter's share, then the actual ({MET} met,"
        f" {MISSED} missed)",
        "  priority       " + "".join(limit_label(lim).rjust(8) for lim in limits),
    ]
    for row in report.resolution:
        found = {b.limit: b for b in row.buckets}
        charter = [percent(found[lim].target) if lim in found else "" for lim in limits]
        actual = [cell(found.get(lim)) for lim in limits]
        counted = [str(found[lim].counted) if lim in found else "" for lim in limits]
        label = f"  {row.priority.name}  "
        lines.append((label + "charter    " + "".join(c.rjust(8) for c in charter)).rstrip())
        lines.append((" " * 6 + "actual     " + "".join(c.rjust(8) for c in actual)).rstrip())
        lines.append((" " * 6 + "cases      " + "".join(c.rjust(8) for c in counted)).rstrip())
    lines.append(wrapped("open, inside every limit so far: ", inside(report) or [NONE]))
    return lines


def behind(cases: Cases) -> list[str]:
    """The references, when the report lists them; else how many."""
    if cases.references is not None:
        return cases.references
    return [f"{cases.count} case" + ("" if cases.count == 1 else "s")]


def inside(report: KpiReport) -> list[str]:
    """The open cases inside every limit so far: each by priority, or how many of each."""
    if report.listed:
        return [
            f"{r.priority.name} {ref}"
            for r in report.resolution
            for ref in r.inside.references or []
        ]
    counts = [f"{r.priority.name} {r.inside.count}" for r in report.resolution if r.inside.count]
    total = sum(r.inside.count for r in report.resolution)
    return [f"{behind(Cases(count=total))[0]} ({', '.join(counts)})"] if total else []


def sla_lines(report: KpiReport) -> list[str]:
    rows = [
        [s.priority.name, str(s.warnings), str(s.breaches), str(s.escalations), str(s.chasers)]
        for s in report.sla_events
    ]
    return [
        "SLA events in the period (warnings and breaches of response, missed updates)",
        table(["priority", "warnings", "breaches", "escalations", "chasers"], rows),
    ]


def mean(rating: float | None) -> str:
    return NONE if rating is None else f"{rating:.2f}"


def feedback_rows(report: KpiReport) -> list[list[str]] | None:
    """Ratings given in the period per priority: how many, and their mean out of 5."""
    found = feedback_of(report)
    if found is None:
        return None
    return [[f.priority.name, str(f.count), mean(f.mean_rating)] for f in found]


FEEDBACK_HEADERS = ["priority", "given", "mean rating"]
FEEDBACK_TITLE = "Feedback given in the period (ratings 1 to 5, by priority when given)"


def feedback_lines(report: KpiReport) -> list[str]:
    rows = feedback_rows(report)
    return [] if rows is None else [FEEDBACK_TITLE, table(FEEDBACK_HEADERS, rows)]


def misses(row: ResolutionAttainment) -> list[tuple[str, Cases]]:
    return [
        (
            f"{row.priority.name} not resolved within {limit_label(b.limit)} "
            f"({percent(b.share)} < {percent(b.target)})",
            b.missed,
        )
        for b in row.buckets
        if b.attained is False
    ]


def all_misses(report: KpiReport) -> list[tuple[str, Cases]]:
    found = [
        (f"{r.priority.name} first response later than {limit_label(r.target)}", r.missed)
        for r in report.response
        if r.missed.count
    ]
    for row in report.resolution:
        found.extend(misses(row))
    return found


def miss_title(report: KpiReport) -> str:
    return "Cases behind each miss" + ("" if report.listed else " (--with-references lists them)")


def miss_lines(report: KpiReport) -> list[str]:
    found = all_misses(report)
    lines = [miss_title(report)]
    lines.extend(wrapped(f"{what}: ", behind(cases)) for what, cases in found)
    if not found:
        lines.append("  none")
    return lines


def at_risk_lines(report: KpiReport) -> list[str]:
    if report.at_risk_within is None:
        return []
    within = working_time(report.at_risk_within)
    head = f"At risk: open cases that pass their next limit within {within} of working time"
    rows = [
        [
            r.reference,
            r.priority.name,
            working_time(r.used),
            limit_label(r.limit),
            working_time(r.left),
            london(r.passes_at)[:10] + london(r.passes_at)[15:],
        ]
        for r in report.at_risk
    ]
    if not rows:
        return [head, "  none"]
    return [head, table(["reference", "priority", "used", "limit", "left", "passes"], rows)]


def wrapped(prefix: str, refs: list[str]) -> str:
    return textwrap.fill(
        ", ".join(refs),
        width=WIDTH,
        initial_indent="  " + prefix,
        subsequent_indent="      ",
        break_on_hyphens=False,
    )


def render_report(report: KpiReport) -> str:
    sections = [
        heading(report),
        response_lines(report),
        resolution_lines(report),
        sla_lines(report),
        feedback_lines(report),
        miss_lines(report),
        at_risk_lines(report),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s)
