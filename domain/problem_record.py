"""A problem's record: its state, event log and linked cases, the rules for a decision or
a link, and the news it owes the linked cases (pure; the workflow delivers it). It takes
the highest priority of its open linked cases; a request id already applied is a no-op;
once closed, it takes no more cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from domain.actors import SYSTEM, Actor, Lifecycle, Subject, admit, permit_opening, required
from domain.idempotency import check_reuse, fingerprint
from domain.log_limits import check_room, request_text
from domain.machines import ProblemMachine, allowed_events, transition, winds_up
from domain.models import Priority
from domain.policy import SupportPolicy
from domain.problem_links import (
    Delivery,
    LinkCase,
    LinkedCaseChanged,
    NewsKind,
    Notice,
    ProblemInput,
    news_of,
)
from domain.problems import (
    CLOSED_STATES,
    AcceptAsDefect,
    FixVehicle,
    LinkedCase,
    OpenProblem,
    ProblemEvent,
    ProblemEventKind,
    ProblemRequest,
    ProblemScope,
    ProblemStatus,
    Reject,
    ReleaseFix,
    RequestInformation,
    ScheduleFix,
    ScheduleReview,
    closed_to_new_links,
    problem_priority,
    too_many_links,
)
from domain.refusals import InvalidTransition, NotReady, ProblemClosed, ProblemTooLarge
from domain.workflow_inputs import copied

Kind = ProblemEventKind
PROBLEM = Subject(Lifecycle.PROBLEM)
# A problem runs without a policy of its own: the charter's default bounds it.
DEFAULT_POLICY = SupportPolicy()
MAX_LINKS = DEFAULT_POLICY.max_problem_links
# Its log, half a case's events and a quarter of its text: a problem also carries its
# links (up to 5,000: 0.56 MiB) and the news it owes them (0.49 MiB), and all of it must
# fit one continue-as-new (DESIGN §13; the largest, `tests/unit/test_winding_up.py`).
MAX_EVENTS = DEFAULT_POLICY.max_events // 2
MAX_LOG_TEXT = DEFAULT_POLICY.max_log_text // 4
# Decisions whose news is still owed: a third waits until the linked cases have been told
# (each notice names every open linked case, thousands for a generic defect).
MAX_OWED_NOTICES = 2
LIMITS = DEFAULT_POLICY.model_copy(update={"max_events": MAX_EVENTS, "max_log_text": MAX_LOG_TEXT})

# Cases link themselves; the desk is never offered linking as a decision.
LINK_CASE: str = ProblemMachine.link_case.id

# What each decision records in the log.
DECIDED = {
    "schedule_review": Kind.REVIEW_SCHEDULED,
    "accept_as_defect": Kind.ACCEPTED_AS_DEFECT,
    "reject": Kind.REJECTED,
    "request_information": Kind.INFORMATION_REQUESTED,
    "schedule_fix": Kind.FIX_SCHEDULED,
    "release_fix": Kind.FIX_RELEASED,
}
# What the linked cases hear of it: the charter promises no news of a scheduled fix.
NEWS = {
    "schedule_review": NewsKind.REVIEW_SCHEDULED,
    "accept_as_defect": NewsKind.ACCEPTED_AS_DEFECT,
    "reject": NewsKind.NOT_A_DEFECT,
    "request_information": NewsKind.INFORMATION_NEEDED,
    "release_fix": NewsKind.FIX_RELEASED,
}


# What a continued run takes over (ProblemInput's fields, but the test-only threshold and
# 0.2's first outbox, read into `notices`).
CARRIED = tuple(n for n in ProblemInput.model_fields if n not in ("history_threshold", "outbox"))


@dataclass
class ProblemRecord:
    opening: OpenProblem
    state: str = "under_investigation"
    events: list[ProblemEvent] = field(default_factory=list)
    links: list[LinkedCase] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    # News owed to linked cases, oldest first, until the workflow has delivered it.
    notices: list[Notice] = field(default_factory=list)
    vehicle: FixVehicle | None = None
    target_version: str | None = None
    released_version: str | None = None
    opened_by: Actor | None = None
    request_digests: dict[str, str] = field(default_factory=dict)  # `domain.idempotency`
    # As opened, until the review classifies the problem (`accept_as_defect`).
    scope: ProblemScope = field(init=False)
    school_urn: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.scope, self.school_urn = self.opening.scope, self.opening.school_urn

    @classmethod
    def from_input(cls, input: ProblemInput) -> ProblemRecord:
        given = {k: copied(getattr(input, k)) for k in CARRIED if k not in ("scope", "school_urn")}
        record = cls(**given)
        record.notices[:0] = [
            Notice(news=d.news, case_references=[d.case_reference]) for d in input.outbox
        ]
        if input.scope:
            record.scope, record.school_urn = input.scope, input.school_urn
        return record

    def carried(self, history_threshold: int | None = None) -> ProblemInput:
        """Everything the problem knows, as a continued run takes it over."""
        given = {name: getattr(self, name) for name in CARRIED}
        return ProblemInput(**given, history_threshold=history_threshold)

    def open(self, now: dt.datetime) -> None:
        self._note(Kind.OPENED, now, self.opening.summary, actor=self.opened_by)

    def check_opening(self) -> None:
        """Only the desk opens a problem (an escalation opens it as the escalating desk)."""
        permit_opening(required(self.opened_by, "opened_by"), PROBLEM)

    def admit(self, event: str, req: ProblemRequest) -> None:
        """Raise unless the actor may send `event`, a repeated id repeats the request, and
        a new one finds room: in the log (`ProblemTooLarge`; a move towards the end,
        `domain.machines.WINDING_UP`, always does) and, for news, among what is owed
        (`NotReady`). Asked by the validators only (a 0.1 history replays)."""
        admit(req.actor, event, PROBLEM)
        if not self.is_new(req):
            check_reuse(self.request_digests, event, req, req.request_id)
            return
        if event in NEWS and len(self.notices) >= MAX_OWED_NOTICES:
            raise NotReady(
                f"{event}: the linked cases of problem {self.opening.reference} are still "
                f"being told of {len(self.notices)} earlier decisions; try again shortly"
            )
        if not winds_up(ProblemMachine, self.state, event):
            what = f"problem {self.opening.reference}"
            check_room(what, self.events, LIMITS, request_text(req), ProblemTooLarge)

    # -- the desk's decisions -------------------------------------------------------------

    def is_new(self, req: ProblemRequest) -> bool:
        return req.request_id not in self.request_ids

    def check(self, event: str, req: ProblemRequest) -> None:
        """Raise unless the decision `event` may be applied now; changes nothing."""
        if not self.is_new(req):
            return  # a retry of a request already applied: accepted, and a no-op
        if not self.events:
            raise NotReady("the problem is still being opened; try again")
        allowed = allowed_events(ProblemMachine, self.state)
        if event not in allowed:
            decisions = [e for e in allowed if e != LINK_CASE]
            raise InvalidTransition("problem", event, self.state, decisions)

    def apply(self, event: str, req: ProblemRequest, now: dt.datetime) -> bool:
        """Record the decision (checked first) and the news it owes; False for a repeat."""
        self.check(event, req)
        if not self.is_new(req):
            return False
        detail, told = self._take(req)
        self.state = transition(ProblemMachine, self.state, event)
        self._note(DECIDED[event], now, detail, request_id=req.request_id, actor=req.actor)
        self.request_ids.append(req.request_id)
        self.request_digests[req.request_id] = fingerprint(event, req)
        if event in NEWS:
            self._tell_linked_cases(NEWS[event], told, req.request_id)
        return True

    def _take(self, req: ProblemRequest) -> tuple[str, str]:
        """Keep what the decision names; returns its log detail and what the cases hear."""
        match req:
            case AcceptAsDefect(scope=ProblemScope() as scope):
                self.scope, self.school_urn = scope, req.school_urn
                return f"{scope.value}: {req.message}", req.message
            case ScheduleReview() | AcceptAsDefect() | RequestInformation():
                return req.message, req.message
            case Reject():
                return req.reason, req.reason
            case ScheduleFix():
                self.vehicle, self.target_version = req.vehicle, req.target_version
                return f"{req.vehicle.label} {req.target_version}", ""
            case ReleaseFix():
                self.released_version = req.version or self.target_version
                assert self.vehicle is not None  # the machine only releases a scheduled fix
                return f"{self.vehicle.label} {self.released_version}", req.summary
        raise TypeError(f"{type(req).__name__} is not a decision on a problem")

    # -- linked cases ---------------------------------------------------------------------

    def check_link(self, link: LinkCase) -> None:
        reference = self.opening.reference
        if self.state in CLOSED_STATES:
            raise ProblemClosed(closed_to_new_links(reference, self.state, link.case_reference))
        if self._linked(link.case_reference) is None and len(self.links) >= MAX_LINKS:
            raise ProblemTooLarge(too_many_links(reference, len(self.links)))

    def link(self, link: LinkCase, now: dt.datetime) -> bool:
        """Link a case (again, if it reopened or changed priority); False if nothing changed."""
        self.check_link(link)
        known = self._linked(link.case_reference)
        if known is not None and known.open and known.priority == link.priority:
            return False
        linked = LinkedCase(
            reference=link.case_reference,
            priority=link.priority,
            linked_at=known.linked_at if known else now,
        )
        self._replace_link(linked, now)
        return True

    def take_change(self, change: LinkedCaseChanged, now: dt.datetime) -> bool:
        """A linked case's new priority, or its closing; False if nothing changed."""
        known = self._linked(change.case_reference)
        if known is None or (known.priority, known.open) == (change.priority, change.open):
            return False
        linked = known.model_copy(update={"priority": change.priority, "open": change.open})
        self._replace_link(linked, now)
        return True

    @property
    def priority(self) -> Priority:
        return problem_priority(self.links)

    def _linked(self, case_reference: str) -> LinkedCase | None:
        return next((c for c in self.links if c.reference == case_reference), None)

    def _replace_link(self, linked: LinkedCase, now: dt.datetime) -> None:
        ranked = any(c.open for c in self.links)  # the first case sets the priority
        before = self.priority
        if self._linked(linked.reference) is not None:
            self.links = [linked if c.reference == linked.reference else c for c in self.links]
        else:
            self.links.append(linked)
        # The links are the record (compact, not text): a generic defect may gather
        # thousands of incidents. The log keeps what they change: the priority.
        after = self.priority
        if ranked and after != before:
            detail = f"{before.name} -> {after.name} ({linked.reference})"
            self._note(Kind.PRIORITY_CHANGED, now, detail)

    # -- what the problem owes its cases --------------------------------------------------

    def due(self, limit: int | None = None) -> list[Delivery]:
        """The news still to be delivered, oldest first: the first `limit` deliveries."""
        owed: list[Delivery] = []
        for notice in self.notices:
            for reference in notice.case_references:
                if limit is not None and len(owed) >= limit:
                    return owed
                owed.append(Delivery(case_reference=reference, news=notice.news))
        return owed

    def delivered(self, count: int) -> None:
        """The first `count` deliveries were made (or found undeliverable)."""
        while count and self.notices:
            first = self.notices[0]
            told = min(count, len(first.case_references))
            rest = first.case_references[told:]
            if rest:
                self.notices[0] = first.model_copy(update={"case_references": rest})
            else:
                self.notices.pop(0)
            count -= told

    def undelivered(self, delivery: Delivery, reason: str, now: dt.datetime) -> None:
        """A linked case could not be told (it had closed meanwhile): kept for the operator."""
        detail = f"{delivery.case_reference}: {delivery.news.kind.value}: {reason}"
        self._note(Kind.NEWS_UNDELIVERED, now, detail)

    @property
    def finished(self) -> bool:
        """Closed, and every linked case told."""
        return self.state in CLOSED_STATES and not self.notices

    def _tell_linked_cases(self, kind: NewsKind, text: str, request_id: str) -> None:
        version = self.released_version or self.target_version
        news = news_of(self.opening.reference, kind, text, request_id, self.vehicle, version)
        told = [link.reference for link in self.links if link.open]
        if told:
            self.notices.append(Notice(news=news, case_references=told))

    # -- the log and the status -----------------------------------------------------------

    def _note(
        self, kind: ProblemEventKind, now: dt.datetime, detail: str = "", **given: Any
    ) -> None:
        """`given`: request_id, and actor (the system's, unless a caller sent it)."""
        given = {"actor": SYSTEM, **given}
        self.events.append(ProblemEvent(kind=kind, at=now, detail=detail, **given))

    def status(self, since: int | None = None, link: str | None = None) -> ProblemStatus:
        """The whole status; or an update's answer: the events since the log held
        `since`, and with `link` only that linked case."""
        return ProblemStatus(
            reference=self.opening.reference,
            summary=self.opening.summary,
            state=self.state,
            scope=self.scope,
            school_urn=self.school_urn,
            priority=self.priority,
            linked_cases=[c for c in self.links if link is None or c.reference == link],
            linked_total=len(self.links),
            vehicle=self.vehicle,
            target_version=self.target_version,
            released_version=self.released_version,
            timeline=list(self.events[since or 0 :]),
            timeline_total=len(self.events),
        )
