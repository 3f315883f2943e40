"""What a case shows the outside world: status, outcome, search attributes, details,
and the refusals its callers receive.

Pure functions of the case's record and its SLA view, shared by the workflow's query,
its timer loop and its final result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

from activities.problems import LinkRequest
from domain import sla
from domain.actors import Actor
from domain.case_messages import LONDON, london
from domain.case_record import CaseRecord
from domain.models import CaseEvent, CaseOutcome, CaseStatus, EventKind, ResolutionKind
from domain.policy_change import policy_version
from domain.refusals import (
    LoggedAtInFuture,
    LoggedAtTooOld,
    ProblemUnavailable,
    Refusal,
    ReopenWindowClosed,
    SchoolDataRefused,
)
from workflows import search

__all__ = [
    "LONDON",
    "details",
    "link_refused",
    "link_request",
    "london",
    "outcome",
    "refusal",
    "search_attributes",
    "status",
]
# Refusals that no retry of the same request can turn into a yes.
PREVIEW = 40  # the characters of an event's text an update's answer shows
FINAL = (LoggedAtInFuture, LoggedAtTooOld, ReopenWindowClosed, SchoolDataRefused)


def status(case: CaseRecord, view: sla.SlaView, since: int | None = None) -> CaseStatus:
    """The whole status, or (an update's answer, DESIGN §5) with only the events recorded
    since the log held `since`: every update result stays in the history."""
    intake = case.intake
    return CaseStatus(
        reference=intake.reference,
        case_type=intake.case_type,
        state=case.state,
        priority=case.priority,
        integrator_id=intake.integrator.id,
        school_urn=intake.school.urn,
        summary=intake.summary,
        logged_at=intake.logged_at.astimezone(LONDON),
        reopen_count=case.reopen_count,
        problem_reference=case.problem_reference,
        clocks=[
            c.model_copy(update={"deadline": c.deadline.astimezone(LONDON)}) if c.deadline else c
            for c in view.clocks
        ],
        next_action_due=view.next_action_due,
        sla_breached=view.sla_breached,
        resolution_working_time=view.resolution_working_time,
        paused_working_time=view.paused_working_time,
        timeline=list(case.events) if since is None else [preview(e) for e in case.events[since:]],
        timeline_total=len(case.events),
        policy_version=policy_version(case.setup.policy) if case.setup else None,
    )


def preview(event: CaseEvent) -> CaseEvent:
    """An event as an update answers with it: its text cut to a preview. The caller sent
    the text; echoed whole, each update would keep it twice in the history. The `status`
    query has every event whole."""
    if len(event.detail) <= PREVIEW:
        return event
    return event.model_copy(update={"detail": event.detail[: PREVIEW - 1] + "\u2026"})


def outcome(case: CaseRecord, view: sla.SlaView) -> CaseOutcome:
    intake, events = case.intake, case.events
    offers = [e for e in events if e.kind is EventKind.RESOLUTION_OFFERED]
    resolved = case.state == "resolved"
    kind = offers[-1].detail.split(":", 1)[0] if resolved and offers else None
    return CaseOutcome(
        reference=intake.reference,
        case_type=intake.case_type,
        state=case.state,
        priority=case.priority,
        logged_at=intake.logged_at,
        closed_at=events[-1].at,
        response_working_time=view.response_working_time,
        resolution_working_time=view.resolution_working_time if resolved else None,
        paused_working_time=view.paused_working_time,
        response_breached=view.response_breached,
        updates_missed=view.updates_missed,
        reopen_count=case.reopen_count,
        resolution_kind=ResolutionKind(kind) if kind else None,
    )


def search_attributes(case: CaseRecord, view: sla.SlaView) -> list[SearchAttributeUpdate[Any]]:
    intake = case.intake
    response = next(c for c in view.clocks if c.name == "response")
    pairs: list[SearchAttributeUpdate[Any]] = [
        search.CASE_REFERENCE.value_set(intake.reference),
        search.CASE_TYPE.value_set(intake.case_type.value),
        search.CASE_PRIORITY.value_set(case.priority.name),
        search.CASE_STATE.value_set(case.state),
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
    problem = case.problem_reference
    if problem:
        pairs.append(search.PROBLEM_REFERENCE.value_set(problem))
    return pairs


# The charter's words for each timer action (DESIGN §5), as a timer's summary says them:
# short, for a case re-arms its timer at every update, and each is kept in its history.
ACTIONS = {
    sla.Action.RESPONSE_WARNING: "response warning",
    sla.Action.RESPONSE_BREACH: "response breach",
    sla.Action.UPDATE_DUE: "update due",
    sla.Action.UPDATE_OVERDUE: "update overdue: escalate",
    sla.Action.INFORMATION_CHASER: "chase the information asked",
    sla.Action.RESOLVE: "offer lapses: Resolved",
}


def wake_summary(case: CaseRecord, view: sla.SlaView) -> str | None:
    """Which deadline the case sleeps until, for its timer in the Web UI (London time)."""
    due = case.next_wake(view)
    if due is None:
        return None
    action = next((d for d in view.pending if d.at == due), None)
    what = ACTIONS[action.action] if action else "partner access lapses"
    return f"{what} {due.astimezone(LONDON):%a %d %b %H:%M}"


def details(case: CaseRecord, view: sla.SlaView) -> str:
    line = f"{case.state.replace('_', ' ')} · {case.priority.name}"
    if view.pending:
        nxt = view.pending[0]
        line += f" · next: {nxt.action.value.replace('_', ' ')} {london(nxt.at)} (London)"
    if view.sla_breached:
        line += " · SLA BREACHED"
    return line


def refusal(err: Refusal) -> ApplicationError:
    return ApplicationError(str(err), type=err.type, non_retryable=isinstance(err, FINAL))


def link_request(case: CaseRecord, problem: str, actor: Actor | None = None) -> LinkRequest:
    return LinkRequest(
        problem_reference=problem,
        case_reference=case.intake.reference,
        priority=case.priority,
        case_summary=case.intake.summary,
        actor=actor,
    )


def link_refused(problem: str, cause: BaseException | None) -> ApplicationError:
    """The problem's own refusal passes on as it is; a problem out of reach leaves the
    case unchanged, and the caller may try again."""
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return ApplicationError(cause.message, type=cause.type, non_retryable=True)
    return ApplicationError(
        f"problem {problem} could not be reached ({cause}); the case is unchanged: try again",
        type=ProblemUnavailable.__name__,
    )
