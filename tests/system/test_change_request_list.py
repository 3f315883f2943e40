"""Product managers sort change requests by votes: VoteCount on the real dev server."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.actors import Actor, Role
from domain.change_requests import Decision, OpenChangeRequest, Vote
from sims_support.client import change_requests
from tests.factories import DESK, PRODUCT_MANAGER
from tests.system.conftest import Sims, unique

pytestmark = pytest.mark.timeout(120)


async def test_change_requests_are_listed_most_voted_first(sims: Sims) -> None:
    sims.start_worker()
    client = await Client.connect(sims.address, data_converter=pydantic_data_converter)
    votes = {unique("CR"): n for n in (1, 3, 0, 2)}
    for reference, count in votes.items():
        request = OpenChangeRequest(
            reference=reference,
            title="More attendance codes",
            raised_by="INT-1",
            raised_at=dt.datetime.now(dt.UTC),
        )
        await change_requests.open_change_request(
            client, request, opened_by=DESK, task_queue=sims.task_queue
        )
        for n in range(count):
            vote = Vote(request_id=f"{reference}-{n}", integrator_id=f"INT-{n}")
            await change_requests.send(
                client,
                reference,
                "vote",
                vote,
                actor=Actor(role=Role.INTEGRATOR, id=vote.integrator_id),
            )
    mine = sorted(votes, key=lambda r: -votes[r])

    rows: list[change_requests.ChangeRequestRow] = []
    for _ in range(100):  # visibility catches up in a moment
        listed = await change_requests.list_change_requests(client, change_requests.list_query())
        rows = [row for row in listed if row.reference in votes]
        if [row.votes for row in rows] == sorted(votes.values(), reverse=True):
            break
        await asyncio.sleep(0.3)

    assert [row.reference for row in rows] == mine
    assert {row.state for row in rows} == {"published_for_consultation"}
    rejected = Decision(request_id="no-1", decided_by="pm-ann", reason="not enough votes")
    for reference in votes:
        await change_requests.send(client, reference, "reject", rejected, actor=PRODUCT_MANAGER)
