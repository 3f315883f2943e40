"""A case's record: intake, state and append-only event log (every SLA clock is derived
from it), the rules for writing a request to it, and what it owes others (notifications,
news for its problem). Pure: the workflow owns one and delivers what it owes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from domain import case_actors, policy_change, sla
from domain import case_messages as say
from domain.actors import SYSTEM, Actor
from domain.calendar import WorkingCalendar
from domain.case_events import EVENTS, detail, event_of, is_problem_fix
from domain.case_school_data import SchoolRequest, closed_to_school_data, school_change
from domain.case_setup import renewed
from domain.kpi_ledger import FeedbackRecord
from domain.machines import CASE_CLOSED, CaseMachine, check_transition, transition, winds_up
from domain.models import (
    AcceptResolution,
    CaseEvent,
    CaseRequest,
    ChangePriority,
    EscalateToProblem,
    EventKind,
    FeedbackEscalation,
    GiveFeedback,
    OfferResolution,
    OpenCase,
    Priority,
    Reopen,
)
from domain.notifications import Notification, NotificationKind
from domain.policy_change import ApplyPolicy
from domain.priority import priority_for
from domain.problem_links import LinkedCaseChanged, NewsKind, ProblemNews
from domain.refusals import (
    CaseClosed,
    EscalationInProgress,
    InvalidResolutionKind,
    LoggedAtInFuture,
    LoggedAtTooOld,
    NotReady,
    ReopenWindowClosed,
)
from domain.school_data import SchoolData
from domain.workflow_inputs import CaseInput, CaseSetup, copied, shared_setup

LOGGED_AT_SKEW = dt.timedelta(minutes=5)
ESCALATED = "escalated_to_problem"
# What a continued run takes over (CaseInput's fields, but the test-only threshold).
CARRIED = tuple(name for name in CaseInput.model_fields if name != "history_threshold")


@dataclass
class CaseRecord:
    intake: OpenCase
    state: str = "logged"
    events: list[CaseEvent] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    outbox: list[Notification] = field(default_factory=list)
    to_problem: list[LinkedCaseChanged] = field(default_factory=list)
    school_data: SchoolData = field(default_factory=SchoolData)
    setup: CaseSetup | None = None
    opened_by: Actor | None = None
    # Every rating given, as the ledger keeps it (carried: the ledger writes them once).
    feedback: list[FeedbackRecord] = field(default_factory=list)
    # What each request id asked (`domain.idempotency`), by request id.
    request_digests: dict[str, str] = field(default_factory=dict)
    calendar: WorkingCalendar | None = None
    # The problem an escalation is linking to; every other request waits for it.
    linking: str | None = None

    @classmethod
    def from_input(cls, input: CaseInput) -> CaseRecord:
        given: dict[str, Any] = {k: copied(getattr(input, k)) for k in CARRIED}
        return cls(**given)

    def carried(self, history_threshold: int | None = None) -> CaseInput:
        """Everything the case knows, as a continued run takes it over."""
        given = {name: getattr(self, name) for name in CARRIED}
        return CaseInput(**given, history_threshold=history_threshold)

    def load(self, fresh: CaseSetup | None) -> None:
        """Run on a fresh calendar snapshot, if there is one, and the policy kept."""
        self.setup = renewed(self.setup, fresh)
        self.calendar = WorkingCalendar.from_snapshot(self.setup.calendar)

    def check_opening(self) -> None:
        """Raise unless `opened_by` may open this case (DESIGN §12); changes nothing."""
        case_actors.check_opening(self.opened_by, self.intake)

    def log(self, now: dt.datetime, *, bounded: bool = True) -> None:
        """`bounded`: refuse a back-dated `logged_at` (runs recorded before 0.2 did not)."""
        if self.intake.logged_at > now + LOGGED_AT_SKEW:
            raise LoggedAtInFuture(say.logged_in_future(self.intake.logged_at, now))
        most = self.setup.policy.max_backdating if self.setup else None
        if bounded and most is not None and self.intake.logged_at < now - most:
            raise LoggedAtTooOld(say.logged_too_long_ago(self.intake.logged_at, now, most))
        priority = self.intake.priority
        at, actor = self.intake.logged_at, self.opened_by
        self.events.append(CaseEvent(kind=EventKind.LOGGED, at=at, priority=priority, actor=actor))
        if self.intake.case_type == "incident" and priority is Priority.P1:
            self._notify(NotificationKind.CALL_TASK, say.call_message(self.intake.reporter), now)

    def is_new(self, req: CaseRequest) -> bool:
        return req.request_id not in self.request_ids

    def admit(self, req: CaseRequest) -> None:
        """Raise unless the actor may send it, its id is not another request's, and the
        log has room or the request winds the case up; changes nothing. The validators'
        alone: a 0.1 history replays."""
        logged, seen, new = self.events, self.request_digests, self.is_new(req)
        ending = winds_up(CaseMachine, self.state, case_actors.event_name(req))
        case_actors.admit(
            self.intake,
            req,
            new=new,
            events=logged,
            digests=seen,
            setup=self.setup,
            winding_up=ending,
        )

    def check(self, req: CaseRequest) -> None:
        """Raise unless the request's event may be applied now; changes nothing."""
        if isinstance(req, Reopen) and self.state == "resolved" and self.is_new(req):
            raise ReopenWindowClosed(say.reopen_refused(self.intake.reference))
        if self.is_new(req):  # else a retry of a request already applied: a no-op
            self._check_open()
            if self.linking is not None:
                raise EscalationInProgress(say.linking_in_progress(self.linking))
            check_transition(CaseMachine, self.state, event_of(req))
        if is_problem_fix(req) and self.problem_reference is None:
            raise InvalidResolutionKind(say.problem_fix_refused(req.kind))

    def apply(self, req: CaseRequest, now: dt.datetime) -> None:
        """Record the request's event (checked first) and what it owes others."""
        self.check(req)
        if not self.is_new(req):
            return
        line, priority = detail(req), None
        if isinstance(req, ChangePriority):
            priority = priority_for(self.intake.case_type, req.impact, req.urgency)
            before = self.priority
            line = f"{before.name} -> {priority.name}: {req.reason}"
            raised_to_p1 = priority is Priority.P1 and before is not Priority.P1
            if raised_to_p1 and self.intake.case_type == "incident":
                call = say.call_message(self.intake.reporter)
                self._notify(NotificationKind.CALL_TASK, call, now)
        elif isinstance(req, OfferResolution):
            self._notify(NotificationKind.RESOLUTION_OFFERED, line, now)
        elif isinstance(req, AcceptResolution):
            accepted = "resolution accepted by the integrator"
            self._notify(NotificationKind.RESOLVED, accepted, now)
        elif isinstance(req, GiveFeedback):
            self._take_feedback(req, line, now)
        escalated = self.state == ESCALATED
        event, kind = EVENTS[type(req)]
        given = {"actor": req.actor, "visibility": case_actors.visibility(req)}
        self._move(event, kind, line, req.request_id, now, priority=priority, **given)
        self.request_digests[req.request_id] = case_actors.fingerprint_of(req)
        if escalated and (self.state != ESCALATED or priority is not None):
            # The problem ranks itself by its open cases: tell it this one changed or left.
            self.to_problem.append(
                LinkedCaseChanged(
                    problem_reference=self.problem_reference or "",
                    case_reference=self.intake.reference,
                    priority=self.priority,
                    open=self.state == ESCALATED,
                )
            )

    def check_policy(self, req: ApplyPolicy) -> None:
        """Raise unless the case may take the policy now: open, and the version its
        policy's; changes nothing (the same version again is accepted, as a no-op). The
        validator's: the version is a hash of the policy as today's code writes it, so a
        replay on a later release (a field added) would not find it again."""
        self._check_policy_open(req)
        if self.is_new(req):
            policy_change.check_version(req)

    def apply_policy(self, req: ApplyPolicy, now: dt.datetime) -> None:
        """Run on the request's policy from now on (DESIGN §15): record `policy_changed`;
        every clock is derived again from the log under it. The same policy: a no-op."""
        self._check_policy_open(req)
        assert self.setup is not None
        if not self.is_new(req) or req.policy == self.setup.policy:
            return
        line = policy_change.changed_line(self.setup.policy, req.policy)
        self.setup = shared_setup(CaseSetup(policy=req.policy, calendar=self.setup.calendar))
        self.record(EventKind.POLICY_CHANGED, line, now, request_id=req.request_id, actor=req.actor)
        self.request_ids.append(req.request_id)
        self.request_digests[req.request_id] = case_actors.fingerprint_of(req)

    def start_linking(self, req: EscalateToProblem) -> None:
        """Every other request waits while the case is linked at its problem."""
        if self.linking is not None:  # checked alongside another escalation
            raise EscalationInProgress(say.linking_in_progress(self.linking))
        self.linking = req.problem_reference

    def hear(self, news: ProblemNews, now: dt.datetime) -> bool:
        """Take its problem's news; False if already heard, or from another problem."""
        if self.state != ESCALATED or self.problem_reference != news.problem_reference:
            return False
        if news.news_id in self.request_ids:
            return False
        self.request_ids.append(news.news_id)
        # Keyed by the news itself: two pieces of news in one instant are two messages.
        key = news.news_id
        if news.kind is NewsKind.FIX_RELEASED and news.vehicle is not None:
            self._notify(NotificationKind.RESOLUTION_OFFERED, news.message, now, key=key)
            offer = f"{news.vehicle.resolution_kind}: {news.message}"
            self._move(
                "offer_resolution", EventKind.RESOLUTION_OFFERED, offer, key, now, actor=SYSTEM
            )
            return True
        self._notify(NotificationKind.PROBLEM_NEWS, news.message, now, key=key)
        if news.kind is NewsKind.NOT_A_DEFECT:
            resumed = EventKind.INVESTIGATION_RESUMED
            self._move("resume_investigation", resumed, news.message, key, now, actor=SYSTEM)
        else:
            self.record(EventKind.PROBLEM_NEWS, news.message, now, request_id=key)
        return True

    def check_school(self, req: SchoolRequest, now: dt.datetime) -> None:
        """Raise unless the school-data request may be applied now; changes nothing."""
        if self._school_request_is_new(req):
            school_change(
                self.school_data, self.intake.reporter.role, req, now, self._approval_ends
            )

    def apply_school(self, req: SchoolRequest, now: dt.datetime) -> SchoolData:
        if self._school_request_is_new(req):
            self.school_data, kind, line = school_change(
                self.school_data, self.intake.reporter.role, req, now, self._approval_ends
            )
            self.record(kind, line, now, request_id=req.request_id, actor=req.actor)
            self.request_ids.append(req.request_id)
            self.request_digests[req.request_id] = case_actors.fingerprint_of(req)
        return self.school_data

    def view(self, now: dt.datetime) -> sla.SlaView:
        assert self.setup is not None and self.calendar is not None
        case_type, policy = self.intake.case_type, self.setup.policy
        return sla.evaluate(self.events, self.state, case_type, policy, self.calendar, now)

    def take_due(self, view: sla.SlaView, now: dt.datetime) -> list[sla.Due[sla.Action]]:
        """Take every timer action of `view` due by `now`, and lapse undecided shares;
        returns the actions taken."""
        taken = [due for due in view.pending if due.at <= now]
        for due in taken:
            self.record(EventKind.ACTION_TAKEN, due.key, now)
            if due.action is sla.Action.RESOLVE:
                self.state = transition(CaseMachine, self.state, "resolve")
                self.record(EventKind.RESOLVED, "Resolution Offered window closed", now)
                resolved = "the case is now permanently Resolved"
                self._notify(NotificationKind.RESOLVED, resolved, now)
            else:
                kind = NotificationKind(due.action.value)
                self._notify(kind, say.action_message(due), now, due=due.at, key=due.key)
        self.school_data, expired = self.school_data.expire_due(now)
        for access in expired:
            self.record(EventKind.PARTNER_ACCESS_EXPIRED, say.lapsed(access), now)
        return taken

    def next_wake(self, view: sla.SlaView) -> dt.datetime | None:
        """The next timer action of `view`, or a share's expiry, whichever is sooner."""
        expiry = self.school_data.next_expiry
        return min((t for t in (view.next_action_due, expiry) if t is not None), default=None)

    @property
    def closed(self) -> bool:
        return self.state in CASE_CLOSED

    @property
    def priority(self) -> Priority:
        return sla.current_priority(self.events)

    @property
    def problem_reference(self) -> str | None:
        escalations = [e.detail for e in self.events if e.kind is EventKind.ESCALATED]
        return escalations[-1] if escalations else None

    @property
    def reopen_count(self) -> int:
        return sum(1 for e in self.events if e.kind is EventKind.REOPENED)

    def record(self, kind: EventKind, detail: str, now: dt.datetime, **given: Any) -> None:
        """Append one event (`given`: request_id, priority, actor, visibility); an event
        no caller sent (a timer's, a problem's news) is the system's."""
        self.events.append(
            CaseEvent(kind=kind, at=now, detail=detail, **{"actor": SYSTEM, **given})
        )

    def _take_feedback(self, req: GiveFeedback, line: str, now: dt.datetime) -> None:
        self.feedback.append(case_actors.feedback_record(self.intake, self.priority, req, now))
        if req.escalate is not FeedbackEscalation.NONE:
            kind = case_actors.FEEDBACK_TO[req.escalate]
            self._notify(kind, line, now, key=f"feedback:{req.request_id}")

    def _check_policy_open(self, req: ApplyPolicy) -> None:
        if self.is_new(req):
            self._check_open()
            if self.closed:
                raise CaseClosed(say.closed_to_policy(self.intake.reference, self.state))

    def _check_open(self) -> None:
        if not self.events:
            raise NotReady("the case is still being opened; try again")

    def _school_request_is_new(self, req: SchoolRequest) -> bool:
        """False for a retry of a request already applied (a no-op); refuses a closed case."""
        if not self.is_new(req):
            return False
        self._check_open()
        if self.closed:
            raise closed_to_school_data(self.intake.reference, self.state)
        return True

    def _approval_ends(self, now: dt.datetime) -> dt.datetime:
        assert self.setup is not None and self.calendar is not None
        return self.calendar.add_working_time(now, self.setup.policy.partner_approval_window)

    def _move(
        self, event: str, kind: EventKind, line: str, key: str, now: dt.datetime, **given: Any
    ) -> None:
        self.state = transition(CaseMachine, self.state, event)
        self.record(kind, line, now, request_id=key, **given)
        self.request_ids.append(key)

    def _notify(self, kind: NotificationKind, message: str, now: dt.datetime, **when: Any) -> None:
        """`when`: the `due` instant and the `key` naming the message within the case."""
        reference, priority = self.intake.reference, self.priority
        self.outbox.append(say.case_notification(reference, priority, kind, message, now, **when))
