"""The P1 tour over HTTP (DESIGN §14): the desk opens and drives a P1 incident, the
integrator answers and accepts through its own key, each request recorded as the key's
actor; then the integrator rates the Resolved case, which the KPI ledger keeps."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.factories import p1_incident
from tests.gateway.conftest import DESK, INTEGRATOR, Tokens, bearer, new_key, wire


async def test_a_p1_incident_goes_from_logged_to_resolved_over_http(
    http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: Tokens
) -> None:
    desk, integrator = tokens(DESK), tokens(INTEGRATOR)
    intake = p1_incident(logged_at=await env.get_current_time())
    ref = intake.reference

    opened = await http.post("/v1/cases", json=wire(intake), headers=bearer(desk))
    assert opened.status_code == 201, opened.text
    assert opened.headers["location"] == f"/v1/cases/{ref}"
    assert (opened.json()["state"], opened.json()["priority"]) == ("logged", 1)

    steps = [
        (desk, "acknowledge", {"message": "We are on it"}, "investigating"),
        (desk, "request_information", {"message": "Which release?"}, "awaiting_information"),
        (integrator, "provide_information", {"message": "2026.3"}, "investigating"),
        (desk, "offer_resolution", {"kind": "workaround", "summary": "Re-run"}, None),
        (integrator, "accept_resolution", None, "resolved"),
    ]
    for token, event, body, state in steps:
        sent = await http.post(
            f"/v1/cases/{ref}/events/{event}", json=body, headers=bearer(token, new_key())
        )
        assert sent.status_code == 200, (event, sent.text)
        assert sent.json()["state"] == (state or "resolution_offered"), event

    status = await http.get(f"/v1/cases/{ref}", headers=bearer(desk))
    timeline = status.json()["timeline"]
    by = {event["kind"]: event["actor"] for event in timeline if "actor" in event}
    assert by["info_provided"] == {"role": "integrator", "id": "INT-042", "name": None}
    assert by["accepted"] == {"role": "integrator", "id": "INT-042", "name": None}
    assert by["acknowledged"]["id"] == DESK.id

    rated = await http.post(
        f"/v1/cases/{ref}/feedback",
        json={"rating": 5, "comment": "Quick and clear"},
        headers=bearer(integrator, new_key()),
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["after_resolution"] is True
    assert (rated.json()["rating"], rated.json()["by_id"]) == (5, "INT-042")
