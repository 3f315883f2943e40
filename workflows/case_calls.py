"""The activities a case calls besides notifications and the ledger: its setup (policy
and calendar snapshot), and linking it at its problem. Each with a summary, so the Web
UI's timeline says what it is in the charter's words.

Workflow code (it calls `temporalio.workflow`): deterministic, checked like the workflows.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.problems import ProblemLinks
    from activities.setup import SetupActivities
    from domain import case_setup
    from domain.actors import Actor
    from domain.case_record import CaseRecord
    from workflows import case_view

LINK_TIMEOUT = dt.timedelta(seconds=30)
LINK_RETRIES = RetryPolicy(maximum_attempts=3, maximum_interval=dt.timedelta(seconds=10))


async def load_setup(case: CaseRecord) -> None:
    """A fresh calendar snapshot when the case has none or it is running out."""
    today = workflow.now().date()
    fresh = None
    if case.setup is not None:
        # A continued run answers on the snapshot it carried while it asks for a fresh one:
        # an update landing meanwhile found no calendar and failed the workflow task.
        case.load(None)
    if case.setup is None or case_setup.running_out(case.setup, today):
        # Local: a snapshot is quick to make, and this saves a task-queue round trip.
        fresh = await workflow.execute_local_activity_method(
            SetupActivities.load_case_setup,
            case_setup.snapshot_span(case.intake.logged_at.date(), today),
            start_to_close_timeout=dt.timedelta(seconds=30),
            summary="load the support policy and the working calendar",
        )
    case.load(fresh)


async def link_to_problem(case: CaseRecord, problem: str, actor: Actor | None) -> None:
    """Link the case at its problem (opening it if need be); a refusal passes on."""
    try:
        await workflow.execute_activity_method(
            ProblemLinks.link_case_to_problem,
            case_view.link_request(case, problem, actor),
            start_to_close_timeout=LINK_TIMEOUT,
            retry_policy=LINK_RETRIES,
            summary=f"link case {case.intake.reference} to problem {problem}",
        )
    except ActivityError as err:
        raise case_view.link_refused(problem, err.cause) from None
