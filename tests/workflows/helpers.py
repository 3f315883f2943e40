"""Small steps the case tests share: move the clock, wait for a notification, send events."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.actors import Actor
from domain.models import CaseRequest, CaseStatus
from sims_support.client import cases
from tests.factories import DESK, LONDON

MONDAY, FRIDAY = 0, 4
_ids = itertools.count(1)


def request_id() -> str:
    return f"req-{next(_ids)}"


async def until(predicate: Callable[[], bool], seconds: float = 15.0) -> None:
    """Wait (real time, bounded) for the worker to catch up with a skipped clock."""
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    assert predicate(), "condition not reached in time"


def london(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), LONDON)


async def send(
    client: Client, reference: str, event: str, request: CaseRequest, actor: Actor = DESK
) -> CaseStatus:
    """As the desk, unless the request or the test names someone else."""
    return await cases.send(client, reference, event, request, actor=request.actor or actor)


def clock(status: CaseStatus, name: str) -> tuple[dt.datetime | None, str]:
    found = next(c for c in status.clocks if c.name == name)
    return found.deadline, found.status.value


async def accepted_updates(client: Client, reference: str) -> list[str]:
    """The names of the updates the workflow's history records (rejected ones leave none)."""
    history = await cases.handle_for(client, reference).fetch_history()
    return [
        event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]


def near(actual: dt.datetime | None, expected: dt.datetime, seconds: float = 5.0) -> bool:
    """Instants that follow an event sent 'now' carry the test's own few milliseconds."""
    return actual is not None and abs(actual - expected) <= dt.timedelta(seconds=seconds)
