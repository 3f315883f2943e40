"""Schemathesis against the gateway (DESIGN §14), in-process (ASGI) on the dev server with
a worker: every operation fuzzed from the OpenAPI document, then stateful runs that follow
its links (open a case, then its events). No answer may be a 5xx, and every answer must
conform to the document: its status documented, its content type and its body's schema.

Schemathesis calls the app from a thread of its own, on its own event loop, where the app
connects its own Temporal client (as `sims-gateway` does); the session's worker goes on
polling on the test's loop meanwhile. The run is bounded (`EXAMPLES`, `STEPS`) to stay
near a minute on two cores; its size and time are printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sims_support.gateway.app import create_app
from sims_support.security.keys import KeyStore
from tests.gateway.conftest import DESK, DevWorld, Tokens

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPENINGS = {"/v1/cases": "INC", "/v1/problems": "PRB", "/v1/change-requests": "CR"}
EXAMPLES = 25  # per operation, in the plain fuzz
SCENARIOS, STEPS = 60, 10  # stateful: runs, and calls in each
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "phases": [Phase.explicit, Phase.generate],
}


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def calls(self) -> int:
        return self.statuses.total()

    def count(self, status: int) -> None:
        self.statuses[status] += 1


def opening(path: str, body: Any) -> Any:
    """An opening under a reference of its own, logged now under a valid agreement: the
    same draw then opens the same way on every run (hypothesis replays draws, and a second
    opening of a reference would be a conflict), and is not mostly refused for its dates.
    Everything else in it is the fuzzer's."""
    if path not in OPENINGS or not isinstance(body, dict):
        return body
    now = dt.datetime.now(dt.UTC).isoformat()
    body = {**body, "reference": f"{OPENINGS[path]}-{uuid.uuid4().hex[:16].upper()}"}
    if path == "/v1/cases":
        body["logged_at"] = now
        if isinstance(body.get("integrator"), dict):
            body["integrator"] = {**body["integrator"], "support_agreement_expires": "2099-01-01"}
    if path == "/v1/change-requests":
        body["raised_at"] = now
    return body


def loaded(app: FastAPI) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    @schema.hook
    def map_body(context: Any, body: Any) -> Any:
        return opening(context.operation.path if context.operation else "", body)

    return schema


def fuzz_every_operation(app: FastAPI, token: str, tally: Tally) -> None:
    schema = loaded(app)
    auth = {"Authorization": f"Bearer {token}"}
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=EXAMPLES, **SETTINGS)
        def fuzz(case: Any) -> None:
            response = case.call(headers=auth)
            tally.count(response.status_code)
            case.validate_response(response, checks=CHECKS)

        fuzz()


def follow_the_links(app: FastAPI, token: str, tally: Tally) -> None:
    schema = loaded(app)
    auth = {"Authorization": f"Bearer {token}"}

    class Scenario(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": auth}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            tally.count(response.status_code)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Scenario.run(
        settings=hypothesis.settings(max_examples=SCENARIOS, stateful_step_count=STEPS, **SETTINGS)
    )


def run(app: FastAPI, token: str) -> tuple[Tally, Tally]:
    fuzzed, followed = Tally(), Tally()
    try:
        fuzz_every_operation(app, token, fuzzed)
        follow_the_links(app, token, followed)
    finally:
        asgi.shutdown_lifespans()  # the app's client and ledger, before the loop goes
    return fuzzed, followed


async def test_no_server_error_and_every_answer_conforms_to_the_openapi_document(
    dev_world: DevWorld, keys: KeyStore, tokens: Tokens
) -> None:
    app = create_app(dev_world.settings(gateway_wait=10), keys=keys)
    started = time.monotonic()

    fuzzed, followed = await asyncio.to_thread(run, app, tokens(DESK))

    took = time.monotonic() - started
    print(
        f"\nschemathesis: {fuzzed.calls} fuzzed calls over every operation, "
        f"{followed.calls} calls in {SCENARIOS} stateful scenarios, {took:.1f}s; "
        f"statuses {dict(sorted((fuzzed.statuses + followed.statuses).items()))}"
    )
    assert fuzzed.calls > 0 and followed.calls > 0
    assert followed.statuses[201] > 0, "no opening succeeded: the links were never followed"
