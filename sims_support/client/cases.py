"""Cases (DESIGN §5): the Python interface platform backends call; the CLI is built on it.

Every failure reaches the caller as a `ClientError` (`Refused`, `NotFound`) with a `type`
(the same names the workflow's `ApplicationError`s carry) and a message a person can
act on.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from domain.actors import Actor
from domain.models import CaseOutcome, CaseRequest, CaseStatus, OpenCase
from sims_support.client import calls
from sims_support.client.calls import finished_result as finished_result
from sims_support.client.calls import refusal as refusal

# Every lifecycle module answers with the one family of errors (0.1 names included).
from sims_support.client.errors import CaseError as CaseError
from sims_support.client.errors import CaseRefused as CaseRefused
from sims_support.client.errors import ClientError as ClientError
from sims_support.client.errors import NoSuchCase as NoSuchCase
from sims_support.client.errors import NotFound as NotFound
from sims_support.client.errors import Refused as Refused
from workflows import contract, search

DEFAULT_TASK_QUEUE = contract.TASK_QUEUE
# The wire name of each case event, as platform backends and the CLI send it: the
# contract's list, read when first asked for (see `__getattr__`).
EVENTS: tuple[str, ...]
CASE_EVENTS: tuple[str, ...]  # the 0.1 name, kept for one release
workflow_id = contract.case_workflow_id


def __getattr__(name: str) -> tuple[str, ...]:
    # The list is derived from the case's machine: reading a status, or opening a case,
    # does not import the machines.
    if name in ("EVENTS", "CASE_EVENTS"):
        return contract.CASE_EVENTS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _closed(reference: str, outcome: CaseOutcome, event: str) -> ClientError:
    if event == "reopen" and outcome.state == "resolved":
        return Refused(
            "ReopenWindowClosed",
            f"case {reference} is Resolved and can no longer be reopened: "
            f"log a new case quoting reference {reference}",
        )
    return Refused(
        "CaseClosed", f"case {reference} is {outcome.state}: {event} is no longer possible"
    )


CASE = calls.Lifecycle(
    noun="case",
    workflow=contract.CASE_WORKFLOW,
    workflow_id=workflow_id,
    events=lambda: contract.CASE_EVENTS,
    status_type=CaseStatus,
    result_type=CaseOutcome,
    not_found="NoSuchCase",
    closed=_closed,
)


def static_summary(intake: OpenCase) -> str:
    kind = intake.case_type.value.replace("_", " ")
    return f"{intake.priority.name} {kind} {intake.reference}: {intake.summary}"[:200]


async def open_case(
    client: Client,
    intake: OpenCase,
    *,
    opened_by: Actor | None = None,
    task_queue: str = DEFAULT_TASK_QUEUE,
    history_threshold: int | None = None,
) -> CaseStatus:
    """Start the case's workflow and return its first status; a reference opens once.

    `opened_by` is who opens it (DESIGN §12): without one the case fails at once with
    `InvalidInput` naming `opened_by`."""
    # The workflows' inputs (every lifecycle's models) are what opening alone needs.
    from domain.workflow_inputs import CaseInput

    return await calls.start(
        client,
        CASE,
        intake.reference,
        CaseInput(intake=intake, opened_by=opened_by, history_threshold=history_threshold),
        task_queue=task_queue,
        summary=static_summary(intake),
        already_open=Refused(
            "CaseAlreadyOpen",
            f"reference: case {intake.reference} already exists; send events to it, "
            "or log a new case with a new reference",
        ),
    )


def handle_for(client: Client, reference: str) -> WorkflowHandle[Any, CaseOutcome]:
    return calls.handle(client, CASE, reference)


async def send(
    client: Client,
    reference: str,
    event: str,
    request: CaseRequest,
    *,
    actor: Actor | None = None,
) -> CaseStatus:
    """Send one case event (an Update) as `actor` (else the request's own); returns the
    case's status after it."""
    try:
        return await calls.update(client, CASE, reference, event, request, actor=actor)
    except Refused as err:
        raise await hidden_if_not_theirs(client, reference, actor or request.actor, err) from None


async def hidden_if_not_theirs(
    client: Client, reference: str, actor: Actor | None, err: Refused
) -> ClientError:
    """A finished case answers for itself (`CaseClosed`), not its validator: to an
    integrator or a school that it is not theirs, it is `NotYourCase`, as a missing one
    would be (DESIGN §12), judged on the search attributes (ids only)."""
    if actor is None or actor.role not in ("integrator", "school") or err.type == "NotYourCase":
        return err
    key = search.INTEGRATOR_ID if actor.role == "integrator" else search.SCHOOL_URN
    try:
        # The raw description: only the one keyword is read (and the time-skipping test
        # server's datetime attributes do not decode).
        raw = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id(reference)),
            )
        )
    except RPCError:  # the refusal stands: describing was only a check
        return err
    fields = raw.workflow_execution_info.search_attributes.indexed_fields
    if key.name in fields and json.loads(fields[key.name].data) == actor.id:
        return err
    return NotFound("NotYourCase", f"reference: no such case for {actor.role} {actor.id}")


async def status(client: Client, reference: str, *, viewer: Actor | None = None) -> CaseStatus:
    """The case's status as `viewer` may see it: an integrator or a school sees its own
    cases only (`NotFound` otherwise), without internal events; no viewer sees all."""
    found = await calls.query(client, CASE, reference)
    if viewer is None:
        return found
    from domain.case_views import status_for
    from domain.refusals import NotYourCase

    try:
        return status_for(found, viewer)
    except NotYourCase as err:
        raise NotFound("NotYourCase", str(err)) from None


class CaseRow(BaseModel):
    """One case as a list shows it, read from the search attributes (no query to the case)."""

    model_config = ConfigDict(frozen=True)
    reference: str
    case_type: str | None
    priority: str | None
    state: str | None
    next_action_due: dt.datetime | None
    sla_breached: bool
    status: str


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def list_query(
    *,
    include_closed: bool = False,
    late: bool = False,
    state: str | None = None,
    priority: str | None = None,
    integrator: str | None = None,
) -> str:
    """A Temporal list filter on the cases' search attributes (the README lists more)."""
    clauses = [f"WorkflowType = {_quoted(contract.CASE_WORKFLOW)}"]
    if not include_closed:
        clauses.append('ExecutionStatus = "Running"')
    if late:
        clauses.append(f"{search.SLA_BREACHED.name} = true")
    for key, value in (
        (search.CASE_STATE, state),
        (search.CASE_PRIORITY, priority),
        (search.INTEGRATOR_ID, integrator),
    ):
        if value:
            clauses.append(f"{key.name} = {_quoted(value)}")
    return " AND ".join(clauses)


async def list_cases(client: Client, query: str, *, limit: int = 50) -> list[CaseRow]:
    """Soonest next action first. Sorted here: SQL visibility has no ORDER BY."""
    rows = []
    async for execution in client.list_workflows(query, limit=limit):
        found = execution.typed_search_attributes
        rows.append(
            CaseRow(
                reference=found.get(search.CASE_REFERENCE) or execution.id.removeprefix("case-"),
                case_type=found.get(search.CASE_TYPE),
                priority=found.get(search.CASE_PRIORITY),
                state=found.get(search.CASE_STATE),
                next_action_due=found.get(search.NEXT_ACTION_DUE),
                sla_breached=bool(found.get(search.SLA_BREACHED)),
                status=execution.status.name.lower() if execution.status else "unknown",
            )
        )
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda row: (row.next_action_due or never, row.reference))


# The 0.1 names, kept for one release (and `CASE_EVENTS`, above).
case_status = status
