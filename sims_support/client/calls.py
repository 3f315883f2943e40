"""The one path every lifecycle's client takes to Temporal: start, update, query, explain.

Workflows are addressed by the names in `workflows/contract.py`, never by their classes,
so a platform backend imports no worker code. A `Lifecycle` says what differs between
a case, a problem and a change request; everything else is written once, here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.actors import Actor
from sims_support.client.errors import ClientError, NotFound, Refused
from workflows.contract import OPENED, STATUS

S = TypeVar("S")  # what the lifecycle's updates and queries answer
R = TypeVar("R")  # what its workflow returns when it ends
B = TypeVar("B", bound=BaseModel)


def failed_run(
    what: str, failure: WorkflowFailureError, ended: str, *, opening: bool = False
) -> ClientError:
    """A run that failed. To its opening (`opened` reached it after it had refused its
    opener, say) the refusal it failed with; to any later event `ended`: that request
    was not refused, the run is over."""
    cause = failure.cause
    if isinstance(cause, ApplicationError):
        if opening:
            return Refused(cause.type or "Refused", cause.message)
        return Refused(ended, f"{what} has failed ({cause.type}): {cause.message}")
    return Refused(ended, f"{what} has failed: {cause}")


@dataclass(frozen=True)
class Lifecycle(Generic[S, R]):
    noun: str  # how messages name one: "case", "problem", "change request"
    workflow: str  # the workflow type
    workflow_id: Callable[[str], str]
    # The updates callers may send: the contract's list, read when an event is first sent
    # (a case's is derived from its machine, which `status` need not import).
    events: Callable[[], tuple[str, ...]]
    status_type: type[S]
    result_type: type[R]
    not_found: str  # the `type` of the `NotFound` for a reference that has no workflow
    # Why `event` cannot be sent to a finished one: (reference, its result, event).
    closed: Callable[[str, R, str], ClientError]
    ended: str = "CaseClosed"  # the `type` of the refusal for a run that failed for no refusal

    def what(self, reference: str) -> str:
        return f"{self.noun} {reference}"


def handle(client: Client, lifecycle: Lifecycle[S, R], reference: str) -> WorkflowHandle[Any, R]:
    workflow_id = lifecycle.workflow_id(reference)
    return client.get_workflow_handle(workflow_id, result_type=lifecycle.result_type)


async def start(
    client: Client,
    lifecycle: Lifecycle[S, R],
    reference: str,
    input: BaseModel,
    *,
    task_queue: str,
    summary: str,
    already_open: Refused,
) -> S:
    """Start the workflow and return its first status; a reference starts once."""
    try:
        started = await client.start_workflow(
            lifecycle.workflow,
            input,
            id=lifecycle.workflow_id(reference),
            task_queue=task_queue,
            result_type=lifecycle.result_type,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary[:200],
        )
    except WorkflowAlreadyStartedError:
        raise already_open from None
    try:
        status: S = await started.execute_update(OPENED, result_type=lifecycle.status_type)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise unanswered(lifecycle, reference) from None  # or, when cancelled, CancelledError
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await explain(started, lifecycle, reference, err, OPENED) from None
    return status


def acting_as(request: B, actor: Actor | None) -> B:
    """The request sent as `actor` (DESIGN §12): the actor given wins over one the
    request names; with none given, the request's own (a request with neither is refused
    by the workflow, naming `actor`)."""
    if actor is None or getattr(request, "actor", None) == actor:
        return request
    if "actor" not in type(request).model_fields:
        raise ClientError("InvalidInput", f"actor: {type(request).__name__} takes no actor")
    return request.model_copy(update={"actor": actor})


async def update(
    client: Client,
    lifecycle: Lifecycle[S, R],
    reference: str,
    event: str,
    request: BaseModel,
    *,
    actor: Actor | None = None,
) -> S:
    """Send one event (an Update) as `actor`; returns the status after it."""
    events = lifecycle.events()
    if event not in events:
        known = ", ".join(events)
        raise ClientError("UnknownEvent", f"event: {event!r} is not one of {known}")
    request = acting_as(request, actor)
    found = handle(client, lifecycle, reference)
    try:
        status: S = await found.execute_update(event, request, result_type=lifecycle.status_type)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise unanswered(lifecycle, reference) from None  # or, when cancelled, CancelledError
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await explain(found, lifecycle, reference, err, event) from None
    return status


async def query(
    client: Client, lifecycle: Lifecycle[S, R], reference: str, name: str = STATUS
) -> S:
    found = handle(client, lifecycle, reference)
    try:
        status: S = await found.query(name, result_type=lifecycle.status_type)
    except RPCError as err:
        raise await explain(found, lifecycle, reference, err, name) from None
    return status


def unanswered(lifecycle: Lifecycle[S, R], reference: str) -> BaseException:
    """The update call timed out before an answer: it may or may not have been applied;
    a retry with the same request id is safe (a no-op if it was). A call the caller
    cancelled (`asyncio.wait_for`, say) stays cancelled, as asyncio expects."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        return asyncio.CancelledError()
    return ClientError(
        "Unanswered",
        f"{lifecycle.what(reference)} did not answer in time (is a worker running?); "
        "retry with the same request id",
    )


def refusal(err: Exception) -> ClientError | None:
    """The refusal an update or query failure carries; None when Temporal found no running
    workflow (there is none, or it has finished: ask `finished_result`)."""
    cause = err.cause if isinstance(err, WorkflowUpdateFailedError) else None
    if isinstance(cause, ApplicationError):
        return Refused(cause.type or "Refused", cause.message)
    if not (isinstance(err, RPCError) and err.status is RPCStatusCode.NOT_FOUND):
        return ClientError(type(err).__name__, str(err))
    return None


async def finished_result(
    found: WorkflowHandle[Any, R],
    lifecycle: Lifecycle[S, R],
    reference: str,
    *,
    opening: bool = False,
) -> R:
    """The result of a workflow that has finished; raises `NotFound` when there is none,
    or what its failure means to the caller (`failed_run`)."""
    what = lifecycle.what(reference)
    try:
        return await found.result()
    except RPCError:
        raise NotFound(lifecycle.not_found, f"reference: no {what} exists") from None
    except WorkflowFailureError as failure:
        raise failed_run(what, failure, lifecycle.ended, opening=opening) from None


async def explain(
    found: WorkflowHandle[Any, R],
    lifecycle: Lifecycle[S, R],
    reference: str,
    err: Exception,
    event: str,
) -> ClientError:
    known = refusal(err)
    if known is not None:
        return known
    # Not found: either there is no such workflow, or it has finished.
    try:
        final = await finished_result(found, lifecycle, reference, opening=event == OPENED)
    except ClientError as why:
        return why
    return lifecycle.closed(reference, final, event)
