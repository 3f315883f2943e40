"""`sims-case policy apply` on the real dev server (DESIGN §15): it finds the open cases
and change requests of its task queue through the visibility API, a dry run sends
nothing, an apply changes each once and says so, the same file again changes nothing,
and a bad file is refused naming the field before anything is sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.change_requests import Decision, OpenChangeRequest
from domain.models import Withdraw
from sims_support.client import cases, change_requests
from sims_support.client.policy import OPEN_QUERY
from tests.factories import DESK, PRODUCT_MANAGER, intake
from tests.system.conftest import Sims, unique

pytestmark = pytest.mark.timeout(180)

FOUR_HOURS = 'cr_review_interval_months = 2\n\n[response_targets]\nP3 = "4h"\n'


async def histories(client: Client, references: dict[str, str]) -> dict[str, int]:
    """How long each workflow's history is: an update sent would lengthen it."""
    return {
        ref: len((await client.get_workflow_handle(wid).fetch_history()).events)
        for ref, wid in references.items()
    }


async def test_policy_apply_reaches_every_open_case_and_change_request_of_its_queue_once(
    sims: Sims, tmp_path: Path
) -> None:
    sims.start_worker()
    client = await Client.connect(sims.address, data_converter=pydantic_data_converter)
    now = dt.datetime.now(dt.UTC)
    opened = [intake(reference=unique("INC"), logged_at=now, impact=3, urgency=2) for _ in "ab"]
    for case in opened:
        await cases.open_case(client, case, opened_by=DESK, task_queue=sims.task_queue)
    cr = OpenChangeRequest(
        reference=unique("CR"), title="More attendance codes", raised_by="INT-1", raised_at=now
    )
    await change_requests.open_change_request(
        client, cr, opened_by=DESK, task_queue=sims.task_queue
    )
    workflows = {c.reference: cases.workflow_id(c.reference) for c in opened}
    workflows[cr.reference] = change_requests.workflow_id(cr.reference)
    query = OPEN_QUERY.format(task_queue=sims.task_queue)
    for _ in range(100):  # visibility catches up in a moment
        if (await client.count_workflows(query)).count == 3:
            break
        await asyncio.sleep(0.3)
    assert (await client.count_workflows(query)).count == 3
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(FOUR_HOURS)
    version = json.loads(sims.cli("policy", "show", "--file", str(policy_file)).stdout)["version"]
    before = await histories(client, workflows)

    dry = sims.cli("policy", "apply", "--file", str(policy_file), "--dry-run")

    assert dry.returncode == 0, dry.stderr
    assert f"policy {version}: 3 open case(s) and change request(s); dry run" in dry.stdout
    assert "would change: 3   already on it: 0   closed: 0   failed: 0" in dry.stdout
    assert await histories(client, workflows) == before

    applied = sims.cli("policy", "apply", "--file", str(policy_file), "--json")

    assert applied.returncode == 0, applied.stderr
    answer = json.loads(applied.stdout)
    assert answer["counts"] == {
        "changed": 3,
        "already": 0,
        "closed": 0,
        "failed": 0,
        "would_change": 0,
    }
    assert {r["reference"] for r in answer["results"]} == set(workflows)
    for case in opened:
        status = await cases.status(client, case.reference)
        assert status.policy_version == version
        [changed] = [e for e in status.timeline if e.kind == "policy_changed"]
        assert changed.actor is not None and changed.actor.role == "desk"
        assert "response_targets.P3 8h -> 4h" in changed.detail
    assert (await change_requests.status(client, cr.reference)).policy_version == version

    again = sims.cli("policy", "apply", "--file", str(policy_file))

    assert again.returncode == 0, again.stderr
    assert "changed: 0   already on it: 3   closed: 0   failed: 0" in again.stdout
    for case in opened:
        status = await cases.status(client, case.reference)
        assert [e.kind for e in status.timeline].count("policy_changed") == 1
    after = await histories(client, workflows)

    policy_file.write_text('[response_targets]\nP3 = "4 days"\n')
    bad = sims.cli("policy", "apply", "--file", str(policy_file))

    assert bad.returncode == 2
    assert "response_targets.P3: '4 days' is not a working time" in bad.stderr
    assert await histories(client, workflows) == after  # nothing sent
    for case in opened:
        await cases.send(
            client,
            case.reference,
            "withdraw",
            Withdraw(request_id="w-1", reason="over"),
            actor=DESK,
        )
    reject = Decision(request_id="no-1", decided_by="pm-ann", reason="test over")
    await change_requests.send(client, cr.reference, "reject", reject, actor=PRODUCT_MANAGER)
