"""`POST /v1/cases/{reference}/feedback` (DESIGN §12): the integrator's or the school's
word on the service. An open case, or one with a resolution offered, takes it (its status
answers); a Resolved case's workflow has ended, so the KPI ledger takes it
(`give_feedback_after_resolution`, its `FeedbackRecord` answers)."""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import partial

from fastapi import APIRouter
from starlette.responses import Response
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client

from domain.actors import Actor
from domain.case_views import status_for
from domain.kpi_ledger import FeedbackRecord
from domain.machines import CASE_CLOSED
from domain.models import CaseStatus, GiveFeedback
from domain.refusals import IdempotencyKeyReused
from sims_support.client import cases
from sims_support.client.errors import ClientError, Refused
from sims_support.gateway.bodies import FEEDBACK, body_of, request_of
from sims_support.gateway.case_routes import sent
from sims_support.gateway.errors import documented
from sims_support.gateway.guard import Caller
from sims_support.gateway.params import ALWAYS, POSTED, IdempotencyKey, ReferencePath
from sims_support.gateway.state import Gateway, Shared, answer, hidden

router = APIRouter(prefix="/v1/cases", tags=["cases"])
FINISHING_POLL = 0.1  # seconds between looks at a case finishing its run
FeedbackBody = body_of(FEEDBACK, "Case")


@router.post(
    "/{reference}/feedback",
    operation_id="case_give_feedback",
    summary="rate the service",
    response_model=CaseStatus | FeedbackRecord,
    responses=documented(*ALWAYS, *POSTED, 403, 404, 409),
)
async def give_feedback(
    reference: ReferencePath,
    key: IdempotencyKey,
    caller: Caller,
    gateway: Shared,
    body: FeedbackBody,  # type: ignore[valid-type]
) -> Response:
    """From the case's integrator or school: the case takes it while it is open or a
    resolution is offered (its status answers); once it is Resolved, the KPI ledger keeps
    it (its `FeedbackRecord` answers)."""
    request = request_of(GiveFeedback, body, key, caller)
    try:
        status = await gateway.call(
            caller, lambda c: sent(c, cases.CASE, reference, "give_feedback", request)
        )
    except Refused as err:
        if not await gateway.call(caller, partial(_has_ended, reference=reference, err=err)):
            raise
        return answer(await _after_resolution(gateway, caller, reference, request))
    return answer(status_for(status, caller))


async def _has_ended(client: Client, reference: str, err: Refused) -> bool:
    """Whether the case refused because it has ended: its workflow has finished, or it is
    in a final state and finishing (its last ledger write), which it is waited for."""
    if err.type == "CaseClosed":
        return True
    if err.type != "InvalidTransition":
        return False
    status = await cases.status(client, reference)
    if status.state not in CASE_CLOSED:
        return False
    while await _running(client, reference):
        await asyncio.sleep(FINISHING_POLL)
    return True


async def _running(client: Client, reference: str) -> bool:
    # The raw description: the typed one decodes every search attribute, which it need not.
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=cases.workflow_id(reference)),
        )
    )
    running = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    return bool(raw.workflow_execution_info.status == running)


async def _after_resolution(
    gateway: Gateway, caller: Actor, reference: str, request: GiveFeedback
) -> FeedbackRecord:
    from sims_support.reports.feedback import give_feedback_after_resolution

    try:
        record = await give_feedback_after_resolution(
            gateway.ledger,
            reference,
            request,
            caller,
            now=dt.datetime.now(dt.UTC),
            notify=gateway.notify,
        )
    except ClientError as err:
        raise hidden(err, caller) from None
    # The ledger keeps the first rating under a key: another under it is another request.
    kept = (record.rating, record.escalate, record.by_role, record.by_id)
    if kept != (request.rating, request.escalate, caller.role.value, caller.id):
        raise IdempotencyKeyReused(
            f"request_id: {request.request_id} was already used for another rating of case "
            f"{reference}; send a new Idempotency-Key for a new request"
        )
    return record
