"""A case from logging to Resolved: offers, reopens, acceptance, withdrawal, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import (
    AcceptResolution,
    Acknowledge,
    EscalateToProblem,
    OfferResolution,
    PostUpdate,
    ProvideInformation,
    Reopen,
    RequestInformation,
    Withdraw,
)
from sims_support.client import cases as api
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake
from tests.workflows.helpers import MONDAY, accepted_updates, london, request_id, send

pytestmark = pytest.mark.usefixtures("worker")


async def investigating_case(env: WorkflowEnvironment, client: Client, task_queue: str) -> str:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    return case.reference


def offer(kind: str = "workaround") -> OfferResolution:
    return OfferResolution(request_id=request_id(), kind=kind, summary="re-run the marks sync")


async def test_an_offered_resolution_becomes_resolved_after_ten_working_days(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    reference = await investigating_case(env, client, task_queue)
    offered = await send(client, reference, "offer_resolution", offer())
    expiry = next(c for c in offered.clocks if c.name == "resolution_offered").deadline
    assert expiry is not None

    await move_clock_to(env, expiry - dt.timedelta(minutes=1))
    assert (await api.case_status(client, reference)).state == "resolution_offered"
    # Only handles from start_workflow skip time while awaiting a result: move it here.
    await move_clock_to(env, expiry + dt.timedelta(minutes=1))
    outcome = await api.handle_for(client, reference).result()

    assert outcome.state == "resolved"
    assert outcome.closed_at >= expiry
    assert outcome.reopen_count == 0
    assert outcome.resolution_kind == "workaround"
    assert outbox.kinds(reference)[-2:] == ["resolution_offered", "resolved"]


async def test_an_integrator_reopens_inside_the_window_and_later_accepts_early(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await investigating_case(env, client, task_queue)
    monday = (await api.case_status(client, reference)).logged_at.date()
    await move_clock_to(env, london(monday, 15))
    await send(client, reference, "offer_resolution", offer())

    await move_clock_to(env, london(monday + dt.timedelta(days=3), 10))
    reopened = await send(client, reference, "reopen", Reopen(request_id=request_id(), reason="no"))
    await move_clock_to(env, london(monday + dt.timedelta(days=4), 12))
    await send(client, reference, "offer_resolution", offer("upgrade"))
    await send(client, reference, "accept_resolution", AcceptResolution(request_id=request_id()))
    outcome = await api.handle_for(client, reference).result()

    assert reopened.state == "investigating" and reopened.reopen_count == 1
    assert outcome.state == "resolved"
    assert outcome.reopen_count == 1
    assert outcome.resolution_kind == "upgrade"
    # Logged Monday 10:00, finally offered Friday 12:00: 7 + 3 x 8.5 + 3.5 working hours.
    assert outcome.resolution_working_time is not None
    assert abs(outcome.resolution_working_time - dt.timedelta(hours=36)) < dt.timedelta(seconds=5)


async def test_a_resolved_case_cannot_be_reopened_and_the_integrator_is_told_what_to_do(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await investigating_case(env, client, task_queue)
    await send(client, reference, "offer_resolution", offer())
    await send(client, reference, "accept_resolution", AcceptResolution(request_id=request_id()))
    await api.handle_for(client, reference).result()

    with pytest.raises(api.CaseRefused) as refused:
        await send(client, reference, "reopen", Reopen(request_id=request_id(), reason="back"))

    assert refused.value.type == "ReopenWindowClosed"
    assert f"log a new case quoting reference {reference}" in str(refused.value)


async def test_an_integrator_may_withdraw_a_case_before_it_is_resolved(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await investigating_case(env, client, task_queue)

    await send(client, reference, "withdraw", Withdraw(request_id=request_id(), reason="fixed"))
    outcome = await api.handle_for(client, reference).result()

    assert outcome.state == "withdrawn"
    assert outcome.resolution_working_time is None


async def test_events_the_state_does_not_allow_are_refused_and_leave_no_trace(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    not_yet = {
        "post_update": PostUpdate(request_id=request_id(), message="hi"),
        "request_information": RequestInformation(request_id=request_id(), message="?"),
        "provide_information": ProvideInformation(request_id=request_id(), message="!"),
        "escalate_to_problem": EscalateToProblem(
            request_id=request_id(), problem_reference="PRB-1"
        ),
        "offer_resolution": offer(),
        "accept_resolution": AcceptResolution(request_id=request_id()),
        "reopen": Reopen(request_id=request_id(), reason="again"),
    }

    for event, request in not_yet.items():
        with pytest.raises(api.CaseRefused) as refused:
            await send(client, case.reference, event, request)
        assert refused.value.type == "InvalidTransition", event
        assert event in str(refused.value) and "logged" in str(refused.value)

    assert await accepted_updates(client, case.reference) == ["opened"]
    assert (await api.case_status(client, case.reference)).state == "logged"


async def test_a_repeated_request_id_changes_nothing(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    reference = await investigating_case(env, client, task_queue)
    same = offer()

    first = await send(client, reference, "offer_resolution", same)
    again = await send(client, reference, "offer_resolution", same)

    # An update answers with what it recorded (DESIGN §5): the retry, nothing.
    assert [e.kind for e in first.timeline] == ["resolution_offered"]
    assert (again.timeline, again.timeline_total) == ([], first.timeline_total)
    whole = await api.case_status(client, reference)
    assert [e.kind for e in whole.timeline].count("resolution_offered") == 1
    assert len(whole.timeline) == first.timeline_total
    assert outbox.kinds(reference).count("resolution_offered") == 1


async def test_opening_the_same_reference_twice_is_refused_and_one_case_exists(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    first_run = (await api.handle_for(client, case.reference).describe()).run_id

    with pytest.raises(api.CaseRefused) as refused:
        await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)

    assert refused.value.type == "CaseAlreadyOpen"
    assert case.reference in str(refused.value)
    assert (await api.handle_for(client, case.reference).describe()).run_id == first_run


async def test_a_case_logged_in_the_future_is_refused(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    now = await env.get_current_time()
    case = intake(logged_at=now + dt.timedelta(hours=2))

    with pytest.raises(api.CaseRefused) as refused:
        await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)

    assert refused.value.type == "LoggedAtInFuture"
    assert "logged_at" in str(refused.value)
