"""A change request's record: what it takes, what it refuses, how votes count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from domain import refusals
from domain.change_requests import (
    CrEventKind,
    Decision,
    Deliver,
    MarkDuplicate,
    MergeVotes,
    Plan,
    Unvote,
)
from domain.cr_record import (
    ChangeRequestRecord,
    ChangeRequestRefused,
    InvalidDuplicate,
    NotReady,
    RaisedAtInFuture,
    VotingClosed,
    voters,
)
from domain.machines import InvalidTransition
from tests.cr_records import NOW, decision, published, raised, rid, vote


def test_an_integrator_votes_once_however_often_they_ask() -> None:
    record = published()

    record.apply("vote", vote("INT-1"), NOW)
    record.apply("vote", vote("INT-1"), NOW)
    record.apply("vote", vote("INT-2"), NOW)

    assert voters(record.events) == ["INT-1", "INT-2"]


def test_a_withdrawn_vote_no_longer_counts_and_a_retry_does_not_bring_it_back() -> None:
    record = published()
    first = vote("INT-1")
    record.apply("vote", first, NOW)

    record.apply("unvote", Unvote(request_id=rid(), integrator_id="INT-1"), NOW)
    record.apply("vote", first, NOW)  # the same request id again: a no-op

    assert voters(record.events) == []


def test_withdrawing_a_vote_never_cast_changes_nothing() -> None:
    record = published()

    record.apply("unvote", Unvote(request_id=rid(), integrator_id="INT-9"), NOW)

    assert [e.kind for e in record.events] == [CrEventKind.PUBLISHED]


@pytest.mark.parametrize("final", ["rejected", "duplicate", "delivered"])
def test_voting_is_closed_once_the_request_is_finished(final: str) -> None:
    record = published()
    record.state = final

    with pytest.raises(VotingClosed, match="closed"):
        record.check("vote", vote("INT-1"))


def test_voting_closes_when_the_request_is_planned() -> None:
    record = published()
    record.apply("consider", decision(), NOW)
    record.apply("plan", decision(Plan, target_release="2027.1"), NOW)

    with pytest.raises(VotingClosed):
        record.check("vote", vote("INT-1"))


def test_every_decision_records_who_decided_why_and_what_it_named() -> None:
    record = published()
    record.apply("consider", decision(), NOW)
    record.apply("plan", decision(Plan, target_release="2027.1"), NOW)

    delivered = record.apply("deliver", decision(Deliver, release_version="7.220"), NOW)

    assert record.state == "delivered"
    assert delivered is not None
    assert (delivered.kind, delivered.by, delivered.detail) == (
        CrEventKind.DELIVERED,
        "pm-ann",
        "customer groups",
    )
    assert delivered.facts == {"release_version": "7.220"}


def test_delivering_before_planning_is_refused_and_changes_nothing() -> None:
    record = published()

    with pytest.raises(InvalidTransition):
        record.apply("deliver", decision(Deliver, release_version="7.220"), NOW)

    assert record.state == "published_for_consultation"
    assert len(record.events) == 1


def test_a_request_cannot_duplicate_itself() -> None:
    with pytest.raises(InvalidDuplicate, match="original_reference"):
        published().check("mark_duplicate", decision(MarkDuplicate, original_reference="CR-100"))


def test_nothing_is_taken_before_the_request_is_published() -> None:
    with pytest.raises(NotReady):
        ChangeRequestRecord(raised()).check("vote", vote("INT-1"))


def test_a_request_raised_in_the_future_is_refused() -> None:
    record = ChangeRequestRecord(raised(raised_at=NOW + dt.timedelta(hours=1)))

    with pytest.raises(RaisedAtInFuture, match="raised_at"):
        record.publish(NOW)


def test_a_duplicates_voters_count_once_on_the_original_and_only_once_merged() -> None:
    record = published()
    record.apply("vote", vote("INT-1"), NOW)
    merge = MergeVotes(duplicate_reference="CR-200", integrator_ids=["INT-1", "INT-2", "INT-2"])

    record.merge(merge, NOW)
    record.apply("unvote", Unvote(request_id=rid(), integrator_id="INT-2"), NOW)
    record.merge(merge, NOW)  # handed over again: nothing changes

    assert voters(record.events) == ["INT-1"]
    linked = [e for e in record.events if e.kind is CrEventKind.DUPLICATE_LINKED]
    assert [e.facts["duplicate_reference"] for e in linked] == ["CR-200"]


def test_a_duplicate_linked_after_voting_closed_adds_no_votes() -> None:
    record = published()
    record.state = "rejected"

    record.merge(MergeVotes(duplicate_reference="CR-200", integrator_ids=["INT-1"]), NOW)

    assert voters(record.events) == []


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (MarkDuplicate, {}, "original_reference or workaround"),
        (Deliver, {}, "release_version"),
        (Decision, {"reason": ""}, "reason"),
        (Decision, {"decided_by": ""}, "decided_by"),
        (Decision, {"vote": 1}, "vote"),
        (MarkDuplicate, {"original_reference": "cr 1"}, "original_reference"),
    ],
)
def test_a_bad_decision_is_refused_naming_the_field(
    model: type[Decision], fields: dict[str, Any], field: str
) -> None:
    base = {"request_id": "r-1", "decided_by": "pm-ann", "reason": "why"}

    with pytest.raises(ValidationError, match=field):
        model.model_validate(base | fields)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"raised_at": "2026-12-01T10:00:00"}, "raised_at"),
        ({"reference": "cr-1"}, "reference"),
        ({"title": ""}, "title"),
        ({"priority": 1}, "priority"),
    ],
)
def test_a_bad_change_request_is_refused_naming_the_field(
    fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        raised(**fields)


def test_the_old_refusal_names_still_import_from_the_record() -> None:
    assert ChangeRequestRefused is refusals.ChangeRequestRefused
    assert issubclass(VotingClosed, ChangeRequestRefused)


def test_past_max_events_a_change_request_refuses_new_votes_but_takes_retries() -> None:
    from domain.actors import Actor, Role
    from domain.policy import SupportPolicy
    from domain.refusals import CaseTooLarge, IdempotencyKeyReused

    record = published()
    record.policy = SupportPolicy(max_events=3)  # published, and two votes
    votes = []
    for n in (1, 2):
        ballot = vote(f"INT-{n}").model_copy(
            update={"actor": Actor(role=Role.INTEGRATOR, id=f"INT-{n}")}
        )
        record.admit("vote", ballot)
        record.apply("vote", ballot, NOW)
        votes.append(ballot)
    third = vote("INT-3").model_copy(update={"actor": Actor(role=Role.INTEGRATOR, id="INT-3")})
    with pytest.raises(CaseTooLarge, match="max_events: change request"):
        record.admit("vote", third)
    record.admit("vote", votes[0])  # a retry still answers: a no-op
    with pytest.raises(IdempotencyKeyReused):
        record.admit("unvote", votes[0].model_copy(update={"integrator_id": "INT-1"}))
