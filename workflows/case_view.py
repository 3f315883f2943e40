"""What a case shows the outside world: status, outcome, search attributes, messages.

Pure functions of the intake, the state and the event log, shared by the workflow's
query, its timer loop and its final result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

from domain import sla
from domain.models import (
    CaseEvent,
    CaseOutcome,
    CaseStatus,
    EventKind,
    OpenCase,
    Priority,
    ResolutionKind,
)
from domain.notifications import Notification, NotificationKind
from domain.notifications import notification as make
from workflows import search

LONDON = ZoneInfo("Europe/London")

ACTION_MESSAGES = {
    sla.Action.RESPONSE_WARNING: "first response due soon (75% of the target used)",
    sla.Action.RESPONSE_BREACH: "first response target missed",
    sla.Action.UPDATE_DUE: "an update to the integrator is due now",
    sla.Action.UPDATE_OVERDUE: "update to the integrator overdue by one working day: escalated",
    sla.Action.INFORMATION_CHASER: "still waiting for the information we asked for",
    sla.Action.RESOLVE: "Resolution Offered window closed",
}


def london(value: dt.datetime) -> str:
    return value.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def problem_reference(events: list[CaseEvent]) -> str | None:
    escalations = [e.detail for e in events if e.kind is EventKind.ESCALATED]
    return escalations[-1] if escalations else None


def reopen_count(events: list[CaseEvent]) -> int:
    return sum(1 for e in events if e.kind is EventKind.REOPENED)


def status(intake: OpenCase, state: str, events: list[CaseEvent], view: sla.SlaView) -> CaseStatus:
    return CaseStatus(
        reference=intake.reference,
        case_type=intake.case_type,
        state=state,
        priority=sla.current_priority(events),
        integrator_id=intake.integrator.id,
        school_urn=intake.school.urn,
        summary=intake.summary,
        logged_at=intake.logged_at.astimezone(LONDON),
        reopen_count=reopen_count(events),
        problem_reference=problem_reference(events),
        clocks=[
            c.model_copy(update={"deadline": c.deadline.astimezone(LONDON)}) if c.deadline else c
            for c in view.clocks
        ],
        next_action_due=view.next_action_due,
        sla_breached=view.sla_breached,
        resolution_working_time=view.resolution_working_time,
        paused_working_time=view.paused_working_time,
        timeline=list(events),
    )


def outcome(
    intake: OpenCase, state: str, events: list[CaseEvent], view: sla.SlaView
) -> CaseOutcome:
    offers = [e for e in events if e.kind is EventKind.RESOLUTION_OFFERED]
    resolved = state == "resolved"
    kind = offers[-1].detail.split(":", 1)[0] if resolved and offers else None
    return CaseOutcome(
        reference=intake.reference,
        case_type=intake.case_type,
        state=state,
        priority=sla.current_priority(events),
        logged_at=intake.logged_at,
        closed_at=events[-1].at,
        response_working_time=view.response_working_time,
        resolution_working_time=view.resolution_working_time if resolved else None,
        paused_working_time=view.paused_working_time,
        response_breached=view.response_breached,
        updates_missed=view.updates_missed,
        reopen_count=reopen_count(events),
        resolution_kind=ResolutionKind(kind) if kind else None,
    )


def reopen_refused(reference: str) -> ApplicationError:
    return ApplicationError(
        f"case {reference} is Resolved and can no longer be reopened: "
        f"log a new case quoting reference {reference}",
        type="ReopenWindowClosed",
        non_retryable=True,
    )


def action_message(due: sla.Due) -> str:
    return f"{ACTION_MESSAGES[due.action]} (due {london(due.at)})"


def notification(
    intake: OpenCase,
    priority: Priority,
    kind: NotificationKind,
    message: str,
    due: dt.datetime | None,
    key: str | None,
) -> Notification:
    return make(
        kind,
        reference=intake.reference,
        priority=priority,
        at=due or _now(),
        due=due,
        message=message,
        key=f"case-{intake.reference}:{key}" if key else None,
    )


def _now() -> dt.datetime:
    from temporalio import workflow

    return workflow.now()


def search_attributes(
    intake: OpenCase, state: str, events: list[CaseEvent], view: sla.SlaView
) -> list[SearchAttributeUpdate[Any]]:
    response = next(c for c in view.clocks if c.name == "response")
    pairs: list[SearchAttributeUpdate[Any]] = [
        search.CASE_REFERENCE.value_set(intake.reference),
        search.CASE_TYPE.value_set(intake.case_type.value),
        search.CASE_PRIORITY.value_set(sla.current_priority(events).name),
        search.CASE_STATE.value_set(state),
        search.INTEGRATOR_ID.value_set(intake.integrator.id),
        search.SCHOOL_URN.value_set(intake.school.urn),
        search.SLA_BREACHED.value_set(view.sla_breached),
    ]
    if response.deadline:
        pairs.append(search.RESPONSE_DUE.value_set(response.deadline.astimezone(dt.UTC)))
    if view.next_action_due:
        pairs.append(search.NEXT_ACTION_DUE.value_set(view.next_action_due.astimezone(dt.UTC)))
    else:
        pairs.append(search.NEXT_ACTION_DUE.value_unset())
    problem = problem_reference(events)
    if problem:
        pairs.append(search.PROBLEM_REFERENCE.value_set(problem))
    return pairs


def details(state: str, priority: Priority, view: sla.SlaView) -> str:
    line = f"{state.replace('_', ' ')} · {priority.name}"
    if view.pending:
        nxt = view.pending[0]
        line += f" · next: {nxt.action.value.replace('_', ' ')} {london(nxt.at)} (London)"
    if view.sla_breached:
        line += " · SLA BREACHED"
    return line
