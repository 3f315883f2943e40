"""Problem links: incidents escalate to one problem, rank it by their priority, and are
refused by a closed one; a long-lived problem keeps its links."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import ChangePriority, Withdraw
from domain.problems import OpenProblem
from sims_support.client import cases as api
from sims_support.client import problems as api_problems
from tests.conftest import Outbox
from tests.factories import DESK, intake, new_reference, p1_incident
from tests.workflows.helpers import request_id, send, until
from tests.workflows.problem_helpers import (
    decide,
    escalate,
    escalated,
    incidents,
    investigating,
    quiet_monday,
)
from workflows import search

pytestmark = pytest.mark.usefixtures("worker")


async def test_three_incidents_escalated_at_once_share_one_problem(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    cases = [await investigating(client, task_queue, case) for case in incidents(monday, 3)]

    escalations = await asyncio.gather(*(escalate(client, ref, problem) for ref in cases))
    status = await api_problems.problem_status(client, problem)

    assert [s.state for s in escalations] == ["escalated_to_problem"] * 3
    assert {s.problem_reference for s in escalations} == {problem}
    assert sorted(c.reference for c in status.linked_cases) == sorted(cases)
    assert [e.kind for e in status.timeline].count("opened") == 1
    assert "case_linked" not in [e.kind for e in status.timeline]  # the links are the record
    assert status.state == "under_investigation" and status.scope == "generic"
    described = await api_problems.handle_for(client, problem).describe()
    assert described.typed_search_attributes.get(search.CASE_TYPE) == "problem"
    assert described.typed_search_attributes.get(search.PROBLEM_REFERENCE) == problem


async def test_an_escalated_incident_cannot_be_linked_to_a_second_problem(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    first, second = new_reference("PRB"), new_reference("PRB")
    [case] = await escalated(client, task_queue, first, incidents(monday, 1))

    with pytest.raises(api.CaseRefused) as refused:
        await escalate(client, case, second)

    assert refused.value.type == "InvalidTransition"
    assert (await api.case_status(client, case)).problem_reference == first
    with pytest.raises(api.NoSuchCase):
        await api_problems.problem_status(client, second)


async def test_a_p1_incident_linked_later_raises_the_problem_to_p1(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    await escalated(client, task_queue, problem, [intake(logged_at=monday)])
    before = await api_problems.problem_status(client, problem)

    await escalated(client, task_queue, problem, [p1_incident(logged_at=monday)])
    after = await api_problems.problem_status(client, problem)

    assert before.priority == 3
    assert after.priority == 1
    changes = [e.detail for e in after.timeline if e.kind == "priority_changed"]
    assert any(detail.startswith("P3 -> P1 (") for detail in changes)


async def test_a_linked_incident_changing_priority_or_withdrawing_re_ranks_its_problem(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    major, minor = await escalated(
        client,
        task_queue,
        problem,
        [intake(logged_at=monday), intake(logged_at=monday, impact=4, urgency=3)],
    )

    async def problem_priority() -> int:
        return (await api_problems.problem_status(client, problem)).priority

    raised = ChangePriority(request_id=request_id(), impact=1, urgency=1, reason="all schools")
    await send(client, major, "change_priority", raised)
    for _ in range(100):
        if await problem_priority() == 1:
            break
        await asyncio.sleep(0.05)
    assert await problem_priority() == 1
    await send(client, major, "withdraw", Withdraw(request_id=request_id(), reason="found it"))
    for _ in range(100):
        if await problem_priority() == 4:
            break
        await asyncio.sleep(0.05)

    status = await api_problems.problem_status(client, problem)
    assert status.priority == 4
    assert [(c.reference, c.open) for c in status.linked_cases] == [(major, False), (minor, True)]


async def test_an_incident_cannot_be_linked_to_a_problem_whose_fix_is_released(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    opening = OpenProblem(reference=problem, summary="Timetable API drops rooms")
    await api_problems.open_problem(client, opening, opened_by=DESK, task_queue=task_queue)
    await decide(client, problem, "schedule_review")
    await decide(client, problem, "accept_as_defect")
    await decide(client, problem, "schedule_fix", vehicle="main_release", target_version="8.0")
    await decide(client, problem, "release_fix")
    await api_problems.handle_for(client, problem).result()
    case = await investigating(client, task_queue, intake(logged_at=monday))
    before = await api.case_status(client, case)

    with pytest.raises(api.CaseRefused) as refused:
        await escalate(client, case, problem)

    assert refused.value.type == "ProblemClosed"
    assert f"problem {problem} is closed" in str(refused.value)
    assert f"Offer case {case} the released fix directly" in str(refused.value)
    after = await api.case_status(client, case)
    assert after.state == "investigating"
    assert after.timeline == before.timeline and after.problem_reference is None


async def test_a_long_lived_problem_continues_as_new_with_its_links_and_timeline(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    opening = OpenProblem(reference=problem, summary="Behaviour API times out")
    opened = await api_problems.open_problem(
        client, opening, opened_by=DESK, task_queue=task_queue, history_threshold=30
    )
    handle = api_problems.handle_for(client, problem)
    first_run = (await handle.describe()).run_id
    [case] = await escalated(client, task_queue, problem, [intake(logged_at=monday)])
    # Each answer holds the events its decision recorded: together, the whole timeline.
    # (A query while the problem continues as new would wait for the new run's first task.)
    answers = [await decide(client, problem, "schedule_review")]
    for n in range(3):
        answers.append(await decide(client, problem, "request_information", message=f"trace {n}"))
    timeline = [*opened.timeline, *(e for answer in answers for e in answer.timeline)]
    assert len(timeline) == answers[-1].timeline_total

    for _ in range(100):
        if (await handle.describe()).run_id != first_run:
            break
        await env.sleep(dt.timedelta(seconds=1))
    after = await api_problems.problem_status(client, problem)
    await decide(client, problem, "accept_as_defect")
    await until(lambda: outbox.kinds(case).count("problem_news") == 5)

    assert (await handle.describe()).run_id != first_run
    assert after.timeline == timeline
    assert after.linked_cases == answers[-1].linked_cases
