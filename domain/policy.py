"""Every number in the charter (DESIGN §4), in one frozen model with the charter's defaults.

`SupportPolicy(...)` and `SupportPolicy.model_validate(...)` read only what they are given,
never the environment: a workflow receives the policy as data and must get back exactly
that on replay. `sims_support.config.load_policy(toml_file)` is the one door to
configuration, used by the worker: charter defaults, overridden by the TOML file,
overridden by environment variables `SIMS_POLICY_<FIELD>` (nested with `__`, e.g.
`SIMS_POLICY_RESPONSE_TARGETS__P1`).
Files and env may override one priority of a table; a table built in code needs all four.

Durations are working time. Write them as `20m`, `1h`, `8h30m`, `2d` or `1.5d`, where
`d` is a working day of 8.5 h and `m` is minutes; `00:20:00` and `PT20M` also work. Bare
numbers and calendar days (`P2D`, `1 day`) are refused, as they would silently mean
seconds or 24-hour days. Shares are fractions between 0 and 1. For example:

    response_warning_fraction = 0.8
    update_interval = "5d"

    [response_targets]
    P1 = "30m"

    [resolution_kpis]
    P1 = [["4h", 0.75], ["8h", 0.95], ["2d", 1.0]]
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from domain.calendar import WORKING_DAY
from domain.models import CaseType, Priority

_H = timedelta(hours=1)
_MIN = timedelta(minutes=1)
_S = timedelta(seconds=1)
_UNITS = {"d": WORKING_DAY, "h": _H, "min": _MIN, "m": _MIN, "s": _S}
_PART = r"(\d+(?:\.\d+)?)\s*(d|h|min|m|s)"
_CLOCK = r"\d+:\d\d(?::\d\d(?:\.\d+)?)?"


def _parse_duration(value: object) -> object:
    if isinstance(value, timedelta):
        return value
    text = value.strip().lower() if isinstance(value, str) else ""
    if re.fullmatch(rf"(?:{_PART}\s*)+", text):
        return sum((float(n) * _UNITS[u] for n, u in re.findall(_PART, text)), timedelta())
    if re.fullmatch(_CLOCK, text) or text.startswith("pt"):
        return value  # pydantic reads clock times and ISO 8601 time-only durations
    raise ValueError(f"{value!r} is not a working time: write e.g. '20m', '8h' or '2d' (8.5 h)")


def _format_duration(value: timedelta) -> str:
    """Hours and minutes, which read the same in any history: 42.5 h is "42h30m"."""
    hours, rest = divmod(value, _H)
    minutes, rest = divmod(rest, _MIN)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    if rest:
        text += f"{rest / _S:.6f}".rstrip("0").rstrip(".") + "s"
    return text or "0m"


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError(f"must be a positive working time, got {value}")
    return value


WorkingTime = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    AfterValidator(_positive),
    PlainSerializer(_format_duration, return_type=str, when_used="json"),
]
Fraction = Annotated[float, Field(gt=0, lt=1)]
Share = Annotated[float, Field(ge=0, le=1)]
Months = Annotated[int, Field(gt=0)]
KpiStep = tuple[WorkingTime, Share]


def _rising(row: tuple[KpiStep, ...]) -> tuple[KpiStep, ...]:
    if not row:
        raise ValueError("needs at least one (limit, share) step")
    for (limit, share), (next_limit, next_share) in pairwise(row):
        if next_limit <= limit:
            raise ValueError(f"limits must increase, got {next_limit} after {limit}")
        if next_share < share:
            raise ValueError(f"shares must not decrease, got {next_share} after {share}")
    return row


KpiRow = Annotated[tuple[KpiStep, ...], AfterValidator(_rising)]
T = TypeVar("T")


class ByPriority(BaseModel, Generic[T]):
    """One value per priority, keyed "P1".."P4" in TOML and JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    P1: T
    P2: T
    P3: T
    P4: T

    def __getitem__(self, priority: Priority) -> T:
        value: T = getattr(self, Priority(priority).name)
        return value


# The columns of the charter's resolution table: 4 h, 8 h, 2 d, 5 d, 10 d, 12 d, 15 d.
_KPI_LIMITS = (4 * _H, 8 * _H, *(n * WORKING_DAY for n in (2, 5, 10, 12, 15)))


def _charter_row(*percentages: int) -> tuple[KpiStep, ...]:
    limits = _KPI_LIMITS[: len(percentages)]
    return tuple(zip(limits, (p / 100 for p in percentages), strict=True))


class SupportPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    response_targets: ByPriority[WorkingTime] = ByPriority[WorkingTime](
        P1=20 * _MIN, P2=_H, P3=8 * _H, P4=24 * _H
    )
    response_warning_fraction: Fraction = 0.75
    update_interval: WorkingTime = 5 * WORKING_DAY
    p1_incident_update_interval: WorkingTime = 4 * _H
    update_escalation_grace: WorkingTime = WORKING_DAY
    resolution_offered_window: WorkingTime = 10 * WORKING_DAY
    information_chaser: WorkingTime = 5 * WORKING_DAY
    # A request to share school data outside the EEA expires if nobody decides it in time.
    partner_approval_window: WorkingTime = 10 * WORKING_DAY
    resolution_kpis: ByPriority[KpiRow] = ByPriority[KpiRow](
        P1=_charter_row(75, 95, 100),
        P2=_charter_row(60, 75, 90, 95, 97, 100),
        P3=_charter_row(60, 70, 75, 80, 85, 95, 98),
        P4=_charter_row(60, 70, 75, 80, 85, 87, 90),
    )
    # Change requests run on calendar months, not working time.
    cr_review_interval_months: Months = 3
    cr_considered_lapse_months: Months = 36
    cr_planned_reminder_months: Months = 12
    cr_planned_overdue_months: Months = 18
    cr_vote_threshold: Annotated[int, Field(gt=0)] = 10
    # Bounds (DESIGN §13). `max_backdating` is calendar time (ISO 8601, e.g. "P7D").
    max_backdating: Annotated[timedelta, Field(gt=timedelta(0))] = timedelta(days=7)
    max_events: Annotated[int, Field(gt=0)] = 1_000
    max_log_text: Annotated[int, Field(gt=0)] = 1_048_576  # text across the log, as carried
    max_problem_links: Annotated[int, Field(gt=0)] = 5_000

    @model_validator(mode="after")
    def _planned_reminder_comes_before_overdue(self) -> SupportPolicy:
        if self.cr_planned_reminder_months >= self.cr_planned_overdue_months:
            raise ValueError(
                "cr_planned_reminder_months must be less than cr_planned_overdue_months"
            )
        return self

    def response_target(self, priority: Priority) -> timedelta:
        return self.response_targets[priority]

    def response_warning(self, priority: Priority) -> timedelta:
        return self.response_target(priority) * self.response_warning_fraction

    def kpi_targets(self, priority: Priority) -> list[tuple[timedelta, float]]:
        return list(self.resolution_kpis[priority])

    def update_interval_for(self, case_type: CaseType, priority: Priority) -> timedelta:
        if case_type == CaseType.INCIDENT and priority == Priority.P1:
            return self.p1_incident_update_interval
        return self.update_interval
