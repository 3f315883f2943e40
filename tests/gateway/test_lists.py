"""Lists and readiness on the dev server (DESIGN §14): cases, problems and change requests
found through the search attributes and paged with `page_token`, an integrator's and a
school's own only; `/readyz` ready once a worker polls the task queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from typing import Any

import httpx

from domain.actors import Actor, Role
from sims_support.gateway.app import create_app
from sims_support.security.keys import KeyStore
from tests.factories import intake
from tests.gateway.conftest import DESK, PRODUCT_MANAGER, DevWorld, Tokens, bearer, new_key, wire


async def listed(http: httpx.AsyncClient, token: str, want: int, **query: Any) -> list[Any]:
    """Every row the filter finds, page by page, once visibility has caught up (bounded)."""
    for _ in range(100):
        rows: list[Any] = []
        params: dict[str, Any] = {"page_size": 2, **query}
        while True:
            page = await http.get("/v1/cases", params=params, headers=bearer(token))
            assert page.status_code == 200, page.text
            rows += page.json()["cases"]
            following = page.json()["next_page_token"]
            if following is None:
                break
            params["page_token"] = following
        if len(rows) >= want:
            return rows
        await asyncio.sleep(0.2)
    return rows


async def open_for(http: httpx.AsyncClient, token: str, integrator: str, urn: str) -> str:
    case = intake(
        logged_at=dt.datetime.now(dt.UTC),
        integrator={"id": integrator, "name": "Acme", "support_agreement_expires": "2099-01-01"},
        school={"urn": urn, "name": "Hilltop"},
    )
    opened = await http.post("/v1/cases", json=wire(case), headers=bearer(token))
    assert opened.status_code == 201, opened.text
    return case.reference


async def test_cases_are_listed_page_by_page_and_an_integrator_or_school_sees_its_own(
    dev_http: httpx.AsyncClient, tokens: Tokens
) -> None:
    desk = tokens(DESK)
    mine, theirs = f"INT-{secrets.token_hex(4)}", f"INT-{secrets.token_hex(4)}"
    urn = f"{secrets.randbelow(900000) + 100000}"
    own = [await open_for(dev_http, desk, mine, urn) for _ in range(3)]
    other = await open_for(dev_http, desk, theirs, "100000")

    by_desk = await listed(dev_http, desk, 3, integrator=mine)
    integrator = tokens(Actor(role=Role.INTEGRATOR, id=theirs))
    by_integrator = await listed(dev_http, integrator, 1)
    by_school = await listed(dev_http, tokens(Actor(role=Role.SCHOOL, id=urn)), 3)
    refused = await dev_http.get(
        "/v1/cases", params={"integrator": mine}, headers=bearer(integrator)
    )
    broken = await dev_http.get("/v1/cases", params={"page_token": "bm9"}, headers=bearer(desk))

    assert sorted(row["reference"] for row in by_desk) == sorted(own)
    assert [row["reference"] for row in by_integrator] == [other]
    assert sorted(row["reference"] for row in by_school) == sorted(own)
    assert {row["state"] for row in by_desk} == {"logged"}
    assert (refused.status_code, refused.json()["title"]) == (403, "NotAllowed")
    assert (broken.status_code, broken.json()["errors"][0]["field"]) == (422, "page_token")


async def test_change_requests_and_problems_are_listed_to_whom_they_are_for(
    dev_http: httpx.AsyncClient, tokens: Tokens
) -> None:
    voter = f"INT-{secrets.token_hex(4)}"
    reference = f"CR-{secrets.token_hex(4).upper()}"
    raised = await dev_http.post(
        "/v1/change-requests",
        json={
            "reference": reference,
            "title": "Bulk marks API",
            "raised_by": voter,
            "raised_at": dt.datetime.now(dt.UTC).isoformat(),
        },
        headers=bearer(tokens(Actor(role=Role.INTEGRATOR, id=voter))),
    )
    assert raised.status_code == 201, raised.text
    voted = await dev_http.post(
        f"/v1/change-requests/{reference}/events/vote",
        json={"integrator_id": voter},
        headers=bearer(tokens(Actor(role=Role.INTEGRATOR, id=voter)), new_key()),
    )
    considered = await dev_http.post(
        f"/v1/change-requests/{reference}/events/consider",
        json={"decided_by": "Ann Lee", "reason": "Fits 2027"},
        headers=bearer(tokens(PRODUCT_MANAGER), new_key()),
    )
    problems = await dev_http.get("/v1/problems", headers=bearer(tokens(DESK)))

    found: list[str] = []
    for _ in range(100):
        page = await dev_http.get(
            "/v1/change-requests",
            params={"state": "considered_for_future_release"},
            headers=bearer(tokens(DESK)),
        )
        found = [row["reference"] for row in page.json()["change_requests"]]
        if reference in found:
            break
        await asyncio.sleep(0.2)

    assert (voted.status_code, voted.json()["votes"]) == (200, 1)
    assert considered.json()["state"] == "considered_for_future_release"
    assert reference in found
    assert problems.status_code == 200 and "problems" in problems.json()


async def test_ready_once_a_worker_polls_the_task_queue_and_not_before(
    dev_http: httpx.AsyncClient, dev_world: DevWorld, keys: KeyStore
) -> None:
    idle = create_app(dev_world.settings(task_queue="nobody-polls-this"), keys=keys)
    away = create_app(dev_world.settings(temporal_address="127.0.0.1:1", connect_timeout=2))

    ready = await dev_http.get("/readyz")
    answers = []
    for app in (idle, away):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://g.test") as http:
            answers.append(await http.get("/readyz"))
            answers.append(await http.get("/healthz"))

    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    assert ready.json()["workers"] >= 1
    assert [a.status_code for a in answers] == [503, 200, 503, 200]
    assert "no worker polls task queue nobody-polls-this" in answers[0].json()["detail"]
    assert int(answers[2].headers["retry-after"]) > 0
