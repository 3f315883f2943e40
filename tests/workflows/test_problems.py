"""Problems: the desk's decisions, the news escalated incidents hear of them, and the fix
that resolves them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from domain.models import Reopen, Withdraw
from domain.problem_links import LinkedCaseChanged
from domain.problem_record import MAX_LOG_TEXT
from domain.problems import OpenProblem, Reject, ScheduleReview
from sims_support.client import cases as api
from sims_support.client import problems as api_problems
from tests.conftest import Outbox, move_clock_to
from tests.factories import DESK, intake, new_reference
from tests.workflows.helpers import clock, london, near, request_id, send, until
from tests.workflows.problem_helpers import (
    accepted_updates,
    decide,
    escalated,
    incidents,
    quiet_monday,
    until_states,
)
from workflows import problem as problem_workflow
from workflows.contract import LINKED_CASE_CHANGED

pytestmark = pytest.mark.usefixtures("worker")


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
    opened = await api_problems.open_problem(client, opening, opened_by=DESK, task_queue=task_queue)
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
        await api_problems.open_problem(client, opening, opened_by=DESK, task_queue=task_queue)
    assert again.value.type == "ProblemAlreadyOpen"


async def test_a_problem_asked_again_and_again_is_refused_past_its_log_and_still_decided(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    # 0.2 took information requests without end: the problem's log grew without a bound.
    problem = new_reference("PRB")
    opening = OpenProblem(reference=problem, summary="Census return rejects pupils")
    await api_problems.open_problem(client, opening, opened_by=DESK, task_queue=task_queue)
    asked = 0
    with pytest.raises(api.CaseRefused) as full:
        for _ in range(40):
            await decide(client, problem, "request_information", message="x" * 10_000)
            asked += 1

    assert full.value.type == "ProblemTooLarge"
    assert str(full.value).startswith(f"max_log_text: problem {problem} would hold")
    assert asked == MAX_LOG_TEXT // 10_000  # 26 of the most a message may hold
    await decide(client, problem, "schedule_review", message="x" * 10_000)
    closed = await decide(client, problem, "reject", reason="x" * 10_000)
    assert closed.state == "not_a_defect"
    status = await api_problems.problem_status(client, problem)
    assert status.timeline_total == 1 + asked + 2


async def test_a_repeated_decision_changes_nothing_and_tells_the_cases_once(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    [case] = await escalated(client, task_queue, problem, [intake(logged_at=monday)])
    review = ScheduleReview(request_id=request_id(), message="next board")

    first = await api_problems.send(client, problem, "schedule_review", review, actor=DESK)
    again = await api_problems.send(client, problem, "schedule_review", review, actor=DESK)
    await until(lambda: "problem_news" in outbox.kinds(case))
    await env.sleep(dt.timedelta(minutes=1))

    # Each answer holds what its update recorded: the review, then nothing.
    assert [e.kind for e in first.timeline] == ["review_scheduled"]
    assert (again.timeline, again.timeline_total) == ([], first.timeline_total)
    assert outbox.kinds(case) == ["problem_news"]


async def test_a_linked_case_change_past_its_bounds_is_dropped_and_the_problem_goes_on(
    client: Client, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    # DESIGN §13: a signal whose input breaks the bounds is dropped, never applied, and
    # counted (the counter: tests/workflows/test_metrics.py) with a warning naming why.
    opening = OpenProblem(reference=new_reference("PRB"), summary="Behaviour API times out")
    await api_problems.open_problem(client, opening, opened_by=DESK, task_queue=task_queue)
    handle = api_problems.handle_for(client, opening.reference)
    bad = LinkedCaseChanged.model_construct(
        problem_reference=opening.reference, case_reference="not a reference", priority="P9"
    )
    await handle.signal(LINKED_CASE_CHANGED, bad)
    review = ScheduleReview(request_id=request_id())
    reviewed = await api_problems.send(
        client, opening.reference, "schedule_review", review, actor=DESK
    )

    after = await api_problems.status(client, opening.reference)
    assert reviewed.state == after.state
    assert after.linked_cases == []
    assert [event.kind for event in after.timeline][-1] == "review_scheduled"
    [dropped] = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped.startswith("signal linked_case_changed dropped, its input breaks its bounds")
    assert "case_reference:" in dropped and "priority:" in dropped
    reject = Reject(request_id=request_id(), reason="not a defect")
    await api_problems.send(client, opening.reference, "reject", reject, actor=DESK)


def signals_per_task(history: WorkflowHistory) -> list[int]:
    """How many signals each workflow task of a run sent, task by task."""
    per_task, sent = [], 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            sent += 1
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            per_task.append(sent)
            sent = 0
    return [*per_task, sent]


async def runs_of(client: Client, problem: str, first_run: str) -> list[WorkflowHistory]:
    """Every run of the problem from `first_run` on, following its continue-as-new chain."""
    runs, run_id = [], first_run
    while run_id:
        handle = client.get_workflow_handle(f"problem-{problem}", run_id=run_id)
        history = await handle.fetch_history()
        runs.append(history)
        last = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = last.new_execution_run_id
    return runs


async def test_news_for_many_cases_goes_in_batches_and_a_run_may_continue_as_new_between(
    env: WorkflowEnvironment,
    client: Client,
    outbox: Outbox,
    task_queue: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A generic defect's thousands of cases, scaled down: 20 cases, 3 signals a workflow
    # task, a run continuing as new at 40 events. One task of thousands of signals is past
    # what Temporal takes (5,000 news of 10,000 characters: 52 MB).
    monkeypatch.setattr(problem_workflow, "NEWS_BATCH", 3)
    monday = await quiet_monday(env)
    problem = new_reference("PRB")
    opening = OpenProblem(reference=problem, summary="Timetable API drops rooms")
    await api_problems.open_problem(
        client, opening, opened_by=DESK, task_queue=task_queue, history_threshold=40
    )
    first_run = (await api_problems.handle_for(client, problem).describe()).run_id
    assert first_run is not None
    cases = await escalated(client, task_queue, problem, incidents(monday, 20))
    await decide(client, problem, "schedule_review")
    await until(lambda: all(outbox.kinds(ref) == ["problem_news"] for ref in cases))

    await decide(client, problem, "reject", reason="works as designed")
    await until_states(client, cases, "investigating")
    final = await api_problems.handle_for(client, problem).result()

    assert final.state == "not_a_defect"
    for ref in cases:  # each told of each decision once
        assert outbox.kinds(ref) == ["problem_news", "problem_news"]
        assert "not to be a defect" in outbox.of(ref)[1].message
    runs = await runs_of(client, problem, first_run)
    told_in = [sum(signals_per_task(run)) for run in runs]
    assert sum(told_in) == 40
    assert any(n % 20 for n in told_in)  # a decision's news was told across runs
    assert max(n for run in runs for n in signals_per_task(run)) == 3
    for ref in cases:
        await send(client, ref, "withdraw", Withdraw(request_id=request_id(), reason="x"))
