"""What `sims-case cr` prints for people: one change request, or a list, in London time.

A timeline line says who sent it (`actor`) and whom it names (`by`: the integrator who
voted, the product manager the decision names). What the request holds is shown escaped
(`sims_support.cli.shown`), a line of it one line."""

from __future__ import annotations

from collections.abc import Sequence

from domain.change_requests import ChangeRequestStatus
from sims_support.cli.actors import marked, timeline_table, who
from sims_support.cli.shown import escaped, table
from sims_support.client.change_requests import ChangeRequestRow
from sims_support.reports.format import NONE, london, words


def render_cr(status: ChangeRequestStatus) -> str:
    stage = f"stage {status.stage}" if status.stage else "closed"
    flags = [
        flag
        for flag, on in (
            ("DECISION DUE", status.decision_due),
            ("DELIVERY OVERDUE", status.delivery_overdue),
        )
        if on
    ]
    named = [
        f"{label} {value}"
        for label, value in (
            ("target release", status.target_release),
            ("released in", status.release_version),
            ("duplicate of", status.original_reference),
            ("workaround:", status.workaround),
        )
        if value
    ]
    lines = [
        f"{status.reference}  change request  {words(status.state)} ({stage})",
        f"  {status.title}",
        f"  raised by {status.raised_by} · {london(status.raised_at)}",
        f"  {status.votes} vote{'' if status.votes == 1 else 's'} "
        f"(threshold {status.vote_threshold}): {', '.join(status.voters) or NONE}",
    ]
    if status.duplicates:
        lines.append(f"  duplicates merged here: {', '.join(status.duplicates)}")
    if named:
        lines.append("  " + " · ".join(named))
    lines.append(
        f"  last reviewed {london(status.last_reviewed_at)} · "
        f"next reminder {london(status.next_action_due)}"
        + (" · " + " · ".join(flags) if flags else "")
    )
    lines = [escaped(line) for line in lines]
    lines += [
        "",
        timeline_table(
            ("timeline (London)", "event", "actor", "by", "detail"),
            [
                (
                    london(e.at),
                    marked(words(e.kind.value), e.visibility),
                    who(e.actor),
                    e.by or NONE,
                    e.detail,
                )
                for e in status.timeline
            ],
        ),
    ]
    return "\n".join(lines)


def render_cr_rows(rows: Sequence[ChangeRequestRow]) -> str:
    if not rows:
        return "No change requests match."
    return table(
        ("reference", "votes", "state"),
        [
            (
                row.reference,
                str(row.votes),
                words(row.state) if row.status == "running" else f"{words(row.state)} (closed)",
            )
            for row in rows
        ],
        indent="",
    )
