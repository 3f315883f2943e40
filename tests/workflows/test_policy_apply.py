"""`apply_policy` on live workflows (DESIGN §15), on the time-skipping server: a running P3
case whose response target moves from 8 h to 4 h shows the new deadline and is warned
and breached on it, its history records `policy_changed`; the same policy again and a
dry run change nothing; a change request takes it too; only the desk may send it."""

from __future__ import annotations

import datetime as dt

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.cr_schedule import add_months
from domain.models import EventKind, Withdraw
from domain.policy import SupportPolicy
from domain.policy_change import policy_version
from sims_support.client import cases
from sims_support.client import change_requests as crs
from sims_support.client.policy import Outcome, Target, apply_policy
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, LONDON, intake
from tests.workflows.cr_helpers import close_change_requests, raise_cr
from tests.workflows.cr_helpers import history_length as cr_history_length
from tests.workflows.helpers import (
    MONDAY,
    accepted_updates,
    clock,
    london,
    request_id,
    send,
    until,
)
from workflows.contract import CASE_WORKFLOW, CHANGE_REQUEST_WORKFLOW

__all__ = ["close_change_requests"]  # the fixture: rejects the change requests raised

CHARTER = SupportPolicy()
FOUR_HOURS = SupportPolicy.model_validate(
    {**CHARTER.model_dump(), "response_targets": {"P1": "20m", "P2": "1h", "P3": "4h", "P4": "24h"}}
)


async def p3_logged_monday_9(env: WorkflowEnvironment, client: Client, task_queue: str) -> str:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(9, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday, impact=3, urgency=2)  # a P3: 8 h to respond
    await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    return case.reference


async def test_a_p3_case_moved_to_a_four_hour_target_is_warned_and_breached_on_the_new_deadline(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    reference = await p3_logged_monday_9(env, client, task_queue)
    day = (await env.get_current_time()).astimezone(LONDON).date()
    before = await cases.status(client, reference)
    assert clock(before, "response") == (london(day, 17), "pending")
    assert before.policy_version == policy_version(CHARTER)
    await move_clock_to(env, london(day, 10))
    target = [Target(CASE_WORKFLOW, reference)]

    applied = await apply_policy(client, FOUR_HOURS, actor=DESK, targets=target)

    assert [(r.reference, r.outcome) for r in applied.results] == [(reference, Outcome.CHANGED)]
    after = await cases.status(client, reference)
    assert clock(after, "response") == (london(day, 13), "pending")
    assert after.policy_version == policy_version(FOUR_HOURS)
    changed = after.timeline[-1]
    assert (changed.kind, changed.actor) == (EventKind.POLICY_CHANGED, DESK)
    assert "response_targets.P3 8h -> 4h" in changed.detail
    assert (await accepted_updates(client, reference)).count("apply_policy") == 1

    # The timers follow the new deadline: warned at 12:00 (3 h), breached at 13:00.
    await move_clock_to(env, london(day, 12, 1))
    await until(lambda: "response_warning" in outbox.kinds(reference))
    await move_clock_to(env, london(day, 13, 1))
    await until(lambda: "response_breach" in outbox.kinds(reference))
    warning, breach = outbox.of(reference)[-2:]
    assert (warning.due, breach.due) == (london(day, 12), london(day, 13))
    assert outbox.kinds(reference).count("response_breach") == 1
    await send(client, reference, "withdraw", Withdraw(request_id=request_id(), reason="over"))


async def test_the_same_policy_again_and_a_dry_run_change_nothing(
    env: WorkflowEnvironment, client: Client, worker: object, task_queue: str
) -> None:
    reference = await p3_logged_monday_9(env, client, task_queue)
    target = [Target(CASE_WORKFLOW, reference)]

    dry = await apply_policy(client, FOUR_HOURS, actor=DESK, targets=target, dry_run=True)
    assert [r.outcome for r in dry.results] == [Outcome.WOULD_CHANGE]
    assert "apply_policy" not in await accepted_updates(client, reference)
    assert (await cases.status(client, reference)).policy_version == policy_version(CHARTER)

    first = await apply_policy(client, FOUR_HOURS, actor=DESK, targets=target)
    events = (await cases.status(client, reference)).timeline
    second = await apply_policy(client, FOUR_HOURS, actor=DESK, targets=target)
    dry_after = await apply_policy(client, FOUR_HOURS, actor=DESK, targets=target, dry_run=True)

    assert [r.outcome for r in first.results] == [Outcome.CHANGED]
    assert [r.outcome for r in second.results] == [Outcome.ALREADY]
    assert [r.outcome for r in dry_after.results] == [Outcome.ALREADY]
    assert (await cases.status(client, reference)).timeline == events
    assert second.counts == {
        "changed": 0,
        "already": 1,
        "closed": 0,
        "failed": 0,
        "would_change": 0,
    }
    await send(client, reference, "withdraw", Withdraw(request_id=request_id(), reason="over"))


async def test_a_case_closed_since_it_was_listed_keeps_its_policy_and_is_no_failure(
    env: WorkflowEnvironment, client: Client, worker: object, task_queue: str
) -> None:
    reference = await p3_logged_monday_9(env, client, task_queue)
    await send(client, reference, "withdraw", Withdraw(request_id=request_id(), reason="over"))
    await cases.handle_for(client, reference).result()

    applied = await apply_policy(
        client, FOUR_HOURS, actor=DESK, targets=[Target(CASE_WORKFLOW, reference)]
    )

    assert [r.outcome for r in applied.results] == [Outcome.CLOSED]
    assert applied.counts["failed"] == 0


async def test_only_the_desk_may_apply_a_policy_and_a_refusal_is_reported_not_raised(
    env: WorkflowEnvironment, client: Client, worker: object, task_queue: str
) -> None:
    reference = await p3_logged_monday_9(env, client, task_queue)
    integrator = Actor(role=Role.INTEGRATOR, id="INT-042")  # the case's own

    applied = await apply_policy(
        client, FOUR_HOURS, actor=integrator, targets=[Target(CASE_WORKFLOW, reference)]
    )

    [result] = applied.results
    assert result.outcome is Outcome.FAILED
    assert result.detail.startswith("NotAllowed: actor: an integrator cannot apply a support")
    assert "apply_policy" not in await accepted_updates(client, reference)
    await send(client, reference, "withdraw", Withdraw(request_id=request_id(), reason="over"))


async def test_a_change_request_takes_the_policy_and_records_it_once(
    env: WorkflowEnvironment, client: Client, worker: object, task_queue: str
) -> None:
    raised = await raise_cr(env, client, task_queue)
    quarterly = SupportPolicy.model_validate(
        {**CHARTER.model_dump(), "cr_review_interval_months": 2}
    )
    target = [Target(CHANGE_REQUEST_WORKFLOW, raised.reference)]

    first = await apply_policy(client, quarterly, actor=DESK, targets=target)
    length = await cr_history_length(client, raised.reference)
    again = await apply_policy(client, quarterly, actor=DESK, targets=target, dry_run=True)

    assert [r.outcome for r in first.results] == [Outcome.CHANGED]
    assert [r.outcome for r in again.results] == [Outcome.ALREADY]
    assert await cr_history_length(client, raised.reference) == length
    status = await crs.status(client, raised.reference)
    changed = status.timeline[-1]
    assert changed.kind == "policy_changed" and changed.actor == DESK
    assert changed.facts == {
        "old_version": policy_version(CHARTER),
        "new_version": policy_version(quarterly),
    }
    assert "cr_review_interval_months 3 -> 2" in changed.detail
    assert status.policy_version == policy_version(quarterly)
    # Its first review reminder is two months from publishing now, not three.
    assert status.next_action_due == add_months(raised.raised_at, 2)
