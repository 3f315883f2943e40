"""Every recorded history replays on today's code (README: changing workflow code safely).

The histories in tests/histories/ were recorded by `python -m tests.histories.record`
with the production worker. Each replays here with the production converter (payload
codec included) and worker settings; a change that would break a running case fails this test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from sims_support.runtime.converter import data_converter
from tests.histories.drifted import DriftedCase, PatchedCase
from tests.histories.record import TEST_KEYRING
from worker import SANDBOX, WORKFLOWS
from workflows.case import CaseWorkflow
from workflows.contract import LINKED_CASE_CHANGED, MERGE_VOTES, NEWS_IN_BATCHES, PROBLEM_NEWS

# Recorded by today's code, and in sub-folders by the code before a change (kept as long
# as cases that old may still be running: they prove the change replays). None is kept
# from before 0.1.0: its development patches were retired with their recordings.
HISTORIES = sorted((Path(__file__).parents[1] / "histories").rglob("*.json"))
CONVERTER = data_converter(TEST_KEYRING)
LIFECYCLE = Path(__file__).parents[1] / "histories" / "case-HIST-LIFECYCLE.json"


def load(path: Path) -> WorkflowHistory:
    workflow_id = path.stem.removesuffix("-first-run")
    return WorkflowHistory.from_json(workflow_id, path.read_text())


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows or WORKFLOWS), data_converter=CONVERTER, workflow_runner=SANDBOX
    )


def test_every_workflow_has_recorded_histories() -> None:
    kinds = {path.name.split("-", 1)[0] for path in HISTORIES if path.parent.name == "histories"}
    assert kinds == {"case", "problem", "cr", "kpi"}  # kpi: the monthly report's
    assert any("ENCRYPTED" in path.name for path in HISTORIES)
    assert any("first-run" in path.name for path in HISTORIES)  # a continue-as-new


def test_a_history_with_actors_internal_notes_and_feedback_is_recorded_beside_the_old() -> None:
    """Recorded by 0.2: the opener checked behind its patch, the actor of every update, a
    desk note and escalated feedback; the 0.1 histories (no actors) still replay."""
    history = load(next(p for p in HISTORIES if p.name == "case-HIST-ACTORS.json"))
    started = history.events[0].workflow_execution_started_event_attributes
    opening = json.loads(started.input.payloads[0].data)
    assert opening["opened_by"]["role"] == "integrator"
    updates = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            if request.input.args.payloads:
                body = json.loads(request.input.args.payloads[0].data)
                updates[body["request_id"]] = (request.input.name, body)
    assert all(body["actor"]["role"] in ("desk", "integrator") for _, body in updates.values())
    assert updates["n1"][1]["visibility"] == "internal"
    assert updates["fb"][0] == "give_feedback"
    patches = [e for e in history.events if e.marker_recorded_event_attributes.marker_name]
    assert any(b"opened-by-checked" in e.SerializeToString() for e in patches)
    assert b"opened-by-checked" not in load(LIFECYCLE).to_json().encode()


def test_a_history_with_policy_changes_is_recorded_beside_the_old() -> None:
    """Recorded by 0.2: a P3 warned under the charter, moved to 12 h (no second warning,
    the breach four hours later), breached, moved back (the breach stays, none again)."""
    history = load(next(p for p in HISTORIES if p.name == "case-HIST-POLICY.json"))
    accepted, sent = [], []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            accepted.append(request.input.name)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            if scheduled.activity_type.name == "notify":
                notice = json.loads(scheduled.input.payloads[0].data)
                sent.append((notice["kind"], notice["due"]))
    assert accepted.count("apply_policy") == 2
    assert [s for s in sent if s[0].startswith("response")] == [
        ("response_warning", "2026-12-07T16:00:00Z"),
        ("response_breach", "2026-12-08T13:30:00Z"),
    ]
    assert any(p.name == "cr-HIST-CR-POLICY.json" for p in HISTORIES)


def test_every_signal_is_in_a_recorded_history_the_case_s_and_problem_s_encrypted() -> None:
    """Recorded by the code before signal handlers took their input raw (91225f3), so
    their replay here proves the change replays."""
    signalled: dict[str, set[bytes]] = {}
    for path in HISTORIES:
        for event in load(path).events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                attributes = event.workflow_execution_signaled_event_attributes
                encoding = attributes.input.payloads[0].metadata["encoding"]
                signalled.setdefault(attributes.signal_name, set()).add(encoding)
    assert set(signalled) == {PROBLEM_NEWS, LINKED_CASE_CHANGED, MERGE_VOTES}
    assert b"binary/encrypted" in signalled[PROBLEM_NEWS]
    assert b"binary/encrypted" in signalled[LINKED_CASE_CHANGED]


def test_a_history_with_news_in_batches_is_recorded_beside_the_old() -> None:
    """Recorded by 0.2 after news went out in batches: its patch marker, then the signals;
    the problem histories before it (HIST-PRB, HIST-SIG-PRB) have neither marker."""

    def patches(name: str) -> list[bytes]:
        history = load(next(p for p in HISTORIES if p.name == name))
        return [
            e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        ]

    assert [json.loads(d)["id"] for d in patches("problem-HIST-BATCH-PRB.json")] == [
        NEWS_IN_BATCHES
    ]
    assert patches("problem-HIST-PRB.json") == patches("problem-HIST-SIG-PRB.json") == []


def test_a_history_of_the_monthly_report_is_recorded_beside_the_old() -> None:
    """Recorded by 0.2: a run started by hand loads the calendar (a local activity), then
    publishes the month before's report."""
    history = load(next(p for p in HISTORIES if p.name == "kpi-report-HIST-MONTHLY.json"))
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert scheduled == ["publish_kpi_report"]
    assert len(markers) == 1  # the calendar's local activity
    assert history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


@pytest.mark.parametrize(
    "path",
    HISTORIES,
    ids=[
        p.stem if p.parent.name == "histories" else f"{p.parent.name}/{p.stem}" for p in HISTORIES
    ],
)
async def test_a_recorded_history_replays_on_todays_code(path: Path) -> None:
    result = await replayer().replay_workflow(load(path))
    assert result.replay_failure is None


async def test_the_encrypted_history_holds_only_ciphertext() -> None:
    history = load(next(p for p in HISTORIES if "ENCRYPTED" in p.name))
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == b"binary/encrypted"
    assert b"Priya" not in b"".join(e.SerializeToString() for e in history.events)


async def test_a_command_added_in_front_of_recorded_ones_fails_replay() -> None:
    history = load(LIFECYCLE)
    with pytest.raises(NondeterminismError):
        await replayer(DriftedCase).replay_workflow(history)


async def test_the_same_change_behind_workflow_patched_replays() -> None:
    history = load(LIFECYCLE)
    result = await replayer(PatchedCase).replay_workflow(history)
    assert result.replay_failure is None
    assert CaseWorkflow.__name__ == "CaseWorkflow"  # both edits stand in for it by name
