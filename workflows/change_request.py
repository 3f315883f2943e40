"""ChangeRequestWorkflow: one change request, from consultation to delivered or rejected.

A shell around `domain.cr_record.ChangeRequestRecord`, which holds the rules. One timer
loop wakes at the next reminder `domain.cr_schedule` derives from the log, has the record
take it, and delivers what the record owes: notifications, and the votes a duplicate
hands its original.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.setup import SetupActivities
    from domain.change_requests import (
        ChangeRequestStatus,
        CrEventKind,
        Decision,
        Deliver,
        MarkDuplicate,
        MergeVotes,
        Plan,
        Review,
        Unvote,
        Vote,
    )
    from domain.cr_record import ChangeRequestRecord
    from domain.cr_schedule import ScheduleView
    from domain.models import CaseRequest
    from domain.policy_change import ApplyPolicy
    from domain.refusals import Refusal
    from domain.workflow_inputs import ChangeRequestInput, SetupRequest
    from workflows import cr_view

from workflows import effects, metrics
from workflows.contract import (
    CHANGE_REQUEST_WORKFLOW,
    MERGE_VOTES,
    OPENED_BY,
    change_request_workflow_id,
)
from workflows.updates import checked_update, received


def refusal(err: Exception, *, non_retryable: bool = False) -> ApplicationError:
    return ApplicationError(str(err), type=type(err).__name__, non_retryable=non_retryable)


@workflow.defn(
    name=CHANGE_REQUEST_WORKFLOW, sandboxed=False
)  # determinism is checked statically: see worker.py
class ChangeRequestWorkflow:
    @workflow.init
    def __init__(self, input: ChangeRequestInput) -> None:
        self._input = input
        self._cr = ChangeRequestRecord.from_input(input)
        self._dirty = False
        self._refusal: ApplicationError | None = None
        self._view_cache: tuple[tuple[int, str, dt.datetime], ScheduleView] | None = None

    @workflow.run
    async def run(self, input: ChangeRequestInput) -> ChangeRequestStatus:
        if self._cr.policy is None:
            today = workflow.now().date()
            setup = await workflow.execute_activity_method(
                SetupActivities.load_case_setup,
                SetupRequest(from_date=today, to_date=today),
                start_to_close_timeout=dt.timedelta(seconds=30),
                summary="load the support policy",
            )
            self._cr.policy = setup.policy
        if not self._cr.events:
            try:
                if workflow.patched(OPENED_BY):  # runs recorded before it opened without one
                    self._cr.check_opening()
                self._cr.publish(workflow.now())
            except Refusal as err:
                metrics.refusal(type(err).__name__)
                self._refusal = refusal(err, non_retryable=True)
                raise self._refusal from None
            metrics.case_opened("change_request", "none")
        while True:
            self._cr.take_due(self._view(), workflow.now())
            await self._deliver()
            self._publish()
            if self._cr.closed:
                break
            if effects.continue_as_new_due(self._input.history_threshold):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._cr.carried(self._input.history_threshold))
            self._dirty = False
            await self._sleep_until(self._view().next_action_due)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    # -- updates: votes and decisions -----------------------------------------------------

    @workflow.update
    async def opened(self) -> ChangeRequestStatus:
        """Waits until the request is published, then returns its first status (or refusal)."""
        await workflow.wait_condition(lambda: bool(self._cr.events) or bool(self._refusal))
        if self._refusal is not None:
            raise self._refusal
        return self.status()

    @checked_update
    def vote(self, req: Vote) -> ChangeRequestStatus:
        return self._apply("vote", req)

    @checked_update
    def unvote(self, req: Unvote) -> ChangeRequestStatus:
        return self._apply("unvote", req)

    @checked_update
    def review(self, req: Review) -> ChangeRequestStatus:
        return self._apply("review", req)

    @checked_update
    def consider(self, req: Decision) -> ChangeRequestStatus:
        return self._apply("consider", req)

    @checked_update
    def plan(self, req: Plan) -> ChangeRequestStatus:
        return self._apply("plan", req)

    @checked_update
    def deliver(self, req: Deliver) -> ChangeRequestStatus:
        return self._apply("deliver", req)

    @checked_update
    def reject(self, req: Decision) -> ChangeRequestStatus:
        return self._apply("reject", req)

    @checked_update
    def mark_duplicate(self, req: MarkDuplicate) -> ChangeRequestStatus:
        return self._apply("mark_duplicate", req)

    @checked_update
    def apply_policy(self, req: ApplyPolicy) -> ChangeRequestStatus:
        """The desk's new support policy (DESIGN §15): the reminders derived again under it."""
        written = len(self._cr.events)
        if self._cr.apply_policy(req, workflow.now()):
            self._dirty = True  # the reminders move: the loop sleeps again
        return cr_view.status(self._cr, self._view(), since=written)

    @workflow.signal(name=MERGE_VOTES)
    async def merge_votes(self, raw: RawValue) -> None:
        """A duplicate hands over its voters; a repeated hand-over changes nothing."""
        merge = received(raw, MergeVotes, MERGE_VOTES)
        if merge is None:
            return
        await workflow.wait_condition(lambda: bool(self._cr.events))
        self._cr.merge(merge, workflow.now())
        self._dirty = True

    @workflow.query
    def status(self) -> ChangeRequestStatus:
        return cr_view.status(self._cr, self._view())

    # -- the record -----------------------------------------------------------------------

    def _check(self, event: str, req: CaseRequest) -> None:
        try:
            self._cr.admit(event, req)
            if isinstance(req, ApplyPolicy):
                self._cr.check_policy(req)
            else:
                self._cr.check(event, req)
        except Refusal as err:
            metrics.refusal(type(err).__name__)
            raise refusal(err) from None

    def _apply(self, event: str, req: CaseRequest) -> ChangeRequestStatus:
        written = len(self._cr.events)
        self._cr.apply(event, req, workflow.now())
        self._dirty = True
        return cr_view.status(self._cr, self._view(), since=written)

    def _view(self) -> ScheduleView:
        # The log only grows, so its length, the state and the instant identify the view:
        # one activation asks for it several times (loop, status, search attributes).
        key = (len(self._cr.events), self._cr.state, workflow.now())
        if self._view_cache is None or self._view_cache[0] != key:
            self._view_cache = (key, self._cr.view(workflow.now()))
        return self._view_cache[1]

    # -- timers and side effects ----------------------------------------------------------

    async def _deliver(self) -> None:
        """The outbox's notifications, then a duplicate's votes for its original."""

        def refused(detail: str) -> None:
            self._cr.note(CrEventKind.NOTIFICATION_REFUSED, workflow.now(), detail)

        await effects.deliver(self._cr.outbox, refused)
        if self._cr.merge_into:
            await self._hand_votes_to(self._cr.merge_into)

    async def _hand_votes_to(self, original: str) -> None:
        merge = self._cr.votes_to_hand_over()
        handle = workflow.get_external_workflow_handle_for(
            ChangeRequestWorkflow.run, change_request_workflow_id(original)
        )
        try:
            await handle.signal(MERGE_VOTES, merge)
        except FailureError as err:  # the original has finished, or never existed
            self._cr.handed_over(workflow.now(), refused=str(err))
        else:
            self._cr.handed_over(workflow.now())

    async def _sleep_until(self, due: dt.datetime | None) -> None:
        summary = cr_view.wake_summary(self._cr, self._view())  # which reminder, in the UI
        # The view is keyed by the instant, so whatever wakes the request needs a new one:
        # a parked request keeps none.
        self._view_cache = None
        await effects.sleep_until(due, lambda: self._dirty, summary)

    def _publish(self) -> None:
        view = self._view()
        effects.publish(cr_view.search_attributes(self._cr, view), cr_view.details(self._cr, view))
