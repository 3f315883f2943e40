"""ProblemWorkflow: the cause of one or more incidents, from investigation to its fix.

A shell around `domain.problem_record.ProblemRecord`, which holds the rules. Cases link
themselves through `link_case` (update-with-start from the case's activity, so racing
escalations share one problem). Each decision the desk records is an update; the news
the charter promises the integrators waits in the record's notices, which the loop
signals to every linked case, `NEWS_BATCH` at a time: a generic defect's thousands of
cases would make one workflow task of thousands of signals (a 10,000-character message to
5,000 cases: 52 MB in one request, and one history past its 50 MB limit); between
batches the run may continue as new, carrying who is still to be told. The
workflow ends once a final state's news is delivered.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.problem_links import Delivery, LinkCase, LinkedCaseChanged, ProblemInput
    from domain.problem_record import ProblemRecord
    from domain.problems import (
        AcceptAsDefect,
        ProblemRequest,
        ProblemStatus,
        Reject,
        ReleaseFix,
        RequestInformation,
        ScheduleFix,
        ScheduleReview,
    )
    from domain.refusals import Refusal
    from workflows import problem_view

from workflows import effects, metrics
from workflows.contract import (
    LINK_CASE,
    LINKED_CASE_CHANGED,
    NEWS_IN_BATCHES,
    OPENED_BY,
    PROBLEM_NEWS,
    PROBLEM_WORKFLOW,
    case_workflow_id,
)
from workflows.updates import checked_update, received

# Signals one workflow task sends at most: 100 of the largest news is about 1 MB.
NEWS_BATCH = 100


def refusal(err: Refusal, *, non_retryable: bool = False) -> ApplicationError:
    return ApplicationError(str(err), type=err.type, non_retryable=non_retryable)


@workflow.defn(name=PROBLEM_WORKFLOW, sandboxed=False)  # see worker.py
class ProblemWorkflow:
    @workflow.init
    def __init__(self, input: ProblemInput) -> None:
        self._input = input
        self._problem = ProblemRecord.from_input(input)
        self._dirty = False
        self._first_run = not self._problem.events
        # Asked here, raised by run() or the first `opened`, whichever comes first.
        self._opening_refused = self._check_opening() if self._first_run else None
        if self._first_run:
            # Here, not in run(): an update-with-start runs its update before run() begins.
            self._problem.open(workflow.now())
            self._dirty = True

    @workflow.run
    async def run(self, input: ProblemInput) -> ProblemStatus:
        self._refuse_opening()
        if self._first_run:
            metrics.case_opened("problem", self._problem.priority.name)
        while True:
            await self._deliver_news()
            self._publish()
            if self._problem.finished:
                break
            if effects.continue_as_new_due(self._input.history_threshold):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._problem.carried(self._input.history_threshold))
            self._dirty = False
            await workflow.wait_condition(lambda: self._dirty)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    # -- updates: the desk's decisions, and cases linking themselves ----------------------

    @workflow.update
    def opened(self) -> ProblemStatus:
        self._refuse_opening()
        return self.status()

    @workflow.update(name=LINK_CASE)
    def link_case(self, link: LinkCase) -> ProblemStatus:
        # Its answer names this case only: it is kept in the history of the problem and
        # of the case's activity, and a generic defect may gather thousands of cases.
        written = len(self._problem.events)
        self._changed(self._problem.link(link, workflow.now()))
        return self._problem.status(since=written, link=link.case_reference)

    # Its own validator: a case refused a link is refused for good (not retryable).
    @link_case.validator
    def _link_case_allowed(self, link: LinkCase) -> None:
        try:
            self._problem.check_link(link)
        except Refusal as err:
            metrics.refusal(err.type)
            raise refusal(err, non_retryable=True) from None

    @checked_update
    def schedule_review(self, req: ScheduleReview) -> ProblemStatus:
        return self._apply("schedule_review", req)

    @checked_update
    def accept_as_defect(self, req: AcceptAsDefect) -> ProblemStatus:
        return self._apply("accept_as_defect", req)

    @checked_update
    def reject(self, req: Reject) -> ProblemStatus:
        return self._apply("reject", req)

    @checked_update
    def request_information(self, req: RequestInformation) -> ProblemStatus:
        return self._apply("request_information", req)

    @checked_update
    def schedule_fix(self, req: ScheduleFix) -> ProblemStatus:
        return self._apply("schedule_fix", req)

    @checked_update
    def release_fix(self, req: ReleaseFix) -> ProblemStatus:
        return self._apply("release_fix", req)

    @workflow.signal(name=LINKED_CASE_CHANGED)
    def linked_case_changed(self, raw: RawValue) -> None:
        change = received(raw, LinkedCaseChanged, LINKED_CASE_CHANGED)
        if change is not None:
            self._changed(self._problem.take_change(change, workflow.now()))

    @workflow.query
    def status(self) -> ProblemStatus:
        return self._problem.status()

    # -- the record -----------------------------------------------------------------------

    def _check_opening(self) -> ApplicationError | None:
        try:
            self._problem.check_opening()
        except Refusal as err:
            return refusal(err, non_retryable=True)
        return None

    def _refuse_opening(self) -> None:
        # A run recorded before openers were checked opened without one: not patched.
        if self._opening_refused and workflow.patched(OPENED_BY):
            raise self._opening_refused

    def _check(self, event: str, req: ProblemRequest) -> None:
        try:
            self._problem.admit(event, req)
            self._problem.check(event, req)
        except Refusal as err:
            metrics.refusal(err.type)
            raise refusal(err) from None

    def _apply(self, event: str, req: ProblemRequest) -> ProblemStatus:
        written = len(self._problem.events)
        self._changed(self._problem.apply(event, req, workflow.now()))
        return self._problem.status(since=written)  # only what the decision recorded

    def _changed(self, recorded: bool) -> ProblemStatus:
        # Only a change wakes the loop: a repeat or a no-op leaves it waiting.
        if recorded:
            self._dirty = True
        return self.status()

    # -- side effects -------------------------------------------------------------------

    async def _deliver_news(self) -> None:
        """Signal what is owed; returns early when the run should continue as new first."""
        if not self._problem.due(1):
            return
        # A run recorded before batches signalled everything owed in one workflow task.
        batch_size = NEWS_BATCH if workflow.patched(NEWS_IN_BATCHES) else None
        while batch := self._problem.due(batch_size):
            await asyncio.gather(*(self._signal(delivery) for delivery in batch))
            self._problem.delivered(len(batch))
            if batch_size and effects.continue_as_new_due(self._input.history_threshold):
                return  # the loop continues as new; the next run tells the rest

    async def _signal(self, delivery: Delivery) -> None:
        case = workflow.get_external_workflow_handle(case_workflow_id(delivery.case_reference))
        try:
            await case.signal(PROBLEM_NEWS, delivery.news)
        except FailureError as err:
            # The case closed meanwhile (withdrawn): nobody is left to tell.
            self._problem.undelivered(delivery, err.message, workflow.now())
            self._dirty = True

    def _publish(self) -> None:
        current = self.status()
        attributes = problem_view.search_attributes(current)
        effects.publish(attributes, problem_view.details(current))
