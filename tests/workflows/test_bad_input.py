"""Whatever a caller sends, a case accepts it or refuses it with a typed error, and never
gets stuck: no workflow task fails, whatever the payload.

Payloads are raw JSON (dicts, lists, numbers, nulls) sent through the untyped client
API, as a platform backend in another language would: valid ones, and valid ones with a
field dropped, replaced by junk, or joined by an unknown field. Hypothesis draws them
in a thread while the session loop serves the workflows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.models import Withdraw
from sims_support.client import cases as api
from tests.factories import DESK, intake
from tests.workflows.helpers import request_id

pytestmark = pytest.mark.usefixtures("worker")

EXAMPLES = 25
# Every refusal a case gives: the converter's, then the workflow's business rules.
TYPED = {
    "InvalidInput",
    "InvalidTransition",
    "NotReady",
    "EscalationInProgress",
    "InvalidResolutionKind",
    "ReopenWindowClosed",
    "ProblemUnavailable",
    "ProblemClosed",
    "LoggedAtInFuture",
    "LoggedAtTooOld",
    "IdempotencyKeyReused",
    "CaseTooLarge",
    "SchoolDataNotAllowed",
    "UnknownDataRequest",
    "UnknownAccessRequest",
    "AccessAlreadyDecided",
    "NotAllowed",
    "NotYourCase",
}
FRESH = "<fresh request id>"
AS_DESK = DESK.model_dump(mode="json")
PROBLEM = f"PRB-FUZZ-{uuid.uuid4().hex[:8].upper()}"
# What a case must have been through for the valid payload to be acceptable.
BEFORE: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "acknowledge": [],
    "provide_information": [
        ("acknowledge", {}),
        ("request_information", {"message": "which build?"}),
    ],
    "accept_resolution": [
        ("acknowledge", {}),
        ("offer_resolution", {"kind": "advice", "summary": "re-run"}),
    ],
}
BEFORE["reopen"] = BEFORE["accept_resolution"]
VALID: dict[str, dict[str, Any]] = {
    "acknowledge": {"request_id": FRESH, "actor": AS_DESK, "message": "on it"},
    "post_update": {"request_id": FRESH, "actor": AS_DESK, "message": "still looking"},
    "request_information": {"request_id": FRESH, "actor": AS_DESK, "message": "which build?"},
    "provide_information": {"request_id": FRESH, "actor": AS_DESK, "message": "7.219"},
    "change_priority": {
        "request_id": FRESH,
        "actor": AS_DESK,
        "impact": 2,
        "urgency": 2,
        "reason": "wider",
    },
    "escalate_to_problem": {"request_id": FRESH, "actor": AS_DESK, "problem_reference": PROBLEM},
    "offer_resolution": {
        "request_id": FRESH,
        "actor": AS_DESK,
        "kind": "workaround",
        "summary": "re-run",
    },
    "accept_resolution": {"request_id": FRESH, "actor": AS_DESK},
    "reopen": {"request_id": FRESH, "actor": AS_DESK, "reason": "still failing"},
    "withdraw": {"request_id": FRESH, "actor": AS_DESK, "reason": "fixed itself"},
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=6,
)


def mutations(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    keys = sorted(valid)

    def drop(key: str) -> dict[str, Any]:
        return {k: v for k, v in valid.items() if k != key}

    def replace(key: str, value: Any) -> dict[str, Any]:
        return {**valid, key: value}

    return st.one_of(
        st.just(valid),
        st.builds(drop, st.sampled_from(keys)),
        st.builds(replace, st.sampled_from([*keys, "unexpected"]), json_values),
        json_values,
    )


def fresh(payload: Any) -> Any:
    """A valid request id per example: a repeated one is an accepted no-op by design."""
    if isinstance(payload, dict) and payload.get("request_id") == FRESH:
        return {**payload, "request_id": f"fuzz-{uuid.uuid4().hex}"}
    return payload


def in_thread(
    loop: asyncio.AbstractEventLoop, check: Callable[[Any], Coroutine[Any, Any, None]]
) -> Callable[[Any], None]:
    def run(payload: Any) -> None:
        asyncio.run_coroutine_threadsafe(check(payload), loop).result(timeout=30)

    return run


async def refusal_type(call: Coroutine[Any, Any, Any]) -> str | None:
    """None when accepted; the refusal's type otherwise (asserted typed)."""
    try:
        await asyncio.wait_for(call, timeout=15)
    except WorkflowUpdateFailedError as err:
        assert isinstance(err.cause, ApplicationError), f"untyped refusal: {err.cause!r}"
        assert err.cause.type in TYPED, f"unexpected refusal type {err.cause.type}"
        return err.cause.type
    return None


async def no_stuck_task(client: Client, workflow_id: str) -> None:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    failed = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    assert not failed, f"{workflow_id}: a workflow task failed: {failed[0]}"


async def first_task_done(handle: WorkflowHandle[Any, Any]) -> None:
    done = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    }
    for _ in range(200):
        history = await handle.fetch_history()
        if any(e.event_type in done for e in history.events):
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"{handle.id}: its first workflow task never completed")


class SharedCase:
    """One case for every example of an update; opened again if an example closed it."""

    def __init__(self, env: WorkflowEnvironment, task_queue: str, event: str) -> None:
        self.env, self.task_queue, self.event = env, task_queue, event
        self.used: list[str] = []

    async def open(self) -> str:
        case = intake(logged_at=await self.env.get_current_time())
        await api.open_case(self.env.client, case, opened_by=DESK, task_queue=self.task_queue)
        handle = api.handle_for(self.env.client, case.reference)
        for event, fields in BEFORE.get(self.event, [("acknowledge", {})]):
            request = {"request_id": request_id(), "actor": AS_DESK, **fields}
            await handle.execute_update(event, request)
        self.used.append(case.reference)
        return case.reference

    async def current(self) -> str:
        reference = self.used[-1] if self.used else await self.open()
        status = await api.case_status(self.env.client, reference)
        return reference if status.state not in ("resolved", "withdrawn") else await self.open()

    async def close_all(self) -> None:
        for reference in self.used:
            await no_stuck_task(self.env.client, api.workflow_id(reference))
            status = await api.case_status(self.env.client, reference)
            if status.state not in ("resolved", "withdrawn"):
                end = Withdraw(request_id=request_id(), reason="fuzzing over")
                await api.send(self.env.client, reference, "withdraw", end, actor=DESK)
            await api.handle_for(self.env.client, reference).result()


@pytest.mark.parametrize("event", sorted(VALID))
async def test_any_update_payload_is_accepted_or_refused_with_a_typed_error(
    env: WorkflowEnvironment, task_queue: str, event: str
) -> None:
    shared = SharedCase(env, task_queue, event)
    outcomes: list[str | None] = []

    async def check(payload: Any) -> None:
        handle = api.handle_for(env.client, await shared.current())
        outcomes.append(await refusal_type(handle.execute_update(event, fresh(payload))))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(mutations(VALID[event]))
    def fuzz(payload: Any) -> None:
        in_thread(loop, check)(payload)

    loop = asyncio.get_running_loop()
    await asyncio.to_thread(fuzz)
    await shared.close_all()

    assert None in outcomes, "the valid payload was never accepted"
    assert "InvalidInput" in outcomes


async def test_any_intake_opens_a_case_or_is_refused_with_a_typed_error(
    env: WorkflowEnvironment, task_queue: str
) -> None:
    # Logged now: at most max_backdating (7 days) behind the workflow's clock is taken.
    valid = intake(logged_at=await env.get_current_time()).model_dump(mode="json")
    opened: list[str] = []
    outcomes: list[str | None] = []

    async def check(payload: Any) -> None:
        workflow_id = f"case-FUZZ-{uuid.uuid4().hex[:12].upper()}"
        started = await env.client.start_workflow(
            "CaseWorkflow",
            {"intake": payload, "opened_by": AS_DESK},
            id=workflow_id,
            task_queue=task_queue,
        )
        # Not the started handle: awaiting its result would skip the shared test clock.
        handle = env.client.get_workflow_handle(started.id)
        # Its first workflow task decides: a refused intake fails the workflow there. (An
        # update sent meanwhile would race that failure: the server then refuses the task
        # once, UNHANDLED_COMMAND, and the retry fails the workflow; api.open_case checks
        # the intake before it starts anything, so only raw clients meet that race.)
        await first_task_done(handle)
        outcome: str | None = None
        if (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
            await handle.execute_update("opened")
            opened.append(workflow_id)
            end = {"request_id": "end", "reason": "over", "actor": AS_DESK}
            await handle.execute_update("withdraw", end)
            await handle.result()
        else:
            with pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            cause = failed.value.cause
            assert isinstance(cause, ApplicationError), f"untyped failure: {cause!r}"
            assert cause.type in TYPED, f"unexpected failure type {cause.type}"
            outcome = cause.type
        await no_stuck_task(env.client, workflow_id)
        outcomes.append(outcome)

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(mutations(valid))
    def fuzz(payload: Any) -> None:
        in_thread(loop, check)(payload)

    loop = asyncio.get_running_loop()
    await asyncio.to_thread(fuzz)

    assert opened, "the valid intake never opened a case"
    assert "InvalidInput" in outcomes
