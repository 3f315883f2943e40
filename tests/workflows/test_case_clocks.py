"""The charter's clocks on a live case: first response, update cadence, priority changes."""

from __future__ import annotations

import datetime as dt

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import (
    Acknowledge,
    ChangePriority,
    PostUpdate,
    ProvideInformation,
    RequestInformation,
)
from sims_support.client import cases as api
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, LONDON, intake, p1_incident
from tests.workflows.helpers import FRIDAY, MONDAY, clock, london, near, request_id, send, until


async def log_at(env: WorkflowEnvironment, weekday: int, at: dt.time) -> dt.datetime:
    when = quiet_weekday_at(await env.get_current_time(), weekday, at)
    await move_clock_to(env, when)
    return when


async def test_a_p1_incident_logged_at_ten_to_five_on_friday_breaches_on_monday_morning(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    friday = await log_at(env, FRIDAY, dt.time(16, 50))
    monday = friday.date() + dt.timedelta(days=3)
    case = p1_incident(logged_at=friday)

    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await until(lambda: outbox.kinds(case.reference) == ["call_task"])
    await env.sleep(dt.timedelta(minutes=30))  # wall clock +20 min is not the deadline

    assert outbox.kinds(case.reference) == ["call_task"]
    await move_clock_to(env, london(monday, 8, 34))
    assert outbox.kinds(case.reference) == ["call_task"]
    await move_clock_to(env, london(monday, 8, 36))
    await until(lambda: "response_warning" in outbox.kinds(case.reference))
    assert "response_breach" not in outbox.kinds(case.reference)
    await move_clock_to(env, london(monday, 8, 41))
    await until(lambda: "response_breach" in outbox.kinds(case.reference))

    warning, breach = outbox.of(case.reference)[-2:]
    assert warning.due == london(monday, 8, 35)
    assert breach.due == london(monday, 8, 40)
    status = await api.case_status(client, case.reference)
    assert clock(status, "response") == (london(monday, 8, 40), "breached")
    assert status.sla_breached


async def test_a_p1_incident_acknowledged_in_time_meets_its_response_target_quietly(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    friday = await log_at(env, FRIDAY, dt.time(16, 50))
    monday = friday.date() + dt.timedelta(days=3)
    case = p1_incident(logged_at=friday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)

    await move_clock_to(env, london(monday, 8, 32))
    status = await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    await env.sleep(dt.timedelta(hours=2))

    assert clock(status, "response") == (london(monday, 8, 40), "met")
    assert outbox.kinds(case.reference) == ["call_task"]
    assert not (await api.case_status(client, case.reference)).sla_breached


async def test_an_update_falls_due_after_five_working_days_and_escalates_one_day_later(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    monday = await log_at(env, MONDAY, dt.time(10, 0))
    next_monday = monday.date() + dt.timedelta(days=7)
    case = intake(logged_at=monday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))

    await move_clock_to(env, london(next_monday, 9, 59))
    assert "update_due" not in outbox.kinds(case.reference)
    await move_clock_to(env, london(next_monday, 10, 1))
    await until(lambda: "update_due" in outbox.kinds(case.reference))
    await move_clock_to(env, london(next_monday + dt.timedelta(days=1), 10, 1))
    await until(lambda: "update_overdue" in outbox.kinds(case.reference))

    overdue = outbox.of(case.reference)[-1]
    assert overdue.recipient == "partner_support_team_manager"
    assert near(overdue.due, london(next_monday + dt.timedelta(days=1), 10, 0))
    assert (await api.case_status(client, case.reference)).sla_breached


async def test_posting_an_update_restarts_the_cadence(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    monday = await log_at(env, MONDAY, dt.time(10, 0))
    case = intake(logged_at=monday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))

    await move_clock_to(env, london(monday.date() + dt.timedelta(days=4), 15, 0))
    update = PostUpdate(request_id=request_id(), message="still reproducing")
    status = await send(client, case.reference, "post_update", update)
    await move_clock_to(env, london(monday.date() + dt.timedelta(days=7), 10, 30))

    assert near(clock(status, "update")[0], london(monday.date() + dt.timedelta(days=11), 15, 0))
    assert "update_due" not in outbox.kinds(case.reference)


async def test_awaiting_information_pauses_the_cadence_and_chases_the_integrator(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    monday = await log_at(env, MONDAY, dt.time(10, 0))
    case = intake(logged_at=monday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    ask = RequestInformation(request_id=request_id(), message="which release are you on?")
    await send(client, case.reference, "request_information", ask)

    await move_clock_to(env, london(monday.date() + dt.timedelta(days=14), 10, 30))
    await until(lambda: outbox.kinds(case.reference).count("information_chaser") == 2)
    assert "update_due" not in outbox.kinds(case.reference)
    answer = ProvideInformation(request_id=request_id(), message="7.212")
    status = await send(client, case.reference, "provide_information", answer)

    chasers = [n.due for n in outbox.of(case.reference) if n.kind == "information_chaser"]
    assert near(chasers[0], london(monday.date() + dt.timedelta(days=7), 10, 0))
    assert near(chasers[1], london(monday.date() + dt.timedelta(days=14), 10, 0))
    # Five working days from the answer (Monday 10:30) is the next Monday 10:30.
    assert near(clock(status, "update")[0], london(monday.date() + dt.timedelta(days=21), 10, 30))
    assert status.paused_working_time > dt.timedelta(hours=80)


async def test_a_p1_incident_owes_an_update_every_four_working_hours(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    monday = await log_at(env, MONDAY, dt.time(10, 0))
    case = p1_incident(logged_at=monday)
    await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))

    await move_clock_to(env, london(monday.date(), 13, 59))
    assert "update_due" not in outbox.kinds(case.reference)
    await move_clock_to(env, london(monday.date(), 14, 1))
    await until(lambda: "update_due" in outbox.kinds(case.reference))

    assert near(outbox.of(case.reference)[-1].due, london(monday.date(), 14, 0))


async def test_raising_a_p4_to_a_p1_recomputes_its_deadline_from_the_logging_time(
    env: WorkflowEnvironment, client: Client, worker: object, outbox: Outbox, task_queue: str
) -> None:
    monday = await log_at(env, MONDAY, dt.time(10, 0))
    case = intake(logged_at=monday, impact=4, urgency=3)
    opened = await api.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    # 24 working hours: Monday 7 h, Tuesday 8.5 h, Wednesday 8.5 h to closing.
    assert clock(opened, "response")[0] == london(monday.date() + dt.timedelta(days=2), 17, 0)

    await move_clock_to(env, london(monday.date(), 10, 10))
    raise_it = ChangePriority(request_id=request_id(), impact=1, urgency=1, reason="all schools")
    status = await send(client, case.reference, "change_priority", raise_it)
    await move_clock_to(env, london(monday.date(), 10, 21))
    await until(lambda: "response_breach" in outbox.kinds(case.reference))

    assert status.priority == 1
    assert clock(status, "response") == (london(monday.date(), 10, 20), "pending")
    assert outbox.kinds(case.reference) == ["call_task", "response_warning", "response_breach"]
    assert outbox.of(case.reference)[-1].due.astimezone(LONDON) == london(monday.date(), 10, 20)
