"""What a workflow needs from the worker's world, fetched once and kept in its state."""

from __future__ import annotations

from temporalio import activity

from domain.calendar import WorkingCalendar
from domain.policy import SupportPolicy
from domain.workflow_inputs import CaseSetup, SetupRequest

__all__ = ["CaseSetup", "SetupActivities", "SetupRequest"]


class SetupActivities:
    def __init__(self, policy: SupportPolicy, calendar: WorkingCalendar) -> None:
        self._policy = policy
        self._calendar = calendar

    @activity.defn
    async def load_case_setup(self, request: SetupRequest) -> CaseSetup:
        snapshot = self._calendar.snapshot(request.from_date, request.to_date)
        return CaseSetup(policy=self._policy, calendar=snapshot)
