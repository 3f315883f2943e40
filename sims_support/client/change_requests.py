"""The Python interface for change requests (DESIGN §7), beside `api` for cases.

Failures reach the caller as `api.CaseError`s with a `type`, exactly as for cases, so a
platform backend and the command line handle both alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.change_requests import ChangeRequestStatus, OpenChangeRequest
from domain.cr_record import VOTES, voting_closed
from domain.machines import ChangeRequestMachine, InvalidTransition, check_transition
from domain.models import CaseRequest
from domain.refusals import VotingClosed
from sims_support.client.cases import (
    DEFAULT_TASK_QUEUE,
    CaseError,
    CaseRefused,
    NoSuchCase,
    finished_result,
    refusal,
)
from workflows import search
from workflows.change_request import ChangeRequestInput, ChangeRequestWorkflow
from workflows.contract import change_request_workflow_id as workflow_id
from workflows.cr_view import static_summary

# The wire name of each change-request event, as platform backends and the CLI send it.
CR_EVENTS = (*VOTES, "review", "consider", "plan", "deliver", "reject", "mark_duplicate")
SORTS = {"votes": lambda row: (-row.votes, row.reference), "reference": lambda row: row.reference}


class ChangeRequestRow(BaseModel):
    """One change request as the list shows it, read from search attributes only."""

    model_config = ConfigDict(frozen=True)
    reference: str
    state: str | None
    votes: int
    status: str


def handle_for(client: Client, reference: str) -> WorkflowHandle[Any, ChangeRequestStatus]:
    return client.get_workflow_handle_for(ChangeRequestWorkflow.run, workflow_id(reference))


async def open_change_request(
    client: Client,
    request: OpenChangeRequest,
    *,
    task_queue: str = DEFAULT_TASK_QUEUE,
    history_threshold: int | None = None,
) -> ChangeRequestStatus:
    """Publish the request for consultation and return its first status; a reference once."""
    try:
        handle = await client.start_workflow(
            ChangeRequestWorkflow.run,
            ChangeRequestInput(request=request, history_threshold=history_threshold),
            id=workflow_id(request.reference),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=static_summary(request),
        )
    except WorkflowAlreadyStartedError:
        raise CaseRefused(
            "ChangeRequestAlreadyOpen",
            f"reference: change request {request.reference} already exists; vote on it, "
            "or raise a new one with a new reference",
        ) from None
    try:
        return await handle.execute_update(ChangeRequestWorkflow.opened)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await _explain(handle, err, "opened") from None


async def send_cr(
    client: Client, reference: str, event: str, request: CaseRequest
) -> ChangeRequestStatus:
    """Send one vote or decision (an Update); returns the request's status after it."""
    if event not in CR_EVENTS:
        raise CaseError("UnknownEvent", f"event: {event!r} is not one of {', '.join(CR_EVENTS)}")
    original = getattr(request, "original_reference", None)
    if event == "mark_duplicate" and original:
        await _must_exist(client, original)
    handle = handle_for(client, reference)
    try:
        return await handle.execute_update(event, request, result_type=ChangeRequestStatus)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await _explain(handle, err, event) from None


async def cr_status(client: Client, reference: str) -> ChangeRequestStatus:
    handle = handle_for(client, reference)
    try:
        return await handle.query(ChangeRequestWorkflow.status)
    except RPCError as err:
        raise await _explain(handle, err, "status") from None


def list_query(*, include_closed: bool = False, state: str | None = None) -> str:
    clauses = [f'WorkflowType = "{ChangeRequestWorkflow.__name__}"']
    if not include_closed:
        clauses.append('ExecutionStatus = "Running"')
    if state:
        if state not in {s.id for s in ChangeRequestMachine.states}:
            raise CaseError("UnknownState", f"state: {state!r} is not a change-request state")
        clauses.append(f'{search.CASE_STATE.name} = "{state}"')
    return " AND ".join(clauses)


async def list_change_requests(
    client: Client, query: str, *, sort: str = "votes", limit: int = 50
) -> Sequence[ChangeRequestRow]:
    """Most votes first by default. Sorted here: SQL visibility has no ORDER BY."""
    rows = []
    async for execution in client.list_workflows(query, limit=limit):
        found = execution.typed_search_attributes
        rows.append(
            ChangeRequestRow(
                reference=found.get(search.CASE_REFERENCE) or execution.id.removeprefix("cr-"),
                state=found.get(search.CASE_STATE),
                votes=found.get(search.VOTE_COUNT) or 0,
                status=execution.status.name.lower() if execution.status else "unknown",
            )
        )
    return sorted(rows, key=SORTS[sort])


async def _must_exist(client: Client, reference: str) -> None:
    # The raw call: the typed describe() also decodes search attributes, which it need not.
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id(reference))
    )
    try:
        await client.workflow_service.describe_workflow_execution(request)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise CaseRefused(
                "UnknownOriginal",
                f"original_reference: no change request {reference} exists",
            ) from None
        raise CaseError(type(err).__name__, str(err)) from None


async def _explain(handle: WorkflowHandle[Any, Any], err: Exception, event: str) -> CaseError:
    reference = handle.id.removeprefix("cr-")
    known = refusal(err)
    if known is not None:
        return known
    # Not found: either no such change request, or one whose workflow has finished.
    what = f"change request {reference}"
    try:
        final: ChangeRequestStatus = await finished_result(handle, what)
    except NoSuchCase:
        return NoSuchCase("NoSuchChangeRequest", f"reference: no {what} exists")
    except CaseError as closed:
        return closed
    if event in VOTES:
        message = voting_closed(reference, final.state, final.original_reference)
        return CaseRefused(VotingClosed.__name__, message)
    try:
        check_transition(ChangeRequestMachine, final.state, event)
    except InvalidTransition as refused:
        return CaseRefused(InvalidTransition.__name__, str(refused))
    return CaseRefused("ChangeRequestClosed", f"{what} is {final.state}: {event} is not possible")
