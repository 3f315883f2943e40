"""What `sims-case` prints for people: a case's status and a list of cases, in London time;
each timeline event with who did it, and `[internal]` on the desk's own notes. What the
case holds is shown escaped (`sims_support.cli.shown`): a line of the header or a table
row is one line, whatever a summary or a message holds."""

from __future__ import annotations

from collections.abc import Sequence

from domain.models import CaseStatus
from sims_support.cli.actors import marked, timeline_table, who
from sims_support.cli.shown import escaped, table
from sims_support.client.cases import CaseRow
from sims_support.reports.format import NONE, london, words, working_time


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
    lines = [escaped(line) for line in lines]
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
        timeline_table(
            ("timeline (London)", "event", "actor", "detail"),
            [
                (
                    london(e.at),
                    marked(words(e.kind.value), e.visibility),
                    who(e.actor),
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
