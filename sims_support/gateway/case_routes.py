"""`/v1/cases` (DESIGN §14): open a case, read one, list them, send it events, its school
data, feedback. An integrator or a school opens, sees and touches its own cases only;
another's reads as a case that does not exist (404 `NotYourCase`), and its timeline
never shows the desk's internal notes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response
from temporalio.client import Client

from domain.actors import Actor, Lifecycle, Role, Subject, permit_opening
from domain.case_views import status_for
from domain.machines import CaseMachine
from domain.models import CaseRequest, CaseStatus
from domain.refusals import NotAllowed
from domain.school_data import SchoolData
from sims_support.client import cases, school
from sims_support.client.errors import Refused
from sims_support.gateway import links
from sims_support.gateway.bodies import CASE_EVENTS, SCHOOL_EVENTS, OpenCase
from sims_support.gateway.errors import documented
from sims_support.gateway.guard import Caller
from sims_support.gateway.params import (
    ALWAYS,
    POSTED,
    PageSize,
    PageToken,
    ReferencePath,
    add_event_routes,
)
from sims_support.gateway.state import Gateway, Shared, answer
from sims_support.gateway.temporal import page, update
from workflows import search

router = APIRouter(prefix="/v1/cases", tags=["cases"])
CaseState = StrEnum(  # type: ignore[misc]
    "CaseState", {state.id: state.id for state in CaseMachine.states}
)
PriorityName = Literal["P1", "P2", "P3", "P4"]
Id = Annotated[str, Query(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]


class CasePage(BaseModel):
    """One page of cases, in Temporal's order (the most recently logged first)."""

    model_config = ConfigDict(frozen=True)
    cases: list[cases.CaseRow]
    next_page_token: str | None


@router.post(
    "",
    status_code=201,
    operation_id="open_case",
    summary="open a case",
    response_model=CaseStatus,
    responses={
        201: {
            "description": "The case is open: its status, and where it lives",
            "headers": {
                "Location": {"description": "/v1/cases/{reference}", "schema": {"type": "string"}}
            },
            "links": links.CASE_LINKS,
        },
        **documented(*ALWAYS, *POSTED, 403, 409),
    },
)
async def open_case(intake: OpenCase, caller: Caller, gateway: Shared) -> Response:
    """The intake (DESIGN §5); its reference is its idempotency key: a second opening of
    the same reference is 409 `CaseExists`. Opened as the key's actor: an integrator
    opens its own cases, reported as `integrator`; a school its own, reported by its
    support unit."""
    on = Subject(Lifecycle.CASE, intake.integrator.id, intake.school.urn)
    # Before any workflow starts: a refused opening leaves the reference free.
    permit_opening(caller, on, reporter_role=intake.reporter.role.value)
    status = await gateway.call(
        caller,
        lambda client: cases.open_case(
            client, intake, opened_by=caller, task_queue=gateway.task_queue
        ),
    )
    where = {"Location": f"/v1/cases/{intake.reference}"}
    return answer(status_for(status, caller), 201, where)


@router.get(
    "/{reference}",
    operation_id="get_case",
    summary="a case's status",
    response_model=CaseStatus,
    responses=documented(*ALWAYS, 404),
)
async def get_case(reference: ReferencePath, caller: Caller, gateway: Shared) -> Response:
    """The case's clocks and whole timeline; an integrator's or a school's without the
    desk's internal notes."""
    status = await gateway.call(caller, lambda c: cases.status(c, reference, viewer=caller))
    return answer(status)


@router.get(
    "",
    operation_id="list_cases",
    summary="find cases",
    response_model=CasePage,
    responses=documented(*ALWAYS, 403),
)
async def list_cases(
    caller: Caller,
    gateway: Shared,
    state: CaseState | None = None,
    priority: PriorityName | None = None,
    late: bool = False,
    integrator: Id | None = None,
    include_closed: bool = False,
    page_size: PageSize = 50,
    page_token: PageToken = None,
) -> Response:
    """Open cases (with `include_closed`, every one), read from the search attributes; an
    integrator or a school lists its own only."""
    if caller.role is Role.INTEGRATOR:
        if integrator not in (None, caller.id):
            raise NotAllowed(f"integrator: integrator {caller.id} lists its own cases only")
        integrator = caller.id
    query = cases.list_query(
        include_closed=include_closed,
        late=late,
        state=state.value if state else None,
        priority=priority,
        integrator=integrator,
    )
    if caller.role is Role.SCHOOL:
        # An id has no quote nor backslash (its pattern): nothing to escape.
        query += f' AND {search.SCHOOL_URN.name} = "{caller.id}"'
    found, following = await gateway.call(caller, lambda c: page(c, query, page_size, page_token))
    rows = [_row(execution) for execution in found]
    return answer(CasePage(cases=rows, next_page_token=following))


def _row(execution: Any) -> cases.CaseRow:
    found = execution.typed_search_attributes
    return cases.CaseRow(
        reference=found.get(search.CASE_REFERENCE) or execution.id.removeprefix("case-"),
        case_type=found.get(search.CASE_TYPE),
        priority=found.get(search.CASE_PRIORITY),
        state=found.get(search.CASE_STATE),
        next_action_due=found.get(search.NEXT_ACTION_DUE),
        sla_breached=bool(found.get(search.SLA_BREACHED)),
        status=execution.status.name.lower() if execution.status else "unknown",
    )


async def sent(
    client: Client, lifecycle: Any, reference: str, event: str, request: CaseRequest
) -> Any:
    """The update's answer; a refusal from a finished case, for an integrator or a school
    not its own, reads as `NotYourCase` (as `cases.send` does)."""
    try:
        return await update(client, lifecycle, reference, event, request)
    except Refused as err:
        raise await cases.hidden_if_not_theirs(client, reference, request.actor, err) from None


async def _send_case_event(
    gateway: Gateway, caller: Actor, reference: str, event: str, request: CaseRequest
) -> Response:
    status = await gateway.call(caller, lambda c: sent(c, cases.CASE, reference, event, request))
    return answer(status_for(status, caller))


async def _send_school_event(
    gateway: Gateway, caller: Actor, reference: str, event: str, request: CaseRequest
) -> Response:
    data = await gateway.call(caller, lambda c: sent(c, school.SCHOOL, reference, event, request))
    return answer(data)


add_event_routes(
    router,
    CASE_EVENTS,
    path="events",
    prefix="Case",
    answers=CaseStatus,
    send=_send_case_event,
)
add_event_routes(
    router,
    SCHOOL_EVENTS,
    path="school-data",
    prefix="School",
    answers=SchoolData,
    send=_send_school_event,
)


@router.get(
    "/{reference}/school-data",
    operation_id="get_school_data",
    summary="a case's school data",
    response_model=SchoolData,
    responses=documented(*ALWAYS, 404),
)
async def get_school_data(reference: ReferencePath, caller: Caller, gateway: Shared) -> Response:
    """Every copy of the school's database asked for on the case (where each was put, never
    the data) and every sharing with a support partner."""
    if caller.role in (Role.INTEGRATOR, Role.SCHOOL):
        await gateway.call(caller, lambda c: cases.status(c, reference, viewer=caller))
    data = await gateway.call(caller, lambda c: school.status(c, reference))
    return answer(data)
