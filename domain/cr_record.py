"""A change request's record: its state and append-only event log, the rules that decide
whether a vote or a decision may be written to it, the reminders its schedule says are
due, and what it owes others: notifications, and a duplicate's votes for its original.
Pure: the workflow owns one and delivers what it owes.

Votes are one per integrator: a repeated vote, or withdrawing a vote never cast, changes
nothing. A request id already applied is accepted again as a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain import cr_schedule, policy_change
from domain.actors import (
    SYSTEM,
    Actor,
    Lifecycle,
    Subject,
    admit,
    permit_opening,
    permit_vote,
    required,
)
from domain.change_requests import (
    DECIDED,
    FINAL_STATES,
    VOTING_STATES,
    CrEvent,
    CrEventKind,
    Decision,
    MarkDuplicate,
    MergeVotes,
    OpenChangeRequest,
    Vote,
    last,
)
from domain.cr_messages import decided, reminder, voting_closed
from domain.idempotency import check_reuse, fingerprint
from domain.log_limits import check_room, request_text
from domain.machines import ChangeRequestMachine, check_transition, transition, winds_up
from domain.models import CaseRequest
from domain.notifications import Notification
from domain.policy import SupportPolicy
from domain.policy_change import ApplyPolicy
from domain.refusals import (
    ChangeRequestClosed,
    ChangeRequestRefused,
    InvalidDuplicate,
    NotReady,
    RaisedAtInFuture,
    VotingClosed,
)
from domain.workflow_inputs import ChangeRequestInput

# Still importable from here: the refusals (`domain.refusals` holds them) and the words
# of a closed vote (`domain.cr_messages`), which callers imported from this module.
__all__ = [
    "ChangeRequestRefused",
    "InvalidDuplicate",
    "NotReady",
    "RaisedAtInFuture",
    "VotingClosed",
    "voting_closed",
]

VOTES = ("vote", "unvote")
CHANGE_REQUEST = Subject(Lifecycle.CHANGE_REQUEST)
# The raiser hears of every decision but a review, which keeps the request where it is.
ANNOUNCED = frozenset(DECIDED) - {"review"}

RAISED_AT_SKEW = dt.timedelta(minutes=5)


def voters(events: Sequence[CrEvent]) -> list[str]:
    """Who votes for it now, in the order they voted: one vote per integrator."""
    current: dict[str, None] = {}
    for event in events:
        if event.kind is CrEventKind.VOTED and event.by:
            current.setdefault(event.by, None)
        elif event.kind is CrEventKind.UNVOTED and event.by:
            current.pop(event.by, None)
    return list(current)


def duplicates(events: Sequence[CrEvent]) -> list[str]:
    linked = (e for e in events if e.kind is CrEventKind.DUPLICATE_LINKED)
    return [e.facts["duplicate_reference"] for e in linked]


def fact(events: Sequence[CrEvent], kind: CrEventKind, name: str) -> str | None:
    event = last(events, kind)
    return event.facts.get(name) if event else None


@dataclass
class ChangeRequestRecord:
    request: OpenChangeRequest
    state: str = "published_for_consultation"
    events: list[CrEvent] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    # Notifications owed, oldest first, until the workflow has delivered them.
    outbox: list[Notification] = field(default_factory=list)
    # The original that still has to receive this duplicate's votes.
    merge_into: str | None = None
    # Loaded by the first run, then fixed for the request's life.
    policy: SupportPolicy | None = None
    opened_by: Actor | None = None
    request_digests: dict[str, str] = field(default_factory=dict)  # `domain.idempotency`

    @classmethod
    def from_input(cls, input: ChangeRequestInput) -> ChangeRequestRecord:
        return cls(
            input.request,
            input.state,
            list(input.events),
            list(input.request_ids),
            list(input.outbox),
            input.merge_into,
            input.policy,
            input.opened_by,
            dict(input.request_digests),
        )

    def carried(self, history_threshold: int | None = None) -> ChangeRequestInput:
        """Everything the change request knows, as a continued run takes it over."""
        return ChangeRequestInput(
            request=self.request,
            policy=self.policy,
            state=self.state,
            events=self.events,
            request_ids=self.request_ids,
            outbox=self.outbox,
            merge_into=self.merge_into,
            opened_by=self.opened_by,
            request_digests=self.request_digests,
            history_threshold=history_threshold,
        )

    def publish(self, now: dt.datetime) -> None:
        raised = self.request.raised_at
        if raised > now + RAISED_AT_SKEW:
            raise RaisedAtInFuture(
                f"raised_at: {raised.isoformat()} is in the future (now {now.isoformat()})"
            )
        by, actor = self.request.raised_by, self.opened_by
        self.events.append(CrEvent(kind=CrEventKind.PUBLISHED, at=raised, by=by, actor=actor))

    def check_opening(self) -> None:
        """The desk, or the integrator in its own name (`raised_by`), raises one."""
        actor = required(self.opened_by, "opened_by")
        permit_opening(actor, CHANGE_REQUEST, raised_by=self.request.raised_by)

    def admit(self, event: str, req: CaseRequest) -> None:
        """Raise unless the request's actor may send `event`; asked by validators only.
        A vote is the actor's own: an integrator votes and unvotes with its own id. A full
        log still takes a move towards the end (`domain.machines.WINDING_UP`)."""
        actor = admit(req.actor, event, CHANGE_REQUEST)
        if isinstance(req, Vote):
            permit_vote(actor, req.integrator_id)
        if not self.is_new(req):
            check_reuse(self.request_digests, event, req, req.request_id)
        elif self.policy is not None and not winds_up(ChangeRequestMachine, self.state, event):
            what = f"change request {self.request.reference}"
            check_room(what, self.events, self.policy, request_text(req))

    def is_new(self, req: CaseRequest) -> bool:
        return req.request_id not in self.request_ids

    def check(self, event: str, req: CaseRequest) -> None:
        """Raise unless `event` may be applied now; changes nothing."""
        if not self.is_new(req):
            return  # a retry of a request already applied: accepted, and a no-op
        if not self.events:
            raise NotReady("the change request is still being opened; try again")
        if event in VOTES:
            if self.state not in VOTING_STATES:
                raise VotingClosed(self._voting_closed())
            return
        check_transition(ChangeRequestMachine, self.state, event)
        if isinstance(req, MarkDuplicate) and req.original_reference == self.request.reference:
            raise InvalidDuplicate("original_reference: a change request cannot duplicate itself")

    def apply(self, event: str, req: CaseRequest, now: dt.datetime) -> CrEvent | None:
        """Record `event` (checked first) and what it owes others; returns the decision it
        recorded, if any."""
        self.check(event, req)
        if not self.is_new(req):
            return None
        self.request_ids.append(req.request_id)
        self.request_digests[req.request_id] = fingerprint(event, req)
        if isinstance(req, Vote):
            voting = req.integrator_id in voters(self.events)
            if (event == "vote") != voting:
                kind = CrEventKind.VOTED if event == "vote" else CrEventKind.UNVOTED
                by, actor = req.integrator_id, req.actor
                self.events.append(
                    CrEvent(kind=kind, at=now, request_id=req.request_id, by=by, actor=actor)
                )
            return None
        assert isinstance(req, Decision)
        self.state = transition(ChangeRequestMachine, self.state, event)
        facts = req.model_dump(
            exclude={"request_id", "actor", "decided_by", "reason"}, exclude_none=True
        )
        decision = CrEvent(
            kind=DECIDED[event],
            at=now,
            request_id=req.request_id,
            by=req.decided_by,
            actor=req.actor,
            detail=req.reason,
            facts={name: str(value) for name, value in facts.items()},
        )
        self.events.append(decision)
        if event in ANNOUNCED:
            self.outbox.append(decided(self.request, decision))
        if isinstance(req, MarkDuplicate):
            self.merge_into = req.original_reference
        return decision

    def check_policy(self, req: ApplyPolicy) -> None:
        """Raise unless the request may take the policy now: open, and the version its
        policy's; changes nothing (the same version again is accepted, as a no-op). The
        version is checked here only: it is a hash of the policy as today's code writes it."""
        self._check_policy_open(req)
        if self.is_new(req):
            policy_change.check_version(req)

    def apply_policy(self, req: ApplyPolicy, now: dt.datetime) -> bool:
        """Run on the request's policy from now on (DESIGN §15): record `policy_changed`;
        the reminders are derived again under it. The same policy: a no-op (False)."""
        self._check_policy_open(req)
        assert self.policy is not None
        if not self.is_new(req) or req.policy == self.policy:
            return False
        old = policy_change.policy_version(self.policy)
        line = policy_change.changed_line(self.policy, req.policy)
        self.policy = req.policy
        self.request_ids.append(req.request_id)
        self.request_digests[req.request_id] = fingerprint(policy_change.APPLY_POLICY, req)
        facts = {"old_version": old, "new_version": req.version}
        self.events.append(
            CrEvent(
                kind=CrEventKind.POLICY_CHANGED,
                at=now,
                request_id=req.request_id,
                actor=req.actor,
                detail=line,
                facts=facts,
            )
        )
        return True

    def _check_policy_open(self, req: ApplyPolicy) -> None:
        if not self.is_new(req):
            return
        if not self.events:
            raise NotReady("the change request is still being opened; try again")
        if self.closed:
            raise ChangeRequestClosed(
                f"change request {self.request.reference} is {self.state}: "
                "a closed change request keeps the policy it ran on"
            )

    def merge(self, merge: MergeVotes, now: dt.datetime) -> None:
        """Link a duplicate and count its voters who do not vote here yet; idempotent."""
        if merge.duplicate_reference in duplicates(self.events):
            return
        open_ = self.state in VOTING_STATES
        counted = set(voters(self.events))
        merged = (
            [i for i in dict.fromkeys(merge.integrator_ids) if i not in counted] if open_ else []
        )
        note = f"{len(merged)} new vote(s) merged" if open_ else "voting closed: votes not merged"
        facts = {"duplicate_reference": merge.duplicate_reference}
        linked = CrEventKind.DUPLICATE_LINKED
        self.events.append(CrEvent(kind=linked, at=now, detail=note, facts=facts, actor=SYSTEM))
        detail = f"merged from duplicate {merge.duplicate_reference}"
        voted = CrEventKind.VOTED
        self.events += [
            CrEvent(kind=voted, at=now, by=i, detail=detail, actor=SYSTEM) for i in merged
        ]

    def votes_to_hand_over(self) -> MergeVotes:
        """What a duplicate hands its original (`merge_into`): its voters, as they are now."""
        return MergeVotes(
            duplicate_reference=self.request.reference, integrator_ids=voters(self.events)
        )

    def handed_over(self, now: dt.datetime, refused: str | None = None) -> None:
        """The original took the votes or, `refused` says why, could not: nothing is owed."""
        if refused is not None:
            self.note(CrEventKind.VOTES_NOT_MERGED, now, f"{self.merge_into}: {refused}")
        self.merge_into = None

    # -- the schedule ---------------------------------------------------------------------

    def view(self, now: dt.datetime) -> cr_schedule.ScheduleView:
        assert self.policy is not None
        return cr_schedule.evaluate(self.events, self.state, self.policy, now)

    def take_due(self, view: cr_schedule.ScheduleView, now: dt.datetime) -> None:
        """Take every reminder of `view` due by `now`: recorded once, and sent."""
        for due in view.pending:
            if due.at > now:
                break
            self.note(CrEventKind.ACTION_TAKEN, now, due.key)
            self.outbox.append(reminder(self.request, due, len(voters(self.events))))

    @property
    def closed(self) -> bool:
        return self.state in FINAL_STATES

    def note(self, kind: CrEventKind, now: dt.datetime, detail: str = "") -> None:
        self.events.append(CrEvent(kind=kind, at=now, detail=detail, actor=SYSTEM))

    def _voting_closed(self) -> str:
        original = fact(self.events, CrEventKind.MARKED_DUPLICATE, "original_reference")
        return voting_closed(self.request.reference, self.state, original)
