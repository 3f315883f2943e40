"""History events per lifecycle, for each main path: the figure a capacity planner multiplies.

Each path runs on the time-skipping server with the production workflows, at the pace a
support desk would go (the clock is skipped between events), and counts every event in
every run of the workflow (continue-as-new included).

    python -m bench.history
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.problems import ProblemLinks
from bench.harness import CALENDAR, DESK, PM, bench_worker, run_tag, sample_case, table, write
from domain import change_requests as cr
from domain import models as m
from domain import problems as p
from domain.actors import Actor, Role
from domain.calendar import WORKING_DAY
from sims_support.client import cases as api
from sims_support.client import change_requests as cr_api
from sims_support.client import problems as api_problems
from sims_support.config import find_binary
from workflows import search

LONDON = ZoneInfo("Europe/London")
QUEUE = "history-bench"
# Far below the server's own suggestion (4,096 events): shows continue-as-new at work.
CR_HISTORY_THRESHOLD = 300
_ids = iter(range(1, 1_000_000))


def rid() -> str:
    return f"r{next(_ids)}"


class Clock:
    def __init__(self, env: WorkflowEnvironment) -> None:
        self.env = env

    async def monday(self, at: dt.time = dt.time(9, 0)) -> dt.datetime:
        now = (await self.env.get_current_time()).astimezone(LONDON)
        day = now.date() + dt.timedelta(days=1)
        while day.weekday() != 0 or CALENDAR.closures_between(day, day + dt.timedelta(days=60)):
            day += dt.timedelta(days=1)
        await self.to(dt.datetime.combine(day, at, LONDON))
        return dt.datetime.combine(day, at, LONDON)

    async def to(self, when: dt.datetime) -> None:
        now = await self.env.get_current_time()
        if when > now:
            await self.env.sleep(when - now)


async def first_run(client: Client, workflow_id: str) -> tuple[str, str]:
    # The raw call: the typed describe() cannot decode an unset Datetime attribute here.
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    return workflow_id, raw.workflow_execution_info.execution.run_id


async def events_in_all_runs(client: Client, workflow_id: str, run_id: str) -> tuple[int, int, int]:
    """(total events, runs, largest run) following the continue-as-new chain."""
    total = runs = largest = 0
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    while True:
        history = await handle.fetch_history()
        total, runs, largest = (
            total + len(history.events),
            runs + 1,
            max(largest, len(history.events)),
        )
        last = history.events[-1]
        if not last.HasField("workflow_execution_continued_as_new_event_attributes"):
            return total, runs, largest
        attributes = last.workflow_execution_continued_as_new_event_attributes
        handle = client.get_workflow_handle(workflow_id, run_id=attributes.new_execution_run_id)


async def p1_resolved_in_a_day(client: Client, clock: Clock) -> list[tuple[str, str]]:
    start = await clock.monday()
    ref = f"P1-{run_tag()}"
    case = sample_case(ref, start, impact=1, urgency=1, channel="phone")
    await api.open_case(client, case, opened_by=DESK, task_queue=QUEUE)
    runs = [await first_run(client, api.workflow_id(ref))]
    steps: list[tuple[float, str, m.CaseRequest]] = [
        (0.15, "acknowledge", m.Acknowledge(request_id=rid())),
        (3.5, "post_update", m.PostUpdate(request_id=rid(), message="root cause found")),
        (
            6.0,
            "offer_resolution",
            m.OfferResolution(request_id=rid(), kind="workaround", summary="x"),
        ),
        (7.0, "accept_resolution", m.AcceptResolution(request_id=rid())),
    ]
    for hours, event, request in steps:
        await clock.to(CALENDAR.add_working_time(start, dt.timedelta(hours=hours)))
        await api.send(client, ref, event, request, actor=DESK)
    await api.handle_for(client, ref).result()
    return runs


async def typical_p3(client: Client, clock: Clock) -> list[tuple[str, str]]:
    """Acknowledged, one update, a workaround offered on day 6, left to lapse into Resolved."""
    start = await clock.monday(dt.time(10, 0))
    ref = f"P3T-{run_tag()}"
    await api.open_case(client, sample_case(ref, start), opened_by=DESK, task_queue=QUEUE)
    runs = [await first_run(client, api.workflow_id(ref))]
    offer = m.OfferResolution(request_id=rid(), kind="workaround", summary="re-sync marks")
    plan: list[tuple[float, str, Any]] = [
        (0.2, "acknowledge", m.Acknowledge(request_id=rid())),
        (3, "post_update", m.PostUpdate(request_id=rid(), message="reproduced")),
        (6, "offer_resolution", offer),
    ]
    for days, event, request in plan:
        await clock.to(CALENDAR.add_working_time(start, days * WORKING_DAY))
        await api.send(client, ref, event, request, actor=DESK)
    await clock.to(CALENDAR.add_working_days(start, 16) + dt.timedelta(hours=1))
    await api.handle_for(client, ref).result()
    return runs


async def p3_with_two_reopens(client: Client, clock: Clock) -> list[tuple[str, str]]:
    start = await clock.monday(dt.time(10, 0))
    ref = f"P3-{run_tag()}"
    await api.open_case(client, sample_case(ref, start), opened_by=DESK, task_queue=QUEUE)
    runs = [await first_run(client, api.workflow_id(ref))]
    offer = m.OfferResolution(request_id="-", kind="advice", summary="change the setting")
    plan: list[tuple[int, str, Any]] = [(0, "acknowledge", m.Acknowledge(request_id="-"))]
    for day in (4, 14, 24):
        plan.append((day, "post_update", m.PostUpdate(request_id="-", message="progress")))
    plan += [
        (7, "offer_resolution", offer),
        (10, "reopen", m.Reopen(request_id="-", reason="still failing")),
        (17, "offer_resolution", offer),
        (20, "reopen", m.Reopen(request_id="-", reason="happens again on Mondays")),
        (27, "offer_resolution", offer),
    ]
    for day, event, request in sorted(plan, key=lambda step: step[0]):
        await clock.to(CALENDAR.add_working_days(start, day) + dt.timedelta(minutes=5))
        await api.send(
            client, ref, event, request.model_copy(update={"request_id": rid()}), actor=DESK
        )
    expiry = CALENDAR.add_working_days(start, 27 + 10) + dt.timedelta(hours=1)
    await clock.to(expiry)  # the last offer lapses into Resolved
    await api.handle_for(client, ref).result()
    return runs


async def escalated_incident(client: Client, clock: Clock) -> list[tuple[str, str]]:
    start = await clock.monday()
    ref, problem = f"ESC-{run_tag()}", f"PRB-{run_tag()}"
    await api.open_case(
        client, sample_case(ref, start, impact=2, urgency=2), opened_by=DESK, task_queue=QUEUE
    )
    await api.send(client, ref, "acknowledge", m.Acknowledge(request_id=rid()), actor=DESK)
    escalate = m.EscalateToProblem(request_id=rid(), problem_reference=problem)
    await api.send(client, ref, "escalate_to_problem", escalate, actor=DESK)
    runs = [
        await first_run(client, api.workflow_id(ref)),
        await first_run(client, f"problem-{problem}"),
    ]
    decisions: list[tuple[int, str, Any]] = [
        (3, "schedule_review", p.ScheduleReview(request_id=rid())),
        (8, "accept_as_defect", p.AcceptAsDefect(request_id=rid())),
        (
            15,
            "schedule_fix",
            p.ScheduleFix(request_id=rid(), vehicle="service_pack", target_version="7.230"),
        ),
        (40, "release_fix", p.ReleaseFix(request_id=rid())),
    ]
    for day, event, request in decisions:
        await clock.to(CALENDAR.add_working_days(start, day))
        await api_problems.send(client, problem, event, request, actor=DESK)
    await clock.to(CALENDAR.add_working_days(start, 42))
    await api.send(
        client, ref, "accept_resolution", m.AcceptResolution(request_id=rid()), actor=DESK
    )
    await api.handle_for(client, ref).result()
    return runs


async def change_request_over_three_years(client: Client, clock: Clock) -> list[tuple[str, str]]:
    start = await clock.monday()
    ref = f"CR-{run_tag()}"
    opening = cr.OpenChangeRequest(
        reference=ref, title="Bulk marks API", raised_by="INT-1", raised_at=start
    )
    await cr_api.open_change_request(
        client, opening, opened_by=DESK, task_queue=QUEUE, history_threshold=CR_HISTORY_THRESHOLD
    )
    runs = [await first_run(client, cr_api.workflow_id(ref))]
    for n in range(30):
        await cr_api.send_cr(
            client,
            ref,
            "vote",
            cr.Vote(request_id=rid(), integrator_id=f"INT-{n}"),
            actor=Actor(role=Role.INTEGRATOR, id=f"INT-{n}"),
        )
    pm = {"decided_by": "pm@ess", "reason": "Customer Consultation Group"}
    steps: list[tuple[int, str, Any]] = [
        (100, "consider", cr.Decision(request_id=rid(), **pm)),
        (400, "plan", cr.Plan(request_id=rid(), target_release="8.0", **pm)),
        (1090, "deliver", cr.Deliver(request_id=rid(), release_version="8.0", **pm)),
    ]
    for days, event, request in steps:
        await clock.to(start + dt.timedelta(days=days))
        await cr_api.send_cr(client, ref, event, request, actor=PM)
    await cr_api.handle_for(client, ref).result()
    return runs


PATHS: dict[str, Callable[[Client, Clock], Awaitable[list[tuple[str, str]]]]] = {
    "P1 incident resolved in a day": p1_resolved_in_a_day,
    "typical P3 case (update, offer, lapses)": typical_p3,
    "P3 case, two reopens over a month": p3_with_two_reopens,
    "incident escalated to a problem (+ the problem)": escalated_incident,
    "change request over three years": change_request_over_three_years,
}


async def measure() -> dict[str, Any]:
    binary = find_binary("temporal-test-server")
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=pydantic_data_converter
    ) as env:
        from tests.conftest import register_search_attributes

        await register_search_attributes(env.client)
        links = ProblemLinks(env.client)
        paths: dict[str, Any] = {}
        async with bench_worker(env.client, QUEUE, extra=[links.link_case_to_problem]):
            for name, path in PATHS.items():
                for workflow_id, run_id in await path(env.client, Clock(env)):
                    chain = await events_in_all_runs(env.client, workflow_id, run_id)
                    total, runs, largest = chain
                    paths[f"{name} [{workflow_id.split('-')[0]}]"] = {
                        "events": total,
                        "runs": runs,
                        "largest_run": largest,
                    }
    return {"paths": paths, "search_attributes": [k.name for k in search.ALL]}


def main() -> None:
    report = asyncio.run(measure())
    path = write("history", report)
    rows = [[n, v["events"], v["runs"], v["largest_run"]] for n, v in report["paths"].items()]
    print(table("History events per lifecycle", ["path", "events", "runs", "largest run"], rows))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
