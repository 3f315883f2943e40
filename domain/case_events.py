"""The requests a caller sends a case: the machine event each one is, the kind of event
it records in the log, and the line it writes in the timeline (pure)."""

from __future__ import annotations

from typing import TypeGuard

from domain.models import (
    AcceptResolution,
    Acknowledge,
    CaseRequest,
    ChangePriority,
    EscalateToProblem,
    EventKind,
    GiveFeedback,
    OfferResolution,
    PostUpdate,
    ProvideInformation,
    Reopen,
    RequestInformation,
    ResolutionKind,
    Withdraw,
)

# Every request type is one event of the case machine (the update of the same name).
EVENTS: dict[type[CaseRequest], tuple[str, EventKind]] = {
    Acknowledge: ("acknowledge", EventKind.ACKNOWLEDGED),
    PostUpdate: ("post_update", EventKind.UPDATED),
    RequestInformation: ("request_information", EventKind.INFO_REQUESTED),
    ProvideInformation: ("provide_information", EventKind.INFO_PROVIDED),
    ChangePriority: ("change_priority", EventKind.PRIORITY_CHANGED),
    EscalateToProblem: ("escalate_to_problem", EventKind.ESCALATED),
    OfferResolution: ("offer_resolution", EventKind.RESOLUTION_OFFERED),
    AcceptResolution: ("accept_resolution", EventKind.ACCEPTED),
    Reopen: ("reopen", EventKind.REOPENED),
    Withdraw: ("withdraw", EventKind.WITHDRAWN),
    GiveFeedback: ("give_feedback", EventKind.FEEDBACK_GIVEN),
}
# The charter's problem resolutions; an incident offers them only through its problem.
PROBLEM_FIXES = frozenset(
    {
        ResolutionKind.SCRIPT,
        ResolutionKind.HOTFIX,
        ResolutionKind.SERVICE_PACK,
        ResolutionKind.MAIN_RELEASE,
    }
)


def is_problem_fix(req: CaseRequest) -> TypeGuard[OfferResolution]:
    return isinstance(req, OfferResolution) and req.kind in PROBLEM_FIXES


def event_of(req: CaseRequest) -> str:
    return EVENTS[type(req)][0]


def detail(req: CaseRequest) -> str:
    """The line a request writes in the timeline, beside its kind."""
    match req:
        case Acknowledge() | PostUpdate() | RequestInformation() | ProvideInformation():
            return req.message
        case Reopen() | Withdraw():
            return req.reason
        case EscalateToProblem():
            return req.problem_reference
        case OfferResolution():
            return f"{req.kind}: {req.summary}"
        case GiveFeedback():
            escalated = "" if req.escalate == "none" else f", escalated to {req.escalate}"
            comment = f": {req.comment}" if req.comment else ""
            return f"rating {req.rating}/5{escalated}{comment}"
    return ""
