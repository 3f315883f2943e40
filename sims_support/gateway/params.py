"""The parameters every route shares (a reference, the Idempotency-Key, a page), and the
one shape of an event's route: `POST .../{reference}/<path>/<event>`, its body the
update's fields, its request id the key, its actor the caller's."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query
from pydantic import BaseModel
from starlette.responses import Response

from domain.actors import Actor
from sims_support.gateway.bodies import body_of, request_of, takes_no_fields
from sims_support.gateway.errors import documented
from sims_support.gateway.guard import Caller
from sims_support.gateway.state import Gateway, Shared

REFERENCE = r"^[A-Z0-9-]{3,40}$"
ReferencePath = Annotated[
    str, Path(pattern=REFERENCE, description="the reference: 3 to 40 of A-Z, 0-9 and -")
]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[!-~]{1,100}$",
        description="Your key for this request, 1 to 100 visible ASCII characters (a uuid4 "
        "will do): it becomes the request id. The same key and body again get the same "
        "answer, applied once; the same key with another body is refused "
        "IdempotencyKeyReused (422). A key belongs to the case it is sent to.",
    ),
]
PageSize = Annotated[int, Query(ge=1, le=100, description="at most this many rows")]
PageToken = Annotated[
    str | None,
    Query(
        max_length=4000,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="the next_page_token of the page before; none for the first page",
    ),
]
# Every operation: the key, a worker, Temporal's limits; then what each kind adds.
ALWAYS = (401, 422, 429, 503)
POSTED = (400, 413, 415)
Send = Callable[[Gateway, Actor, str, str, Any], Awaitable[Response]]


def add_event_routes(
    router: APIRouter,
    events: Mapping[str, type[BaseModel]],
    *,
    path: str,
    prefix: str,
    answers: type[BaseModel],
    send: Send,
    statuses: tuple[int, ...] = (403, 404, 409),
) -> None:
    """One route per event: `POST /{reference}/<path>/<event>`, operation id
    `<prefix>_<event>` in snake case (the links of the opening name them)."""
    for event, model in events.items():
        router.add_api_route(
            f"/{{reference}}/{path}/{event}",
            _endpoint(event, model, prefix, send),
            methods=["POST"],
            operation_id=operation_id(prefix, event),
            summary=event.replace("_", " "),
            description=(model.__doc__ or "").strip() or None,
            response_model=answers,
            responses=documented(*ALWAYS, *POSTED, *statuses),
        )


def operation_id(prefix: str, event: str) -> str:
    return f"{snake(prefix)}_{event}"


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _endpoint(
    event: str, model: type[BaseModel], prefix: str, send: Send
) -> Callable[..., Awaitable[Response]]:
    fields = body_of(model, prefix)

    async def endpoint(
        reference: ReferencePath,
        key: IdempotencyKey,
        caller: Caller,
        gateway: Shared,
        body: Any = None,
    ) -> Response:
        request = request_of(model, body, key, caller)
        return await send(gateway, caller, reference, event, request)

    # The body's model is known only here: FastAPI reads it from the signature. An event
    # that needs no field (accept) may come without a body.
    signature = inspect.signature(endpoint, eval_str=True)
    optional = takes_no_fields(model)
    body = signature.parameters["body"].replace(
        annotation=Annotated[fields | None, Body()] if optional else Annotated[fields, Body()],
        default=None if optional else inspect.Parameter.empty,
    )
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*list(signature.parameters.values())[:-1], body]
    )
    endpoint.__name__ = operation_id(prefix, event)
    return endpoint
