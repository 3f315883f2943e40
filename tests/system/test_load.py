"""The load benchmark's checks, small: open cases, mixed updates from concurrent clients.

`python -m bench.load` runs the full size (1,000 cases, 5,000 updates, 20 clients) and
writes bench/results/load.json; this keeps its invariants in the default test run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client

from bench.load import run_load
from sims_support.config import Settings
from sims_support.runtime.converter import data_converter
from sims_support.runtime.devserver import DevServer
from worker import activities_for, create_worker

pytestmark = pytest.mark.timeout(120)


async def test_every_accepted_update_is_recorded_and_every_refusal_is_typed(
    dev_server: DevServer, tmp_path: Path
) -> None:
    client = await Client.connect(dev_server.address, data_converter=data_converter())
    settings = Settings(_env_file=None, webhook_url=None, data_dir=tmp_path)  # type: ignore[call-arg]
    queue = f"load-{tmp_path.name}"
    async with create_worker(client, queue, activities=activities_for(settings, client)):
        report = await run_load(client, queue, cases=40, updates=300, clients=10)

    assert report["updates"] == 300
    assert report["accepted"] > 0 and report["refused_by_type"].get("InvalidInput", 0) > 0
    assert report["workflow_task_failures"] == 0
    assert report["accepted_missing_from_status"] == 0
    assert report["refused_but_recorded"] == 0
    assert report["untyped_refusals"] == 0
