"""What a request may carry, and what each failure answers (DESIGN §13, §14): the
Idempotency-Key binds a request to its body, a body is JSON of at most 256 KiB, and every
failure is an RFC 9457 problem whose `type` names it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from temporalio.testing import WorkflowEnvironment

from sims_support.gateway.app import create_app
from sims_support.gateway.guard import BODY_MAX
from sims_support.security.keys import KeyStore
from tests.gateway.conftest import (
    DESK,
    Tokens,
    bearer,
    case_now,
    gateway_settings,
    new_key,
    wire,
)

PROBLEM = "application/problem+json"


@pytest.fixture
async def reference(http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens) -> str:
    intake = await case_now(env)
    opened = await http.post("/v1/cases", json=wire(intake), headers=bearer(tokens(DESK)))
    assert opened.status_code == 201, opened.text
    return intake.reference


async def test_the_same_key_and_body_twice_get_the_same_answer_another_body_is_refused(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    path, key = f"/v1/cases/{reference}/events/acknowledge", new_key()
    headers = bearer(tokens(DESK), key)

    first = await http.post(path, json={"message": "On it"}, headers=headers)
    again = await http.post(path, json={"message": "On it"}, headers=headers)
    other = await http.post(path, json={"message": "On it!"}, headers=headers)
    elsewhere = await http.post(
        f"/v1/cases/{reference}/events/post_update", json={"message": "On it"}, headers=headers
    )
    status = await http.get(f"/v1/cases/{reference}", headers=bearer(tokens(DESK)))

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert [len(first.json()["timeline"]), first.json()["timeline_total"]] == [1, 2]
    for refused in (other, elsewhere):
        assert refused.status_code == 422
        assert refused.json()["title"] == "IdempotencyKeyReused"
    kinds = [event["kind"] for event in status.json()["timeline"]]
    assert kinds == ["logged", "acknowledged"]


async def test_a_post_without_its_idempotency_key_or_with_a_broken_one_is_a_bad_request(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    path = f"/v1/cases/{reference}/events/acknowledge"

    missing = await http.post(path, json={}, headers=bearer(tokens(DESK)))
    broken = await http.post(path, json={}, headers=bearer(tokens(DESK), "has space"))

    assert (missing.status_code, missing.json()["title"]) == (400, "MissingHeader")
    assert missing.json()["detail"].startswith("Idempotency-Key: this header is required")
    assert (broken.status_code, broken.json()["title"]) == (400, "InvalidHeader")


async def test_malformed_json_is_a_bad_request_and_another_media_type_unsupported(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    path = f"/v1/cases/{reference}/events/acknowledge"
    headers = bearer(tokens(DESK), new_key())

    malformed = await http.post(
        path, content=b'{"message": ', headers={**headers, "Content-Type": "application/json"}
    )
    not_utf8 = await http.post(
        path,
        content=b'{"message": "\xff"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    text = await http.post(
        path, content=b"message=hello", headers={**headers, "Content-Type": "text/plain"}
    )

    assert (malformed.status_code, malformed.json()["title"]) == (400, "MalformedJson")
    assert not_utf8.status_code == 400
    assert (text.status_code, text.json()["title"]) == (415, "UnsupportedMediaType")


async def test_a_body_over_256_kib_is_refused_before_it_is_read_whole(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    path = f"/v1/cases/{reference}/events/post_update"
    headers = {**bearer(tokens(DESK), new_key()), "Content-Type": "application/json"}
    body = b'{"message": "' + b"x" * BODY_MAX + b'"}'
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, 4 * BODY_MAX, 16 * 1024):  # a megabyte, without a length
            sent.append(start)
            yield body[start : start + 16 * 1024] or b"x" * 16 * 1024

    declared = await http.post(path, content=body, headers=headers)
    streamed = await http.post(path, content=chunks(), headers=headers)

    assert (declared.status_code, declared.json()["title"]) == (413, "PayloadTooLarge")
    assert (streamed.status_code, streamed.json()["title"]) == (413, "PayloadTooLarge")
    assert "content-length" not in streamed.request.headers
    assert len(sent) * 16 * 1024 <= BODY_MAX + 32 * 1024, "read on past the limit"


async def test_every_failure_is_a_problem_naming_its_type_and_the_fields_refused(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    answer = await http.post(
        f"/v1/cases/{reference}/events/change_priority",
        json={"impact": 9, "urgency": 2, "reason": "a\x1bb"},
        headers=bearer(tokens(DESK), new_key()),
    )
    wrong_state = await http.post(
        f"/v1/cases/{reference}/events/accept_resolution",
        headers=bearer(tokens(DESK), new_key()),
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    found = answer.json()
    assert set(found) == {"type", "title", "status", "detail", "errors"}
    assert (found["type"], found["title"], found["status"]) == (
        "urn:sims-support:error:InvalidInput",
        "InvalidInput",
        422,
    )
    assert [e["field"] for e in found["errors"]] == ["impact", "reason"]
    assert wrong_state.status_code == 409
    assert wrong_state.headers["content-type"] == PROBLEM
    assert wrong_state.json()["title"] == "InvalidTransition"
    assert "allowed now: acknowledge" in wrong_state.json()["detail"]


async def test_opening_a_reference_twice_is_a_conflict_and_no_case_is_not_found(
    http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens
) -> None:
    intake = await case_now(env)
    desk = bearer(tokens(DESK))

    first = await http.post("/v1/cases", json=wire(intake), headers=desk)
    second = await http.post("/v1/cases", json=wire(intake), headers=desk)
    missing = await http.get("/v1/cases/INC-NOWHERE-2", headers=desk)
    no_route = await http.get("/v1/nothing", headers=desk)

    assert first.status_code == 201
    assert (second.status_code, second.json()["title"]) == (409, "CaseExists")
    assert (missing.status_code, missing.json()["title"]) == (404, "NoSuchCase")
    assert (no_route.status_code, no_route.headers["content-type"]) == (404, PROBLEM)


async def test_keys_in_a_ledger_of_an_older_schema_are_a_503_naming_the_upgrade(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    KeyStore.at(url).create(DESK, dt.datetime.now(dt.UTC))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE api_keys"))
        conn.execute(sa.text("UPDATE schema_version SET version = 4"))
    engine.dispose()
    app = create_app(gateway_settings("nowhere", url))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://g.test") as http:
        answer = await http.get("/v1/cases", headers=bearer("sims_0a1b2c3d_x"))

    assert (answer.status_code, answer.json()["title"]) == (503, "LedgerUnavailable")
    assert "sims-case report --upgrade-ledger" in answer.json()["detail"]
    assert answer.headers["retry-after"] == "5"
