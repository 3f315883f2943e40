"""The worker's Prometheus endpoint (DESIGN §15), scraped during a P1 incident's life on
the time-skipping server: the SDK's metrics and each product metric with its labels and
counts. The worker caches no workflow, so every task is a replay of the whole history,
and then it restarts and a new one replays it again: no metric is counted twice."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.ledger import Ledger, LedgerActivities
from activities.problems import ProblemLinks
from activities.setup import SetupActivities
from domain.actors import Actor, Role
from domain.models import Acknowledge, Withdraw
from domain.notifications import Notification, NotificationKind
from domain.policy import SupportPolicy
from domain.problem_links import NEWS_MAX, NewsKind, ProblemNews
from sims_support.client import cases
from sims_support.client.errors import ClientError
from sims_support.config import Settings
from sims_support.runtime.converter import data_converter
from sims_support.runtime.metrics import runtime_for
from tests.conftest import CALENDAR, Outbox, move_clock_to, quiet_weekday_at
from tests.factories import DESK, p1_incident
from tests.prometheus import figure
from tests.workflows.helpers import MONDAY, request_id, send, until
from worker import create_worker
from workflows.contract import PROBLEM_NEWS


class RefusingCallTasks(Outbox):
    """The webhook as a receiver that refuses call tasks (a 4xx: not retried)."""

    @activity.defn(name="notify")
    async def notify(self, notification: Notification) -> None:
        self.sent.append(notification)
        if notification.kind is NotificationKind.CALL_TASK:
            raise ApplicationError("410 Gone: no call tasks here", non_retryable=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_metrics_endpoint_counts_a_cases_life_once_even_after_a_replay(
    env: WorkflowEnvironment, ledger: Ledger
) -> None:
    outbox = RefusingCallTasks()
    settings = Settings(_env_file=None, metrics_port=free_port())  # type: ignore[call-arg]
    runtime = runtime_for(settings)
    assert runtime is not None
    client = await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=data_converter(),
        runtime=runtime,
    )
    queue = f"metrics-{uuid.uuid4()}"
    activities = [
        outbox.notify,
        SetupActivities(SupportPolicy(), CALENDAR).load_case_setup,
        ProblemLinks(client).link_case_to_problem,
        LedgerActivities(ledger).record_case,
    ]
    endpoint = f"http://127.0.0.1:{settings.metrics_port}/metrics"

    async def scrape() -> str:
        async with httpx.AsyncClient() as http:
            return (await http.get(endpoint, timeout=5)).text

    expected = {
        ("sims_cases_opened_total", (("case_type", "incident"), ("priority", "P1"))): 1,
        ("sims_refusals_total", (("type", "NotAllowed"),)): 1,
        ("sims_signals_dropped_total", (("signal", PROBLEM_NEWS),)): 1,
        (
            "sims_sla_actions_total",
            (("clock", "response"), ("kind", "warning"), ("priority", "P1")),
        ): 1,
        (
            "sims_sla_actions_total",
            (("clock", "response"), ("kind", "breach"), ("priority", "P1")),
        ): 1,
        ("sims_notifications_total", (("kind", "call_task"), ("outcome", "refused"))): 1,
        ("sims_notifications_total", (("kind", "response_breach"), ("outcome", "delivered"))): 1,
    }

    def figures(text: str) -> dict[object, float]:
        return {key: figure(text, key[0], task_queue=queue, **dict(key[1])) for key in expected}

    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = p1_incident(logged_at=monday)
    # No workflow kept in the worker's cache: every task replays the case from its history.
    replaying = create_worker(client, queue, activities=activities, max_cached_workflows=0)
    async with replaying:
        await cases.open_case(client, case, opened_by=DESK, task_queue=queue)
        with pytest.raises(ClientError):  # an integrator cannot acknowledge
            integrator = Actor(role=Role.INTEGRATOR, id=case.integrator.id)
            ack = Acknowledge(request_id=request_id())
            await cases.send(client, case.reference, "acknowledge", ack, actor=integrator)
        # News past its bounds (DESIGN §13): dropped, never applied, and counted.
        oversized = ProblemNews.model_construct(
            news_id="problem-PRB-1:r1",
            problem_reference="PRB-1",
            kind=NewsKind.REVIEW_SCHEDULED,
            message="n" * (NEWS_MAX + 1),
        )
        await cases.handle_for(client, case.reference).signal(PROBLEM_NEWS, oversized)
        await move_clock_to(env, monday + dt.timedelta(minutes=25))  # warning and breach
        await until(lambda: "response_breach" in outbox.kinds(case.reference))
        await env.sleep(dt.timedelta(seconds=5))
        first = await scrape()
        assert figures(first) == expected, first
        assert "temporal_workflow_task_execution_latency" in first  # the SDK's own
        assert "temporal_request" in first
        timeline = (await cases.status(client, case.reference)).timeline
        assert "problem_news" not in [event.kind for event in timeline]
    # The worker restarts: the next task, on a new worker, replays the whole life again.
    async with create_worker(client, queue, activities=activities):
        end = Withdraw(request_id=request_id(), reason="x")
        await send(client, case.reference, "withdraw", end)
        again = await scrape()
    assert figures(again) == expected, again
    assert figure(again, "sims_cases_opened_total", task_queue=queue) == 1
