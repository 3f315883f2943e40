"""ProblemWorkflow: the cause of one or more incidents, from investigation to its fix.

Cases link themselves through `link_case` (update-with-start from the case's activity, so
racing escalations share one problem). Each decision the desk records is an update; the
news the charter promises the integrators waits in an outbox that the loop signals to
every linked case. The workflow ends once a final state's news is delivered.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.machines import ProblemMachine, allowed_events, transition
    from domain.problem_links import (
        Delivery,
        LinkCase,
        LinkedCaseChanged,
        NewsKind,
        ProblemInput,
        ProblemNews,
    )
    from domain.problems import (
        CLOSED_STATES,
        AcceptAsDefect,
        LinkedCase,
        ProblemEvent,
        ProblemEventKind,
        ProblemRequest,
        ProblemStatus,
        Reject,
        ReleaseFix,
        RequestInformation,
        ScheduleFix,
        ScheduleReview,
        closed_to_new_links,
        problem_priority,
    )
    from workflows import problem_view

from workflows import effects
from workflows.contract import (
    LINK_CASE,
    LINKED_CASE_CHANGED,
    PROBLEM_NEWS,
    PROBLEM_WORKFLOW,
    case_workflow_id,
)

Kind = ProblemEventKind


@workflow.defn(name=PROBLEM_WORKFLOW, sandboxed=False)  # see worker.py
class ProblemWorkflow:
    @workflow.init
    def __init__(self, input: ProblemInput) -> None:
        self._input = input
        self._opening = input.opening
        self._state = input.state
        self._scope = input.scope or input.opening.scope
        self._school_urn = input.school_urn if input.scope else input.opening.school_urn
        self._events = list(input.events)
        self._links = list(input.links)
        self._request_ids = list(input.request_ids)
        self._outbox = list(input.outbox)
        self._vehicle = input.vehicle
        self._target_version = input.target_version
        self._released_version = input.released_version
        self._dirty = False
        if not self._events:
            # Here, not in run(): an update-with-start runs its update before run() begins.
            self._record(Kind.OPENED, self._opening.summary)

    @workflow.run
    async def run(self, input: ProblemInput) -> ProblemStatus:
        while True:
            await self._deliver_news()
            self._publish()
            if self._state in CLOSED_STATES and not self._outbox:
                break
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._snapshot())
            self._dirty = False
            await workflow.wait_condition(lambda: self._dirty)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    # -- updates: the desk's decisions, and cases linking themselves ----------------------

    @workflow.update
    def opened(self) -> ProblemStatus:
        return self.status()

    @workflow.update(name=LINK_CASE)
    def link_case(self, link: LinkCase) -> ProblemStatus:
        known = next((c for c in self._links if c.reference == link.case_reference), None)
        if known is None or not known.open or known.priority != link.priority:
            linked = LinkedCase(
                reference=link.case_reference,
                priority=link.priority,
                linked_at=known.linked_at if known else workflow.now(),
            )
            self._replace_link(
                linked, Kind.CASE_LINKED, f"{link.case_reference} ({link.priority.name})"
            )
        return self.status()

    @link_case.validator
    def _link_case_allowed(self, link: LinkCase) -> None:
        if self._state in CLOSED_STATES:
            raise ApplicationError(
                closed_to_new_links(self._opening.reference, self._state, link.case_reference),
                type="ProblemClosed",
                non_retryable=True,
            )

    @workflow.update
    def schedule_review(self, req: ScheduleReview) -> ProblemStatus:
        news = (NewsKind.REVIEW_SCHEDULED, req.message)
        return self._apply("schedule_review", req, Kind.REVIEW_SCHEDULED, req.message, news)

    @schedule_review.validator
    def _schedule_review_allowed(self, req: ScheduleReview) -> None:
        self._validate("schedule_review", req)

    @workflow.update
    def accept_as_defect(self, req: AcceptAsDefect) -> ProblemStatus:
        if req.scope is not None and self._is_new(req):
            self._scope, self._school_urn = req.scope, req.school_urn
        news = (NewsKind.ACCEPTED_AS_DEFECT, req.message)
        detail = f"{self._scope.value}: {req.message}" if req.scope else req.message
        return self._apply("accept_as_defect", req, Kind.ACCEPTED_AS_DEFECT, detail, news)

    @accept_as_defect.validator
    def _accept_as_defect_allowed(self, req: AcceptAsDefect) -> None:
        self._validate("accept_as_defect", req)

    @workflow.update
    def reject(self, req: Reject) -> ProblemStatus:
        news = (NewsKind.NOT_A_DEFECT, req.reason)
        return self._apply("reject", req, Kind.REJECTED, req.reason, news)

    @reject.validator
    def _reject_allowed(self, req: Reject) -> None:
        self._validate("reject", req)

    @workflow.update
    def request_information(self, req: RequestInformation) -> ProblemStatus:
        news = (NewsKind.INFORMATION_NEEDED, req.message)
        kind = Kind.INFORMATION_REQUESTED
        return self._apply("request_information", req, kind, req.message, news)

    @request_information.validator
    def _request_information_allowed(self, req: RequestInformation) -> None:
        self._validate("request_information", req)

    @workflow.update
    def schedule_fix(self, req: ScheduleFix) -> ProblemStatus:
        if self._is_new(req):
            self._vehicle, self._target_version = req.vehicle, req.target_version
        detail = f"{req.vehicle.label} {req.target_version}"
        return self._apply("schedule_fix", req, Kind.FIX_SCHEDULED, detail)

    @schedule_fix.validator
    def _schedule_fix_allowed(self, req: ScheduleFix) -> None:
        self._validate("schedule_fix", req)

    @workflow.update
    def release_fix(self, req: ReleaseFix) -> ProblemStatus:
        if self._is_new(req):
            self._released_version = req.version or self._target_version
        assert self._vehicle is not None  # the machine only releases a scheduled fix
        detail = f"{self._vehicle.label} {self._released_version}"
        news = (NewsKind.FIX_RELEASED, req.summary)
        return self._apply("release_fix", req, Kind.FIX_RELEASED, detail, news)

    @release_fix.validator
    def _release_fix_allowed(self, req: ReleaseFix) -> None:
        self._validate("release_fix", req)

    @workflow.signal(name=LINKED_CASE_CHANGED)
    def linked_case_changed(self, change: LinkedCaseChanged) -> None:
        known = next((c for c in self._links if c.reference == change.case_reference), None)
        if known is None or (known.priority, known.open) == (change.priority, change.open):
            return
        linked = known.model_copy(update={"priority": change.priority, "open": change.open})
        detail = (
            f"{change.case_reference} ({change.priority.name}{'' if change.open else ', closed'})"
        )
        self._replace_link(linked, Kind.CASE_CHANGED, detail)

    @workflow.query
    def status(self) -> ProblemStatus:
        return problem_view.status(self._snapshot())

    # -- the event log ------------------------------------------------------------------

    def _is_new(self, req: ProblemRequest) -> bool:
        return req.request_id not in self._request_ids

    def _validate(self, event: str, req: ProblemRequest) -> None:
        if not self._is_new(req):
            return  # a retry of a request already applied: accepted, and a no-op
        allowed = allowed_events(ProblemMachine, self._state)
        if event not in allowed:
            now = ", ".join(e for e in allowed if e != LINK_CASE) or "none: the problem is closed"
            raise ApplicationError(
                f"{event} is not allowed while the problem is {self._state.replace('_', ' ')} "
                f"(allowed now: {now})",
                type="InvalidTransition",
            )

    def _apply(
        self,
        event: str,
        req: ProblemRequest,
        kind: ProblemEventKind,
        detail: str,
        news: tuple[NewsKind, str] | None = None,
    ) -> ProblemStatus:
        if not self._is_new(req):
            return self.status()
        self._state = transition(ProblemMachine, self._state, event)
        self._record(kind, detail, request_id=req.request_id)
        self._request_ids.append(req.request_id)
        if news is not None:
            self._tell_linked_cases(news[0], news[1], req.request_id)
        return self.status()

    def _record(
        self, kind: ProblemEventKind, detail: str = "", request_id: str | None = None
    ) -> None:
        self._events.append(
            ProblemEvent(kind=kind, at=workflow.now(), request_id=request_id, detail=detail)
        )
        self._dirty = True

    def _replace_link(self, linked: LinkedCase, kind: ProblemEventKind, detail: str) -> None:
        ranked = any(c.open for c in self._links)  # the first case sets the priority
        before = problem_priority(self._links)
        if any(c.reference == linked.reference for c in self._links):
            self._links = [linked if c.reference == linked.reference else c for c in self._links]
        else:
            self._links.append(linked)
        self._record(kind, detail)
        after = problem_priority(self._links)
        if ranked and after != before:
            self._record(Kind.PRIORITY_CHANGED, f"{before.name} -> {after.name}")

    def _tell_linked_cases(self, kind: NewsKind, text: str, request_id: str) -> None:
        reference = self._opening.reference
        version = self._released_version or self._target_version
        news = ProblemNews(
            news_id=f"problem-{reference}:{request_id}",
            problem_reference=reference,
            kind=kind,
            message=problem_view.news_message(kind, reference, text, self._vehicle, version),
            vehicle=self._vehicle if kind is NewsKind.FIX_RELEASED else None,
            version=version if kind is NewsKind.FIX_RELEASED else None,
        )
        for link in self._links:
            if link.open:
                self._outbox.append(Delivery(case_reference=link.reference, news=news))

    # -- side effects -------------------------------------------------------------------

    async def _deliver_news(self) -> None:
        while self._outbox:
            batch = list(self._outbox)
            await asyncio.gather(*(self._signal(delivery) for delivery in batch))
            self._outbox = self._outbox[len(batch) :]

    async def _signal(self, delivery: Delivery) -> None:
        case = workflow.get_external_workflow_handle(case_workflow_id(delivery.case_reference))
        try:
            await case.signal(PROBLEM_NEWS, delivery.news)
        except FailureError as err:
            # The case closed meanwhile (withdrawn): nobody is left to tell.
            detail = f"{delivery.case_reference}: {delivery.news.kind.value}: {err.message}"
            self._record(Kind.NEWS_UNDELIVERED, detail)

    def _publish(self) -> None:
        current = self.status()
        attributes = problem_view.search_attributes(current)
        effects.publish(attributes, problem_view.details(current))

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        threshold = self._input.history_threshold
        return info.is_continue_as_new_suggested() or (
            threshold is not None and info.get_current_history_length() >= threshold
        )

    def _snapshot(self) -> ProblemInput:
        """Everything the problem knows: its status, and what a continued run carries."""
        return ProblemInput(
            opening=self._opening,
            state=self._state,
            scope=self._scope,
            school_urn=self._school_urn,
            events=self._events,
            links=self._links,
            request_ids=self._request_ids,
            outbox=self._outbox,
            vehicle=self._vehicle,
            target_version=self._target_version,
            released_version=self._released_version,
            history_threshold=self._input.history_threshold,
        )
