"""What `sims-case` prints for people: a case's status and a list of cases, in London time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.models import CaseStatus

LONDON = ZoneInfo("Europe/London")
NONE = "-"


class CaseRow(BaseModel):
    """One line of `sims-case list`, read from the search attributes (no query to the case)."""

    model_config = ConfigDict(frozen=True)
    reference: str
    case_type: str | None
    priority: str | None
    state: str | None
    next_action_due: dt.datetime | None
    sla_breached: bool
    status: str


def london(value: dt.datetime | None) -> str:
    if value is None:
        return NONE
    return value.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def working_time(value: dt.timedelta | None) -> str:
    """Working time in hours and minutes: a working day is 8.5 h, so days would mislead."""
    if value is None:
        return NONE
    seconds = int(value.total_seconds())
    minutes = seconds // 60
    if minutes == 0:
        return f"{seconds}s" if seconds else "0m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def words(identifier: str | None) -> str:
    return identifier.replace("_", " ") if identifier else NONE


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, *rows]
    return "\n".join(
        indent + "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def render_status(status: CaseStatus) -> str:
    kind = words(status.case_type.value)
    breached = "yes" if status.sla_breached else "no"
    lines = [
        f"{status.reference}  {status.priority.name} {kind}  {words(status.state)}",
        f"  {status.summary}",
        f"  integrator {status.integrator_id} · school {status.school_urn} · "
        f"logged {london(status.logged_at)}",
    ]
    if status.problem_reference:
        lines.append(f"  linked problem {status.problem_reference}")
    lines += [
        "",
        table(
            ("clock", "deadline (London)", "status", "working time left"),
            [
                (
                    words(c.name),
                    london(c.deadline),
                    c.status.value,
                    working_time(c.working_time_left),
                )
                for c in status.clocks
            ],
        ),
        "",
        f"  next action due {london(status.next_action_due)} · SLA breached: {breached} · "
        f"reopened {status.reopen_count} time{'' if status.reopen_count == 1 else 's'}",
        f"  resolution working time {working_time(status.resolution_working_time)} · "
        f"paused {working_time(status.paused_working_time)}",
        "",
        table(
            ("timeline (London)", "event", "detail"),
            [
                (
                    london(e.at),
                    words(e.kind.value),
                    e.detail or (e.priority.name if e.priority else ""),
                )
                for e in status.timeline
            ],
        ),
    ]
    return "\n".join(lines)


def render_rows(rows: Sequence[CaseRow]) -> str:
    if not rows:
        return "No cases match."
    return table(
        ("reference", "type", "priority", "state", "next action due (London)", "SLA"),
        [
            (
                row.reference,
                words(row.case_type),
                row.priority or NONE,
                words(row.state) if row.status == "running" else f"{words(row.state)} (closed)",
                london(row.next_action_due),
                "BREACHED" if row.sla_breached else "ok",
            )
            for row in rows
        ],
        indent="",
    )
