"""What a change request shows the outside world: its status and search attributes.

Pure functions of its record and schedule (like `case_view`); what it tells people is
`domain.cr_messages`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio.common import SearchAttributeUpdate

from domain import cr_schedule
from domain.change_requests import STAGES, ChangeRequestStatus, CrEventKind, last
from domain.cr_record import ChangeRequestRecord, duplicates, fact, voters
from domain.models import CaseType
from domain.policy_change import policy_version
from workflows import search
from workflows.case_view import LONDON, london


def status(
    cr: ChangeRequestRecord, view: cr_schedule.ScheduleView, since: int | None = None
) -> ChangeRequestStatus:
    """The whole status; or an update's answer, with only the events recorded since the
    log held `since` (every update result stays in the history, DESIGN §5)."""
    assert cr.policy is not None
    request, events = cr.request, cr.events
    counted = voters(events)
    reviewed = last(events, CrEventKind.REVIEWED)
    return ChangeRequestStatus(
        reference=request.reference,
        title=request.title,
        raised_by=request.raised_by,
        raised_at=request.raised_at.astimezone(LONDON),
        state=cr.state,
        stage=STAGES.get(cr.state),
        votes=len(counted),
        voters=counted,
        vote_threshold=cr.policy.cr_vote_threshold,
        duplicates=duplicates(events),
        original_reference=fact(events, CrEventKind.MARKED_DUPLICATE, "original_reference"),
        workaround=fact(events, CrEventKind.MARKED_DUPLICATE, "workaround"),
        release_version=fact(events, CrEventKind.DELIVERED, "release_version"),
        target_release=fact(events, CrEventKind.PLANNED, "target_release"),
        last_reviewed_at=reviewed.at if reviewed else None,
        next_action_due=view.next_action_due,
        decision_due=view.decision_due,
        delivery_overdue=view.delivery_overdue,
        timeline=list(events[since or 0 :]),
        timeline_total=len(events),
        policy_version=policy_version(cr.policy),
    )


def search_attributes(
    cr: ChangeRequestRecord, view: cr_schedule.ScheduleView
) -> list[SearchAttributeUpdate[Any]]:
    due = view.next_action_due
    return [
        search.CASE_REFERENCE.value_set(cr.request.reference),
        search.CASE_TYPE.value_set(CaseType.CHANGE_REQUEST.value),
        search.CASE_STATE.value_set(cr.state),
        search.INTEGRATOR_ID.value_set(cr.request.raised_by),
        search.VOTE_COUNT.value_set(len(voters(cr.events))),
        search.NEXT_ACTION_DUE.value_set(due.astimezone(dt.UTC))
        if due
        else search.NEXT_ACTION_DUE.value_unset(),
    ]


REMINDERS = {
    cr_schedule.CrAction.REVIEW_DUE: "the quarterly review is due",
    cr_schedule.CrAction.DECISION_DUE: "the time to decide a considered request is up",
    cr_schedule.CrAction.DELIVERY_DUE: "remind the product manager of the planned delivery",
    cr_schedule.CrAction.DELIVERY_OVERDUE: "the planned delivery is overdue",
}


def wake_summary(cr: ChangeRequestRecord, view: cr_schedule.ScheduleView) -> str | None:
    """Which reminder the change request sleeps until, for its timer in the Web UI."""
    if not view.pending:
        return None
    due = view.pending[0]
    return f"change request {cr.request.reference}: {REMINDERS[due.action]} at {london(due.at)}"


def details(cr: ChangeRequestRecord, view: cr_schedule.ScheduleView) -> str:
    count = len(voters(cr.events))
    line = f"{cr.state.replace('_', ' ')} · {count} vote{'' if count == 1 else 's'}"
    if view.pending:
        nxt = view.pending[0]
        line += f" · next: {nxt.action.value.replace('_', ' ')} {london(nxt.at)} (London)"
    if view.decision_due:
        line += " · DECISION DUE"
    if view.delivery_overdue:
        line += " · DELIVERY OVERDUE"
    return line
