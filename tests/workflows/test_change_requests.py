"""A change request through its three stages: decisions, votes, duplicates, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.change_requests import (
    Decision,
    Deliver,
    MarkDuplicate,
    MergeVotes,
    OpenChangeRequest,
    Plan,
    Review,
    Unvote,
    Vote,
)
from sims_support.client import change_requests as cr_api
from sims_support.client.errors import ClientError
from tests.conftest import Outbox
from tests.factories import DESK, new_reference
from tests.workflows.cr_helpers import (
    accepted_updates,
    close_change_requests,
    decision,
    raise_cr,
    send,
    vote,
)
from tests.workflows.helpers import request_id, until
from workflows import search
from workflows.contract import MERGE_VOTES

pytestmark = pytest.mark.usefixtures("worker", close_change_requests.__name__)
STAGE_1 = "published_for_consultation"

# The decisions that bring a request to each stage, and on to delivery.
TO_STAGE = {
    1: [],
    2: [("consider", Decision)],
    3: [("consider", Decision), ("plan", Plan)],
}


async def decide_up_to(client: Client, reference: str, stage: int) -> None:
    for event, model in TO_STAGE[stage]:
        await send(client, reference, event, decision(model))


async def test_a_request_is_considered_planned_and_delivered_and_its_raiser_hears_each_step(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    assert (cr.state, cr.stage, cr.votes) == (STAGE_1, 1, 0)

    await send(client, cr.reference, "review", decision(Review, reason="needs more votes"))
    considered = await send(client, cr.reference, "consider", decision())
    planned = await send(client, cr.reference, "plan", decision(Plan, target_release="2027.1"))
    await send(client, cr.reference, "deliver", decision(Deliver, release_version="7.220"))
    final = await cr_api.handle_for(client, cr.reference).result()

    assert (considered.stage, planned.stage, final.stage) == (2, 3, None)
    assert final.state == "delivered"
    assert (final.target_release, final.release_version) == ("2027.1", "7.220")
    decisions = [e for e in final.timeline if e.kind != "published"]
    assert [e.kind.value for e in decisions] == ["reviewed", "considered", "planned", "delivered"]
    assert all(e.by == "pm-ann" and e.detail for e in decisions)
    await until(lambda: outbox.kinds(cr.reference).count("cr_decided") == 3)
    assert "7.220" in outbox.of(cr.reference)[-1].message
    assert {n.recipient.value for n in outbox.of(cr.reference)} == {"integrator"}


@pytest.mark.parametrize("stage", [1, 2, 3])
async def test_a_request_may_be_rejected_at_every_stage_saying_who_and_why(
    env: WorkflowEnvironment, client: Client, task_queue: str, stage: int
) -> None:
    cr = await raise_cr(env, client, task_queue)
    await decide_up_to(client, cr.reference, stage)

    no = decision(reason="not enough votes")
    await send(client, cr.reference, "reject", no)
    final = await cr_api.handle_for(client, cr.reference).result()

    assert final.state == "rejected"
    rejected = final.timeline[-1]
    assert (rejected.kind.value, rejected.by, rejected.detail) == (
        "rejected",
        "pm-ann",
        "not enough votes",
    )
    assert rejected.request_id == no.request_id


async def test_a_duplicate_may_point_to_a_workaround_instead_of_an_original(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)

    await send(
        client, cr.reference, "mark_duplicate", decision(MarkDuplicate, workaround="use /codes")
    )
    final = await cr_api.handle_for(client, cr.reference).result()

    assert (final.state, final.workaround, final.original_reference) == (
        "duplicate",
        "use /codes",
        None,
    )


async def test_an_integrator_votes_once_and_may_withdraw_the_vote(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)

    await send(client, cr.reference, "vote", vote("INT-1"))
    twice = await send(client, cr.reference, "vote", vote("INT-1"))
    await send(client, cr.reference, "vote", vote("INT-2"))
    withdrawn = Unvote(request_id=request_id(), integrator_id="INT-1")
    after = await send(client, cr.reference, "unvote", withdrawn)

    assert (twice.votes, twice.voters) == (1, ["INT-1"])
    assert (after.votes, after.voters) == (1, ["INT-2"])
    handle = cr_api.handle_for(client, cr.reference)

    async def vote_count() -> int | None:
        return (await handle.describe()).typed_search_attributes.get(search.VOTE_COUNT)

    for _ in range(100):
        if await vote_count() == 1:
            break
        await env.sleep(0.1)
    assert await vote_count() == 1


async def test_a_duplicate_hands_its_votes_to_the_original_without_counting_anyone_twice(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    original = await raise_cr(env, client, task_queue)
    copy = await raise_cr(env, client, task_queue)
    for integrator in ("INT-1", "INT-2"):
        await send(client, original.reference, "vote", vote(integrator))
    for integrator in ("INT-2", "INT-3"):
        await send(client, copy.reference, "vote", vote(integrator))

    same = decision(MarkDuplicate, original_reference=original.reference)
    marked = await send(client, copy.reference, "mark_duplicate", same)
    await send(client, copy.reference, "mark_duplicate", same)  # a retry changes nothing
    await cr_api.handle_for(client, copy.reference).result()

    async def merged() -> bool:
        return (await cr_api.cr_status(client, original.reference)).duplicates != []

    for _ in range(100):
        if await merged():
            break
        await env.sleep(0.1)
    after = await cr_api.cr_status(client, original.reference)
    assert (marked.state, marked.original_reference) == ("duplicate", original.reference)
    assert after.voters == ["INT-1", "INT-2", "INT-3"]
    assert after.duplicates == [copy.reference]
    assert outbox.kinds(copy.reference).count("cr_decided") == 1


async def test_a_duplicate_of_an_unknown_request_is_refused(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)

    with pytest.raises(cr_api.CaseRefused) as refused:
        await send(
            client,
            cr.reference,
            "mark_duplicate",
            decision(MarkDuplicate, original_reference="CR-NOPE-404"),
        )

    assert refused.value.type == "UnknownOriginal"
    assert (await cr_api.cr_status(client, cr.reference)).state == STAGE_1


async def test_a_request_cannot_be_a_duplicate_of_itself(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)

    with pytest.raises(cr_api.CaseRefused) as refused:
        await send(
            client,
            cr.reference,
            "mark_duplicate",
            decision(MarkDuplicate, original_reference=cr.reference),
        )

    assert refused.value.type == "InvalidDuplicate"
    assert await accepted_updates(client, cr.reference) == ["opened"]


async def test_delivering_before_planning_is_refused_and_leaves_no_trace(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    await send(client, cr.reference, "consider", decision())

    with pytest.raises(cr_api.CaseRefused) as refused:
        await send(client, cr.reference, "deliver", decision(Deliver, release_version="7.220"))

    assert refused.value.type == "InvalidTransition"
    assert "deliver" in str(refused.value) and "considered" in str(refused.value)
    assert await accepted_updates(client, cr.reference) == ["opened", "consider"]


async def test_a_vote_after_rejection_is_refused_as_voting_closed_and_leaves_no_trace(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    await send(client, cr.reference, "reject", decision(reason="out of scope"))

    with pytest.raises(cr_api.CaseRefused) as refused:
        await send(client, cr.reference, "vote", vote("INT-1"))
    with pytest.raises(cr_api.CaseRefused) as decided:
        await send(client, cr.reference, "consider", decision())

    assert refused.value.type == "VotingClosed"
    assert decided.value.type == "InvalidTransition"
    assert await accepted_updates(client, cr.reference) == ["opened", "reject"]


async def test_voting_closes_once_the_request_is_planned(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    await decide_up_to(client, cr.reference, 3)

    with pytest.raises(cr_api.CaseRefused) as refused:
        await send(client, cr.reference, "vote", vote("INT-1"))

    assert refused.value.type == "VotingClosed"
    assert await accepted_updates(client, cr.reference) == ["opened", "consider", "plan"]


async def test_a_repeated_decision_changes_nothing(
    env: WorkflowEnvironment, client: Client, outbox: Outbox, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    same = decision()

    first = await send(client, cr.reference, "consider", same)
    again = await send(client, cr.reference, "consider", same)

    # Each answer holds what its update recorded: the decision, then nothing.
    assert [e.kind for e in first.timeline] == ["considered"]
    assert (again.timeline, again.timeline_total, again.state) == ([], 2, first.state)
    await until(lambda: "cr_decided" in outbox.kinds(cr.reference))
    assert outbox.kinds(cr.reference) == ["cr_decided"]


async def test_raising_the_same_reference_twice_is_refused_and_one_request_exists(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    first_run = (await cr_api.handle_for(client, cr.reference).describe()).run_id
    again = OpenChangeRequest(
        reference=cr.reference, title=cr.title, raised_by=cr.raised_by, raised_at=cr.raised_at
    )

    with pytest.raises(cr_api.CaseRefused) as refused:
        await cr_api.open_change_request(client, again, opened_by=DESK, task_queue=task_queue)

    assert refused.value.type == "ChangeRequestAlreadyOpen"
    assert (await cr_api.handle_for(client, cr.reference).describe()).run_id == first_run


async def test_a_request_raised_in_the_future_is_refused(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    later = await env.get_current_time() + dt.timedelta(hours=2)
    request = OpenChangeRequest(
        reference=new_reference("CR"), title="Codes", raised_by="INT-1", raised_at=later
    )

    with pytest.raises(cr_api.CaseRefused) as refused:
        await cr_api.open_change_request(client, request, opened_by=DESK, task_queue=task_queue)

    assert refused.value.type == "RaisedAtInFuture"
    assert "raised_at" in str(refused.value)


async def test_an_unknown_request_is_reported_as_such(client: Client) -> None:
    with pytest.raises(cr_api.NoSuchCase) as missing:
        await cr_api.cr_status(client, "CR-NEVER-RAISED")

    assert missing.value.type == "NoSuchChangeRequest"


async def test_a_request_id_reused_for_another_vote_or_decision_is_refused(
    env: WorkflowEnvironment, client: Client, task_queue: str
) -> None:
    cr = await raise_cr(env, client, task_queue)
    first = vote("INT-1")
    await send(client, cr.reference, "vote", first)
    await send(client, cr.reference, "vote", first)  # a retry: taken, a no-op
    reused = [
        ("vote", Vote(request_id=first.request_id, integrator_id="INT-2")),
        ("unvote", Unvote(request_id=first.request_id, integrator_id="INT-1")),
    ]
    for event, request in reused:
        with pytest.raises(ClientError) as refused:
            await send(client, cr.reference, event, request)
        assert refused.value.type == "IdempotencyKeyReused"
    after = await cr_api.status(client, cr.reference)
    assert (after.votes, after.voters) == (1, ["INT-1"])


async def test_merged_votes_past_their_bounds_are_dropped_and_the_request_goes_on(
    env: WorkflowEnvironment, client: Client, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    # DESIGN §13: a signal whose input breaks the bounds is dropped, never applied (the
    # worker's metrics count it: tests/workflows/test_metrics.py counts a case's).
    raised = await raise_cr(env, client, task_queue)
    handle = cr_api.handle_for(client, raised.reference)
    bad = MergeVotes.model_construct(
        duplicate_reference=new_reference("CR"), integrator_ids=["INT-001", "not an id!"]
    )
    await handle.signal(MERGE_VOTES, bad)
    await send(client, raised.reference, "vote", vote("INT-777"))

    after = await cr_api.status(client, raised.reference)
    assert (after.votes, after.voters) == (1, ["INT-777"])
    assert after.duplicates == []
    [dropped] = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped.startswith("signal merge_votes dropped, its input breaks its bounds")
    assert "integrator_ids.1:" in dropped
