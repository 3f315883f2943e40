"""ChangeRequestWorkflow: one change request, from consultation to delivered or rejected.

Thin like the case workflow: each update checks the machine, records an event and moves
the state; `domain.cr_schedule` derives the reminders from the log; one timer loop
wakes at the next reminder. Notifications, and the votes a duplicate hands its original,
wait in an outbox the loop delivers.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.setup import SetupActivities
    from domain import cr_schedule
    from domain.change_requests import (
        FINAL_STATES,
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
    from domain.cr_record import ChangeRequestRecord, voters
    from domain.models import CaseRequest
    from domain.refusals import Refusal
    from domain.workflow_inputs import ChangeRequestInput, SetupRequest
    from workflows import cr_view

from workflows import effects
from workflows.contract import CHANGE_REQUEST_WORKFLOW, MERGE_VOTES, change_request_workflow_id


def refusal(err: Exception, *, non_retryable: bool = False) -> ApplicationError:
    return ApplicationError(str(err), type=type(err).__name__, non_retryable=non_retryable)


@workflow.defn(
    name=CHANGE_REQUEST_WORKFLOW, sandboxed=False
)  # determinism is checked statically: see worker.py
class ChangeRequestWorkflow:
    @workflow.init
    def __init__(self, input: ChangeRequestInput) -> None:
        self._input = input
        self._policy = input.policy
        self._cr = ChangeRequestRecord(
            input.request, input.state, list(input.events), list(input.request_ids)
        )
        self._outbox = list(input.outbox)
        self._merge_into = input.merge_into
        self._dirty = False
        self._refusal: ApplicationError | None = None

    @workflow.run
    async def run(self, input: ChangeRequestInput) -> ChangeRequestStatus:
        if self._policy is None:
            today = workflow.now().date()
            setup = await workflow.execute_activity_method(
                SetupActivities.load_case_setup,
                SetupRequest(from_date=today, to_date=today),
                start_to_close_timeout=dt.timedelta(seconds=30),
            )
            self._policy = setup.policy  # fixed for the request's life
        if not self._cr.events:
            try:
                self._cr.publish(workflow.now())
            except Refusal as err:
                self._refusal = refusal(err, non_retryable=True)
                raise self._refusal from None
        while True:
            self._take_due_actions()
            await self._deliver()
            self._publish()
            if self._cr.state in FINAL_STATES:
                break
            if effects.continue_as_new_due(self._input.history_threshold):
                await self._continue_as_new()
            self._dirty = False
            await effects.sleep_until(self._view().next_action_due, lambda: self._dirty)
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

    @workflow.update
    def vote(self, req: Vote) -> ChangeRequestStatus:
        return self._apply("vote", req)

    @vote.validator
    def _vote_allowed(self, req: Vote) -> None:
        self._check("vote", req)

    @workflow.update
    def unvote(self, req: Unvote) -> ChangeRequestStatus:
        return self._apply("unvote", req)

    @unvote.validator
    def _unvote_allowed(self, req: Unvote) -> None:
        self._check("unvote", req)

    @workflow.update
    def review(self, req: Review) -> ChangeRequestStatus:
        return self._apply("review", req)

    @review.validator
    def _review_allowed(self, req: Review) -> None:
        self._check("review", req)

    @workflow.update
    def consider(self, req: Decision) -> ChangeRequestStatus:
        return self._apply("consider", req)

    @consider.validator
    def _consider_allowed(self, req: Decision) -> None:
        self._check("consider", req)

    @workflow.update
    def plan(self, req: Plan) -> ChangeRequestStatus:
        return self._apply("plan", req)

    @plan.validator
    def _plan_allowed(self, req: Plan) -> None:
        self._check("plan", req)

    @workflow.update
    def deliver(self, req: Deliver) -> ChangeRequestStatus:
        return self._apply("deliver", req)

    @deliver.validator
    def _deliver_allowed(self, req: Deliver) -> None:
        self._check("deliver", req)

    @workflow.update
    def reject(self, req: Decision) -> ChangeRequestStatus:
        return self._apply("reject", req)

    @reject.validator
    def _reject_allowed(self, req: Decision) -> None:
        self._check("reject", req)

    @workflow.update
    def mark_duplicate(self, req: MarkDuplicate) -> ChangeRequestStatus:
        return self._apply("mark_duplicate", req)

    @mark_duplicate.validator
    def _mark_duplicate_allowed(self, req: MarkDuplicate) -> None:
        self._check("mark_duplicate", req)

    @workflow.signal(name=MERGE_VOTES)
    async def merge_votes(self, merge: MergeVotes) -> None:
        """A duplicate hands over its voters; a repeated hand-over changes nothing."""
        await workflow.wait_condition(lambda: bool(self._cr.events))
        self._cr.merge(merge, workflow.now())
        self._dirty = True

    @workflow.query
    def status(self) -> ChangeRequestStatus:
        assert self._policy is not None
        cr = self._cr
        return cr_view.status(cr.request, cr.state, cr.events, self._policy, self._view())

    # -- the record -----------------------------------------------------------------------

    def _check(self, event: str, req: CaseRequest) -> None:
        try:
            self._cr.check(event, req)
        except Refusal as err:
            raise refusal(err) from None

    def _apply(self, event: str, req: CaseRequest) -> ChangeRequestStatus:
        decision = self._cr.apply(event, req, workflow.now())
        if decision is not None and decision.kind is not CrEventKind.REVIEWED:
            self._outbox.append(cr_view.decided(self._cr.request, decision))
        if decision is not None and isinstance(req, MarkDuplicate):
            self._merge_into = req.original_reference
        self._dirty = True
        return self.status()

    def _view(self) -> cr_schedule.ScheduleView:
        assert self._policy is not None
        return cr_schedule.evaluate(self._cr.events, self._cr.state, self._policy, workflow.now())

    # -- timers and side effects ----------------------------------------------------------

    def _take_due_actions(self) -> None:
        now = workflow.now()
        for due in self._view().pending:
            if due.at > now:
                break
            self._cr.note(CrEventKind.ACTION_TAKEN, now, due.key)
            votes = len(voters(self._cr.events))
            self._outbox.append(cr_view.reminder(self._cr.request, due, votes))

    async def _deliver(self) -> None:
        def refused(detail: str) -> None:
            self._cr.note(CrEventKind.NOTIFICATION_REFUSED, workflow.now(), detail)

        await effects.deliver(self._outbox, refused)
        if self._merge_into:
            await self._hand_votes_to(self._merge_into)
            self._merge_into = None

    async def _hand_votes_to(self, original: str) -> None:
        reference = self._cr.request.reference
        merge = MergeVotes(duplicate_reference=reference, integrator_ids=voters(self._cr.events))
        handle = workflow.get_external_workflow_handle_for(
            ChangeRequestWorkflow.run, change_request_workflow_id(original)
        )
        try:
            await handle.signal(ChangeRequestWorkflow.merge_votes, merge)
        except FailureError as err:  # the original has finished, or never existed
            self._cr.note(CrEventKind.VOTES_NOT_MERGED, workflow.now(), f"{original}: {err}")

    def _publish(self) -> None:
        cr, view = self._cr, self._view()
        attributes = cr_view.search_attributes(cr.request, cr.state, cr.events, view)
        effects.publish(attributes, cr_view.details(cr.state, cr.events, view))

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            ChangeRequestInput(
                request=self._cr.request,
                policy=self._policy,
                state=self._cr.state,
                events=self._cr.events,
                request_ids=self._cr.request_ids,
                outbox=self._outbox,
                merge_into=self._merge_into,
                history_threshold=self._input.history_threshold,
            )
        )
