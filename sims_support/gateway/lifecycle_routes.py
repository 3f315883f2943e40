"""`/v1/problems` and `/v1/change-requests` (DESIGN §14): the same shapes as a case's
(open, read, list, events). Problems are the desk's: an integrator or a school hears of
one through its case's timeline, and reading one is refused (`NotAllowed`), so no one
learns from a problem's links of another integrator's cases. Change requests are for
every integrator to vote on; their internal events are for the desk and product
managers only."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from domain.actors import Actor, Lifecycle, Role, Subject, permit_opening, sees_internal, shown_to
from domain.change_requests import ChangeRequestStatus, OpenChangeRequest
from domain.machines import ChangeRequestMachine, ProblemMachine
from domain.problems import OpenProblem, ProblemStatus
from domain.refusals import NotAllowed
from sims_support.client import change_requests, problems
from sims_support.client.change_requests import ChangeRequestRow
from sims_support.gateway import links
from sims_support.gateway.bodies import CHANGE_REQUEST_EVENTS, PROBLEM_EVENTS
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
from workflows import contract, search

problem_router = APIRouter(prefix="/v1/problems", tags=["problems"])
change_request_router = APIRouter(prefix="/v1/change-requests", tags=["change requests"])
ProblemState = StrEnum(  # type: ignore[misc]
    "ProblemState", {state.id: state.id for state in ProblemMachine.states}
)
ChangeRequestState = StrEnum(  # type: ignore[misc]
    "ChangeRequestState", {state.id: state.id for state in ChangeRequestMachine.states}
)


class ProblemRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    reference: str
    state: str | None
    priority: str | None
    status: str


class ProblemPage(BaseModel):
    model_config = ConfigDict(frozen=True)
    problems: list[ProblemRow]
    next_page_token: str | None


class ChangeRequestPage(BaseModel):
    model_config = ConfigDict(frozen=True)
    change_requests: list[ChangeRequestRow]
    next_page_token: str | None


def _opened(status: int, description: str, where: str, found: dict[str, Any]) -> dict[Any, Any]:
    return {
        status: {
            "description": description,
            "headers": {"Location": {"description": where, "schema": {"type": "string"}}},
            "links": found,
        },
        **documented(*ALWAYS, *POSTED, 403, 409),
    }


def _desk_reads(caller: Actor) -> None:
    if caller.role in (Role.INTEGRATOR, Role.SCHOOL):
        raise NotAllowed(
            f"actor: {caller.role.value} {caller.id} cannot read problems: a case linked to "
            "one hears its news in its own timeline"
        )


def _seen(status: Any, caller: Actor) -> Any:
    if sees_internal(caller):
        return status
    shown = [event for event in status.timeline if shown_to(caller, event.visibility)]
    return status.model_copy(update={"timeline": shown})


# -- problems ---------------------------------------------------------------------------


@problem_router.post(
    "",
    status_code=201,
    operation_id="open_problem",
    summary="log a problem",
    response_model=ProblemStatus,
    responses=_opened(201, "The problem is open", "/v1/problems/{reference}", links.PROBLEM_LINKS),
)
async def open_problem(opening: OpenProblem, caller: Caller, gateway: Shared) -> Response:
    """The desk logs a problem; its reference opens once (`ProblemAlreadyOpen`: an
    escalated case may have opened it)."""
    permit_opening(caller, Subject(Lifecycle.PROBLEM))
    status = await gateway.call(
        caller,
        lambda c: problems.open_problem(
            c, opening, opened_by=caller, task_queue=gateway.task_queue
        ),
    )
    return answer(status, 201, {"Location": f"/v1/problems/{opening.reference}"})


@problem_router.get(
    "/{reference}",
    operation_id="get_problem",
    summary="a problem and its cases",
    response_model=ProblemStatus,
    responses=documented(*ALWAYS, 403, 404),
)
async def get_problem(reference: ReferencePath, caller: Caller, gateway: Shared) -> Response:
    _desk_reads(caller)
    return answer(await gateway.call(caller, lambda c: problems.status(c, reference)))


@problem_router.get(
    "",
    operation_id="list_problems",
    summary="find problems",
    response_model=ProblemPage,
    responses=documented(*ALWAYS, 403),
)
async def list_problems(
    caller: Caller,
    gateway: Shared,
    state: ProblemState | None = None,
    include_closed: bool = False,
    page_size: PageSize = 50,
    page_token: PageToken = None,
) -> Response:
    _desk_reads(caller)
    clauses = [f'WorkflowType = "{contract.PROBLEM_WORKFLOW}"']
    if not include_closed:
        clauses.append('ExecutionStatus = "Running"')
    if state is not None:
        clauses.append(f'{search.CASE_STATE.name} = "{state.value}"')
    query = " AND ".join(clauses)
    found, following = await gateway.call(caller, lambda c: page(c, query, page_size, page_token))
    rows = [
        ProblemRow(
            reference=e.typed_search_attributes.get(search.PROBLEM_REFERENCE)
            or e.id.removeprefix("problem-"),
            state=e.typed_search_attributes.get(search.CASE_STATE),
            priority=e.typed_search_attributes.get(search.CASE_PRIORITY),
            status=e.status.name.lower() if e.status else "unknown",
        )
        for e in found
    ]
    return answer(ProblemPage(problems=rows, next_page_token=following))


async def _send_problem_event(
    gateway: Gateway, caller: Actor, reference: str, event: str, request: Any
) -> Response:
    status = await gateway.call(
        caller, lambda c: update(c, problems.PROBLEM, reference, event, request)
    )
    return answer(status)


add_event_routes(
    problem_router,
    PROBLEM_EVENTS,
    path="events",
    prefix="Problem",
    answers=ProblemStatus,
    send=_send_problem_event,
)

# -- change requests --------------------------------------------------------------------


@change_request_router.post(
    "",
    status_code=201,
    operation_id="open_change_request",
    summary="raise a change request",
    response_model=ChangeRequestStatus,
    responses=_opened(
        201,
        "The change request is published for consultation",
        "/v1/change-requests/{reference}",
        links.CHANGE_REQUEST_LINKS,
    ),
)
async def open_change_request(
    request: OpenChangeRequest, caller: Caller, gateway: Shared
) -> Response:
    """Raised by the desk on an integrator's behalf, or by an integrator as itself."""
    permit_opening(caller, Subject(Lifecycle.CHANGE_REQUEST), raised_by=request.raised_by)
    status = await gateway.call(
        caller,
        lambda c: change_requests.open_change_request(
            c, request, opened_by=caller, task_queue=gateway.task_queue
        ),
    )
    where = {"Location": f"/v1/change-requests/{request.reference}"}
    return answer(_seen(status, caller), 201, where)


@change_request_router.get(
    "/{reference}",
    operation_id="get_change_request",
    summary="a change request and its votes",
    response_model=ChangeRequestStatus,
    responses=documented(*ALWAYS, 404),
)
async def get_change_request(reference: ReferencePath, caller: Caller, gateway: Shared) -> Response:
    status = await gateway.call(caller, lambda c: change_requests.status(c, reference))
    return answer(_seen(status, caller))


@change_request_router.get(
    "",
    operation_id="list_change_requests",
    summary="find change requests",
    response_model=ChangeRequestPage,
    responses=documented(*ALWAYS),
)
async def list_change_requests(
    caller: Caller,
    gateway: Shared,
    state: ChangeRequestState | None = None,
    include_closed: bool = False,
    page_size: PageSize = 50,
    page_token: PageToken = None,
) -> Response:
    query = change_requests.list_query(
        include_closed=include_closed, state=state.value if state else None
    )
    found, following = await gateway.call(caller, lambda c: page(c, query, page_size, page_token))
    rows = [
        ChangeRequestRow(
            reference=e.typed_search_attributes.get(search.CASE_REFERENCE)
            or e.id.removeprefix("cr-"),
            state=e.typed_search_attributes.get(search.CASE_STATE),
            votes=e.typed_search_attributes.get(search.VOTE_COUNT) or 0,
            status=e.status.name.lower() if e.status else "unknown",
        )
        for e in found
    ]
    return answer(ChangeRequestPage(change_requests=rows, next_page_token=following))


async def _send_change_request_event(
    gateway: Gateway, caller: Actor, reference: str, event: str, request: Any
) -> Response:
    original = getattr(request, "original_reference", None)
    if event == "mark_duplicate" and original:
        await gateway.call(caller, lambda c: _must_exist(c, original))
    status = await gateway.call(
        caller, lambda c: update(c, change_requests.CHANGE_REQUEST, reference, event, request)
    )
    return answer(_seen(status, caller))


async def _must_exist(client: Any, reference: str) -> None:
    from sims_support.client.errors import NotFound, Refused

    try:
        await change_requests.status(client, reference)
    except NotFound:
        raise Refused(
            "UnknownOriginal", f"original_reference: no change request {reference} exists"
        ) from None


add_event_routes(
    change_request_router,
    CHANGE_REQUEST_EVENTS,
    path="events",
    prefix="ChangeRequest",
    answers=ChangeRequestStatus,
    send=_send_change_request_event,
)
