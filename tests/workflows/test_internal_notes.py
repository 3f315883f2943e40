"""Desk notes (DESIGN §12): an internal `post_update` is for the desk only. It is no
contact with the integrator (the update cadence runs on), sends nothing, and is left out
of what an integrator or a school sees of the case."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.models import Acknowledge, PostUpdate, Visibility, Withdraw
from sims_support.client import cases
from sims_support.client.errors import NotFound
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake, integrator_of, school_of
from tests.workflows.helpers import MONDAY, clock, request_id, send, until

pytestmark = pytest.mark.usefixtures("worker")


def note(message: str) -> PostUpdate:
    return PostUpdate(request_id=request_id(), message=message, visibility=Visibility.INTERNAL)


async def acknowledged(env: WorkflowEnvironment, client: Client, task_queue: str) -> str:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday)
    await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    return case.reference


async def test_an_internal_note_leaves_the_update_cadence_running_and_sends_nothing(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    reference = await acknowledged(env, client, task_queue)
    due, _ = clock(await cases.status(client, reference), "update")
    assert due is not None
    await env.sleep(dt.timedelta(hours=1))
    sent_before = outbox.kinds(reference)

    noted = await send(client, reference, "post_update", note("rang the MIS team, no answer"))

    assert clock(noted, "update")[0] == due  # no contact: the deadline stands
    assert outbox.kinds(reference) == sent_before
    last = noted.timeline[-1]
    assert (last.kind, last.visibility, last.actor) == ("updated", "internal", DESK)
    # The update still falls due when the integrator heard nothing.
    await move_clock_to(env, due + dt.timedelta(minutes=1))
    await until(lambda: "update_due" in outbox.kinds(reference))
    # A public update is contact: the cadence starts again from it.
    public = PostUpdate(request_id=request_id(), message="we are testing a fix")
    after = await send(client, reference, "post_update", public)
    restarted, _ = clock(after, "update")
    assert restarted is not None and restarted > due
    await send(client, reference, "withdraw", Withdraw(request_id=request_id(), reason="over"))


async def test_an_integrator_or_a_school_sees_its_case_without_internal_events(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    reference = await acknowledged(env, client, task_queue)
    await send(client, reference, "post_update", note("suspect their proxy; do not share"))
    await send(
        client, reference, "post_update", PostUpdate(request_id=request_id(), message="on it")
    )
    case = intake(reference=reference)  # the factory's integrator and school

    desk = await cases.status(client, reference)
    for viewer in (integrator_of(case), school_of(case)):
        seen = await cases.status(client, reference, viewer=viewer)
        assert [e.visibility for e in seen.timeline] == ["public"] * len(seen.timeline)
        assert len(seen.timeline) == len(desk.timeline) - 1
        assert "proxy" not in seen.model_dump_json()
    internal = [e for e in desk.timeline if e.visibility is Visibility.INTERNAL]
    assert [e.detail for e in internal] == ["suspect their proxy; do not share"]
    with pytest.raises(NotFound) as hidden:
        await cases.status(client, reference, viewer=Actor(role=Role.INTEGRATOR, id="INT-999"))
    assert hidden.value.type == "NotYourCase"
    await send(client, reference, "withdraw", Withdraw(request_id=request_id(), reason="over"))
