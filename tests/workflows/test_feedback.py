"""Feedback (DESIGN §12) on the time-skipping server: an unhappy integrator asks for the
Customer Care Team; the team is notified, the ledger keeps the rating, and the KPI report
counts it."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.ledger import Ledger
from domain.models import Acknowledge, GiveFeedback, Withdraw
from sims_support.cli.main import build_parser
from sims_support.cli.report import dispatch as dispatch_report
from sims_support.client import cases
from sims_support.client.errors import ClientError
from sims_support.config import Settings
from tests.conftest import Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake, integrator_of
from tests.workflows.helpers import MONDAY, request_id, send, until

pytestmark = pytest.mark.usefixtures("worker")


async def test_a_low_rating_escalated_to_customer_care_is_notified_kept_and_reported(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str, ledger: Ledger
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    integrator = {"id": f"INT-FB-{uuid.uuid4().hex[:6]}", "name": "Feedback Ltd"}
    integrator["support_agreement_expires"] = "2099-03-31"
    case = intake(logged_at=monday, integrator=integrator)
    await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    unhappy = GiveFeedback(
        request_id=request_id(),
        rating=1,
        comment="three days without an answer",
        escalate="customer_care",
    )

    answer = await cases.send(
        client, case.reference, "give_feedback", unhappy, actor=integrator_of(case)
    )

    assert [(e.kind, e.actor) for e in answer.timeline] == [("feedback_given", integrator_of(case))]
    given = (await cases.status(client, case.reference)).timeline[-1]  # whole, not previewed
    assert given.detail == "rating 1/5, escalated to customer_care: three days without an answer"
    await until(lambda: "feedback_to_customer_care" in outbox.kinds(case.reference))
    sent = next(n for n in outbox.of(case.reference) if n.kind == "feedback_to_customer_care")
    assert sent.recipient == "customer_care_team"
    assert "three days without an answer" in sent.message
    await until(lambda: bool(ledger.feedback_on(case.reference)))
    [row] = ledger.feedback_on(case.reference)
    assert (row.rating, row.escalate, row.by_role, row.by_id) == (
        1,
        "customer_care",
        "integrator",
        integrator["id"],
    )
    assert row.priority == case.priority and not row.after_resolution
    # The same feedback again (a retry) changes nothing, and nothing is sent twice.
    await cases.send(client, case.reference, "give_feedback", unhappy, actor=integrator_of(case))
    # The desk cannot rate its own service.
    with pytest.raises(ClientError) as desk:
        happy = GiveFeedback(request_id=request_id(), rating=5)
        await cases.send(client, case.reference, "give_feedback", happy, actor=DESK)
    assert desk.value.type == "NotAllowed"

    day = monday.date()
    argv = ["report", "--from", str(day), "--to", str(day + dt.timedelta(days=7))]
    argv += ["--ledger", ledger.url.render_as_string(), "--integrator", integrator["id"]]
    now = await env.get_current_time()
    as_json = build_parser().parse_args([*argv, "--format", "json"])
    report = json.loads(await dispatch_report(as_json, Settings(), now))
    table = await dispatch_report(build_parser().parse_args(argv), Settings(), now)

    by_priority = {f["priority"]: f for f in report["feedback"]}
    assert by_priority[case.priority.name] == {
        "priority": case.priority.name,
        "count": 1,
        "mean_rating": 1.0,
    }
    assert outbox.kinds(case.reference).count("feedback_to_customer_care") == 1
    assert len(ledger.feedback_on(case.reference)) == 1
    assert "mean rating" in table
    await send(client, case.reference, "withdraw", Withdraw(request_id=request_id(), reason="x"))
