"""The same shapes for problems and change requests, school data, feedback and the KPI
report (DESIGN §14), each sent as its key's actor."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from tests.factories import new_reference
from tests.gateway.conftest import (
    DESK,
    INTEGRATOR,
    PRODUCT_MANAGER,
    Tokens,
    bearer,
    case_now,
    new_key,
    wire,
)

SCHOOL = Actor(role=Role.SCHOOL, id="123456")  # the factory's cases are school 123456's
SSU = {"name": "Sam Okafor", "email": "ssu@hilltop.example", "role": "school_support_unit"}


async def test_a_problem_is_logged_and_decided_by_the_desk_and_a_case_escalated_to_it(
    http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens
) -> None:
    desk = tokens(DESK)
    problem = new_reference("PRB")
    case = await case_now(env)

    logged = await http.post(
        "/v1/problems", json={"reference": problem, "summary": "Marks lost"}, headers=bearer(desk)
    )
    await http.post("/v1/cases", json=wire(case), headers=bearer(desk))
    for event, body in [
        ("acknowledge", {}),
        ("escalate_to_problem", {"problem_reference": problem}),
    ]:
        sent = await http.post(
            f"/v1/cases/{case.reference}/events/{event}", json=body, headers=bearer(desk, new_key())
        )
        assert sent.status_code == 200, sent.text
    reviewed = await http.post(
        f"/v1/problems/{problem}/events/schedule_review",
        json={"message": "Tuesday"},
        headers=bearer(desk, new_key()),
    )
    by_integrator = await http.post(
        "/v1/problems",
        json={"reference": new_reference("PRB"), "summary": "x"},
        headers=bearer(tokens(INTEGRATOR)),
    )
    missing = await http.get("/v1/problems/PRB-NOWHERE-1", headers=bearer(desk))

    assert (logged.status_code, logged.headers["location"]) == (201, f"/v1/problems/{problem}")
    assert reviewed.json()["state"] == "review_scheduled"
    status = await http.get(f"/v1/problems/{problem}", headers=bearer(desk))
    assert [c["reference"] for c in status.json()["linked_cases"]] == [case.reference]
    assert (by_integrator.status_code, by_integrator.json()["title"]) == (403, "NotAllowed")
    assert (missing.status_code, missing.json()["title"]) == (404, "NoSuchProblem")


async def test_a_change_request_is_raised_and_voted_on_by_an_integrator_and_decided_by_a_pm(
    http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens
) -> None:
    reference, integrator = new_reference("CR"), tokens(INTEGRATOR)
    raised_at = (await env.get_current_time()).isoformat()

    raised = await http.post(
        "/v1/change-requests",
        json={
            "reference": reference,
            "title": "Bulk marks",
            "raised_by": "INT-042",
            "raised_at": raised_at,
        },
        headers=bearer(integrator),
    )
    for_another = await http.post(
        f"/v1/change-requests/{reference}/events/vote",
        json={"integrator_id": "INT-999"},
        headers=bearer(integrator, new_key()),
    )
    voted = await http.post(
        f"/v1/change-requests/{reference}/events/vote",
        json={"integrator_id": "INT-042"},
        headers=bearer(integrator, new_key()),
    )
    decided = await http.post(
        f"/v1/change-requests/{reference}/events/reject",
        json={"decided_by": "Ann Lee", "reason": "Not enough votes"},
        headers=bearer(tokens(PRODUCT_MANAGER), new_key()),
    )

    assert raised.status_code == 201, raised.text
    assert (for_another.status_code, for_another.json()["title"]) == (403, "NotAllowed")
    assert (voted.json()["votes"], voted.json()["voters"]) == (1, ["INT-042"])
    assert decided.json()["state"] == "rejected"


async def test_school_data_is_asked_for_on_a_case_the_school_logged_and_read_by_it(
    http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens
) -> None:
    case = await case_now(env, reporter=SSU)
    school = tokens(SCHOOL)
    await http.post("/v1/cases", json=wire(case), headers=bearer(school))
    key = new_key()

    asked = await http.post(
        f"/v1/cases/{case.reference}/school-data/request_school_data",
        json={"purpose": "reproduce the lost marks"},
        headers=bearer(tokens(DESK), key),
    )
    read = await http.get(f"/v1/cases/{case.reference}/school-data", headers=bearer(school))

    assert asked.status_code == 200, asked.text
    assert [r["request_id"] for r in read.json()["data_requests"]] == [key]


async def test_feedback_on_an_open_case_goes_to_the_case_and_a_resolved_ones_to_the_ledger(
    http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens
) -> None:
    case, desk, integrator = await case_now(env), tokens(DESK), tokens(INTEGRATOR)
    ref = case.reference
    await http.post("/v1/cases", json=wire(case), headers=bearer(desk))
    on_open = await http.post(
        f"/v1/cases/{ref}/feedback", json={"rating": 4}, headers=bearer(integrator, new_key())
    )
    for token, event, body in [
        (desk, "acknowledge", {}),
        (desk, "offer_resolution", {"kind": "advice", "summary": "Re-run the sync"}),
        (integrator, "accept_resolution", {}),
    ]:
        await http.post(
            f"/v1/cases/{ref}/events/{event}", json=body, headers=bearer(token, new_key())
        )
    key = new_key()
    rated = [
        await http.post(f"/v1/cases/{ref}/feedback", json=body, headers=bearer(integrator, key))
        for body in ({"rating": 2}, {"rating": 2}, {"rating": 5})
    ]
    by_desk = await http.post(
        f"/v1/cases/{ref}/feedback", json={"rating": 5}, headers=bearer(desk, new_key())
    )

    assert (on_open.status_code, on_open.json()["timeline"][0]["kind"]) == (200, "feedback_given")
    assert [r.status_code for r in rated] == [200, 200, 422]
    assert rated[1].content == rated[0].content
    assert rated[0].json()["after_resolution"] is True
    assert rated[2].json()["title"] == "IdempotencyKeyReused"
    assert (by_desk.status_code, by_desk.json()["title"]) == (403, "NotAllowed")


async def test_the_kpi_report_is_the_desk_s_and_product_managers_in_json_or_html(
    http: httpx.AsyncClient, tokens: Tokens
) -> None:
    period = {"from": "2026-11-01", "to": "2026-11-30"}

    as_json = await http.get("/v1/reports/kpi", params=period, headers=bearer(tokens(DESK)))
    as_html = await http.get(
        "/v1/reports/kpi",
        params={**period, "format": "html"},
        headers=bearer(tokens(PRODUCT_MANAGER)),
    )
    backwards = await http.get(
        "/v1/reports/kpi",
        params={"from": "2026-11-30", "to": "2026-11-01"},
        headers=bearer(tokens(DESK)),
    )

    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["period"]["start"] == "2026-11-01T00:00:00Z"
    assert as_html.headers["content-type"].startswith("text/html")
    assert (backwards.status_code, backwards.json()["errors"][0]["field"]) == (422, "to")
