"""The gateway's door (DESIGN §14): who is calling, and what a request may carry.

Before any route reads a byte of the body: the bearer token must be an active API key
(401 otherwise), and the key's actor is the request's actor; a body is JSON (415
otherwise) of at most 256 KiB, judged by `Content-Length` when it is given and by
counting what arrives in every case (413), so an oversized body is never read whole.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from email.message import Message as MimeHeader
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activities.ledger import LedgerSchemaMismatch
from domain.actors import Actor
from sims_support.gateway.errors import ApiError, problem
from sims_support.security.keys import KeyStore

log = logging.getLogger(__name__)
BODY_MAX = 256 * 1024
ACTOR = "sims.actor"  # where the key's actor waits in the request's scope
PUBLIC = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect"})
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
UNAUTHENTICATED = (
    "Authorization: send `Authorization: Bearer <token>` with an active API key "
    "(`sims-case keys create` makes one; a revoked key is refused)"
)
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="sims_<key id>_<secret>",
    description="An API key from `sims-case keys create`; each key is one actor.",
)


class Gatekeeper:
    """ASGI middleware: authenticates, then checks the body's type and size."""

    def __init__(self, app: ASGIApp, keys: Callable[[], KeyStore]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            scope[ACTOR] = await self._actor(headers)
            if scope["method"] in WITH_BODY:
                receive = await self._bounded_body(headers, receive)
        except ApiError as err:
            await problem(err)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _actor(self, headers: Headers) -> Actor:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        actor = None
        if scheme.lower() == "bearer" and token.strip():
            try:
                actor = await asyncio.to_thread(self.keys().actor_for, token.strip())
            except LedgerSchemaMismatch as err:  # an older ledger: the message says what to do
                raise ApiError("LedgerUnavailable", str(err), status=503) from None
            except SQLAlchemyError as err:
                # The driver's words may hold the URL's password: the log has them.
                log.warning("the API keys cannot be read: %s", err)
                raise ApiError(
                    "LedgerUnavailable", "the API keys cannot be read now; try again", status=503
                ) from None
        if actor is None:
            raise ApiError(
                "Unauthenticated", UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"}
            )
        return actor

    async def _bounded_body(self, headers: Headers, receive: Receive) -> Receive:
        """The body, read here up to the limit, replayed to the route."""
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > BODY_MAX):
            raise too_large(declared)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the caller went away
                return _replay([message], receive)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > BODY_MAX:
                raise too_large()
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body:
            _check_media_type(headers.get("content-type"))
        return _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def too_large(declared: str | None = None) -> ApiError:
    said = f" (Content-Length {declared[:20]})" if declared is not None else ""
    return ApiError(
        "PayloadTooLarge",
        f"body: at most {BODY_MAX // 1024} KiB{said}; every field has a smaller bound "
        "(a description 20,000 characters)",
    )


def _check_media_type(value: str | None) -> None:
    header = MimeHeader()
    header["content-type"] = value or ""
    kind, subtype = header.get_content_maintype(), header.get_content_subtype()
    charset = (header.get_content_charset() or "utf-8").lower()
    json = kind == "application" and (subtype == "json" or subtype.endswith("+json"))
    if json and charset in ("utf-8", "utf8"):
        return
    raise ApiError(
        "UnsupportedMediaType",
        f"Content-Type: {value or 'none'}: send the body as application/json, UTF-8",
    )


def _replay(messages: list[Message], then: Receive) -> Receive:
    """The messages read already, then the connection's own (its disconnect, when it
    comes)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive


async def caller(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The actor of the request's API key (the gatekeeper found it)."""
    actor = request.scope.get(ACTOR)
    if not isinstance(actor, Actor):
        raise ApiError("Unauthenticated", UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})
    return actor


Caller = Annotated[Actor, Depends(caller)]
