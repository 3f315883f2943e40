"""What the gateway answers for each failure a request can meet: every one a problem
(`errors.problem`), none a 500 for anything a caller sent (DESIGN §14)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from temporalio.service import RPCError

from activities.ledger import LedgerMissing, LedgerSchemaMismatch
from domain.refusals import Refusal
from sims_support.client.errors import ClientError
from sims_support.gateway.errors import ApiError, FieldError, from_client, problem, rpc_failure
from sims_support.runtime.connect import StartupError

log = logging.getLogger(__name__)
# What the gateway sets itself, from the key and the Idempotency-Key header.
SET_BY_GATEWAY = {
    "actor": "the gateway sends every request as the actor of its API key",
    "opened_by": "the gateway opens it as the actor of its API key",
    "request_id": "the Idempotency-Key header is the request id",
}
BY_STATUS = {
    400: "MalformedJson",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
}


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(ClientError, _client_error)
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(StartupError, _unreachable)
    app.add_exception_handler(LedgerMissing, _ledger)
    app.add_exception_handler(LedgerSchemaMismatch, _ledger)
    app.add_exception_handler(SQLAlchemyError, _ledger)
    # A bug of ours, never the caller's input: still a problem, its cause in the log only.
    app.add_exception_handler(Exception, _unexpected)


def _api_error(_: Request, err: Exception) -> Response:
    assert isinstance(err, ApiError)
    return problem(err)


def _client_error(_: Request, err: Exception) -> Response:
    assert isinstance(err, ClientError)
    return problem(from_client(err))


def _refusal(_: Request, err: Exception) -> Response:
    assert isinstance(err, Refusal)
    return problem(ApiError(err.type, str(err)))


def _rpc_error(_: Request, err: Exception) -> Response:
    assert isinstance(err, RPCError)
    return problem(rpc_failure(err))


def _unreachable(_: Request, err: Exception) -> Response:
    return problem(ApiError("Unavailable", str(err)))


def _ledger(_: Request, err: Exception) -> Response:
    if isinstance(err, SQLAlchemyError):
        # The driver's words may hold the URL's password: the log has them, not the caller.
        log.warning("the ledger's database failed: %s", err)
        detail = "the ledger's database cannot be reached now; try again"
    else:
        detail = str(err)
    return problem(ApiError("LedgerUnavailable", detail, status=503))


def _unexpected(request: Request, err: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=err)
    return problem(ApiError("Internal", "the gateway failed; its log says why", status=500))


def _http(_: Request, err: Exception) -> Response:
    assert isinstance(err, HTTPException)
    kind = BY_STATUS.get(err.status_code, "NotFound" if err.status_code == 404 else "Refusal")
    detail = str(err.detail) if err.detail else kind
    if err.status_code == 400:
        detail = f"body: {detail} (send one JSON object, UTF-8)"
    return problem(ApiError(kind, detail, status=err.status_code, headers=err.headers))


def _invalid(_: Request, err: Exception) -> Response:
    assert isinstance(err, RequestValidationError)
    found: Sequence[Any] = err.errors()
    broken = next((e for e in found if e.get("type") == "json_invalid"), None)
    if broken is not None:
        why = (broken.get("ctx") or {}).get("error", "not JSON")
        where = broken["loc"][-1] if len(broken["loc"]) > 1 else 0
        return problem(ApiError("MalformedJson", f"body: not valid JSON ({why}, at {where})"))
    headers = [e for e in found if e["loc"] and e["loc"][0] == "header"]
    if headers:
        return problem(_header_error(headers[0]))
    errors = [FieldError(field=_path(e["loc"]), detail=_message(e)) for e in found]
    detail = "; ".join(f"{e.field}: {e.detail}" for e in errors)
    return problem(ApiError("InvalidInput", detail, errors=errors))


def _header_error(error: Any) -> ApiError:
    name = str(error["loc"][-1])
    if error.get("type") == "missing":
        return ApiError(
            "MissingHeader",
            f"{name}: this header is required: a key of your choosing, the same for a retry "
            "of the same request (it becomes the request id)",
        )
    return ApiError("InvalidHeader", f"{name}: {_message(error)}")


def _path(loc: Sequence[Any]) -> str:
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)
    return ".".join(str(part) for part in parts) or "body"


def _message(error: Any) -> str:
    name = error["loc"][-1] if error["loc"] else None
    if error.get("type") == "extra_forbidden" and name in SET_BY_GATEWAY:
        return f"leave it out: {SET_BY_GATEWAY[name]}"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
