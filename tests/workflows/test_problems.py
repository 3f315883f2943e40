"""Problems: incidents escalate to one problem, hear only its news, and get its fix."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import (
    Acknowledge,
    ChangePriority,
    EscalateToProblem,
    OpenCase,
    Reopen,
    Withdraw,
)
from domain.problems import (
    AcceptAsDefect,
    OpenProblem,
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
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import intake, new_reference, p1_incident
from tests.workflows.helpers import MONDAY, clock, london, near, request_id, send, until
from workflows import search

pytestmark = pytest.mark.usefixtures("worker")


async def quiet_monday(env: WorkflowEnvironment) -> dt.datetime:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    return monday


def incidents(logged_at: dt.datetime, count: int) -> list[OpenCase]:
    return [intake(logged_at=logged_at) for _ in range(count)]


async def investigating(client: Client, task_queue: str, case: OpenCase) -> str:
    await api.open_case(client, case, task_queue=task_queue)
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
    return await api_problems.send(client, problem, event, request)


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
    assert [e.kind for e in status.timeline].count("case_linked") == 3
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


async def test_escalated_incidents_hear_only_of_review_acceptance_and_information_needed(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    cases = await escalated(client, task_queue, problem, incidents(monday, 2))

    await move_clock_to(env, monday + dt.timedelta(weeks=3))
    quiet = {ref: outbox.kinds(ref) for ref in cases}
    await decide(client, problem, "schedule_review", message="at Thursday's defect board")
    await decide(client, problem, "accept_as_defect", scope="site_specific", school_urn="123456")
    await decide(client, problem, "request_information", message="which MIS build?")
    await decide(client, problem, "schedule_fix", vehicle="hotfix", target_version="7.219.2")
    await until(lambda: all(outbox.kinds(ref).count("problem_news") == 3 for ref in cases))
    await env.sleep(dt.timedelta(minutes=1))

    assert quiet == {ref: [] for ref in cases}  # no update_due in three weeks
    classified = await api_problems.problem_status(client, problem)
    assert (classified.scope, classified.school_urn) == ("site_specific", "123456")
    for ref in cases:
        assert outbox.kinds(ref) == ["problem_news"] * 3
        messages = [n.message for n in outbox.of(ref)]
        assert "going to be reviewed" in messages[0]
        assert "accepted as a defect" in messages[1]
        assert messages[2].endswith("needs more information: which MIS build?")
        status = await api.case_status(client, ref)
        assert status.state == "escalated_to_problem"
        assert [e.kind for e in status.timeline].count("problem_news") == 3
        assert clock(status, "update") == (None, "pending")


async def test_a_released_service_pack_is_offered_to_every_incident_and_resolves_them(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    cases = await escalated(client, task_queue, problem, incidents(monday, 3))
    await decide(client, problem, "schedule_review")
    await decide(client, problem, "accept_as_defect")
    await decide(client, problem, "schedule_fix", vehicle="service_pack", target_version="7.220")

    await move_clock_to(env, london(monday.date(), 11))
    await decide(client, problem, "release_fix", summary="marks write-back fixed")
    await until_states(client, cases, "resolution_offered")
    final = await api_problems.handle_for(client, problem).result()

    assert final.state == "fix_released" and final.released_version == "7.220"
    window_ends = london(monday.date() + dt.timedelta(days=14), 11)
    for ref in cases:
        offered = await api.case_status(client, ref)
        assert near(clock(offered, "resolution_offered")[0], window_ends)
        assert outbox.kinds(ref)[-1] == "resolution_offered"
        assert "service pack 7.220" in outbox.of(ref)[-1].message

    reopener, *others = cases
    await move_clock_to(env, london(monday.date() + dt.timedelta(days=3), 10))
    reason = Reopen(request_id=request_id(), reason="still failing at Hilltop")
    reopened = await send(client, reopener, "reopen", reason)
    await move_clock_to(env, window_ends + dt.timedelta(minutes=1))
    outcomes = [await api.handle_for(client, ref).result() for ref in others]

    assert reopened.state == "investigating" and reopened.reopen_count == 1
    assert [o.state for o in outcomes] == ["resolved", "resolved"]
    assert {o.resolution_kind for o in outcomes} == {"service_pack"}
    assert (await api.case_status(client, reopener)).state == "investigating"


async def test_not_a_defect_sends_incidents_back_to_investigating_with_the_cadence_restarted(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    cases = await escalated(client, task_queue, problem, incidents(monday, 2))
    await decide(client, problem, "schedule_review")

    wednesday = monday.date() + dt.timedelta(days=2)
    await move_clock_to(env, london(wednesday, 10))
    await decide(client, problem, "reject", reason="works as designed: marks lock at 17:00")
    await until_states(client, cases, "investigating")
    resumed = [await api.case_status(client, ref) for ref in cases]
    next_wednesday = wednesday + dt.timedelta(days=7)

    assert (await api_problems.handle_for(client, problem).result()).state == "not_a_defect"
    for ref, status in zip(cases, resumed, strict=True):
        assert near(clock(status, "update")[0], london(next_wednesday, 10))
        assert outbox.kinds(ref) == ["problem_news", "problem_news"]
        assert "not to be a defect" in outbox.of(ref)[-1].message
    await move_clock_to(env, london(next_wednesday, 10, 1))
    await until(lambda: all("update_due" in outbox.kinds(ref) for ref in cases))


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
    assert "P3 -> P1" in [e.detail for e in after.timeline if e.kind == "priority_changed"]


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


async def test_decisions_the_problem_state_does_not_allow_are_refused_and_leave_no_trace(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    problem = new_reference("PRB")
    opening = OpenProblem(
        reference=problem,
        summary="Census return rejects pupils with a leading space",
        scope="site_specific",
        school_urn="123456",
    )
    opened = await api_problems.open_problem(client, opening, task_queue=task_queue)
    not_yet: dict[str, dict[str, Any]] = {
        "accept_as_defect": {},
        "reject": {"reason": "no"},
        "schedule_fix": {"vehicle": "script", "target_version": "7.219"},
        "release_fix": {},
    }

    for event, fields in not_yet.items():
        with pytest.raises(api.CaseRefused) as refused:
            await decide(client, problem, event, **fields)
        assert refused.value.type == "InvalidTransition", event
        assert event in str(refused.value) and "under investigation" in str(refused.value)

    assert await accepted_updates(client, problem) == ["opened"]
    assert (await api_problems.problem_status(client, problem)).timeline == opened.timeline
    assert (opened.scope, opened.school_urn, opened.priority) == ("site_specific", "123456", 4)
    with pytest.raises(api.CaseRefused) as again:
        await api_problems.open_problem(client, opening, task_queue=task_queue)
    assert again.value.type == "ProblemAlreadyOpen"


async def test_a_repeated_decision_changes_nothing_and_tells_the_cases_once(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    [case] = await escalated(client, task_queue, problem, [intake(logged_at=monday)])
    review = ScheduleReview(request_id=request_id(), message="next board")

    first = await api_problems.send(client, problem, "schedule_review", review)
    again = await api_problems.send(client, problem, "schedule_review", review)
    await until(lambda: "problem_news" in outbox.kinds(case))
    await env.sleep(dt.timedelta(minutes=1))

    assert again.timeline == first.timeline
    assert outbox.kinds(case) == ["problem_news"]


async def test_an_incident_cannot_be_linked_to_a_problem_whose_fix_is_released(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    opening = OpenProblem(reference=problem, summary="Timetable API drops rooms")
    await api_problems.open_problem(client, opening, task_queue=task_queue)
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
    await api_problems.open_problem(client, opening, task_queue=task_queue, history_threshold=30)
    handle = api_problems.handle_for(client, problem)
    first_run = (await handle.describe()).run_id
    [case] = await escalated(client, task_queue, problem, [intake(logged_at=monday)])
    await decide(client, problem, "schedule_review")
    for n in range(3):
        before = await decide(client, problem, "request_information", message=f"trace {n}")

    for _ in range(100):
        if (await handle.describe()).run_id != first_run:
            break
        await env.sleep(dt.timedelta(seconds=1))
    after = await api_problems.problem_status(client, problem)
    await decide(client, problem, "accept_as_defect")
    await until(lambda: outbox.kinds(case).count("problem_news") == 5)

    assert (await handle.describe()).run_id != first_run
    assert after.timeline == before.timeline
    assert after.linked_cases == before.linked_cases
