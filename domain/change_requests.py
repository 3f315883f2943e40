"""Change requests (DESIGN §7): what platform backends send, what a CR remembers and shows.

A change request is not a case: it has no priority, no working-hours clocks and no
school. Integrators raise it and vote on it; product managers decide, and every decision
names who took it and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import machines
from domain.actors import Actor
from domain.bounds import Id, LongText, Message, Name, Summary, Version
from domain.models import WIRE, AwareDatetime, CaseRequest, Reference
from domain.vocabulary import Visibility

# The machine's states, by the charter's stage number; the others are final.
STAGES = {
    "published_for_consultation": 1,
    "considered_for_future_release": 2,
    "planned_for_future_release": 3,
}
VOTING_STATES = machines.VOTING_STATES
FINAL_STATES = machines.CHANGE_REQUEST_CLOSED


class OpenChangeRequest(BaseModel):
    model_config = WIRE
    reference: Reference
    title: Summary
    description: LongText = ""
    raised_by: Id  # the integrator's id
    raised_at: AwareDatetime


class Vote(CaseRequest):
    integrator_id: Id


class Unvote(Vote):
    pass


class Decision(CaseRequest):
    """Consider or reject: who decided, and why."""

    decided_by: Name
    reason: Message


class Review(Decision):
    """A product manager looked at it and kept it where it is; `reason` says what was found."""


class Plan(Decision):
    target_release: Version | None = None


class Deliver(Decision):
    release_version: Version


class MarkDuplicate(Decision):
    original_reference: Reference | None = None
    workaround: Message | None = None

    @model_validator(mode="after")
    def _names_the_original_or_a_workaround(self) -> MarkDuplicate:
        if self.original_reference is None and self.workaround is None:
            raise ValueError(
                "original_reference or workaround: a duplicate names the change request it "
                "repeats, or the workaround that makes it unnecessary (or both)"
            )
        return self


class MergeVotes(BaseModel):
    """The signal a duplicate sends its original: the duplicate's voters, counted once."""

    model_config = WIRE
    duplicate_reference: Reference
    integrator_ids: Annotated[list[Id], Field(max_length=100_000)]


class CrEventKind(StrEnum):
    PUBLISHED = "published"
    VOTED = "voted"
    UNVOTED = "unvoted"
    REVIEWED = "reviewed"
    CONSIDERED = "considered"
    PLANNED = "planned"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    MARKED_DUPLICATE = "marked_duplicate"
    # A duplicate was linked to this CR (fact duplicate_reference); its votes follow.
    DUPLICATE_LINKED = "duplicate_linked"
    # The original could not take the duplicate's votes (it has finished, say).
    VOTES_NOT_MERGED = "votes_not_merged"
    ACTION_TAKEN = "action_taken"
    NOTIFICATION_REFUSED = "notification_refused"
    # The desk applied a new support policy (DESIGN §15); facts: old_version, new_version.
    POLICY_CHANGED = "policy_changed"


# The event each decision records, and so the instant its stage began.
DECIDED = {
    "review": CrEventKind.REVIEWED,
    "consider": CrEventKind.CONSIDERED,
    "plan": CrEventKind.PLANNED,
    "deliver": CrEventKind.DELIVERED,
    "reject": CrEventKind.REJECTED,
    "mark_duplicate": CrEventKind.MARKED_DUPLICATE,
}


class CrEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: CrEventKind
    at: dt.datetime
    request_id: str | None = None
    by: str | None = None  # the integrator who voted, or the product manager who decided
    actor: Actor | None = None  # who sent it (None before actors; the system's timers)
    visibility: Visibility = Visibility.PUBLIC
    detail: str = ""  # why: the decision's reason, the review's finding
    # What a decision named: release_version, target_release, original_reference, ...
    facts: dict[str, str] = {}


class ChangeRequestStatus(BaseModel):
    model_config = ConfigDict(frozen=True)
    reference: str
    title: str
    raised_by: str
    raised_at: dt.datetime
    state: str
    stage: int | None  # 1, 2 or 3; None once final
    votes: int
    voters: list[str]
    vote_threshold: int
    duplicates: list[str]
    original_reference: str | None
    workaround: str | None
    release_version: str | None
    target_release: str | None
    last_reviewed_at: dt.datetime | None
    next_action_due: dt.datetime | None
    decision_due: bool
    delivery_overdue: bool
    # The `status` query's is the whole log; an update's only what the update recorded.
    timeline: list[CrEvent]
    timeline_total: int | None = None
    # The support policy it runs on (`domain.policy_change.policy_version`; DESIGN §15).
    policy_version: str | None = None


def last(events: Sequence[CrEvent], kind: CrEventKind) -> CrEvent | None:
    return next((e for e in reversed(events) if e.kind is kind), None)
