"""Problems (DESIGN §6): open one, record the desk's decisions, read its status.

Failures reach the caller as the same `ClientError` family as for cases, with a `type`
(the workflow's `ApplicationError` type) and a message a person can act on.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle

from domain.actors import Actor
from domain.problem_links import ProblemInput
from domain.problems import OpenProblem, ProblemRequest, ProblemStatus
from sims_support.client import calls

# Every lifecycle module answers with the one family of errors (0.1 names included).
from sims_support.client.errors import CaseError as CaseError
from sims_support.client.errors import CaseRefused as CaseRefused
from sims_support.client.errors import ClientError as ClientError
from sims_support.client.errors import NoSuchCase as NoSuchCase
from sims_support.client.errors import NotFound as NotFound
from sims_support.client.errors import Refused as Refused
from workflows import contract

DEFAULT_TASK_QUEUE = contract.TASK_QUEUE
# The wire name of each decision on a problem, as the CLI and platform backends send it.
EVENTS = contract.PROBLEM_EVENTS
workflow_id = contract.problem_workflow_id


def _closed(reference: str, final: ProblemStatus, event: str) -> ClientError:
    return Refused(
        "ProblemClosed", f"problem {reference} is {final.state}: {event} is no longer possible"
    )


PROBLEM = calls.Lifecycle(
    noun="problem",
    workflow=contract.PROBLEM_WORKFLOW,
    workflow_id=workflow_id,
    events=lambda: EVENTS,
    status_type=ProblemStatus,
    result_type=ProblemStatus,
    not_found="NoSuchProblem",
    closed=_closed,
    ended="ProblemClosed",
)


def static_summary(opening: OpenProblem) -> str:
    return f"problem {opening.reference}: {opening.summary}"[:200]


async def open_problem(
    client: Client,
    opening: OpenProblem,
    *,
    opened_by: Actor | None = None,
    task_queue: str = DEFAULT_TASK_QUEUE,
    history_threshold: int | None = None,
) -> ProblemStatus:
    """Start the problem's workflow; a reference opens once (escalations may open it too)."""
    return await calls.start(
        client,
        PROBLEM,
        opening.reference,
        ProblemInput(opening=opening, opened_by=opened_by, history_threshold=history_threshold),
        task_queue=task_queue,
        summary=static_summary(opening),
        already_open=Refused(
            "ProblemAlreadyOpen",
            f"reference: problem {opening.reference} already exists (an escalated case may "
            "have opened it); send decisions to it, and classify it when accepting it",
        ),
    )


def handle_for(client: Client, reference: str) -> WorkflowHandle[Any, ProblemStatus]:
    return calls.handle(client, PROBLEM, reference)


async def send(
    client: Client,
    reference: str,
    event: str,
    request: ProblemRequest,
    *,
    actor: Actor | None = None,
) -> ProblemStatus:
    """Send one decision (an Update) as `actor`; returns the problem's status after it."""
    return await calls.update(client, PROBLEM, reference, event, request, actor=actor)


async def status(client: Client, reference: str) -> ProblemStatus:
    return await calls.query(client, PROBLEM, reference)


# The 0.1 names, kept for one release.
PROBLEM_EVENTS = EVENTS
problem_status = status
