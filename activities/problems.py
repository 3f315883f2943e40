"""Linking a case to its problem: update-with-start, so racing escalations share one problem.

A workflow cannot signal- or update-with-start another workflow, so the case asks this
activity, which holds a Temporal client, to do it. The problem's `link_case` validator
decides whether the link is allowed; its refusal comes back as a typed, non-retryable
`ApplicationError` that the case's escalation update passes on to its caller.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.actors import Actor
from domain.models import Priority
from domain.problem_links import (
    LinkCase,
    ProblemInput,
)
from domain.problems import (
    OpenProblem,
    ProblemStatus,
    closed_to_new_links,
)
from domain.refusals import ProblemClosed
from workflows import search
from workflows.contract import LINK_CASE, PROBLEM_WORKFLOW, problem_workflow_id


class LinkRequest(BaseModel):
    model_config = ConfigDict(frozen=True)
    problem_reference: str
    case_reference: str
    priority: Priority
    case_summary: str = ""
    # Who escalated (the desk): it opens the problem if the escalation does.
    actor: Actor | None = None


class ProblemLinks:
    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn
    async def link_case_to_problem(self, request: LinkRequest) -> ProblemStatus:
        """Link the case to the problem, opening the problem if it does not exist yet."""
        await self._refuse_if_closed(request)
        problem_id = problem_workflow_id(request.problem_reference)
        summary = f"escalated from case {request.case_reference}: {request.case_summary}"
        start: WithStartWorkflowOperation[Any, ProblemStatus] = WithStartWorkflowOperation(
            PROBLEM_WORKFLOW,
            ProblemInput(
                opening=OpenProblem(reference=request.problem_reference, summary=summary[:200]),
                opened_by=request.actor,
            ),
            id=problem_id,
            # The problem runs on the same queue as the case that raised it.
            task_queue=activity.info().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A closed problem is never reopened by a link: the start fails instead.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"problem {request.problem_reference}: {summary}"[:200],
            result_type=ProblemStatus,
        )
        link = LinkCase(
            case_reference=request.case_reference,
            priority=request.priority,
            summary=request.case_summary,
        )
        try:
            return await self._client.execute_update_with_start_workflow(
                LINK_CASE, link, start_workflow_operation=start, result_type=ProblemStatus
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError):
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from None
            raise
        except (WorkflowAlreadyStartedError, RPCError) as err:
            # The problem closed between our look and the start: refuse as it would.
            with contextlib.suppress(Exception):
                await start.workflow_handle()  # the same failure; retrieved, so never logged
            if isinstance(err, RPCError) and err.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
            await self._refuse_if_closed(request)
            raise

    async def _refuse_if_closed(self, request: LinkRequest) -> None:
        handle = self._client.get_workflow_handle(problem_workflow_id(request.problem_reference))
        try:
            described = await handle.describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return
            raise
        if described.close_time is None:
            return
        state = described.typed_search_attributes.get(search.CASE_STATE) or "closed"
        raise ApplicationError(
            closed_to_new_links(request.problem_reference, state, request.case_reference),
            type=ProblemClosed.__name__,
            non_retryable=True,
        )
