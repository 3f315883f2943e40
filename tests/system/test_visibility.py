"""What an operator sees in the Web UI without a query: search attributes, the one-line
summary and the current details, read back from the real dev server."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from temporalio.api.sdk.v1 import WorkflowMetadata

from sims_support.client import cases
from sims_support.config import Settings
from sims_support.runtime.connect import connect
from tests.system.conftest import Sims
from workflows import search


async def test_an_open_p1_shows_its_clocks_and_state_to_operators(sims: Sims) -> None:
    sims.start_worker()
    opened = sims.cli("open", "--example", "p1-incident", "--json")
    assert opened.returncode == 0, opened.stderr
    status = json.loads(opened.stdout)
    client = await connect(Settings(temporal_address=sims.address), address=sims.address)
    handle = cases.handle_for(client, status["reference"])

    described = await handle.describe()
    attributes = described.typed_search_attributes
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)

    assert attributes.get(search.CASE_REFERENCE) == status["reference"]
    assert attributes.get(search.CASE_TYPE) == "incident"
    assert attributes.get(search.CASE_PRIORITY) == "P1"
    assert attributes.get(search.CASE_STATE) == "logged"
    assert attributes.get(search.INTEGRATOR_ID) == status["integrator_id"]
    assert attributes.get(search.SCHOOL_URN) == status["school_urn"]
    assert attributes.get(search.SLA_BREACHED) is False
    response_due = attributes.get(search.RESPONSE_DUE)
    response = next(c for c in status["clocks"] if c["name"] == "response")
    assert response_due == dt.datetime.fromisoformat(response["deadline"])
    assert attributes.get(search.NEXT_ACTION_DUE) is not None
    summary = await described.static_summary()
    assert summary is not None and summary.startswith(f"P1 incident {status['reference']}")
    assert metadata.current_details.startswith("logged · P1 · next: response")
    assert "(London)" in metadata.current_details


async def test_an_operator_filter_finds_the_case_by_its_attributes(sims: Sims) -> None:
    sims.start_worker()
    opened = json.loads(sims.cli("open", "--example", "p1-incident", "--json").stdout)
    client = await connect(Settings(temporal_address=sims.address), address=sims.address)
    query = f'CaseReference = "{opened["reference"]}" AND CasePriority = "P1"'

    async def found() -> list[str]:
        return [w.id async for w in client.list_workflows(query)]

    ids: list[str] = []
    for _ in range(60):  # visibility is eventually consistent: up to 15 s
        ids = await found()
        if ids:
            break
        await asyncio.sleep(0.25)
    assert ids == [cases.workflow_id(opened["reference"])]
