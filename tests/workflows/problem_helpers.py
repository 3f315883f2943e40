"""Small steps the problem tests share: a quiet Monday, incidents escalated to a problem,
the desk's decisions, and the updates a problem's history accepted."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import Acknowledge, EscalateToProblem, OpenCase
from domain.problems import (
    AcceptAsDefect,
    ProblemRequest,
    ProblemStatus,
    Reject,
    ReleaseFix,
    RequestInformation,
    ScheduleFix,
    ScheduleReview,
)
from sims_support.client import cases as api
from sims_support.client import problems as api_problems
from tests.conftest import move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake
from tests.workflows.helpers import MONDAY, request_id, send


async def quiet_monday(env: WorkflowEnvironment) -> dt.datetime:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    return monday


def incidents(logged_at: dt.datetime, count: int) -> list[OpenCase]:
    return [intake(logged_at=logged_at) for _ in range(count)]


async def investigating(client: Client, task_queue: str, case: OpenCase) -> str:
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    return case.reference


async def escalated(
    client: Client, task_queue: str, problem: str, cases: list[OpenCase]
) -> list[str]:
    references = [await investigating(client, task_queue, case) for case in cases]
    for reference in references:
        await escalate(client, reference, problem)
    return references


async def escalate(client: Client, reference: str, problem: str) -> Any:
    request = EscalateToProblem(request_id=request_id(), problem_reference=problem)
    return await send(client, reference, "escalate_to_problem", request)


async def decide(client: Client, problem: str, event: str, **fields: Any) -> ProblemStatus:
    models: dict[str, type[ProblemRequest]] = {
        "schedule_review": ScheduleReview,
        "accept_as_defect": AcceptAsDefect,
        "reject": Reject,
        "request_information": RequestInformation,
        "schedule_fix": ScheduleFix,
        "release_fix": ReleaseFix,
    }
    request = models[event](request_id=request_id(), **fields)
    return await api_problems.send(client, problem, event, request, actor=DESK)


async def states(client: Client, references: list[str]) -> list[str]:
    return [(await api.case_status(client, ref)).state for ref in references]


async def until_states(client: Client, references: list[str], state: str) -> None:
    for _ in range(300):
        if await states(client, references) == [state] * len(references):
            return
        await asyncio.sleep(0.05)
    assert await states(client, references) == [state] * len(references)


async def accepted_updates(client: Client, problem: str) -> list[str]:
    history = await api_problems.handle_for(client, problem).fetch_history()
    return [
        event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
