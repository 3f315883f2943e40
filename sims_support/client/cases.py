"""The Python interface platform backends call; the command line is built on it.

Every failure reaches the caller as a `CaseError` with a `type` (the same names the
workflow's `ApplicationError`s carry) and a message a person can act on.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.models import CaseOutcome, CaseRequest, CaseStatus, OpenCase
from sims_support.config import TASK_QUEUE
from workflows.case import CaseInput, CaseWorkflow

DEFAULT_TASK_QUEUE = TASK_QUEUE
# The wire name of each case event, as platform backends and the CLI send it.
CASE_EVENTS = (
    "acknowledge",
    "post_update",
    "request_information",
    "provide_information",
    "change_priority",
    "escalate_to_problem",
    "offer_resolution",
    "accept_resolution",
    "reopen",
    "withdraw",
)


class CaseError(Exception):
    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type


class NoSuchCase(CaseError):
    pass


class CaseRefused(CaseError):
    """The case's state or a charter rule refused the request; nothing changed."""


def workflow_id(reference: str) -> str:
    return f"case-{reference}"


def static_summary(intake: OpenCase) -> str:
    kind = intake.case_type.value.replace("_", " ")
    return f"{intake.priority.name} {kind} {intake.reference}: {intake.summary}"[:200]


async def open_case(
    client: Client,
    intake: OpenCase,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    history_threshold: int | None = None,
) -> CaseStatus:
    """Start the case's workflow and return its first status; a reference opens once."""
    try:
        handle = await client.start_workflow(
            CaseWorkflow.run,
            CaseInput(intake=intake, history_threshold=history_threshold),
            id=workflow_id(intake.reference),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=static_summary(intake),
        )
    except WorkflowAlreadyStartedError:
        raise CaseRefused(
            "CaseAlreadyOpen",
            f"reference: case {intake.reference} already exists; send events to it, "
            "or log a new case with a new reference",
        ) from None
    try:
        return await handle.execute_update(CaseWorkflow.opened)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await _explain(handle, err, "opened") from None


def handle_for(client: Client, reference: str) -> WorkflowHandle[Any, CaseOutcome]:
    return client.get_workflow_handle_for(CaseWorkflow.run, workflow_id(reference))


async def send(client: Client, reference: str, event: str, request: CaseRequest) -> CaseStatus:
    """Send one case event (an Update); returns the case's status after it."""
    if event not in CASE_EVENTS:
        raise CaseError("UnknownEvent", f"event: {event!r} is not one of {', '.join(CASE_EVENTS)}")
    handle = handle_for(client, reference)
    try:
        return await handle.execute_update(event, request, result_type=CaseStatus)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await _explain(handle, err, event) from None


async def case_status(client: Client, reference: str) -> CaseStatus:
    handle = handle_for(client, reference)
    try:
        return await handle.query(CaseWorkflow.status)
    except RPCError as err:
        raise await _explain(handle, err, "status") from None


def refusal(err: Exception) -> CaseError | None:
    """The refusal an update or query failure carries; None when Temporal found no running
    workflow (there is none, or it has finished: ask `finished_result`)."""
    cause = err.cause if isinstance(err, WorkflowUpdateFailedError) else None
    if isinstance(cause, ApplicationError):
        return CaseRefused(cause.type or "Refused", cause.message)
    if not (isinstance(err, RPCError) and err.status is RPCStatusCode.NOT_FOUND):
        return CaseError(type(err).__name__, str(err))
    return None


async def finished_result(handle: WorkflowHandle[Any, Any], what: str) -> Any:
    """The result of a workflow that has finished; raises `NoSuchCase` when there is none,
    or the refusal it failed with. `what` names it for people: "case INC-1"."""
    try:
        return await handle.result()
    except RPCError:
        raise NoSuchCase("NoSuchCase", f"reference: no {what} exists") from None
    except WorkflowFailureError as failure:
        if isinstance(failure.cause, ApplicationError):
            raise CaseRefused(failure.cause.type or "Refused", failure.cause.message) from None
        raise CaseRefused("CaseClosed", f"{what} has failed: {failure.cause}") from None


async def _explain(handle: WorkflowHandle[Any, Any], err: Exception, event: str) -> CaseError:
    reference = handle.id.removeprefix("case-")
    known = refusal(err)
    if known is not None:
        return known
    # Not found: either no such case, or a case whose workflow has finished.
    try:
        outcome = await finished_result(handle, f"case {reference}")
    except CaseError as closed:
        return closed
    if event == "reopen" and outcome.state == "resolved":
        return CaseRefused(
            "ReopenWindowClosed",
            f"case {reference} is Resolved and can no longer be reopened: "
            f"log a new case quoting reference {reference}",
        )
    return CaseRefused(
        "CaseClosed", f"case {reference} is {outcome.state}: {event} is no longer possible"
    )
