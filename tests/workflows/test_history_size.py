"""A case's history grows with what is sent to it, not with the square of its updates
(DESIGN §5): each update answers with the events it recorded, not the whole timeline.
0.1 made 3.3 MB of history from 75 updates of 1 KB (45 times the text sent)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.models import Acknowledge, PostUpdate, Withdraw
from sims_support.client import cases
from tests.conftest import move_clock_to, quiet_weekday_at
from tests.factories import DESK, intake
from tests.workflows.helpers import MONDAY, request_id, send

pytestmark = pytest.mark.usefixtures("worker")
TEXT = 1_000


async def history_bytes(client: Client, reference: str) -> int:
    history = await cases.handle_for(client, reference).fetch_history()
    return sum(event.ByteSize() for event in history.events)


async def test_150_updates_of_1000_characters_make_a_history_linear_in_them(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    monday = quiet_weekday_at(await env.get_current_time(), MONDAY, dt.time(10, 0))
    await move_clock_to(env, monday)
    case = intake(logged_at=monday)
    await cases.open_case(client, case, opened_by=DESK, task_queue=task_queue)
    await send(client, case.reference, "acknowledge", Acknowledge(request_id=request_id()))
    sizes = [await history_bytes(client, case.reference)]
    for _ in range(3):
        for _ in range(50):
            note = PostUpdate(request_id=request_id(), message="u" * TEXT)
            await send(client, case.reference, "post_update", note)
        sizes.append(await history_bytes(client, case.reference))

    grown = [after - before for before, after in itertools.pairwise(sizes)]
    sent = 150 * TEXT
    print(f"history: {sizes} bytes; per 50 updates {grown}; {sizes[-1] / sent:.2f}x the text")
    assert sizes[-1] <= 3 * sent  # at most 3x the text sent, everything included
    # Linear: each batch of 50 adds about what the first did (a square would add 3x, 5x).
    assert max(grown) <= 1.2 * min(grown)
    await send(client, case.reference, "withdraw", Withdraw(request_id=request_id(), reason="x"))
