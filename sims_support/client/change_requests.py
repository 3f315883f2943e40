"""Change requests (DESIGN §7): raise one, vote, record decisions, read one, list them.

Failures reach the caller as the same `ClientError` family as for cases, so a platform
backend and the command line handle both alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.actors import Actor
from domain.change_requests import ChangeRequestStatus, OpenChangeRequest
from domain.cr_record import voting_closed
from domain.machines import ChangeRequestMachine, InvalidTransition, check_transition
from domain.models import CaseRequest
from domain.refusals import VotingClosed
from sims_support.client import calls

# Every lifecycle module answers with the one family of errors (0.1 names included).
from sims_support.client.errors import CaseError as CaseError
from sims_support.client.errors import CaseRefused as CaseRefused
from sims_support.client.errors import ClientError as ClientError
from sims_support.client.errors import NoSuchCase as NoSuchCase
from sims_support.client.errors import NotFound as NotFound
from sims_support.client.errors import Refused as Refused
from workflows import contract, search

DEFAULT_TASK_QUEUE = contract.TASK_QUEUE
# The wire name of each vote and decision, as platform backends and the CLI send it.
EVENTS = contract.CHANGE_REQUEST_EVENTS
workflow_id = contract.change_request_workflow_id
SORTS = {"votes": lambda row: (-row.votes, row.reference), "reference": lambda row: row.reference}


def _closed(reference: str, final: ChangeRequestStatus, event: str) -> ClientError:
    if event in contract.VOTES:
        message = voting_closed(reference, final.state, final.original_reference)
        return Refused(VotingClosed.__name__, message)
    try:
        check_transition(ChangeRequestMachine, final.state, event)
    except InvalidTransition as refused:
        return Refused(InvalidTransition.__name__, str(refused))
    return Refused(
        "ChangeRequestClosed",
        f"change request {reference} is {final.state}: {event} is not possible",
    )


CHANGE_REQUEST = calls.Lifecycle(
    noun="change request",
    workflow=contract.CHANGE_REQUEST_WORKFLOW,
    workflow_id=workflow_id,
    events=lambda: EVENTS,
    status_type=ChangeRequestStatus,
    result_type=ChangeRequestStatus,
    not_found="NoSuchChangeRequest",
    closed=_closed,
    ended="ChangeRequestClosed",
)


class ChangeRequestRow(BaseModel):
    """One change request as the list shows it, read from search attributes only."""

    model_config = ConfigDict(frozen=True)
    reference: str
    state: str | None
    votes: int
    status: str


def static_summary(request: OpenChangeRequest) -> str:
    return f"change request {request.reference}: {request.title}"[:200]


def handle_for(client: Client, reference: str) -> WorkflowHandle[Any, ChangeRequestStatus]:
    return calls.handle(client, CHANGE_REQUEST, reference)


async def open_change_request(
    client: Client,
    request: OpenChangeRequest,
    *,
    opened_by: Actor | None = None,
    task_queue: str = DEFAULT_TASK_QUEUE,
    history_threshold: int | None = None,
) -> ChangeRequestStatus:
    """Publish the request for consultation and return its first status; a reference once."""
    # The workflows' inputs (every lifecycle's models) are what opening alone needs.
    from domain.workflow_inputs import ChangeRequestInput

    return await calls.start(
        client,
        CHANGE_REQUEST,
        request.reference,
        ChangeRequestInput(
            request=request, opened_by=opened_by, history_threshold=history_threshold
        ),
        task_queue=task_queue,
        summary=static_summary(request),
        already_open=Refused(
            "ChangeRequestAlreadyOpen",
            f"reference: change request {request.reference} already exists; vote on it, "
            "or raise a new one with a new reference",
        ),
    )


async def send(
    client: Client,
    reference: str,
    event: str,
    request: CaseRequest,
    *,
    actor: Actor | None = None,
) -> ChangeRequestStatus:
    """Send one vote or decision (an Update) as `actor`; returns the request's status
    after it."""
    original = getattr(request, "original_reference", None)
    if event == "mark_duplicate" and original:
        await _must_exist(client, original)
    return await calls.update(client, CHANGE_REQUEST, reference, event, request, actor=actor)


async def status(client: Client, reference: str) -> ChangeRequestStatus:
    return await calls.query(client, CHANGE_REQUEST, reference)


def list_query(*, include_closed: bool = False, state: str | None = None) -> str:
    clauses = [f'WorkflowType = "{contract.CHANGE_REQUEST_WORKFLOW}"']
    if not include_closed:
        clauses.append('ExecutionStatus = "Running"')
    if state:
        if state not in {s.id for s in ChangeRequestMachine.states}:
            raise ClientError("UnknownState", f"state: {state!r} is not a change-request state")
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
            raise Refused(
                "UnknownOriginal",
                f"original_reference: no change request {reference} exists",
            ) from None
        raise ClientError(type(err).__name__, str(err)) from None


# The 0.1 names, kept for one release.
CR_EVENTS = EVENTS
send_cr = send
cr_status = status
