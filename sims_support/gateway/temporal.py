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
import hashlib
import hmac
from collections.abc import Awaitable
from typing import TypeVar

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
from temporalio.service import RPCError

from domain.idempotency import fingerprint
from sims_support.client import calls
from sims_support.config import Settings
from sims_support.gateway.errors import ApiError, FieldError
from sims_support.runtime.connect import connect
from sims_support.runtime.metrics import runtime_for

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")


class TemporalLink:
    """The client the gateway was given, or one connected (with the production converter,
    encrypting when SIMS_CODEC_KEYS is set) on first use and kept: the gateway starts
    before Temporal does, and answers 503 until it can reach it. A client it connects
    reports to the gateway's metrics endpoint, when SIMS_GATEWAY_METRICS_PORT is set."""

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
                # On the gateway's metrics runtime (never a worker's, from a shared `.env`).
                runtime = runtime_for(self.settings, gateway=True)
                self._client = await connect(self.settings, runtime=runtime)  # or a 503
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


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _seal(query: str, raw: bytes) -> str:
    """Temporal's page token, bound to the query it pages (a token for other filters, or
    made up, is refused here: Temporal answers one it cannot read only after retrying)."""
    mark = hashlib.sha256(query.encode() + b"\0" + raw).digest()[:12]
    return f"{_b64(raw)}.{_b64(mark)}"


def _unseal(query: str, token: str | None) -> bytes | None:
    if token is None:
        return None
    raw_text, _, _ = token.partition(".")
    try:
        raw = base64.urlsafe_b64decode(raw_text + "=" * (-len(raw_text) % 4))
    except (binascii.Error, ValueError):
        raise bad_page_token() from None
    if not hmac.compare_digest(_seal(query, raw), token):
        raise bad_page_token()
    return raw


def bad_page_token() -> ApiError:
    why = "not a page token of this list (its filters the same); leave it out for page one"
    return ApiError(
        "InvalidInput", f"page_token: {why}", errors=[FieldError(field="page_token", detail=why)]
    )


async def page(
    client: Client, query: str, size: int, token: str | None
) -> tuple[list[WorkflowExecution], str | None]:
    """One page of a visibility query, in Temporal's order, and the next page's token."""
    found = client.list_workflows(query, page_size=size, next_page_token=_unseal(query, token))
    await found.fetch_next_page()
    following = found.next_page_token
    return list(found.current_page or []), _seal(query, following) if following else None


async def pollers(client: Client, task_queue: str) -> int:
    """How many workers have polled the task queue for workflow tasks lately."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    answer = await client.workflow_service.describe_task_queue(request)
    return len(answer.pollers)
