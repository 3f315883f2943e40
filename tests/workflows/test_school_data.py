"""School data on a case: the copy, its transfer, sharing with support partners, and
every approval, refusal and expiry in the timeline (DESIGN §8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.models import EventKind, Withdraw
from domain.school_data import (
    AccessState,
    ApprovePartnerAccess,
    RecordDataTransfer,
    RefusePartnerAccess,
    RequestPartnerAccess,
    RequestSchoolData,
    SchoolData,
)
from sims_support.client import cases as api
from sims_support.client.school import school_data, send_school
from tests.conftest import move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake
from tests.workflows.helpers import MONDAY, accepted_updates, request_id

pytestmark = pytest.mark.usefixtures("worker")
SSU = {"name": "Sam Okafor", "email": "ssu@hilltop.example", "role": "school_support_unit"}
SFTP = "sftp://transfer.example.org/inbound/123456/hilltop-2026-11-30.bak"


async def school_case(
    env: WorkflowEnvironment, client: Client, task_queue: str, **reporter: Any
) -> str:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday, reporter=reporter or SSU)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    return case.reference


async def with_copy(env: WorkflowEnvironment, client: Client, task_queue: str) -> str:
    reference = await school_case(env, client, task_queue)
    ask = RequestSchoolData(request_id="copy-1", purpose="reproduce the marks write-back")
    await send_school(client, reference, "request_school_data", ask, actor=DESK)
    return reference


# The factory's case belongs to integrator INT-042 and school 123456.
THE_SCHOOL = Actor(role=Role.SCHOOL, id="123456")
THE_INTEGRATOR = Actor(role=Role.INTEGRATOR, id="INT-042")


def share(country: str, rid: str | None = None) -> RequestPartnerAccess:
    return RequestPartnerAccess(
        request_id=rid or request_id(),
        partner="Offshore Support Ltd",
        country=country,
        purpose="second-line analysis",
    )


def approve(access: str, by: str = "head@hilltop.example") -> ApprovePartnerAccess:
    return ApprovePartnerAccess(
        request_id=request_id(), access_request_id=access, approver="school", approved_by=by
    )


async def timeline(client: Client, reference: str) -> list[tuple[EventKind, str]]:
    status = await api.case_status(client, reference)
    return [(e.kind, e.detail) for e in status.timeline]


async def close(client: Client, reference: str) -> None:
    end = Withdraw(request_id=request_id(), reason="test over")
    await api.send(client, reference, "withdraw", end, actor=DESK)
    await api.handle_for(client, reference).result()


async def test_a_case_the_school_logged_gets_a_copy_and_its_transfer_is_recorded_by_reference(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await with_copy(env, client, task_queue)
    transfer = RecordDataTransfer(
        request_id=request_id(), data_request_id="copy-1", sftp_reference=SFTP
    )
    recorded = await send_school(client, reference, "record_data_transfer", transfer, actor=DESK)
    again = await send_school(
        client, reference, "record_data_transfer", transfer, actor=DESK
    )  # a retry

    assert recorded.data_requests[0].transfers == (SFTP,)
    assert again == recorded == await school_data(client, reference)
    kinds = [kind for kind, _ in await timeline(client, reference)]
    assert kinds[-2:] == [EventKind.SCHOOL_DATA_REQUESTED, EventKind.DATA_TRANSFER_RECORDED]
    assert (EventKind.DATA_TRANSFER_RECORDED, f"copy-1: {SFTP}") in await timeline(
        client, reference
    )
    await close(client, reference)


async def test_a_case_the_integrator_logged_is_refused_a_copy_with_the_charters_rule(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await school_case(
        env, client, task_queue, name="Priya Shah", email="priya@acme.example"
    )
    ask = RequestSchoolData(request_id=request_id(), purpose="reproduce")

    with pytest.raises(api.CaseRefused) as refused:
        await send_school(client, reference, "request_school_data", ask, actor=DESK)

    assert refused.value.type == "SchoolDataNotAllowed"
    assert "only when the school logged the case through its support unit" in str(refused.value)
    assert "request_school_data" not in await accepted_updates(client, reference)
    assert await school_data(client, reference) == SchoolData()
    await close(client, reference)


async def test_a_transfer_or_a_share_without_a_copy_and_an_unknown_approval_are_refused(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await school_case(env, client, task_queue)
    transfer = RecordDataTransfer(
        request_id=request_id(), data_request_id="nope", sftp_reference=SFTP
    )
    attempts = [
        ("record_data_transfer", transfer, "UnknownDataRequest", DESK),
        ("request_partner_access", share("IN"), "UnknownDataRequest", DESK),
        ("approve_partner_access", approve("nope"), "UnknownAccessRequest", THE_SCHOOL),
    ]
    for event, request, expected, actor in attempts:
        with pytest.raises(api.CaseRefused) as refused:
            await send_school(client, reference, event, request, actor=actor)
        assert refused.value.type == expected
    assert await school_data(client, reference) == SchoolData()
    await close(client, reference)


async def test_sharing_inside_the_eea_needs_no_approval_outside_it_one_per_instance(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await with_copy(env, client, task_queue)
    await send_school(
        client, reference, "request_partner_access", share("IE", "share-ie"), actor=DESK
    )
    await send_school(
        client, reference, "request_partner_access", share("IN", "share-in-1"), actor=DESK
    )
    pending = await send_school(
        client, reference, "request_partner_access", share("IN", "share-in-2"), actor=DESK
    )
    approval = approve("share-in-1")
    approved = await send_school(
        client, reference, "approve_partner_access", approval, actor=THE_SCHOOL
    )
    retried = await send_school(
        client, reference, "approve_partner_access", approval, actor=THE_SCHOOL
    )
    with pytest.raises(api.CaseRefused) as twice:
        await send_school(
            client, reference, "approve_partner_access", approve("share-in-1"), actor=THE_SCHOOL
        )

    states = [(a.request_id, a.state) for a in approved.partner_access]
    assert [a.state for a in pending.partner_access] == [
        AccessState.NOT_NEEDED,
        AccessState.PENDING,
        AccessState.PENDING,
    ]
    assert states == [
        ("share-ie", AccessState.NOT_NEEDED),
        ("share-in-1", AccessState.APPROVED),  # this instance only: the next one still waits
        ("share-in-2", AccessState.PENDING),
    ]
    assert retried == approved
    assert twice.value.type == "AccessAlreadyDecided"
    details = [
        d for k, d in await timeline(client, reference) if k is EventKind.PARTNER_ACCESS_APPROVED
    ]
    assert details == [
        "share-in-1: Offshore Support Ltd (IN) approved by head@hilltop.example (school)"
    ]
    await close(client, reference)


async def test_the_integrator_refuses_a_share_and_the_refusal_is_kept_in_the_timeline(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await with_copy(env, client, task_queue)
    await send_school(
        client, reference, "request_partner_access", share("US", "share-us"), actor=DESK
    )
    refusal = RefusePartnerAccess(
        request_id=request_id(),
        access_request_id="share-us",
        approver="integrator",
        refused_by="dpo@acme.example",
        reason="no data processing agreement with them",
    )
    refused = await send_school(
        client, reference, "refuse_partner_access", refusal, actor=THE_INTEGRATOR
    )
    with pytest.raises(api.CaseRefused) as late:
        await send_school(
            client, reference, "approve_partner_access", approve("share-us"), actor=THE_SCHOOL
        )

    assert refused.partner_access[0].state is AccessState.REFUSED
    assert refused.partner_access[0].decided_by == "dpo@acme.example"
    assert late.value.type == "AccessAlreadyDecided"
    assert (
        EventKind.PARTNER_ACCESS_REFUSED,
        "share-us: Offshore Support Ltd (US) refused by dpo@acme.example (integrator): "
        "no data processing agreement with them",
    ) in await timeline(client, reference)
    await close(client, reference)


async def test_a_share_nobody_decides_expires_after_ten_working_days(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await with_copy(env, client, task_queue)
    asked = await send_school(
        client, reference, "request_partner_access", share("IN", "share-x"), actor=DESK
    )
    expires = asked.partner_access[0].expires_at
    logged = (await api.case_status(client, reference)).logged_at

    assert expires is not None
    assert expires.date() == logged.date() + dt.timedelta(days=14)  # ten working days on
    await move_clock_to(env, expires - dt.timedelta(minutes=1))
    assert (await school_data(client, reference)).partner_access[0].state is AccessState.PENDING
    await move_clock_to(env, expires + dt.timedelta(minutes=1))

    async def lapsed() -> bool:
        return (await school_data(client, reference)).partner_access[0].state is AccessState.EXPIRED

    for _ in range(100):
        if await lapsed():
            break
        await env.sleep(dt.timedelta(seconds=1))
    with pytest.raises(api.CaseRefused) as late:
        await send_school(
            client, reference, "approve_partner_access", approve("share-x"), actor=THE_SCHOOL
        )

    assert await lapsed()
    assert late.value.type == "AccessAlreadyDecided" and "is expired" in str(late.value)
    expired = [
        (k, d)
        for k, d in await timeline(client, reference)
        if k is EventKind.PARTNER_ACCESS_EXPIRED
    ]
    assert expired == [
        (
            EventKind.PARTNER_ACCESS_EXPIRED,
            "share-x: Offshore Support Ltd (IN) not approved in time: the request lapsed, "
            "nothing shared",
        )
    ]
    await close(client, reference)


async def test_school_data_survives_continue_as_new(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday, reporter=SSU)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue, history_threshold=30)
    handle = api.handle_for(client, case.reference)
    first_run = (await handle.describe()).run_id
    ask = RequestSchoolData(request_id="copy-1", purpose="reproduce")
    await send_school(client, case.reference, "request_school_data", ask, actor=DESK)
    before = await send_school(
        client, case.reference, "request_partner_access", share("IN", "s1"), actor=DESK
    )
    for _ in range(20):
        if (await handle.describe()).run_id != first_run:
            break
        await send_school(client, case.reference, "request_partner_access", share("FR"), actor=DESK)

    after = await school_data(client, case.reference)
    assert (await handle.describe()).run_id != first_run
    assert after.partner_access[0] == before.partner_access[0]
    assert after.next_expiry == before.next_expiry
    await close(client, case.reference)
