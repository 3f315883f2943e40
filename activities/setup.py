"""What a workflow needs from the worker's world, fetched once and kept in its state."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict
from temporalio import activity

from domain.calendar import CalendarSnapshot, WorkingCalendar
from domain.policy import SupportPolicy


class SetupRequest(BaseModel):
    model_config = ConfigDict(frozen=True)
    # The snapshot must cover the case's whole past too: clocks are recomputed from logging.
    from_date: dt.date
    to_date: dt.date


class CaseSetup(BaseModel):
    model_config = ConfigDict(frozen=True)
    policy: SupportPolicy
    calendar: CalendarSnapshot


class SetupActivities:
    def __init__(self, policy: SupportPolicy, calendar: WorkingCalendar) -> None:
        self._policy = policy
        self._calendar = calendar

    @activity.defn
    async def load_case_setup(self, request: SetupRequest) -> CaseSetup:
        snapshot = self._calendar.snapshot(request.from_date, request.to_date)
        return CaseSetup(policy=self._policy, calendar=snapshot)
