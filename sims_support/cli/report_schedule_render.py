"""What `sims-case report schedule` prints of the schedule: as a person reads it, or as JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleDescription,
    ScheduleRange,
    ScheduleSpec,
)

from domain.monthly_report import Month, MonthlyReportRequest
from sims_support.reports.format import london

NEXT_RUNS = 7  # one month's firings
RECENT_RUNS = 3


@dataclass(frozen=True)
class Shown:
    described: ScheduleDescription
    workflow: str
    task_queue: str
    request: MonthlyReportRequest
    next_report: dt.datetime
    next_month: Month


def _range(r: ScheduleRange) -> str:
    if r.end <= r.start:
        return str(r.start)
    return f"{r.start}-{r.end}" + (f"/{r.step}" if r.step > 1 else "")


def _ranges(ranges: Sequence[ScheduleRange]) -> str:
    return ",".join(_range(r) for r in ranges)


def _started(run: ScheduleActionResult) -> str | None:
    action = run.action
    return action.workflow_id if isinstance(action, ScheduleActionExecutionStartWorkflow) else None


def spec_text(spec: ScheduleSpec) -> str:
    """Our kind of spec (calendar entries) in words; anything else as Temporal gives it."""
    if not spec.calendars or spec.intervals or spec.cron_expressions:
        return str(spec)
    fired = [
        f"{_ranges(c.hour).zfill(2)}:{_ranges(c.minute).zfill(2)} "
        f"on days {_ranges(c.day_of_month)} of every month"
        for c in spec.calendars
    ]
    return "; ".join(fired) + f" ({spec.time_zone_name or 'UTC'})"


def outputs(request: MonthlyReportRequest) -> list[str]:
    found = []
    if request.output_dir is not None:
        found.append(f"files in {request.output_dir} (kpi-YYYY-MM.html, .json)")
    if request.webhook:
        found.append("the webhook (the worker's SIMS_WEBHOOK_URL), signed")
    return found


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def as_data(view: Shown) -> dict[str, object]:
    described, info = view.described, view.described.info
    return {
        "schedule_id": described.id,
        "workflow": view.workflow,
        "task_queue": view.task_queue,
        "spec": spec_text(described.schedule.spec),
        "output_dir": view.request.output_dir,
        "webhook": view.request.webhook,
        "paused": described.schedule.state.paused,
        "next_report": {"at": _utc(view.next_report), "month": view.next_month.label},
        "next_runs": [_utc(t) for t in info.next_action_times[:NEXT_RUNS]],
        "recent_runs": [
            {"scheduled_at": _utc(r.scheduled_at), "workflow_id": _started(r)}
            for r in info.recent_actions[-RECENT_RUNS:]
        ],
    }


def _field(label: str, lines: Sequence[str]) -> list[str]:
    """`  label:  first` and the rest beneath it, so no line passes 100 columns."""
    head = f"  {label + ':':<13}"
    return [(head if n == 0 else " " * len(head)) + line for n, line in enumerate(lines)]


def shown(view: Shown, *, as_json: bool, done: str | None = None) -> str:
    if as_json:
        # `--list` gives every schedule it knows (this one, or none); `--monthly` the one made.
        return json.dumps(as_data(view) if done else [as_data(view)], indent=2)
    described, info = view.described, view.described.info
    runs = [london(t) for t in info.next_action_times[:NEXT_RUNS]]
    recent = [f"{london(r.scheduled_at)} {_started(r)}" for r in info.recent_actions]
    lines = [f"{done} the schedule {described.id}"] if done else []
    lines.append(f"schedule {described.id}: {view.workflow} on task queue {view.task_queue}")
    lines += _field("fires", [spec_text(described.schedule.spec)])
    lines += _field("reports", ["the month before, on the month's first working day"])
    lines += _field("output", outputs(view.request))
    lines += _field("next report", [f"{london(view.next_report)}, of {view.next_month}"])
    lines += _field("next runs", [", ".join(runs[n : n + 3]) for n in range(0, len(runs), 3)])
    lines += _field("last runs", recent[-RECENT_RUNS:])
    if described.schedule.state.paused:
        lines += _field("paused", [described.schedule.state.note or "yes"])
    return "\n".join(lines)
