"""The Python interface for problems (DESIGN §6); `cli_problem` is built on it.

Failures reach the caller as the same `api.CaseError` family as for cases, with a `type`
(the workflow's `ApplicationError` type) and a message a person can act on.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.problem_links import ProblemInput
from domain.problems import (
    OpenProblem,
    ProblemRequest,
    ProblemStatus,
)
from sims_support.client.cases import DEFAULT_TASK_QUEUE, CaseError, CaseRefused, NoSuchCase
from workflows.contract import problem_workflow_id
from workflows.problem import ProblemWorkflow

# The wire name of each decision on a problem, as the CLI and platform backends send it.
PROBLEM_EVENTS = (
    "schedule_review",
    "accept_as_defect",
    "reject",
    "request_information",
    "schedule_fix",
    "release_fix",
)


def handle_for(client: Client, reference: str) -> WorkflowHandle[Any, ProblemStatus]:
    return client.get_workflow_handle_for(ProblemWorkflow.run, problem_workflow_id(reference))


async def open_problem(
    client: Client,
    opening: OpenProblem,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    history_threshold: int | None = None,
) -> ProblemStatus:
    """Start the problem's workflow; a reference opens once (escalations may open it too)."""
    try:
        handle = await client.start_workflow(
            ProblemWorkflow.run,
            ProblemInput(opening=opening, history_threshold=history_threshold),
            id=problem_workflow_id(opening.reference),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"problem {opening.reference}: {opening.summary}"[:200],
        )
    except WorkflowAlreadyStartedError:
        raise CaseRefused(
            "ProblemAlreadyOpen",
            f"reference: problem {opening.reference} already exists (an escalated case may "
            "have opened it); send decisions to it, and classify it when accepting it",
        ) from None
    try:
        return await handle.execute_update(ProblemWorkflow.opened)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await _explain(handle, err, "opened") from None


async def send(
    client: Client, reference: str, event: str, request: ProblemRequest
) -> ProblemStatus:
    """Send one decision (an Update); returns the problem's status after it."""
    if event not in PROBLEM_EVENTS:
        known = ", ".join(PROBLEM_EVENTS)
        raise CaseError("UnknownEvent", f"event: {event!r} is not one of {known}")
    handle = handle_for(client, reference)
    try:
        return await handle.execute_update(event, request, result_type=ProblemStatus)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await _explain(handle, err, event) from None


async def problem_status(client: Client, reference: str) -> ProblemStatus:
    handle = handle_for(client, reference)
    try:
        return await handle.query(ProblemWorkflow.status)
    except RPCError as err:
        raise await _explain(handle, err, "status") from None


async def _explain(handle: WorkflowHandle[Any, Any], err: Exception, event: str) -> CaseError:
    reference = handle.id.removeprefix("problem-")
    cause = err.cause if isinstance(err, WorkflowUpdateFailedError) else None
    if isinstance(cause, ApplicationError):
        return CaseRefused(cause.type or "Refused", cause.message)
    if not (isinstance(err, RPCError) and err.status is RPCStatusCode.NOT_FOUND):
        return CaseError(type(err).__name__, str(err))
    try:
        final: ProblemStatus = await handle.result()
    except RPCError:
        return NoSuchCase("NoSuchProblem", f"reference: no problem {reference} exists")
    except Exception as failure:  # a failed or terminated run: say so, in one line
        return CaseRefused("ProblemClosed", f"problem {reference} has ended: {failure}")
    return CaseRefused(
        "ProblemClosed", f"problem {reference} is {final.state}: {event} is no longer possible"
    )
