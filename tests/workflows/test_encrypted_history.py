"""Personal data never reaches Temporal's history in clear (DESIGN §8).

A worker and a client with the production converter and keys: the raw history, read
without the codec, holds no contact name, e-mail or error text, not even in a failure;
with the codec (in process or through the codec server) it all reads back.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from activities.ledger import Ledger, LedgerActivities
from activities.setup import SetupActivities
from domain.models import Acknowledge, OpenCase, RequestInformation, Withdraw
from domain.policy import SupportPolicy
from sims_support.client import cases as api
from sims_support.gateway.codec_server import CodecServer
from sims_support.runtime.converter import data_converter
from sims_support.security.codec import Keyring, new_key
from tests.conftest import CALENDAR, Outbox
from tests.factories import DESK, intake
from tests.workflows.helpers import request_id
from worker import create_worker

KEYRING = Keyring.parse(new_key("test-2026"))
NAME, EMAIL, ERROR = "Priya Shah", "priya.shah@acme.example", "ORA-00942 table does not exist"
# What must never show in clear: the contact, the error text, what the desk wrote.
PERSONAL = (NAME, EMAIL, ERROR, "0123 456 789", "Which build is the school on")


@pytest.fixture
async def keyed(env: WorkflowEnvironment, ledger: Ledger) -> AsyncIterator[tuple[Client, str]]:
    """An encrypting client, and a worker of its own that finishes its cases before it stops."""
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=data_converter(KEYRING),
    )
    queue = f"encrypted-{uuid.uuid4()}"
    setup = SetupActivities(SupportPolicy(), CALENDAR)
    activities = [Outbox().notify, setup.load_case_setup, LedgerActivities(ledger).record_case]
    async with create_worker(client, queue, activities=activities):
        yield client, queue


def raw_bytes(history: WorkflowHistory) -> bytes:
    return b"".join(event.SerializeToString() for event in history.events)


def leaks(history: WorkflowHistory) -> list[str]:
    raw = raw_bytes(history)
    return [text for text in PERSONAL if text.encode() in raw]


def personal_intake(**overrides: Any) -> OpenCase:
    return intake(
        reporter={"name": NAME, "email": EMAIL, "phone": "0123 456 789"},
        error_messages=[ERROR],
        **overrides,
    )


async def test_a_case_history_holds_no_personal_data_in_clear_and_decodes_with_the_key(
    env: WorkflowEnvironment, keyed: tuple[Client, str]
) -> None:
    client, queue = keyed
    case = personal_intake(logged_at=await env.get_current_time())
    await api.open_case(client, case, opened_by=DESK, task_queue=queue)
    reference = case.reference
    await api.send(
        client, reference, "acknowledge", Acknowledge(request_id=request_id()), actor=DESK
    )
    ask = RequestInformation(request_id=request_id(), message="Which build is the school on?")
    await api.send(client, reference, "request_information", ask, actor=DESK)
    status = await api.case_status(client, reference)
    await api.send(
        client, reference, "withdraw", Withdraw(request_id=request_id(), reason="x"), actor=DESK
    )
    await api.handle_for(client, reference).result()

    # Read as an operator without the key would: the plain converter, no codec.
    history = await env.client.get_workflow_handle(api.workflow_id(reference)).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    payload = started.input.payloads[0]

    assert leaks(history) == []
    assert payload.metadata["encoding"] == b"binary/encrypted"
    assert payload.metadata["encryption-key-id"] == b"test-2026"
    assert reference.encode() in raw_bytes(history)  # search attributes: references only
    # With the key, the same history reads back (and so does the running case's status).
    [decoded] = await data_converter(KEYRING).payload_codec.decode([payload])  # type: ignore[union-attr]
    assert json.loads(decoded.data)["intake"]["reporter"]["name"] == NAME
    assert status.timeline[-1].detail == "Which build is the school on?"


async def test_a_failed_case_keeps_its_failure_message_encrypted(
    env: WorkflowEnvironment, keyed: tuple[Client, str]
) -> None:
    client, queue = keyed
    future = await env.get_current_time() + dt.timedelta(days=2)
    case = personal_intake(logged_at=future)
    with pytest.raises(api.CaseRefused) as refused:
        await api.open_case(client, case, opened_by=DESK, task_queue=queue)

    history = await env.client.get_workflow_handle(api.workflow_id(case.reference)).fetch_history()
    failed = next(
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
    )
    failure = failed.workflow_execution_failed_event_attributes.failure

    assert refused.value.type == "LoggedAtInFuture"  # the keyed client still reads it
    assert "is in the future" in str(refused.value)
    assert failure.message == "Encoded failure"
    assert b"in the future" not in raw_bytes(history)
    assert failure.encoded_attributes.metadata["encoding"] == b"binary/encrypted"


async def test_the_codec_server_decodes_what_the_ui_shows_from_a_raw_history(
    env: WorkflowEnvironment, keyed: tuple[Client, str]
) -> None:
    client, queue = keyed
    case = personal_intake(logged_at=await env.get_current_time())
    await api.open_case(client, case, opened_by=DESK, task_queue=queue)
    reference = case.reference
    await api.send(
        client, reference, "withdraw", Withdraw(request_id=request_id(), reason="x"), actor=DESK
    )
    await api.handle_for(client, reference).result()
    history = await env.client.get_workflow_handle(api.workflow_id(reference)).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    payload: Payload = started.input.payloads[0]
    body = {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
                "data": base64.b64encode(payload.data).decode(),
            }
        ]
    }

    with CodecServer(KEYRING, "ops-token") as server:
        denied = httpx.post(f"{server.url}/decode", json=body, timeout=5)
        answer = httpx.post(
            f"{server.url}/decode",
            json=body,
            headers={"Authorization": "Bearer ops-token", "X-Namespace": "default"},
            timeout=5,
        )

    assert denied.status_code == 401
    decoded = json.loads(base64.b64decode(answer.json()["payloads"][0]["data"]))
    assert decoded["intake"]["reporter"]["email"] == EMAIL
    assert decoded["intake"]["error_messages"] == [ERROR]


async def test_the_unencrypted_control_case_does_show_the_contact_in_clear(
    env: WorkflowEnvironment, client: Client, worker: object, task_queue: str
) -> None:
    """Proves the leak check above can see a leak: the same case without keys."""
    case = personal_intake(logged_at=await env.get_current_time())
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    reference = case.reference
    await api.send(
        client, reference, "withdraw", Withdraw(request_id=request_id(), reason="x"), actor=DESK
    )
    history = await api.handle_for(client, reference).fetch_history()

    assert NAME in leaks(history) and EMAIL in leaks(history) and ERROR in leaks(history)
