"""CaseWorkflow: one incident, enquiry or service request, from logging to Resolved.

Thin by design: each update records an event in the append-only log and moves the
machine; `domain.sla` derives every clock from that log; one timer loop wakes at the next
action due and takes it. Notifications wait in an outbox that the loop delivers.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.problems import LinkRequest, ProblemLinks
    from activities.setup import SetupActivities
    from domain import sla
    from domain.calendar import WorkingCalendar
    from domain.machines import (
        CASE_CLOSED,
        CaseMachine,
        InvalidTransition,
        check_transition,
        transition,
    )
    from domain.models import (
        AcceptResolution,
        Acknowledge,
        CaseEvent,
        CaseOutcome,
        CaseRequest,
        CaseStatus,
        ChangePriority,
        EscalateToProblem,
        EventKind,
        OfferResolution,
        PostUpdate,
        Priority,
        ProvideInformation,
        Reopen,
        RequestInformation,
        ResolutionKind,
        Withdraw,
    )
    from domain.notifications import NotificationKind
    from domain.priority import priority_for
    from domain.problem_links import (
        LinkedCaseChanged,
        NewsKind,
        ProblemNews,
    )
    from domain.workflow_inputs import CaseInput, CaseSetup, SetupRequest, shared_setup
    from workflows import case_view

from workflows import effects
from workflows.contract import (
    CASE_WORKFLOW,
    LINKED_CASE_CHANGED,
    PROBLEM_NEWS,
    problem_workflow_id,
)
from workflows.ledger_sync import LedgerSync
from workflows.school_data import SchoolDataUpdates

LOGGED_AT_SKEW = dt.timedelta(minutes=5)
SNAPSHOT_MONTHS = 24
LINK_TIMEOUT = dt.timedelta(seconds=30)
LINK_RETRIES = RetryPolicy(maximum_attempts=3, maximum_interval=dt.timedelta(seconds=10))
# Refresh the calendar snapshot (through continue-as-new) this long before it runs out.
SNAPSHOT_MARGIN = dt.timedelta(days=180)
# The charter's problem resolutions; an incident offers them only through its problem.
PROBLEM_FIXES = frozenset(
    {
        ResolutionKind.SCRIPT,
        ResolutionKind.HOTFIX,
        ResolutionKind.SERVICE_PACK,
        ResolutionKind.MAIN_RELEASE,
    }
)


@workflow.defn(
    name=CASE_WORKFLOW, sandboxed=False
)  # determinism is checked statically: see worker.py
class CaseWorkflow(SchoolDataUpdates):  # school data: its updates and its expiry timer
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._input = input
        self._intake = input.intake
        self._setup = input.setup
        self._state = input.state
        self._events = list(input.events)
        self._request_ids = list(input.request_ids)
        self._outbox = list(input.outbox)
        self._to_problem = list(input.to_problem)
        self._school_data = input.school_data
        # The problem an escalation is linking to; every other update waits for it.
        self._linking: str | None = None
        self._calendar: WorkingCalendar | None = None
        self._dirty = False
        self._refusal: ApplicationError | None = None
        self._ledger = LedgerSync()
        self._view_cache: tuple[tuple[int, str, dt.datetime], sla.SlaView] | None = None

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        await self._load_setup()
        if not self._events:
            self._log_case()
        while True:
            self._take_due_actions()
            self._expire_partner_access()
            self._dirty = False  # an update landing while we await wakes the next pass
            self._publish()  # operators see the new state before any delivery ends
            await self._deliver_outbox()
            await self._tell_problem()
            self._publish()
            await self._write_ledger()
            if self._state in CASE_CLOSED:
                break
            if self._should_continue_as_new():
                await self._continue_as_new()
            await self._sleep_until(self._next_wake(self._view().next_action_due))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return case_view.outcome(self._intake, self._state, self._events, self._view())

    # -- updates: the case's events -----------------------------------------------------

    @workflow.update
    async def opened(self) -> CaseStatus:
        """Waits until the case is set up, then returns its first status (or its refusal)."""
        await workflow.wait_condition(lambda: bool(self._events) or self._refusal is not None)
        if self._refusal is not None:
            raise self._refusal
        return self.status()

    @workflow.update
    def acknowledge(self, req: Acknowledge) -> CaseStatus:
        return self._apply("acknowledge", req, EventKind.ACKNOWLEDGED, req.message)

    @acknowledge.validator
    def _acknowledge_allowed(self, req: Acknowledge) -> None:
        self._validate("acknowledge", req)

    @workflow.update
    def post_update(self, req: PostUpdate) -> CaseStatus:
        return self._apply("post_update", req, EventKind.UPDATED, req.message)

    @post_update.validator
    def _post_update_allowed(self, req: PostUpdate) -> None:
        self._validate("post_update", req)

    @workflow.update
    def request_information(self, req: RequestInformation) -> CaseStatus:
        return self._apply("request_information", req, EventKind.INFO_REQUESTED, req.message)

    @request_information.validator
    def _request_information_allowed(self, req: RequestInformation) -> None:
        self._validate("request_information", req)

    @workflow.update
    def provide_information(self, req: ProvideInformation) -> CaseStatus:
        return self._apply("provide_information", req, EventKind.INFO_PROVIDED, req.message)

    @provide_information.validator
    def _provide_information_allowed(self, req: ProvideInformation) -> None:
        self._validate("provide_information", req)

    @workflow.update
    def change_priority(self, req: ChangePriority) -> CaseStatus:
        priority = priority_for(self._intake.case_type, req.impact, req.urgency)
        before = self._priority()
        detail = f"{before.name} -> {priority.name}: {req.reason}"
        raised_to_p1 = priority is Priority.P1 and before is not Priority.P1
        if raised_to_p1 and self._intake.case_type == "incident" and self._is_new(req):
            self._notify(NotificationKind.CALL_TASK, self._call_message())
        return self._apply("change_priority", req, EventKind.PRIORITY_CHANGED, detail, priority)

    @change_priority.validator
    def _change_priority_allowed(self, req: ChangePriority) -> None:
        self._validate("change_priority", req)

    @workflow.update
    async def escalate_to_problem(self, req: EscalateToProblem) -> CaseStatus:
        """Links the case at the problem first: a refused link leaves the case unchanged."""
        if not self._is_new(req):
            return self.status()
        if self._linking is not None:  # validated alongside another escalation
            raise self._linking_in_progress()
        self._linking = req.problem_reference
        try:
            await self._link_to_problem(req.problem_reference)
        finally:
            self._linking = None
        self._validate("escalate_to_problem", req)
        return self._apply("escalate_to_problem", req, EventKind.ESCALATED, req.problem_reference)

    @escalate_to_problem.validator
    def _escalate_to_problem_allowed(self, req: EscalateToProblem) -> None:
        self._validate("escalate_to_problem", req)

    @workflow.update
    def offer_resolution(self, req: OfferResolution) -> CaseStatus:
        offer = f"{req.kind}: {req.summary}"
        if self._is_new(req):
            self._notify(NotificationKind.RESOLUTION_OFFERED, offer)
        return self._apply("offer_resolution", req, EventKind.RESOLUTION_OFFERED, offer)

    @offer_resolution.validator
    def _offer_resolution_allowed(self, req: OfferResolution) -> None:
        self._validate("offer_resolution", req)
        if req.kind in PROBLEM_FIXES and self._problem_reference() is None:
            raise ApplicationError(
                f"kind: a {req.kind} resolves a problem; this case is not escalated to one "
                "(offer advice, a workaround or an upgrade, or escalate it first)",
                type="InvalidResolutionKind",
            )

    @workflow.update
    def accept_resolution(self, req: AcceptResolution) -> CaseStatus:
        if self._is_new(req):
            self._notify(NotificationKind.RESOLVED, "resolution accepted by the integrator")
        return self._apply("accept_resolution", req, EventKind.ACCEPTED)

    @accept_resolution.validator
    def _accept_resolution_allowed(self, req: AcceptResolution) -> None:
        self._validate("accept_resolution", req)

    @workflow.update
    def reopen(self, req: Reopen) -> CaseStatus:
        return self._apply("reopen", req, EventKind.REOPENED, req.reason)

    @reopen.validator
    def _reopen_allowed(self, req: Reopen) -> None:
        if self._state == "resolved" and self._is_new(req):
            raise case_view.reopen_refused(self._intake.reference)
        self._validate("reopen", req)

    @workflow.update
    def withdraw(self, req: Withdraw) -> CaseStatus:
        return self._apply("withdraw", req, EventKind.WITHDRAWN, req.reason)

    @withdraw.validator
    def _withdraw_allowed(self, req: Withdraw) -> None:
        self._validate("withdraw", req)

    @workflow.signal(name=PROBLEM_NEWS)
    async def problem_news(self, news: ProblemNews) -> None:
        """What the linked problem tells the case: the only updates an escalated case owes."""
        await workflow.wait_condition(lambda: bool(self._events) and self._linking is None)
        linked = self._state == "escalated_to_problem"
        if not linked or self._problem_reference() != news.problem_reference:
            return  # stale news from a problem this case no longer waits for
        if news.news_id in self._request_ids:
            return
        self._request_ids.append(news.news_id)
        # Keyed by the news itself: two pieces of news in one instant are two messages.
        key = news.news_id
        if news.kind is NewsKind.FIX_RELEASED and news.vehicle is not None:
            self._notify(NotificationKind.RESOLUTION_OFFERED, news.message, key=key)
            offer = f"{news.vehicle.resolution_kind}: {news.message}"
            self._move("offer_resolution", EventKind.RESOLUTION_OFFERED, offer, news.news_id)
            return
        self._notify(NotificationKind.PROBLEM_NEWS, news.message, key=key)
        if news.kind is NewsKind.NOT_A_DEFECT:
            resumed = EventKind.INVESTIGATION_RESUMED
            self._move("resume_investigation", resumed, news.message, news.news_id)
        else:
            self._record(EventKind.PROBLEM_NEWS, news.message, request_id=news.news_id)

    @workflow.query
    def status(self) -> CaseStatus:
        return case_view.status(self._intake, self._state, self._events, self._view())

    # -- the event log ------------------------------------------------------------------

    def _is_new(self, req: CaseRequest) -> bool:
        return req.request_id not in self._request_ids

    def _validate(self, event: str, req: CaseRequest) -> None:
        if not self._is_new(req):
            return  # a retry of a request already applied: accepted, and a no-op
        if not self._events:
            raise ApplicationError("the case is still being opened; try again", type="NotReady")
        if self._linking is not None:
            raise self._linking_in_progress()
        try:
            check_transition(CaseMachine, self._state, event)
        except InvalidTransition as err:
            raise ApplicationError(str(err), type="InvalidTransition") from None

    def _apply(
        self,
        event: str,
        req: CaseRequest,
        kind: EventKind,
        detail: str = "",
        priority: Priority | None = None,
    ) -> CaseStatus:
        if not self._is_new(req):
            return self.status()
        escalated = self._state == "escalated_to_problem"
        self._move(event, kind, detail, req.request_id, priority)
        if escalated and (self._state != "escalated_to_problem" or priority is not None):
            # The problem ranks itself by its open cases: tell it this one changed or left.
            self._to_problem.append(
                LinkedCaseChanged(
                    problem_reference=self._problem_reference() or "",
                    case_reference=self._intake.reference,
                    priority=self._priority(),
                    open=self._state == "escalated_to_problem",
                )
            )
        return self.status()

    def _move(
        self,
        event: str,
        kind: EventKind,
        detail: str,
        request_id: str,
        priority: Priority | None = None,
    ) -> None:
        self._state = transition(CaseMachine, self._state, event)
        self._record(kind, detail, request_id=request_id, priority=priority)
        self._request_ids.append(request_id)

    def _linking_in_progress(self) -> ApplicationError:
        return ApplicationError(
            f"the case is being linked to problem {self._linking}; try again in a moment",
            type="EscalationInProgress",
        )

    def _record(
        self,
        kind: EventKind,
        detail: str = "",
        *,
        request_id: str | None = None,
        priority: Priority | None = None,
    ) -> None:
        at = workflow.now()
        self._events.append(
            CaseEvent(kind=kind, at=at, request_id=request_id, priority=priority, detail=detail)
        )
        self._dirty = True

    def _log_case(self) -> None:
        now = workflow.now()
        if self._intake.logged_at > now + LOGGED_AT_SKEW:
            self._refusal = ApplicationError(
                f"logged_at: {self._intake.logged_at.isoformat()} is in the future "
                f"(now {now.isoformat()})",
                type="LoggedAtInFuture",
                non_retryable=True,
            )
            raise self._refusal
        priority = self._intake.priority
        self._events.append(
            CaseEvent(kind=EventKind.LOGGED, at=self._intake.logged_at, priority=priority)
        )
        if self._intake.case_type == "incident" and priority is Priority.P1:
            self._notify(NotificationKind.CALL_TASK, self._call_message())

    def _call_message(self) -> str:
        reporter = self._intake.reporter
        return f"P1 incident: call {reporter.name} first ({reporter.phone or reporter.email})"

    # -- derived facts ------------------------------------------------------------------

    def _priority(self) -> Priority:
        return sla.current_priority(self._events)

    def _problem_reference(self) -> str | None:
        return case_view.problem_reference(self._events)

    def _view(self) -> sla.SlaView:
        assert self._setup is not None and self._calendar is not None
        # The log only grows, so its length, the state and the instant identify the view:
        # one activation asks for it several times (loop, status, search attributes).
        key = (len(self._events), self._state, workflow.now())
        if self._view_cache is None or self._view_cache[0] != key:
            view = sla.evaluate(
                self._events,
                self._state,
                self._intake.case_type,
                self._setup.policy,
                self._calendar,
                workflow.now(),
            )
            self._view_cache = (key, view)
        return self._view_cache[1]

    # -- timers and side effects --------------------------------------------------------

    async def _load_setup(self) -> None:
        logged = self._intake.logged_at.date()
        refresh = self._setup is None or (
            self._setup.calendar.valid_to is not None
            and workflow.now().date() + SNAPSHOT_MARGIN > self._setup.calendar.valid_to
        )
        if refresh:
            # Local: a snapshot is quick to make, and this saves a task-queue round trip.
            fresh = await workflow.execute_local_activity_method(
                SetupActivities.load_case_setup,
                SetupRequest(
                    from_date=logged - dt.timedelta(days=7),
                    to_date=workflow.now().date() + dt.timedelta(days=SNAPSHOT_MONTHS * 31),
                ),
                start_to_close_timeout=dt.timedelta(seconds=30),
            )
            # The policy is fixed for the case's life: a continued run keeps its own.
            policy = self._setup.policy if self._setup else fresh.policy
            self._setup = CaseSetup(policy=policy, calendar=fresh.calendar)
        assert self._setup is not None
        self._setup = shared_setup(self._setup)
        self._calendar = WorkingCalendar.from_snapshot(self._setup.calendar)

    def _take_due_actions(self) -> None:
        now = workflow.now()
        for due in self._view().pending:
            if due.at > now:
                break
            self._record(EventKind.ACTION_TAKEN, due.key)
            if due.action is sla.Action.RESOLVE:
                self._state = transition(CaseMachine, self._state, "resolve")
                self._record(EventKind.RESOLVED, "Resolution Offered window closed")
                self._notify(NotificationKind.RESOLVED, "the case is now permanently Resolved")
            else:
                kind = NotificationKind(due.action.value)
                self._notify(kind, case_view.action_message(due), due=due.at, key=due.key)

    def _notify(
        self,
        kind: NotificationKind,
        message: str,
        *,
        due: dt.datetime | None = None,
        key: str | None = None,
    ) -> None:
        self._outbox.append(
            case_view.notification(self._intake, self._priority(), kind, message, due, key)
        )
        self._dirty = True

    async def _deliver_outbox(self) -> None:
        def refused(detail: str) -> None:
            self._record(EventKind.NOTIFICATION_REFUSED, detail)

        await effects.deliver(self._outbox, refused, delivered=self._ledger.delivered)

    async def _write_ledger(self) -> None:
        """The KPI ledger's rows, when a milestone changed them. Updates may land while the
        ledger is written: deliver and publish what they did, and write again; an open case
        due to continue as new leaves that to its next run, which carries the events."""
        assert self._setup is not None and self._calendar is not None
        policy, calendar = self._setup.policy, self._calendar
        while await self._ledger.sync(self._intake, self._state, self._events, policy, calendar):
            if self._state not in CASE_CLOSED and self._should_continue_as_new():
                return
            await self._deliver_outbox()
            await self._tell_problem()
            self._publish()

    async def _link_to_problem(self, problem: str) -> None:
        link = LinkRequest(
            problem_reference=problem,
            case_reference=self._intake.reference,
            priority=self._priority(),
            case_summary=self._intake.summary,
        )
        try:
            await workflow.execute_activity_method(
                ProblemLinks.link_case_to_problem,
                link,
                start_to_close_timeout=LINK_TIMEOUT,
                retry_policy=LINK_RETRIES,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from None
            raise ApplicationError(
                f"problem {problem} could not be reached ({cause}); the case is unchanged: "
                "try again",
                type="ProblemUnavailable",
            ) from None

    async def _tell_problem(self) -> None:
        while self._to_problem:
            change = self._to_problem[0]
            problem = workflow.get_external_workflow_handle(
                problem_workflow_id(change.problem_reference)
            )
            # A problem that has closed meanwhile has nobody left to rank: nothing to do.
            with contextlib.suppress(FailureError):
                await problem.signal(LINKED_CASE_CHANGED, change)
            self._to_problem.pop(0)

    async def _sleep_until(self, due: dt.datetime | None) -> None:
        # The view is keyed by the instant, so whatever wakes the case needs a new one:
        # a parked case keeps none (~2 KiB each).
        self._view_cache = None
        await effects.sleep_until(due, lambda: self._dirty)

    def _publish(self) -> None:
        view = self._view()
        attributes = case_view.search_attributes(self._intake, self._state, self._events, view)
        details = case_view.details(self._state, self._priority(), view)
        effects.publish(attributes, details)

    def _should_continue_as_new(self) -> bool:
        snapshot_ends = self._setup.calendar.valid_to if self._setup else None
        return effects.continue_as_new_due(self._input.history_threshold) or (
            snapshot_ends is not None and workflow.now().date() + SNAPSHOT_MARGIN > snapshot_ends
        )

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            CaseInput(
                intake=self._intake,
                setup=self._setup,
                state=self._state,
                events=self._events,
                request_ids=self._request_ids,
                outbox=self._outbox,
                to_problem=self._to_problem,
                school_data=self._school_data,
                history_threshold=self._input.history_threshold,
            )
        )
