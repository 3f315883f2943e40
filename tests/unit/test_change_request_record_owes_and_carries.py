"""A change request's record: what it owes (reminders, decisions, a duplicate's votes)
and what a continued run takes over."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain.change_requests import (
    DECIDED,
    CrEventKind,
    Decision,
    Deliver,
    MarkDuplicate,
    MergeVotes,
    Plan,
    Review,
)
from domain.cr_record import ChangeRequestRecord
from domain.notifications import NotificationKind, Recipient
from domain.policy import SupportPolicy
from domain.workflow_inputs import ChangeRequestInput
from tests.cr_records import NOW, decision, published, vote
from workflows.contract import change_request_workflow_id

# Three months after NOW (the policy's review interval), and the day after.
REVIEW_DUE = dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2027, 3, 2, 9, 0, tzinfo=dt.UTC)
Kind = NotificationKind


def test_a_due_review_reminder_is_recorded_and_sent_once() -> None:
    record = published()
    record.apply("vote", vote("INT-1"), NOW)

    record.take_due(record.view(LATER), LATER)
    record.take_due(record.view(LATER), LATER)  # woken again: nothing more is due

    [reminder] = record.outbox
    assert (reminder.kind, reminder.recipient) == (
        NotificationKind.CR_REVIEW_DUE,
        Recipient.PRODUCT_MANAGER,
    )
    assert reminder.at == reminder.due == REVIEW_DUE
    assert reminder.key == "cr-CR-100:cr_review_due@2027-03-01T10:00:00+00:00"
    assert "a product-manager review is due; 1 vote " in reminder.message
    taken = [e for e in record.events if e.kind is CrEventKind.ACTION_TAKEN]
    assert [(e.at, e.detail) for e in taken] == [(LATER, "cr_review_due@2027-03-01T10:00:00+00:00")]


def test_nothing_is_taken_before_a_reminder_falls_due() -> None:
    record = published()
    early = REVIEW_DUE - dt.timedelta(minutes=1)

    record.take_due(record.view(early), early)

    assert record.outbox == []
    assert [e.kind for e in record.events] == [CrEventKind.PUBLISHED]


def test_a_notification_is_keyed_by_the_change_requests_workflow_id() -> None:
    record = published()
    record.apply("reject", decision(), NOW)
    record.take_due(record.view(LATER), LATER)  # rejected: no reminder either

    [told] = record.outbox
    assert told.key.startswith(f"{change_request_workflow_id('CR-100')}:")


# Each decision, the request it takes, and the decisions that lead to it.
DECISIONS: dict[str, tuple[type[Decision], dict[str, Any], list[str]]] = {
    "review": (Review, {}, []),
    "consider": (Decision, {}, []),
    "reject": (Decision, {}, []),
    "mark_duplicate": (MarkDuplicate, {"original_reference": "CR-050"}, []),
    "plan": (Plan, {"target_release": "2027.1"}, ["consider"]),
    "deliver": (Deliver, {"release_version": "7.220"}, ["consider", "plan"]),
}


def deciding(event: str) -> Any:
    model, fields, _ = DECISIONS[event]
    return decision(model, **fields)


def test_every_decision_is_listed_here() -> None:
    assert set(DECISIONS) == set(DECIDED)


@pytest.mark.parametrize("event", sorted(DECISIONS))
def test_every_decision_but_a_review_tells_the_raiser_once(event: str) -> None:
    record = published()
    for earlier in DECISIONS[event][2]:
        record.apply(earlier, deciding(earlier), NOW)
    record.outbox.clear()
    req = deciding(event)

    record.apply(event, req, NOW)
    record.apply(event, req, NOW)  # a retry: a no-op

    if event == "review":  # it keeps the request where it is
        assert record.outbox == []
    else:
        [told] = record.outbox
        assert told.kind is NotificationKind.CR_DECIDED
        assert told.recipient is Recipient.INTEGRATOR
        assert told.key == f"cr-CR-100:{DECIDED[event]}:{req.request_id}"
        assert "by pm-ann: customer groups" in told.message


def test_a_duplicate_owes_its_original_its_votes() -> None:
    record = published()
    record.apply("vote", vote("INT-1"), NOW)
    record.apply("vote", vote("INT-2"), NOW)

    record.apply("mark_duplicate", decision(MarkDuplicate, original_reference="CR-050"), NOW)

    assert record.merge_into == "CR-050"
    assert record.votes_to_hand_over() == MergeVotes(
        duplicate_reference="CR-100", integrator_ids=["INT-1", "INT-2"]
    )


def test_a_duplicate_naming_only_a_workaround_owes_no_votes() -> None:
    record = published()

    record.apply("mark_duplicate", decision(MarkDuplicate, workaround="use the CSV export"), NOW)

    assert record.merge_into is None


def test_votes_handed_over_are_owed_no_more() -> None:
    record = published()
    record.apply("mark_duplicate", decision(MarkDuplicate, original_reference="CR-050"), NOW)

    record.handed_over(NOW)

    assert record.merge_into is None
    assert record.events[-1].kind is CrEventKind.MARKED_DUPLICATE


def test_votes_the_original_could_not_take_are_noted_and_owed_no_more() -> None:
    record = published()
    record.apply("mark_duplicate", decision(MarkDuplicate, original_reference="CR-050"), NOW)

    record.handed_over(LATER, refused="workflow not found")

    assert record.merge_into is None
    assert (record.events[-1].kind, record.events[-1].detail) == (
        CrEventKind.VOTES_NOT_MERGED,
        "CR-050: workflow not found",
    )


# -- continue-as-new ------------------------------------------------------------------


def test_a_continued_run_takes_over_everything_the_record_knows() -> None:
    record = published()
    record.policy = SupportPolicy(cr_vote_threshold=3)
    record.apply("vote", vote("INT-1"), NOW)
    record.take_due(record.view(LATER), LATER)
    record.apply("mark_duplicate", decision(MarkDuplicate, original_reference="CR-050"), LATER)
    carried = record.carried(history_threshold=40)
    # As a payload: the continued run's input crosses the wire.
    wired = ChangeRequestInput.model_validate_json(carried.model_dump_json())

    again = ChangeRequestRecord.from_input(wired)

    assert again == record
    assert [n.kind for n in again.outbox] == [Kind.CR_REVIEW_DUE, Kind.CR_DECIDED]
    assert (again.state, again.merge_into) == ("duplicate", "CR-050")
    assert again.policy == SupportPolicy(cr_vote_threshold=3)
    assert wired.history_threshold == 40


def test_a_continued_run_does_not_write_to_the_input_it_took_over() -> None:
    carried = published().carried()

    again = ChangeRequestRecord.from_input(carried)
    again.apply("vote", vote("INT-1"), NOW)

    assert (len(carried.events), carried.request_ids) == (1, [])
