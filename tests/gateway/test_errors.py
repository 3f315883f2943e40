"""Every error type the product names has its HTTP status (DESIGN §14): the refusals of
`domain.refusals`, the client's own types, the webhook's; and Temporal's failures are 429
or 503 with `Retry-After`, never a 500."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain import refusals
from sims_support.client.errors import ClientError, NotFound, Refused
from sims_support.gateway.errors import STATUS, WIRE_NAME, ApiError, from_client, problem

ROOT = Path(__file__).parents[2]
# Where the client and the ledger's feedback path name the types they raise.
RAISERS = [
    *(ROOT / "sims_support" / "client").glob("*.py"),
    ROOT / "sims_support/reports/feedback.py",
]
RAISED = re.compile(r"(?:Refused|NotFound|ClientError)\(\s*\"([A-Za-z]+)\"", re.S)
WEBHOOK = ("WebhookRefused", "WebhookUnavailable", "WebhookMisconfigured")


def refusal_types() -> set[str]:
    return {
        name
        for name, found in inspect.getmembers(refusals, inspect.isclass)
        if issubclass(found, refusals.Refusal)
    }


def client_types() -> set[str]:
    return {name for path in RAISERS for name in RAISED.findall(path.read_text())}


def test_every_refusal_and_every_type_the_client_raises_has_its_status() -> None:
    named = refusal_types() | client_types() | set(WEBHOOK)

    assert {"NotYourCase", "CaseAlreadyOpen", "ReopenWindowClosed"} <= named
    assert {WIRE_NAME.get(t, t) for t in named} - set(STATUS) == set()


def test_a_case_opened_twice_is_the_design_s_case_exists_on_the_wire() -> None:
    answer = from_client(Refused("CaseAlreadyOpen", "reference: case INC-1 already exists"))

    assert (answer.type, answer.status) == ("CaseExists", 409)


@pytest.mark.parametrize(
    ("status", "types"),
    [
        (403, ["NotAllowed"]),
        (404, ["NoSuchCase", "NotYourCase"]),
        (409, ["InvalidTransition", "CaseClosed", "CaseExists", "EscalationInProgress"]),
        (422, ["InvalidInput", "IdempotencyKeyReused", "LoggedAtTooOld", "SchoolDataNotAllowed"]),
        (503, ["ProblemUnavailable"]),
    ],
)
def test_the_design_s_statuses_are_those_of_the_table(status: int, types: list[str]) -> None:
    assert {STATUS[t] for t in types} == {status}


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (RPCStatusCode.RESOURCE_EXHAUSTED, 429),
        (RPCStatusCode.UNAVAILABLE, 503),
        (RPCStatusCode.DEADLINE_EXCEEDED, 503),
        (RPCStatusCode.FAILED_PRECONDITION, 503),
    ],
)
def test_temporal_s_failures_are_retryable_answers_with_retry_after(
    code: RPCStatusCode, status: int
) -> None:
    # As the client raises them: its own error, the RPC error its context.
    try:
        try:
            raise RPCError("busy", code, b"")
        except RPCError as err:
            raise ClientError("RPCError", str(err)) from None
    except ClientError as wrapped:
        answer = problem(from_client(wrapped))

    assert answer.status_code == status
    assert int(answer.headers["retry-after"]) > 0
    assert json.loads(bytes(answer.body))["status"] == status


def test_a_refusal_of_a_type_not_in_the_table_is_still_the_caller_s_not_a_500() -> None:
    assert from_client(Refused("SomethingNew", "x: no")).status == 422
    assert from_client(NotFound("NoSuchThing", "reference: none")).status == 404
    assert from_client(ClientError("Mystery", "?")).status == 503


def test_an_invalid_input_names_its_fields_from_the_message() -> None:
    answer = problem(ApiError("InvalidInput", "reporter.email: not an address; apis: too many"))

    assert json.loads(bytes(answer.body))["errors"] == [
        {"field": "reporter.email", "detail": "not an address"},
        {"field": "apis", "detail": "too many"},
    ]
