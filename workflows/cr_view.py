"""What a change request shows the outside world: status, search attributes, messages.

Pure functions of the request, its state and its event log (like `case_view`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio.common import SearchAttributeUpdate

from domain import cr_schedule
from domain.change_requests import (
    STAGES,
    ChangeRequestStatus,
    CrEvent,
    CrEventKind,
    OpenChangeRequest,
    last,
)
from domain.cr_record import duplicates, fact, voters
from domain.models import CaseType
from domain.notifications import Notification, NotificationKind, notification
from domain.policy import SupportPolicy
from workflows import search
from workflows.case_view import LONDON, london
from workflows.contract import change_request_workflow_id

ACTION_MESSAGES = {
    cr_schedule.CrAction.REVIEW_DUE: "a product-manager review is due",
    cr_schedule.CrAction.DECISION_DUE: "considered for 36 months or more: a decision is due "
    "(plan it or reject it)",
    cr_schedule.CrAction.DELIVERY_DUE: "planned 12 months ago: delivery is due",
    cr_schedule.CrAction.DELIVERY_OVERDUE: "planned 18 months ago: delivery is overdue",
}


def status(
    request: OpenChangeRequest,
    state: str,
    events: list[CrEvent],
    policy: SupportPolicy,
    view: cr_schedule.ScheduleView,
) -> ChangeRequestStatus:
    counted = voters(events)
    reviewed = last(events, CrEventKind.REVIEWED)
    return ChangeRequestStatus(
        reference=request.reference,
        title=request.title,
        raised_by=request.raised_by,
        raised_at=request.raised_at.astimezone(LONDON),
        state=state,
        stage=STAGES.get(state),
        votes=len(counted),
        voters=counted,
        vote_threshold=policy.cr_vote_threshold,
        duplicates=duplicates(events),
        original_reference=fact(events, CrEventKind.MARKED_DUPLICATE, "original_reference"),
        workaround=fact(events, CrEventKind.MARKED_DUPLICATE, "workaround"),
        release_version=fact(events, CrEventKind.DELIVERED, "release_version"),
        target_release=fact(events, CrEventKind.PLANNED, "target_release"),
        last_reviewed_at=reviewed.at if reviewed else None,
        next_action_due=view.next_action_due,
        decision_due=view.decision_due,
        delivery_overdue=view.delivery_overdue,
        timeline=list(events),
    )


def search_attributes(
    request: OpenChangeRequest, state: str, events: list[CrEvent], view: cr_schedule.ScheduleView
) -> list[SearchAttributeUpdate[Any]]:
    due = view.next_action_due
    return [
        search.CASE_REFERENCE.value_set(request.reference),
        search.CASE_TYPE.value_set(CaseType.CHANGE_REQUEST.value),
        search.CASE_STATE.value_set(state),
        search.INTEGRATOR_ID.value_set(request.raised_by),
        search.VOTE_COUNT.value_set(len(voters(events))),
        search.NEXT_ACTION_DUE.value_set(due.astimezone(dt.UTC))
        if due
        else search.NEXT_ACTION_DUE.value_unset(),
    ]


def details(state: str, events: list[CrEvent], view: cr_schedule.ScheduleView) -> str:
    count = len(voters(events))
    line = f"{state.replace('_', ' ')} · {count} vote{'' if count == 1 else 's'}"
    if view.pending:
        nxt = view.pending[0]
        line += f" · next: {nxt.action.value.replace('_', ' ')} {london(nxt.at)} (London)"
    if view.decision_due:
        line += " · DECISION DUE"
    if view.delivery_overdue:
        line += " · DELIVERY OVERDUE"
    return line


def reminder(request: OpenChangeRequest, due: cr_schedule.Due, votes: int) -> Notification:
    return notification(
        NotificationKind(due.action.value),
        reference=request.reference,
        priority=None,
        at=due.at,
        due=due.at,
        message=f"{request.reference} ({request.title}): {ACTION_MESSAGES[due.action]}; "
        f"{votes} vote{'' if votes == 1 else 's'} (due {london(due.at)})",
        key=f"{change_request_workflow_id(request.reference)}:{due.key}",
    )


def decided(request: OpenChangeRequest, event: CrEvent) -> Notification:
    """Tells the integrator who raised it what was decided, by whom and why."""
    named = "".join(f"; {name.replace('_', ' ')} {value}" for name, value in event.facts.items())
    return notification(
        NotificationKind.CR_DECIDED,
        reference=request.reference,
        priority=None,
        at=event.at,
        message=f"{request.reference} ({request.title}) {event.kind.value.replace('_', ' ')} "
        f"by {event.by}: {event.detail}{named}",
        key=f"{change_request_workflow_id(request.reference)}:{event.kind}:{event.request_id}",
    )
