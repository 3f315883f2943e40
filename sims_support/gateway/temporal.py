"""The gateway's one Temporal client, and the calls it makes that the Python client does
not: an update sent under an update id, a page of a visibility query, the workers that
poll the task queue.

The update id is the Idempotency-Key with the fingerprint of what it asks
(`domain.idempotency`): Temporal answers a repeat of a completed update with the answer it
kept, so the same key and body get the same answer; another body is another update, which
the workflow refuses `IdempotencyKeyReused`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from domain.idempotency import fingerprint
from sims_support.client import calls
from sims_support.config import Settings
from sims_support.gateway.errors import ApiError, FieldError
from sims_support.runtime.connect import connect

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")


class TemporalLink:
    """The client the gateway was given, or one connected (with the production converter,
    encrypting when SIMS_CODEC_KEYS is set) on first use and kept: the gateway starts
    before Temporal does, and answers 503 until it can reach it."""

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self.settings = settings
        self._client = client
        self._lock: asyncio.Lock | None = None

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._client is None:
                self._client = await connect(self.settings)  # `Unreachable`: a 503
        return self._client


async def within(seconds: float, call: Awaitable[T]) -> T:
    """`call`, or a 503 when no worker answers in time (the update may still be applied:
    a retry under the same Idempotency-Key is safe)."""
    try:
        return await asyncio.wait_for(call, seconds)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ApiError(
            "Unavailable",
            f"no worker answered within {seconds:g}s; try again with the same Idempotency-Key",
        ) from None


def update_id(event: str, request: BaseModel) -> str:
    request_id = getattr(request, "request_id", "")
    return f"{request_id}#{fingerprint(event, request)}"


async def update(
    client: Client,
    lifecycle: calls.Lifecycle[S, R],
    reference: str,
    event: str,
    request: BaseModel,
) -> S:
    """`calls.update` under the request's update id; its refusals, explained alike."""
    found = calls.handle(client, lifecycle, reference)
    try:
        status: S = await found.execute_update(
            event, request, id=update_id(event, request), result_type=lifecycle.status_type
        )
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise await calls.explain(found, lifecycle, reference, err, event) from None
    return status


def _token_bytes(token: str | None) -> bytes | None:
    if token is None:
        return None
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise bad_page_token() from None


def bad_page_token() -> ApiError:
    why = "not a page token this API gave; leave it out for the first page"
    return ApiError(
        "InvalidInput", f"page_token: {why}", errors=[FieldError(field="page_token", detail=why)]
    )


async def page(
    client: Client, query: str, size: int, token: str | None
) -> tuple[list[WorkflowExecution], str | None]:
    """One page of a visibility query, in Temporal's order, and the next page's token."""
    found = client.list_workflows(query, page_size=size, next_page_token=_token_bytes(token))
    try:
        await found.fetch_next_page()
    except RPCError as err:
        if token is not None and err.status is RPCStatusCode.INVALID_ARGUMENT:
            raise bad_page_token() from None
        raise
    following = found.next_page_token
    encoded = base64.urlsafe_b64encode(following).decode().rstrip("=") if following else None
    return list(found.current_page or []), encoded


async def pollers(client: Client, task_queue: str) -> int:
    """How many workers have polled the task queue for workflow tasks lately."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    answer = await client.workflow_service.describe_task_queue(request)
    return len(answer.pollers)


def attributes(execution: WorkflowExecution) -> Any:
    return execution.typed_search_attributes
