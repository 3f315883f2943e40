"""The KPI report's figures as the report computed them before DESIGN §16, kept as the
reference the SQL report is compared with (tests/unit/test_kpi_report_matches_reference.py):
every case row in Python, every list of references built. Unchanged but for this docstring
and `Period`, which is the report's own.

KPI attainment against the charter's tables (DESIGN §4), from the ledger's rows (pure).

Resolution: for each priority and each limit of `kpi_targets`, the share of cases
resolved within that much working time (exactly at the limit is within it). The cases
are those logged in the period, less the withdrawn. A case still open whose clock has
already passed a limit counts as missed for it: an open case never flatters a share.
One that has not passed it yet is left out of that limit's share (it may still meet
it), and one inside every limit is shown apart.

First response: the cases whose response fell due in the period (or were answered
early), met when the first response came at or before the deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, computed_field

from domain.calendar import WorkingCalendar
from domain.kpi import Period
from domain.kpi_ledger import CaseRow, SlaEventKind, SlaEventRecord
from domain.models import Priority
from domain.policy import SupportPolicy

_FROZEN = ConfigDict(frozen=True)
# Shares are ratios of small counts; compare them to the charter's percentages exactly.
_EPSILON = 1e-9
# "P1" in JSON, as people and the charter say it.
PriorityName = Annotated[
    Priority, PlainSerializer(lambda p: p.name, return_type=str, when_used="json")
]


class Share(BaseModel):
    model_config = _FROZEN
    met: list[str]
    missed: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counted(self) -> int:
        return len(self.met) + len(self.missed)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share(self) -> float | None:
        return len(self.met) / self.counted if self.counted else None


class BucketAttainment(Share):
    limit: dt.timedelta
    target: float
    # Open cases that have not reached this limit yet: not in the share.
    pending: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attained(self) -> bool | None:
        if not self.counted:
            return None
        return len(self.met) >= self.target * self.counted - _EPSILON


class ResolutionAttainment(BaseModel):
    model_config = _FROZEN
    priority: PriorityName
    resolved: int
    open: int
    buckets: list[BucketAttainment]
    # Open cases inside every limit so far: nothing to say about them yet.
    inside: list[str]


class ResponseAttainment(Share):
    priority: PriorityName
    target: dt.timedelta


def resolution_time(case: CaseRow, calendar: WorkingCalendar, now: dt.datetime) -> dt.timedelta:
    """The working time on the resolution clock: final once it stopped, else as of `now`."""
    if case.resolution_working_time is not None:
        return case.resolution_working_time
    end = case.closed_at or now
    used = calendar.working_time_between(case.logged_at, end) - case.paused_working_time
    if case.paused_since is not None:
        used -= calendar.working_time_between(case.paused_since, end)
    return max(used, dt.timedelta(0))


def resolution_attainment(
    cases: Iterable[CaseRow],
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    period: Period,
    now: dt.datetime,
) -> list[ResolutionAttainment]:
    counted = [c for c in cases if period.holds(c.logged_at) and c.state != "withdrawn"]
    return [
        _resolution_for(p, [c for c in counted if c.priority is p], policy, calendar, now)
        for p in Priority
    ]


def _resolution_for(
    priority: Priority,
    cases: Sequence[CaseRow],
    policy: SupportPolicy,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> ResolutionAttainment:
    times = {c.reference: resolution_time(c, calendar, now) for c in cases}
    final = {c.reference for c in cases if c.state == "resolved"}
    buckets = []
    for limit, target in policy.kpi_targets(priority):
        within = [ref for ref, t in times.items() if t <= limit]
        buckets.append(
            BucketAttainment(
                limit=limit,
                target=target,
                met=[ref for ref in within if ref in final],
                missed=[ref for ref, t in times.items() if t > limit],
                pending=[ref for ref in within if ref not in final],
            )
        )
    first = policy.kpi_targets(priority)[0][0]
    return ResolutionAttainment(
        priority=priority,
        resolved=len(final),
        open=len(cases) - len(final),
        buckets=buckets,
        inside=[ref for ref, t in times.items() if ref not in final and t <= first],
    )


def response_attainment(
    cases: Iterable[CaseRow], policy: SupportPolicy, period: Period, now: dt.datetime
) -> list[ResponseAttainment]:
    met: dict[Priority, list[str]] = {p: [] for p in Priority}
    missed: dict[Priority, list[str]] = {p: [] for p in Priority}
    for case in cases:
        if not period.holds(case.response_due):
            continue
        answered = case.first_response_at
        if answered is not None:
            (met if answered <= case.response_due else missed)[case.priority].append(case.reference)
        elif case.closed_at is not None and case.closed_at <= case.response_due:
            continue  # withdrawn before a response was owed
        elif now > case.response_due:
            missed[case.priority].append(case.reference)
    return [
        ResponseAttainment(
            priority=p, target=policy.response_target(p), met=met[p], missed=missed[p]
        )
        for p in Priority
    ]


class SlaEventCounts(BaseModel):
    model_config = _FROZEN
    priority: PriorityName
    warnings: int
    breaches: int
    escalations: int
    chasers: int
    breached: list[str]


def sla_event_counts(events: Iterable[SlaEventRecord]) -> list[SlaEventCounts]:
    by_priority: dict[Priority, list[SlaEventRecord]] = {p: [] for p in Priority}
    for event in events:
        by_priority[event.priority].append(event)

    def count(found: list[SlaEventRecord], kind: SlaEventKind) -> int:
        return sum(1 for e in found if e.kind is kind)

    return [
        SlaEventCounts(
            priority=p,
            warnings=count(found, SlaEventKind.WARNING),
            breaches=count(found, SlaEventKind.BREACH),
            escalations=count(found, SlaEventKind.ESCALATION),
            chasers=count(found, SlaEventKind.CHASER),
            breached=sorted({e.reference for e in found if e.kind is SlaEventKind.BREACH}),
        )
        for p, found in by_priority.items()
    ]
