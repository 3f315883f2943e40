"""A request id is bound to what it asked (DESIGN §13): the same id with the same event
and fields is a no-op, with another event or other fields `IdempotencyKeyReused` (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from pydantic import BaseModel

from domain.refusals import IdempotencyKeyReused


def fingerprint(event: str, request: BaseModel) -> str:
    """What a request asked, in 24 hex digits: its event and every field (actor too)."""
    body = f"{event}\n{request.model_dump_json()}".encode()
    return hashlib.sha256(body).hexdigest()[:24]


def check_reuse(seen: Mapping[str, str], event: str, request: BaseModel, request_id: str) -> None:
    """Raise when `request_id` was applied for something else. A request id applied before
    fingerprints were kept (a run recorded by 0.1) is taken as the same request."""
    known = seen.get(request_id)
    if known is not None and known != fingerprint(event, request):
        raise IdempotencyKeyReused(
            f"request_id: {request_id} was already used for another request; "
            "send a new request id for a new request (a retry repeats the request exactly)"
        )
