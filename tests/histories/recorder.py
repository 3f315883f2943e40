"""What `tests.histories.record` drives the workflows with: the recorder, the test key,
and the sample intake its scenarios open."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import CaseRequest, OfferResolution, OpenCase
from sims_support.client import cases as api
from sims_support.security.codec import Keyring
from tests.factories import DESK

HERE = Path(__file__).parent
LONDON = ZoneInfo("Europe/London")
# A test key, committed on purpose: it protects nothing but these recordings.
TEST_KEYS = "histories-2026:fco94qbhSHxQNW+zXaD0ctp4H6OBhKf0MTTjZVfn0rk="
TEST_KEYRING = Keyring.parse(TEST_KEYS)
QUEUE, ENCRYPTED_QUEUE = "histories", "histories-encrypted"
# Ten working days and then some, whatever the date: two weekends and Christmas's three
# bank holidays fit in 21 days (16 did not, recording in December).
TEN_WORKING_DAYS = dt.timedelta(days=21)


def intake(reference: str, logged_at: dt.datetime, **overrides: Any) -> OpenCase:
    fields: dict[str, Any] = {
        "reference": reference,
        "case_type": "incident",
        "impact": 3,
        "urgency": 2,
        "channel": "portal",
        "logged_at": logged_at,
        "integrator": {"id": "INT-042", "name": "Acme", "support_agreement_expires": "2099-01-01"},
        "reporter": {"name": "Priya Shah", "email": "priya@acme.example", "phone": "0123"},
        "school": {"urn": "123456", "name": "Hilltop Academy"},
        "summary": "Attendance API returns 500 for marks write-back",
        "apis": ["Attendance API"],
        "error_messages": ["HTTP 500 Internal Server Error"],
    }
    fields.update(overrides)
    return OpenCase.model_validate(fields)


class Recorder:
    def __init__(self, env: WorkflowEnvironment, encrypted: Client) -> None:
        self.env, self.client, self.encrypted = env, env.client, encrypted
        self.recorded: list[tuple[Client, str, str | None]] = []

    async def monday(self, weeks_ahead: int = 1) -> dt.datetime:
        """10:00 London on a Monday at least `weeks_ahead` weeks on (time only moves forward)."""
        now = (await self.env.get_current_time()).astimezone(LONDON)
        day = now.date() + dt.timedelta(days=7 * weeks_ahead - now.weekday())
        target = dt.datetime.combine(day, dt.time(10), LONDON)
        await self.env.sleep(target - await self.env.get_current_time())
        return target

    async def send(
        self, reference: str, steps: list[tuple[str, CaseRequest]], client: Client | None = None
    ) -> None:
        for event, request in steps:
            await api.send(client or self.client, reference, event, request, actor=DESK)

    def keep(
        self, workflow_id: str, client: Client | None = None, run_id: str | None = None
    ) -> None:
        self.recorded.append((client or self.client, workflow_id, run_id))

    async def until_state(self, reference: str, state: str, client: Client | None = None) -> None:
        """Wait (10 s at most) for the case to reach `state`, as news from its problem moves it."""
        for _ in range(200):
            if (await api.case_status(client or self.client, reference)).state == state:
                return
            await asyncio.sleep(0.05)

    async def finished(self, handle_result: Callable[[], Awaitable[Any]]) -> None:
        await asyncio.wait_for(handle_result(), timeout=60)

    async def write(self) -> list[Path]:
        paths = []
        for client, workflow_id, run_id in self.recorded:
            history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
            name = workflow_id + ("-first-run" if run_id else "")
            path = HERE / f"{name}.json"
            path.write_text(history.to_json() + "\n")
            paths.append(path)
        return paths


def offer(request_id: str, kind: str = "workaround") -> OfferResolution:
    return OfferResolution(request_id=request_id, kind=kind, summary="re-run the marks sync")
