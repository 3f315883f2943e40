"""A keyed worker takes only encrypted input (DESIGN §8): a client without the key is
refused `InvalidInput` ("not encrypted"), nothing is written in clear, and the case is
unharmed; `SIMS_ACCEPT_PLAINTEXT` lets plaintext through while old cases are open, and
replay tells an encrypted history from a plaintext one."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHistory,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.ledger import Ledger, LedgerActivities
from activities.setup import SetupActivities
from domain.models import Acknowledge, Withdraw
from domain.policy import SupportPolicy
from domain.problem_links import NewsKind, ProblemNews
from domain.workflow_inputs import CaseInput
from sims_support.client import cases as api
from sims_support.config import Settings
from sims_support.runtime.converter import data_converter
from sims_support.security.codec import EncryptionCodec, Keyring, new_key
from tests.conftest import CALENDAR, Outbox
from tests.factories import DESK, intake
from tests.histories.record import TEST_KEYRING
from tests.workflows.helpers import request_id
from worker import SANDBOX, WORKFLOWS, create_worker
from workflows.case import CaseWorkflow
from workflows.contract import PROBLEM_NEWS

KEYRING = Keyring.parse(new_key("plain-test"))
SECRET = "Call Priya Shah on 0123 456 789"  # what the keyless client sends
HISTORIES = Path(__file__).parents[1] / "histories"
ACCEPT_ALL = Settings(_env_file=None, accept_plaintext=True)


class SendsInClear(EncryptionCodec):
    """A client from before the keys were set, that reads the worker's encrypted answers."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


def keyed_client(env: WorkflowEnvironment, *, sends_in_clear: bool = False) -> Client:
    converter = data_converter(KEYRING)
    if sends_in_clear:
        converter = dataclasses.replace(converter, payload_codec=SendsInClear(KEYRING))
    return Client(
        env.client.service_client, namespace=env.client.namespace, data_converter=converter
    )


@pytest.fixture
async def keyed_queue(env: WorkflowEnvironment, ledger: Ledger) -> AsyncIterator[str]:
    """A worker with the key, polling a queue of its own."""
    queue = f"keyed-{uuid.uuid4()}"
    setup = SetupActivities(SupportPolicy(), CALENDAR)
    activities = [Outbox().notify, setup.load_case_setup, LedgerActivities(ledger).record_case]
    async with create_worker(keyed_client(env), queue, activities=activities):
        yield queue


def raw(history: WorkflowHistory) -> bytes:
    return b"".join(event.SerializeToString() for event in history.events)


def of_type(history: WorkflowHistory, kind: EventType.ValueType) -> list[HistoryEvent]:
    return [event for event in history.events if event.event_type == kind]


def accepted_updates(history: WorkflowHistory) -> list[str]:
    accepted = of_type(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    return [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in accepted
    ]


async def test_an_update_sent_without_the_key_is_refused_and_leaves_nothing_in_history(
    env: WorkflowEnvironment, keyed_queue: str
) -> None:
    keyed = keyed_client(env)
    case = intake(logged_at=await env.get_current_time())
    await api.open_case(keyed, case, opened_by=DESK, task_queue=keyed_queue)
    before = await api.status(keyed, case.reference)
    ask = Acknowledge(request_id=request_id(), message=SECRET, actor=DESK)

    keyless = env.client.get_workflow_handle(api.workflow_id(case.reference))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await keyless.execute_update("acknowledge", ask)

    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "InvalidInput" and cause.non_retryable
    # The refusal itself is encrypted: only the key reads why.
    assert cause.failure is not None
    [why] = await EncryptionCodec(KEYRING).decode([cause.failure.encoded_attributes])
    assert "is not encrypted" in json.loads(why.data)["message"]
    after = await api.status(keyed, case.reference)
    assert (after.state, after.timeline_total) == (before.state, before.timeline_total)
    history = await keyless.fetch_history()
    assert accepted_updates(history) == ["opened"]
    assert SECRET.encode() not in raw(history)
    # The same request with the key is taken: the case was refused nothing else.
    taken = await api.send(keyed, case.reference, "acknowledge", ask)
    assert (before.timeline_total, taken.timeline_total) == (1, 2)
    assert taken.timeline[-1].detail == SECRET
    withdraw = Withdraw(request_id=request_id(), reason="x")
    await api.send(keyed, case.reference, "withdraw", withdraw, actor=DESK)
    await api.handle_for(keyed, case.reference).result()


async def test_a_case_started_without_the_key_fails_at_once_as_not_encrypted(
    env: WorkflowEnvironment, keyed_queue: str
) -> None:
    case = intake(logged_at=await env.get_current_time())
    workflow_id = api.workflow_id(case.reference)
    await env.client.start_workflow(
        CaseWorkflow.run,
        CaseInput(intake=case, opened_by=DESK),
        id=workflow_id,
        task_queue=keyed_queue,
    )
    # Not the started handle: awaiting its result would skip the shared test clock.
    handle = env.client.get_workflow_handle(workflow_id)

    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()

    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == "InvalidInput"
    history = await handle.fetch_history()
    assert of_type(history, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) == []  # no retrying
    assert of_type(history, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == []


async def test_a_case_opened_without_the_key_is_refused_as_invalid_input(
    env: WorkflowEnvironment, keyed_queue: str
) -> None:
    case = intake(logged_at=await env.get_current_time())

    with pytest.raises(api.CaseRefused) as refused:
        await api.open_case(env.client, case, opened_by=DESK, task_queue=keyed_queue)

    assert refused.value.type == "InvalidInput"


async def test_with_accept_plaintext_a_keyed_worker_takes_a_case_sent_in_clear(
    env: WorkflowEnvironment, ledger: Ledger
) -> None:
    queue = f"accepting-{uuid.uuid4()}"
    setup = SetupActivities(SupportPolicy(), CALENDAR)
    activities = [Outbox().notify, setup.load_case_setup, LedgerActivities(ledger).record_case]
    case = intake(logged_at=await env.get_current_time())
    old = keyed_client(env, sends_in_clear=True)
    ask = Acknowledge(request_id=request_id(), message=SECRET)
    withdraw = Withdraw(request_id=request_id(), reason="x")

    async with create_worker(keyed_client(env), queue, settings=ACCEPT_ALL, activities=activities):
        await api.open_case(old, case, opened_by=DESK, task_queue=queue)
        status = await api.send(old, case.reference, "acknowledge", ask, actor=DESK)
        await api.send(old, case.reference, "withdraw", withdraw, actor=DESK)
        await api.handle_for(old, case.reference).result()

    assert status.timeline[-1].detail == SECRET
    history = await old.get_workflow_handle(api.workflow_id(case.reference)).fetch_history()
    assert SECRET.encode() in raw(history)  # it was sent in clear, and taken


def load(name: str) -> WorkflowHistory:
    path = HISTORIES / name
    return WorkflowHistory.from_json(path.stem, path.read_text())


def replayer(*, refuse_plaintext: bool) -> Replayer:
    converter = data_converter(TEST_KEYRING, refuse_plaintext=refuse_plaintext)
    return Replayer(workflows=list(WORKFLOWS), data_converter=converter, workflow_runner=SANDBOX)


async def test_a_worker_refusing_plaintext_still_replays_an_encrypted_history() -> None:
    """Start input, updates, activity results and markers: all came back encrypted."""
    result = await replayer(refuse_plaintext=True).replay_workflow(load("case-HIST-ENCRYPTED.json"))
    assert result.replay_failure is None


async def test_a_plaintext_history_replays_only_where_plaintext_is_accepted() -> None:
    history = load("case-HIST-LIFECYCLE.json")

    refused = await replayer(refuse_plaintext=True).replay_workflow(
        history, raise_on_replay_failure=False
    )
    accepted = await replayer(refuse_plaintext=False).replay_workflow(history)

    assert refused.replay_failure is not None
    assert accepted.replay_failure is None


async def test_a_signal_sent_without_the_key_is_dropped_and_counted_not_applied(
    env: WorkflowEnvironment, keyed_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    keyed = keyed_client(env)
    case = intake(logged_at=await env.get_current_time())
    await api.open_case(keyed, case, opened_by=DESK, task_queue=keyed_queue)
    news = ProblemNews(
        news_id="problem-PRB-1:r1",
        problem_reference="PRB-1",
        kind=NewsKind.REVIEW_SCHEDULED,
        message=SECRET,
    )

    keyless = env.client.get_workflow_handle(api.workflow_id(case.reference))
    await keyless.signal(PROBLEM_NEWS, news)
    # An update after it: the signal's task has run by the time this is answered.
    ask = Acknowledge(request_id=request_id(), actor=DESK)
    taken = await api.send(keyed, case.reference, "acknowledge", ask)

    assert [e.kind for e in taken.timeline] == ["acknowledged"]
    status = await api.status(keyed, case.reference)
    assert "problem_news" not in [e.kind for e in status.timeline]
    [dropped] = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped.startswith("signal problem_news dropped") and "is not encrypted" in dropped
    assert SECRET not in dropped
    withdraw = Withdraw(request_id=request_id(), reason="x")
    await api.send(keyed, case.reference, "withdraw", withdraw, actor=DESK)
    await api.handle_for(keyed, case.reference).result()
