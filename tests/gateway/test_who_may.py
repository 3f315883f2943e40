"""Each key is an actor (DESIGN §12, §14): an integrator's key sees and touches its own
cases only (another's is 404, word for word a case that does not exist), cannot do what
its role may not (403), and a body cannot say it is someone else."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from sims_support.security.keys import KeyStore
from tests.gateway.conftest import (
    DESK,
    INTEGRATOR,
    OTHER_INTEGRATOR,
    Tokens,
    bearer,
    case_now,
    new_key,
    wire,
)


@pytest.fixture
async def reference(http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens) -> str:
    """An open case of INT-042's, acknowledged, awaiting its answer."""
    intake = await case_now(env)
    opened = await http.post("/v1/cases", json=wire(intake), headers=bearer(tokens(DESK)))
    assert opened.status_code == 201, opened.text
    for event in ("acknowledge", "request_information"):
        sent = await http.post(
            f"/v1/cases/{intake.reference}/events/{event}",
            json={"message": "Which build?"},
            headers=bearer(tokens(DESK), new_key()),
        )
        assert sent.status_code == 200, sent.text
    return intake.reference


async def test_another_integrators_case_is_not_found_to_read_or_to_answer(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    other = tokens(OTHER_INTEGRATOR)

    read = await http.get(f"/v1/cases/{reference}", headers=bearer(other))
    answered = await http.post(
        f"/v1/cases/{reference}/events/provide_information",
        json={"message": "7.219"},
        headers=bearer(other, new_key()),
    )
    school = await http.get(f"/v1/cases/{reference}/school-data", headers=bearer(other))
    missing = await http.get("/v1/cases/INC-NOWHERE-1", headers=bearer(other))

    assert [r.status_code for r in (read, answered, school, missing)] == [404] * 4
    assert {r.json()["title"] for r in (read, answered, school, missing)} == {"NotYourCase"}
    assert {r.json()["detail"] for r in (read, missing)} == {
        "reference: no such case for integrator INT-999"
    }
    mine = await http.get(f"/v1/cases/{reference}", headers=bearer(tokens(INTEGRATOR)))
    assert mine.json()["state"] == "awaiting_information"


async def test_an_integrator_cannot_acknowledge_nor_list_anothers_cases(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    own = tokens(INTEGRATOR)

    acknowledged = await http.post(
        f"/v1/cases/{reference}/events/acknowledge",
        json={"message": "all fine"},
        headers=bearer(own, new_key()),
    )
    listed = await http.get("/v1/cases", params={"integrator": "INT-999"}, headers=bearer(own))
    report = await http.get(
        "/v1/reports/kpi", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=bearer(own)
    )
    problem = await http.get("/v1/problems/PRB-1", headers=bearer(own))

    assert [r.status_code for r in (acknowledged, listed, report, problem)] == [403] * 4
    assert acknowledged.json()["detail"] == "actor: an integrator cannot acknowledge a case"


async def test_an_integrator_opens_a_case_of_its_own_only(
    http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens
) -> None:
    intake = await case_now(env)

    refused = await http.post(
        "/v1/cases", json=wire(intake), headers=bearer(tokens(OTHER_INTEGRATOR))
    )
    opened = await http.post("/v1/cases", json=wire(intake), headers=bearer(tokens(INTEGRATOR)))

    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("integrator.id: integrator INT-999 opens cases")
    assert opened.status_code == 201, "the refusal started no workflow: the reference is free"
    assert opened.json()["timeline"][0]["actor"]["id"] == "INT-042"


async def test_a_body_that_names_its_actor_or_request_id_is_refused_naming_the_field(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    answer = await http.post(
        f"/v1/cases/{reference}/events/provide_information",
        json={"message": "7.219", "actor": {"role": "desk", "id": "PST-017"}, "request_id": "x"},
        headers=bearer(tokens(INTEGRATOR), new_key()),
    )

    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "field": "actor",
            "detail": "leave it out: the gateway sends every request as the actor of its API key",
        },
        {
            "field": "request_id",
            "detail": "leave it out: the Idempotency-Key header is the request id",
        },
    ]


async def test_a_revoked_key_and_a_made_up_one_are_unauthenticated(
    http: httpx.AsyncClient, keys: KeyStore, reference: str
) -> None:
    store = keys
    made = store.create(Actor(role=Role.DESK, id="PST-LEAVER"), dt.datetime.now(dt.UTC))
    before = await http.get(f"/v1/cases/{reference}", headers=bearer(made.token))
    store.revoke(made.key_id, dt.datetime.now(dt.UTC))

    after = await http.get(f"/v1/cases/{reference}", headers=bearer(made.token))
    made_up = await http.get(f"/v1/cases/{reference}", headers=bearer(made.token + "x"))
    none = await http.get(f"/v1/cases/{reference}")

    assert before.status_code == 200
    assert [r.status_code for r in (after, made_up, none)] == [401] * 3
    assert {r.headers["www-authenticate"] for r in (after, made_up, none)} == {"Bearer"}
    assert after.json()["title"] == "Unauthenticated"


async def test_the_desks_internal_note_is_in_the_desks_view_only(
    http: httpx.AsyncClient, tokens: Tokens, reference: str
) -> None:
    note = "Integrator's build is two releases behind; chase their account manager"
    posted = await http.post(
        f"/v1/cases/{reference}/events/post_update",
        json={"message": note, "visibility": "internal"},
        headers=bearer(tokens(DESK), new_key()),
    )
    assert posted.status_code == 200, posted.text
    school = Actor(role=Role.SCHOOL, id="123456")  # the factory's case is this school's
    answered = await http.post(
        f"/v1/cases/{reference}/events/provide_information",
        json={"message": "7.219"},
        headers=bearer(tokens(INTEGRATOR), new_key()),
    )

    views = {
        who.role: (await http.get(f"/v1/cases/{reference}", headers=bearer(tokens(who)))).json()
        for who in (DESK, INTEGRATOR, school)
    }
    desk, integrator, school_view = views[Role.DESK], views[Role.INTEGRATOR], views[Role.SCHOOL]

    internal = [e for e in desk["timeline"] if e["visibility"] == "internal"]
    assert [e["detail"] for e in internal] == [note]
    for seen in (integrator, school_view, answered.json()):
        assert {e["visibility"] for e in seen["timeline"]} == {"public"}, seen["timeline"]
        assert note not in answered.text + str(seen)
    assert len(integrator["timeline"]) == len(desk["timeline"]) - 1
