"""The gateway's OpenAPI document (DESIGN §14): 3.1, every operation's failures as problem
details, links from an opening to what follows, and `docs/openapi.json` kept current."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema_rs
from hypothesis import given
from hypothesis import strategies as st

from domain.models import Clock
from domain.vocabulary import ClockStatus
from sims_support.gateway import openapi_copy
from sims_support.gateway.bodies import CASE_EVENTS, CHANGE_REQUEST_EVENTS, PROBLEM_EVENTS
from sims_support.gateway.state import answer
from workflows import contract

PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}


def document() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(openapi_copy.current())
    return found


def test_the_copy_in_docs_is_the_document_the_app_serves() -> None:
    assert openapi_copy.COPY.read_text(encoding="utf-8") == openapi_copy.current(), (
        "docs/openapi.json is out of date: rewrite it with "
        "`.venv/bin/python -m sims_support.gateway.openapi_copy`"
    )


def test_the_document_is_openapi_3_1_with_every_failure_a_problem_details() -> None:
    found = document()

    assert found["openapi"] == "3.1.0"
    for path, operations in found["paths"].items():
        for method, operation in operations.items():
            failures = {k: v for k, v in operation["responses"].items() if k[0] in "45"}
            assert failures or path == "/healthz", (method, path)
            for status, response in failures.items():
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                    method,
                    path,
                    status,
                )


def test_every_event_of_every_lifecycle_is_an_operation_and_an_opening_links_to_it() -> None:
    found = document()
    ids = {op["operationId"] for ops in found["paths"].values() for op in ops.values()}
    opened = found["paths"]["/v1/cases"]["post"]["responses"]["201"]["links"]

    assert set(CASE_EVENTS) | {"give_feedback"} == set(contract.CASE_EVENTS)
    assert set(PROBLEM_EVENTS) == set(contract.PROBLEM_EVENTS)
    assert set(CHANGE_REQUEST_EVENTS) == set(contract.CHANGE_REQUEST_EVENTS)
    assert {f"case_{event}" for event in contract.CASE_EVENTS} <= set(opened)
    assert {f"school_{event}" for event in contract.SCHOOL_EVENTS} <= set(opened)
    assert {link["operationId"] for link in opened.values()} <= ids
    assert opened["case_acknowledge"]["parameters"] == {"reference": "$response.body#/reference"}


def test_every_post_but_an_opening_requires_an_idempotency_key_and_every_call_a_key() -> None:
    found = document()

    for path, operations in found["paths"].items():
        for method, operation in operations.items():
            public = path in ("/healthz", "/readyz")
            assert ("security" not in operation) == public, path
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            opening = path in ("/v1/cases", "/v1/problems", "/v1/change-requests")
            assert ("Idempotency-Key" in headers) == (method == "post" and not opening), path


def schema_for(name: str) -> Any:
    """A validator of one of the document's schemas, formats checked, as schemathesis does."""
    found = document()
    schema = {"$ref": f"#/components/schemas/{name}", "components": found["components"]}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


CLOCK = schema_for("Clock")


@given(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3_660)))
def test_a_working_time_as_the_gateway_writes_it_is_what_the_document_says(
    left: dt.timedelta,
) -> None:
    # A clock read at a real instant has fractions of a second left ("PT7H59M59.968134S",
    # as CI met it): JSON Schema's `format: duration` has no fractions, ISO 8601 has.
    clock = Clock(
        name="response",
        deadline=dt.datetime(2026, 12, 3, 11, 8, tzinfo=dt.UTC),
        status=ClockStatus.PENDING,
        working_time_left=left,
    )
    written = json.loads(answer(clock).body)

    assert CLOCK.is_valid(written), (written, list(CLOCK.iter_errors(written)))
    # And a caller who reads it back has the working time that was written.
    assert Clock.model_validate(written).working_time_left == left
