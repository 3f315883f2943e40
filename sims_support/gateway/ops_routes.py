"""`/healthz` (the process answers), `/readyz` (Temporal answers and a worker polls the task
queue: send traffic here) and `/v1/reports/kpi` (the KPI report from the ledger, for the
desk and product managers)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from starlette.responses import HTMLResponse, Response
from temporalio.service import RPCError

from domain.actors import Role
from domain.kpi import Period
from domain.models import UNSET_IF_NONE
from domain.refusals import InvalidInput, NotAllowed
from sims_support.gateway.errors import ApiError, documented
from sims_support.gateway.guard import Caller
from sims_support.gateway.params import ALWAYS
from sims_support.gateway.state import Gateway, Shared, answer
from sims_support.gateway.temporal import pollers, within
from sims_support.reports.format import LONDON
from sims_support.runtime.connect import StartupError

if TYPE_CHECKING:
    from sims_support.reports.feedback import ReportWithFeedback

router = APIRouter()
READY_WAIT = 5.0  # seconds: a probe must answer long before its caller gives up
REPORTERS = (Role.DESK, Role.PRODUCT_MANAGER)


class Health(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Literal["ok", "ready"]
    workers: Annotated[int | None, UNSET_IF_NONE] = None  # how many poll the task queue


@router.get("/healthz", operation_id="healthz", tags=["operations"], response_model=Health)
async def healthz() -> Response:
    """The gateway runs (whether Temporal answers is `/readyz`'s question)."""
    return answer(Health(status="ok"))


@router.get(
    "/readyz",
    operation_id="readyz",
    tags=["operations"],
    response_model=Health,
    responses=documented(503),
)
async def readyz(gateway: Shared) -> Response:
    """Ready when Temporal answers and a worker polls the task queue: 503 until then."""
    workers = await _workers(gateway)
    if workers == 0:
        raise ApiError(
            "Unavailable",
            f"no worker polls task queue {gateway.task_queue}: start one (`make run`, or "
            "`python worker.py`)",
        )
    return answer(Health(status="ready", workers=workers))


async def _workers(gateway: Gateway) -> int:
    try:
        client = await gateway.temporal.client()
        return await within(READY_WAIT, pollers(client, gateway.task_queue))
    except (StartupError, RPCError) as err:
        raise ApiError("Unavailable", f"Temporal does not answer: {err}") from None


@router.get(
    "/v1/reports/kpi",
    operation_id="kpi_report",
    tags=["reports"],
    summary="the KPI report",
    responses={
        200: {
            "description": "The report: JSON (as `sims-case report --format json`) or HTML",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        **documented(*ALWAYS, 403),
    },
)
async def kpi_report(
    caller: Caller,
    gateway: Shared,
    start: Annotated[dt.date, Query(alias="from", description="the first day (London)")],
    end: Annotated[dt.date, Query(alias="to", description="the last day (London)")],
    format: Literal["json", "html"] = "json",
) -> Response:
    """KPI attainment of the cases logged between two days, from the KPI ledger: the
    charter's shares beside the actual ones, first responses, SLA events, feedback."""
    if caller.role not in REPORTERS:
        raise NotAllowed("actor: the KPI report is for the desk and product managers only")
    period = _period(start, end)
    report = await asyncio.to_thread(_build, gateway, period)
    if format == "html":
        from sims_support.reports.html import render_html

        return HTMLResponse(render_html(report))
    return Response(report.model_dump_json(), media_type="application/json")


def _period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise InvalidInput(f"to: {end} is before from {start}")
    try:
        last = end + dt.timedelta(days=1)
    except OverflowError:
        raise InvalidInput(f"to: {end} is past the last day a report can end") from None
    return Period(
        start=dt.datetime.combine(start, dt.time(0), LONDON),
        end=dt.datetime.combine(last, dt.time(0), LONDON),
    )


def _build(gateway: Gateway, period: Period) -> ReportWithFeedback:
    from sims_support.reports.build import kpi_report as build

    settings = gateway.settings
    ledger = gateway.ledger.open_existing()
    return build(ledger, settings.policy, settings.calendar, period, dt.datetime.now(dt.UTC))
