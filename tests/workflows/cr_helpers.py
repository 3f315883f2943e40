"""Small steps the change-request tests share: raise one, decide, read its history."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.change_requests import ChangeRequestStatus, Decision, OpenChangeRequest, Vote
from domain.models import CaseRequest
from sims_support.client import change_requests
from sims_support.client.errors import ClientError
from tests.factories import DESK, PRODUCT_MANAGER, new_reference
from tests.workflows.helpers import request_id

_who = itertools.count(1)
# Every change request a test raised: those still open are rejected when the test ends, so
# their reminders do not keep the shared test server busy while later tests skip years.
# Rejected, not terminated: a workflow terminated while its notify activity runs leaves the
# time-skipping server unable to skip time ever after.
RAISED: list[str] = []


@pytest.fixture(autouse=True)
async def close_change_requests(client: Client) -> AsyncIterator[None]:
    yield
    while RAISED:
        reference = RAISED.pop()
        with contextlib.suppress(ClientError):  # it had already finished
            await send(client, reference, "reject", decision(reason="test over"))
        with contextlib.suppress(WorkflowFailureError):
            await change_requests.handle_for(client, reference).result()


async def raise_cr(
    env: WorkflowEnvironment, client: Client, task_queue: str, **options: Any
) -> ChangeRequestStatus:
    request = OpenChangeRequest(
        reference=new_reference("CR"),
        title="Expose attendance codes on the Attendance API",
        description="So that integrators need not map codes by hand",
        raised_by=f"INT-{next(_who):03d}",
        raised_at=await env.get_current_time(),
    )
    RAISED.append(request.reference)
    return await change_requests.open_change_request(
        client, request, opened_by=DESK, task_queue=task_queue, **options
    )


def decision(model: type[Decision] = Decision, **fields: Any) -> Any:
    fields.setdefault("reason", "popular at the Customer Consultation Group")
    return model(request_id=request_id(), decided_by="pm-ann", **fields)


def vote(integrator: str) -> Vote:
    return Vote(request_id=request_id(), integrator_id=integrator)


async def send(
    client: Client, reference: str, event: str, request: CaseRequest
) -> ChangeRequestStatus:
    """A vote as the integrator it names, a decision as a product manager, unless the
    request names its actor."""
    return await change_requests.send(client, reference, event, request, actor=actor_for(request))


def actor_for(request: CaseRequest) -> Actor:
    if request.actor is not None:
        return request.actor
    if isinstance(request, Vote):
        return Actor(role=Role.INTEGRATOR, id=request.integrator_id)
    return PRODUCT_MANAGER


async def accepted_updates(client: Client, reference: str) -> list[str]:
    """The updates the workflow's history records (refused ones leave none)."""
    history = await change_requests.handle_for(client, reference).fetch_history()
    return [
        event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


async def history_length(client: Client, reference: str) -> int:
    return len((await change_requests.handle_for(client, reference).fetch_history()).events)
