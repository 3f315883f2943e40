"""The HTTP gateway (DESIGN §14): the one place that turns a caller into an actor.

`create_app(settings)` builds the FastAPI application: one Temporal client for every
request (given, or connected on first use through `sims_support.runtime.connect`, with
the production converter: encrypted when SIMS_CODEC_KEYS is set), the API key store and
the KPI ledger in the ledger's database; with SIMS_GATEWAY_METRICS_PORT, its requests
counted there (`metrics.py`). `sims-gateway` serves it (`serve.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from temporalio.client import Client

from activities.ledger import Ledger
from sims_support.config import Settings
from sims_support.gateway import (
    case_feedback,
    case_routes,
    handlers,
    lifecycle_routes,
    ops_routes,
)
from sims_support.gateway.guard import Gatekeeper
from sims_support.gateway.metrics import Measured
from sims_support.gateway.openapi import DESCRIPTION, TITLE, VERSION, schema_of
from sims_support.gateway.state import Gateway
from sims_support.gateway.temporal import TemporalLink
from sims_support.runtime.metrics import runtime_for
from sims_support.security.keys import KeyStore

ROUTERS: tuple[APIRouter, ...] = (
    case_routes.router,
    case_feedback.router,
    lifecycle_routes.problem_router,
    lifecycle_routes.change_request_router,
    ops_routes.router,
)


def create_app(
    settings: Settings,
    client: Client | None = None,
    *,
    keys: KeyStore | None = None,
    ledger: Ledger | None = None,
) -> FastAPI:
    """The gateway on `client` (else one connected when first needed); its keys and its
    KPI ledger in SIMS_LEDGER_URL's database unless given (a test's own). `StartupError`
    when SIMS_GATEWAY_METRICS_PORT is set and cannot be listened on."""
    runtime = runtime_for(settings, gateway=True)  # first: a port taken stops us here
    owned: list[KeyStore | Ledger] = []
    if ledger is None:
        ledger = Ledger(settings.ledger_url)
        owned.append(ledger)
    # The keys live beside the ledger's tables: one database, one schema version.
    keys = keys or KeyStore(ledger)
    gateway = Gateway(settings, TemporalLink(settings, client), keys, ledger, owned)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            gateway.close()

    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.gateway = gateway
    handlers.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(Gatekeeper, keys=lambda: gateway.keys)
    if runtime is not None:  # added last, so around the gatekeeper: its 401s are counted
        routes = [*app.routes, *(route for router in ROUTERS for route in router.routes)]
        app.add_middleware(Measured, meter=runtime.metric_meter, routes=routes)
    app.openapi = lambda: schema_of(app)  # type: ignore[method-assign]
    return app
