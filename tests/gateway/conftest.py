"""The gateway on the time-skipping server (DESIGN §14): the app of `create_app`, given the
session's Temporal client, its worker's task queue and KPI ledger, and a key store of its
own on a temporary SQLite file; httpx calls it in-process (ASGI)."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ledger import Ledger, LedgerActivities
from activities.problems import ProblemLinks
from activities.setup import SetupActivities
from domain.actors import Actor, Role
from domain.models import OpenCase
from domain.policy import SupportPolicy
from sims_support.config import Settings
from sims_support.gateway.app import create_app
from sims_support.runtime.converter import data_converter
from sims_support.runtime.devserver import start_dev_server
from sims_support.security.keys import KeyStore
from tests.conftest import CALENDAR, Outbox
from tests.factories import intake
from worker import create_worker

DESK = Actor(role=Role.DESK, id="PST-017", name="Pat Desk")
INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-042")  # the factory's cases are INT-042's
OTHER_INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-999")
PRODUCT_MANAGER = Actor(role=Role.PRODUCT_MANAGER, id="pm-ann")
Tokens = Callable[[Actor], str]
WORKFLOW_IDS = {"cases": "case-", "problems": "problem-", "change-requests": "cr-"}


def gateway_settings(task_queue: str, ledger_url: str, **extra: Any) -> Settings:
    """The settings the gateway reads, none from the developer's `.env`."""
    return Settings(_env_file=None, task_queue=task_queue, ledger_url=ledger_url, **extra)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyStore]:
    store = KeyStore.at(f"sqlite:///{tmp_path_factory.mktemp('keys') / 'keys.db'}")
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def tokens(keys: KeyStore) -> Tokens:
    """A token acting as the actor: one key per actor for the session."""
    made: dict[Actor, str] = {}

    def token(actor: Actor) -> str:
        if actor not in made:
            made[actor] = keys.create(actor, dt.datetime.now(dt.UTC)).token
        return made[actor]

    return token


@pytest.fixture(scope="session")
def app(client: Client, worker: Worker, task_queue: str, ledger: Ledger, keys: KeyStore) -> FastAPI:
    settings = gateway_settings(task_queue, str(ledger.url), gateway_wait=30)
    return create_app(settings, client, keys=keys, ledger=ledger)


@pytest.fixture
async def http(app: FastAPI, client: Client) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway, in-process. What a test opens it ends: a case left open on the
    session's time-skipping server has timers every later skip of its clock must fire."""
    opened: list[str] = []

    async def note(response: httpx.Response) -> None:
        where = response.headers.get("location", "")
        if response.status_code == 201 and where.count("/") == 3:
            _, _, kind, reference = where.split("/")
            opened.append(f"{WORKFLOW_IDS[kind]}{reference}")

    transport = httpx.ASGITransport(app=app)
    hooks = {"response": [note]}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway.test", event_hooks=hooks
    ) as found:
        yield found
    for workflow_id in opened:
        with contextlib.suppress(RPCError):  # it has ended already
            await client.get_workflow_handle(workflow_id).terminate("the test is over")


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def new_key() -> str:
    return str(uuid.uuid4())


async def case_now(env: WorkflowEnvironment, **overrides: Any) -> OpenCase:
    """An intake logged at the test server's instant (its clock runs years ahead)."""
    return intake(logged_at=await env.get_current_time(), **overrides)


def wire(model: OpenCase) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


# -- the real dev server: visibility (lists), task-queue pollers (readiness) -------------
# The time-skipping server implements neither ListWorkflowExecutions nor DescribeTaskQueue.


@dataclass(frozen=True)
class DevWorld:
    client: Client
    address: str
    task_queue: str
    ledger_url: str

    def settings(self, **extra: Any) -> Settings:
        given = {"task_queue": self.task_queue, "temporal_address": self.address, **extra}
        return Settings(_env_file=None, ledger_url=self.ledger_url, **given)


@pytest.fixture(scope="session")
async def dev_world(
    tmp_path_factory: pytest.TempPathFactory, outbox: Outbox
) -> AsyncIterator[DevWorld]:
    """The dev server `make run` starts, a worker on it, and a KPI ledger of their own."""
    home = tmp_path_factory.mktemp("dev")
    server = await start_dev_server(home / "temporal.db", free_port(), ui_port=None)
    ledger = Ledger(f"sqlite:///{home / 'ledger.db'}")
    try:
        client = await Client.connect(server.address, data_converter=data_converter())
        world = DevWorld(client, server.address, f"gateway-{uuid.uuid4()}", str(ledger.url))
        setup = SetupActivities(SupportPolicy(), CALENDAR)
        activities = [
            outbox.notify,
            setup.load_case_setup,
            ProblemLinks(client).link_case_to_problem,
            LedgerActivities(ledger).record_case,
        ]
        async with create_worker(client, world.task_queue, activities=activities):
            yield world
    finally:
        ledger.dispose()
        server.stop()


@pytest.fixture
async def dev_http(dev_world: DevWorld, keys: KeyStore) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway on the dev server, connecting its own client (as `sims-gateway` does)."""
    app = create_app(dev_world.settings(gateway_wait=30), keys=keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as found:
        yield found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
