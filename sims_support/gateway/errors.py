"""Every failure the gateway answers, as RFC 9457 problem details (DESIGN §14).

`type` is `urn:sims-support:error:<T>` where T is the error type the workflows, the client
and this module name (`InvalidTransition`, `NotYourCase`, `PayloadTooLarge`, ...),
`title` is T, `detail` the message a person can act on, and `errors` the fields an
`InvalidInput` names. `STATUS` gives each type its HTTP status, written once; a test
checks that every refusal in `domain.refusals` and every type the client raises is in
it. Temporal's own failures are the caller's to retry: 429 or 503, with `Retry-After`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response
from temporalio.service import RPCError, RPCStatusCode

from sims_support.client.errors import ClientError, NotFound, Refused

URN = "urn:sims-support:error:"
PROBLEM_JSON = "application/problem+json"

# The state of the case (problem, change request) conflicts with the request.
CONFLICTS = (
    "InvalidTransition",
    "CaseClosed",
    "CaseExists",
    "ProblemAlreadyOpen",
    "ChangeRequestAlreadyOpen",
    "EscalationInProgress",
    "NotReady",
    "ProblemClosed",
    "ChangeRequestClosed",
    "VotingClosed",
    "AccessAlreadyDecided",
    "CaseNotResolved",
)
# The request breaks a charter rule or a bound, whatever the state.
REFUSALS = (
    "InvalidInput",
    "IdempotencyKeyReused",
    "LoggedAtInFuture",
    "LoggedAtTooOld",
    "CaseTooLarge",
    "ProblemTooLarge",
    "InvalidResolutionKind",
    "ReopenWindowClosed",
    "InvalidDuplicate",
    "RaisedAtInFuture",
    "ChangeRequestRefused",
    "SchoolDataRefused",
    "SchoolDataNotAllowed",
    "UnknownDataRequest",
    "UnknownAccessRequest",
    "UnknownOriginal",
    "UnknownEvent",
    "UnknownState",
    "Refusal",
)
STATUS: dict[str, int] = {
    "MalformedJson": 400,
    "MissingHeader": 400,
    "InvalidHeader": 400,
    "Unauthenticated": 401,
    "NotAllowed": 403,
    "NoSuchCase": 404,
    "NotYourCase": 404,
    "NoSuchProblem": 404,
    "NoSuchChangeRequest": 404,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    **dict.fromkeys(CONFLICTS, 409),
    "PayloadTooLarge": 413,
    "UnsupportedMediaType": 415,
    **dict.fromkeys(REFUSALS, 422),
    "RateLimited": 429,
    # Temporal, a worker, the problem a case links to, the webhook or the ledger: not there
    # now, so try again.
    "Unavailable": 503,
    "Unanswered": 503,  # the update call timed out: retry with the same key
    "ProblemUnavailable": 503,
    "WebhookUnavailable": 503,
    "WebhookRefused": 503,
    "WebhookMisconfigured": 503,
    "LedgerUnavailable": 503,
    "Internal": 500,  # a bug of ours: never for anything a caller sends (schemathesis checks)
}
# The client's name for a type, where DESIGN §14 gives the wire another: a Python caller
# keeps 0.1's `CaseAlreadyOpen`, a platform backend reads the contract's `CaseExists`.
WIRE_NAME = {"CaseAlreadyOpen": "CaseExists"}
# Seconds a caller waits before trying again, by status.
RETRY_AFTER = {429: 1, 503: 5}
# A field's name leads a message the workflows write: "reference: no case ... exists".
FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): ")


class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)
    field: str = Field(description="the field's path in the body, or the parameter")
    detail: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: what went wrong, and for `InvalidInput` which fields."""

    model_config = ConfigDict(frozen=True)
    type: str = Field(description="urn:sims-support:error:<T>", examples=[URN + "NotAllowed"])
    title: str = Field(description="T, the error type", examples=["NotAllowed"])
    status: int
    detail: str = Field(description="what went wrong, and what to do about it")
    errors: list[FieldError] | None = Field(
        default=None, description="InvalidInput: each field refused and why"
    )


class ApiError(Exception):
    """A failure to answer as a problem: raised anywhere, rendered by `respond`."""

    def __init__(
        self,
        type: str,
        detail: str,
        *,
        status: int | None = None,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.type, self.detail = type, detail
        self.status = status or status_of(type)
        self.errors = list(errors)
        self.headers = dict(headers or {})


def status_of(type: str, default: int = 422) -> int:
    return STATUS.get(type, default)


def fields_named(detail: str) -> list[FieldError]:
    """The fields a message names, one clause each: `a: why; b.c: why`."""
    named = []
    for clause in detail.split("; "):
        found = FIELD.match(clause)
        if found:
            named.append(FieldError(field=found.group(1), detail=clause[found.end() :]))
    return named


def problem(err: ApiError) -> Response:
    errors = err.errors or (fields_named(err.detail) if err.type == "InvalidInput" else [])
    body: dict[str, Any] = {
        "type": URN + err.type,
        "title": err.type,
        "status": err.status,
        "detail": err.detail,
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    headers = dict(err.headers)
    if err.status in RETRY_AFTER:
        headers.setdefault("Retry-After", str(RETRY_AFTER[err.status]))
    # ASCII: a detail may quote what the caller sent, lone surrogates included.
    content = json.dumps(body, ensure_ascii=True).encode()
    return Response(content, status_code=err.status, headers=headers, media_type=PROBLEM_JSON)


def rpc_failure(err: RPCError) -> ApiError:
    """Temporal refused or did not answer: the caller's to retry, never a 500."""
    if err.status is RPCStatusCode.RESOURCE_EXHAUSTED:
        return ApiError(
            "RateLimited",
            f"Temporal is at a limit for this case or namespace ({err.message}); try again "
            "in a moment with the same Idempotency-Key",
        )
    if err.status is RPCStatusCode.INVALID_ARGUMENT:
        return ApiError("InvalidInput", f"Temporal refused the request: {err.message}")
    return ApiError("Unavailable", f"Temporal could not do it now ({err.status.name}); try again")


def from_client(err: ClientError) -> ApiError:
    """A client failure as the gateway answers it: a refusal by its type, Temporal's own
    failures (the client names them after their class) by what Temporal said."""
    wire = WIRE_NAME.get(err.type, err.type)
    if type(err) is ClientError:
        cause = _rpc_cause(err)
        if cause is not None:
            return rpc_failure(cause)
        if wire not in STATUS:
            return ApiError("Unavailable", f"Temporal could not do it now: {err}")
    default = 404 if isinstance(err, NotFound) else 422 if isinstance(err, Refused) else 503
    return ApiError(wire, str(err), status=status_of(wire, default))


def _rpc_cause(err: BaseException) -> RPCError | None:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, RPCError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of the problems an operation can answer."""
    return {status: _problem_response(status) for status in sorted(statuses)}


def _problem_response(status: int) -> dict[str, Any]:
    titles = ", ".join(t for t, s in STATUS.items() if s == status) or "an error"
    response: dict[str, Any] = {
        "description": f"Problem details: {titles}",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    if status in RETRY_AFTER:
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before trying again",
                "schema": {"type": "integer"},
            }
        }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
        }
    return response
