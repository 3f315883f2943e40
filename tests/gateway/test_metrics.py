"""The gateway's Prometheus endpoint (DESIGN §15), scraped over HTTP: each request counted
and timed by its route's template, method and status (the gatekeeper's 401s among them, a
path no route has `unmatched`), its own Temporal client's metrics beside them, and no
label holding a case's reference."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from sims_support.gateway.app import create_app
from sims_support.gateway.metrics import Measured
from sims_support.runtime.devserver import StartupError
from sims_support.runtime.metrics import _runtime
from sims_support.security.keys import KeyStore
from tests.factories import intake, new_reference
from tests.gateway.conftest import (
    DESK,
    DevWorld,
    Tokens,
    bearer,
    free_port,
    gateway_settings,
    new_key,
    wire,
)
from tests.prometheus import figure, samples

DOCUMENTED = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
ROUTES = {*DOCUMENTED["paths"], "/openapi.json", "/docs", "/docs/oauth2-redirect", "unmatched"}


async def scrape(port: int) -> str:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert answer.status_code == 200
    return answer.text


async def test_the_gateway_counts_and_times_each_request_by_route_template_method_and_status(
    dev_world: DevWorld, keys: KeyStore, tokens: Tokens
) -> None:
    port = free_port()
    app = create_app(dev_world.settings(gateway_wait=30, gateway_metrics_port=port), keys=keys)
    desk = bearer(tokens(DESK))
    case = intake(logged_at=dt.datetime.now(dt.UTC))
    missing = new_reference()

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as http:
        opened = await http.post("/v1/cases", json=wire(case), headers=desk)
        absent = await http.get(f"/v1/cases/{missing}", headers=desk)
        anonymous = await http.get(f"/v1/cases/{case.reference}")
        as_someone = {"actor": {"role": "desk", "id": "PST-999"}}
        refused = await http.post(
            f"/v1/cases/{case.reference}/events/acknowledge",
            json=as_someone,
            headers=bearer(tokens(DESK), new_key()),
        )
        nowhere = await http.get(f"/v1/nowhere/{case.reference}", headers=desk)
    text = await scrape(port)

    answered = [r.status_code for r in (opened, absent, anonymous, refused, nowhere)]
    assert answered == [201, 404, 401, 422, 404]
    expected = {
        ("/v1/cases", "POST", "201"): 1,
        ("/v1/cases/{reference}", "GET", "404"): 1,
        ("/v1/cases/{reference}", "GET", "401"): 1,
        ("/v1/cases/{reference}/events/acknowledge", "POST", "422"): 1,
        ("unmatched", "GET", "404"): 1,
    }
    for (route, method, status), count in expected.items():
        labels = {"route": route, "method": method, "status": status}
        assert figure(text, "sims_gateway_requests_total", **labels) == count, (labels, text)
        timed = "sims_gateway_request_duration_seconds"
        assert figure(text, f"{timed}_count", **labels) == count, (labels, text)
        assert figure(text, f"{timed}_bucket", le="+Inf", **labels) == count, (labels, text)
        assert figure(text, f"{timed}_sum", **labels) > 0, (labels, text)
    # The gateway's own client reports here: the intake's call to Temporal among them.
    assert figure(text, "temporal_request_total", namespace="default") > 0, text


async def test_no_metric_label_holds_a_case_reference_only_a_route_template(
    dev_world: DevWorld, keys: KeyStore, tokens: Tokens
) -> None:
    port = free_port()
    app = create_app(dev_world.settings(gateway_wait=30, gateway_metrics_port=port), keys=keys)
    desk = bearer(tokens(DESK))
    case = intake(logged_at=dt.datetime.now(dt.UTC))
    references = [case.reference, new_reference()]

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as http:
        assert (await http.post("/v1/cases", json=wire(case), headers=desk)).status_code == 201
        for reference in references:
            await http.get(f"/v1/cases/{reference}", headers=desk)
            await http.get(f"/v1/cases/{reference}/school-data")
            await http.post(f"/v1/cases/{reference}/events/no_such_event", headers=desk)
            await http.get(f"/v1/problems/{reference}/{reference}", headers=desk)
    found = list(samples(await scrape(port)))

    assert found
    for _, labels, _ in found:
        assert not any(ref in value for ref in references for value in labels.values()), labels
    routes = {labels["route"] for name, labels, _ in found if name.startswith("sims_gateway_")}
    assert routes <= ROUTES, routes - ROUTES
    assert {"unmatched", "/v1/cases/{reference}", "/v1/cases/{reference}/school-data"} <= routes


async def test_a_request_the_gateway_fails_on_is_counted_as_its_500() -> None:
    port = free_port()

    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug of ours")

    measured = Measured(failing, _runtime(f"127.0.0.1:{port}").metric_meter, routes=[])
    scope = {"type": "http", "method": "BREW", "path": "/v1/cases/INC-1"}

    async def nothing() -> dict[str, str]:
        return {"type": "http.disconnect"}

    async def ignored(_: object) -> None:
        return None

    with pytest.raises(RuntimeError):
        await measured(scope, nothing, ignored)
    text = await scrape(port)

    labels = {"route": "unmatched", "method": "other", "status": "500"}
    assert figure(text, "sims_gateway_requests_total", **labels) == 1, text


def test_without_a_metrics_port_the_gateway_measures_nothing(tmp_path: Path) -> None:
    app = create_app(gateway_settings("metrics", f"sqlite:///{tmp_path / 'ledger.db'}"))
    app.state.gateway.close()

    assert not any(entry.cls is Measured for entry in app.user_middleware)


def test_a_metrics_port_already_taken_stops_the_gateway_before_it_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        settings = gateway_settings(
            "metrics", f"sqlite:///{tmp_path / 'ledger.db'}", gateway_metrics_port=port
        )
        with pytest.raises(StartupError, match=f"127.0.0.1:{port}.*SIMS_GATEWAY_METRICS_PORT"):
            create_app(settings)
