"""CaseWorkflow: one incident, enquiry or service request, from logging to Resolved.

A shell around `domain.case_record.CaseRecord`, which holds the rules. One timer loop
wakes at the next action due, has the record take it, and delivers what the record owes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain import case_setup, models, sla
    from domain import school_data as school
    from domain.case_record import CaseRecord
    from domain.case_school_data import SchoolRequest
    from domain.models import CaseOutcome, CaseRequest, CaseStatus, EventKind
    from domain.policy_change import ApplyPolicy
    from domain.problem_links import ProblemNews
    from domain.refusals import Refusal
    from domain.workflow_inputs import CaseInput
    from workflows import case_view

from workflows import case_calls, effects, metrics
from workflows.contract import (
    CASE_WORKFLOW,
    LINKED_CASE_CHANGED,
    OPENED_BY,
    PROBLEM_NEWS,
    problem_workflow_id,
)
from workflows.ledger_sync import LedgerSync
from workflows.updates import checked_update, received

__all__ = ["CaseInput", "CaseWorkflow"]

P = ParamSpec("P")
T = TypeVar("T")
LINK_TIMEOUT = dt.timedelta(seconds=30)
LINK_RETRIES = RetryPolicy(maximum_attempts=3, maximum_interval=dt.timedelta(seconds=10))


@workflow.defn(name=CASE_WORKFLOW, sandboxed=False)  # see worker.py
class CaseWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._input = input
        self._case = CaseRecord.from_input(input)
        self._dirty = False
        self._refusal: ApplicationError | None = None
        self._ledger = LedgerSync()
        self._view_cache: tuple[tuple[int, str, dt.datetime], sla.SlaView] | None = None

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        await case_calls.load_setup(self._case)
        if not self._case.events:
            self._log_case(checked=workflow.patched(OPENED_BY))
        while True:
            for due in self._case.take_due(self._view(), workflow.now()):
                metrics.sla_action(due.action, self._case.priority.name)
            self._dirty = False  # an update landing while we await wakes the next pass
            self._publish()  # operators see the new state before any delivery ends
            await self._deliver()
            self._publish()
            await self._write_ledger()
            if self._case.closed:
                break
            if self._should_continue_as_new():
                await self._continue_as_new()
            await self._sleep()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return case_view.outcome(self._case, self._view())

    # -- updates: the case's events -----------------------------------------------------

    @workflow.update
    async def opened(self) -> CaseStatus:
        """Waits until the case is set up, then returns its first status (or its refusal)."""
        await workflow.wait_condition(lambda: bool(self._case.events) or self._refusal is not None)
        if self._refusal is not None:
            raise self._refusal
        return self.status()

    @checked_update
    def acknowledge(self, req: models.Acknowledge) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def post_update(self, req: models.PostUpdate) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def request_information(self, req: models.RequestInformation) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def provide_information(self, req: models.ProvideInformation) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def change_priority(self, req: models.ChangePriority) -> CaseStatus:
        return self._apply(req)

    @checked_update
    async def escalate_to_problem(self, req: models.EscalateToProblem) -> CaseStatus:
        """Links the case at the problem first: a refused link leaves the case unchanged."""
        if not self._case.is_new(req):
            return self._answer(len(self._case.events))
        self._ruled(self._case.start_linking, req)
        try:
            await case_calls.link_to_problem(self._case, req.problem_reference, req.actor)
        finally:
            self._case.linking = None
        return self._apply(req)

    @checked_update
    def offer_resolution(self, req: models.OfferResolution) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def accept_resolution(self, req: models.AcceptResolution) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def reopen(self, req: models.Reopen) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def withdraw(self, req: models.Withdraw) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def give_feedback(self, req: models.GiveFeedback) -> CaseStatus:
        return self._apply(req)

    @checked_update
    def apply_policy(self, req: ApplyPolicy) -> CaseStatus:
        """The desk's new support policy (DESIGN §15): every clock derived again under it."""
        written = len(self._case.events)
        self._ruled(self._case.apply_policy, req, workflow.now())
        return self._answer(written)

    @workflow.signal(name=PROBLEM_NEWS)
    async def problem_news(self, raw: RawValue) -> None:
        news = received(raw, ProblemNews, PROBLEM_NEWS)
        if news is None:
            return
        await workflow.wait_condition(
            lambda: bool(self._case.events) and self._case.linking is None
        )
        if self._case.hear(news, workflow.now()):
            self._dirty = True

    @workflow.query
    def status(self) -> CaseStatus:
        return case_view.status(self._case, self._view())

    # -- updates: school data (DESIGN §8) -------------------------------------------------

    @checked_update
    def request_school_data(self, req: school.RequestSchoolData) -> school.SchoolData:
        return self._ruled(self._case.apply_school, req, workflow.now())

    @checked_update
    def record_data_transfer(self, req: school.RecordDataTransfer) -> school.SchoolData:
        return self._ruled(self._case.apply_school, req, workflow.now())

    @checked_update
    def request_partner_access(self, req: school.RequestPartnerAccess) -> school.SchoolData:
        return self._ruled(self._case.apply_school, req, workflow.now())

    @checked_update
    def approve_partner_access(self, req: school.ApprovePartnerAccess) -> school.SchoolData:
        return self._ruled(self._case.apply_school, req, workflow.now())

    @checked_update
    def refuse_partner_access(self, req: school.RefusePartnerAccess) -> school.SchoolData:
        return self._ruled(self._case.apply_school, req, workflow.now())

    @workflow.query
    def school_data(self) -> school.SchoolData:
        return self._case.school_data

    # -- the record ---------------------------------------------------------------------

    def _ruled(self, rule: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """The rule's answer; a refusal reaches the caller, and what it wrote wakes the loop."""
        written = len(self._case.events)
        try:
            answer = rule(*args, **kwargs)
        except Refusal as err:
            metrics.refusal(err.type)
            raise case_view.refusal(err) from None
        self._dirty = self._dirty or len(self._case.events) > written
        return answer

    def _check(self, update: str, req: CaseRequest) -> None:
        # `update` goes unused: the case's record reads the event from the request's type.
        # Who sends it first: another integrator learns nothing of the case's state.
        self._ruled(self._case.admit, req)
        if isinstance(req, SchoolRequest):
            self._ruled(self._case.check_school, req, workflow.now())
        elif isinstance(req, ApplyPolicy):
            self._ruled(self._case.check_policy, req)
        else:
            self._ruled(self._case.check, req)

    def _apply(self, req: CaseRequest) -> CaseStatus:
        written = len(self._case.events)
        self._ruled(self._case.apply, req, workflow.now())
        return self._answer(written)

    def _answer(self, since: int) -> CaseStatus:
        """An update's answer: the status with only the events it recorded (DESIGN §5)."""
        return case_view.status(self._case, self._view(), since=since)

    def _log_case(self, *, checked: bool) -> None:
        # `checked`: the opener and the back-dating (0.2); a run recorded before did neither.
        try:
            if checked:
                self._case.check_opening()
            self._case.log(workflow.now(), bounded=checked)
            metrics.case_opened(self._case.intake.case_type.value, self._case.priority.name)
        except Refusal as err:
            metrics.refusal(err.type)
            self._refusal = case_view.refusal(err)
            raise self._refusal from None

    def _view(self) -> sla.SlaView:
        # The log only grows, so its length, the state and the instant identify the view:
        # one activation asks for it several times (loop, status, search attributes).
        key = (len(self._case.events), self._case.state, workflow.now())
        if self._view_cache is None or self._view_cache[0] != key:
            self._view_cache = (key, self._case.view(workflow.now()))
        return self._view_cache[1]

    # -- timers and side effects --------------------------------------------------------

    async def _deliver(self) -> None:
        """The outbox's notifications, then the changes the problem must hear of."""

        def refused(detail: str) -> None:
            self._case.record(EventKind.NOTIFICATION_REFUSED, detail, workflow.now())
            self._dirty = True

        await effects.deliver(self._case.outbox, refused, delivered=self._ledger.delivered)
        while self._case.to_problem:
            change = self._case.to_problem[0]
            problem = workflow.get_external_workflow_handle(
                problem_workflow_id(change.problem_reference)
            )
            # A problem that has closed meanwhile has nobody left to rank: nothing to do.
            with contextlib.suppress(FailureError):
                await problem.signal(LINKED_CASE_CHANGED, change)
            self._case.to_problem.pop(0)

    async def _write_ledger(self) -> None:
        """The KPI ledger's rows, when a milestone changed them. Updates may land while the
        ledger is written: deliver and publish what they did, and write again; an open case
        due to continue as new leaves that to its next run, which carries the events."""
        while await self._ledger.sync(self._case):
            if not self._case.closed and self._should_continue_as_new():
                return
            await self._deliver()
            self._publish()

    async def _sleep(self) -> None:
        """Until the next action is due (its summary names it in the UI), or a change."""
        view = self._view()
        due, summary = self._case.next_wake(view), case_view.wake_summary(self._case, view)
        self._view_cache = None  # keyed by the instant: what wakes the case needs a new one
        await effects.sleep_until(due, lambda: self._dirty, summary)

    def _publish(self) -> None:
        view = self._view()
        attributes = case_view.search_attributes(self._case, view)
        effects.publish(attributes, case_view.details(self._case, view))

    def _should_continue_as_new(self) -> bool:
        running_out = case_setup.running_out(self._case.setup, workflow.now().date())
        return effects.continue_as_new_due(self._input.history_threshold) or running_out

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self._case.carried(self._input.history_threshold))
