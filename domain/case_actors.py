"""Who may do what to a case (DESIGN §12): the permission table asked about a case's
requests, its opening and its partner-access decisions, and the feedback it keeps for
the ledger (pure)."""

from __future__ import annotations

import datetime as dt

from domain.actors import (
    Actor,
    Lifecycle,
    Subject,
    permit,
    permit_approval,
    permit_opening,
    required,
)
from domain.case_events import event_of
from domain.case_school_data import SCHOOL_EVENTS, SchoolRequest
from domain.kpi_ledger import FeedbackRecord
from domain.models import (
    CaseRequest,
    FeedbackEscalation,
    GiveFeedback,
    OpenCase,
    PostUpdate,
    Priority,
    Visibility,
)
from domain.notifications import NotificationKind
from domain.school_data import ApprovePartnerAccess, RefusePartnerAccess

# Who hears of feedback that asks to be escalated.
FEEDBACK_TO = {
    FeedbackEscalation.CUSTOMER_CARE: NotificationKind.FEEDBACK_TO_CUSTOMER_CARE,
    FeedbackEscalation.SERVICE_DESK_MANAGEMENT: (
        NotificationKind.FEEDBACK_TO_SERVICE_DESK_MANAGEMENT
    ),
}


def visibility(req: CaseRequest) -> Visibility:
    """Only a desk note (`post_update` with `visibility: internal`) is internal."""
    return req.visibility if isinstance(req, PostUpdate) else Visibility.PUBLIC


def subject(intake: OpenCase) -> Subject:
    return Subject(Lifecycle.CASE, intake.integrator.id, intake.school.urn)


def admit(intake: OpenCase, req: CaseRequest | SchoolRequest) -> Actor:
    """The request's actor, if it may send this request on this case; raises
    `InvalidInput` (no actor), `NotAllowed` or `NotYourCase`. Changes nothing."""
    actor = required(req.actor)
    on = subject(intake)
    if isinstance(req, ApprovePartnerAccess | RefusePartnerAccess):
        permit_approval(actor, SCHOOL_EVENTS[type(req)], req.approver, on)
    elif type(req) in SCHOOL_EVENTS:
        permit(actor, SCHOOL_EVENTS[type(req)], on)
    else:
        permit(actor, event_of(req), on)
    return actor


def check_opening(opened_by: Actor | None, intake: OpenCase) -> Actor:
    """An integrator opens only its own cases as reporter `integrator`, a school only its
    own through its support unit, the desk any; raises naming `opened_by`."""
    actor = required(opened_by, "opened_by")
    permit_opening(actor, subject(intake), reporter_role=intake.reporter.role.value)
    return actor


def feedback_record(
    intake: OpenCase, priority: Priority, req: GiveFeedback, now: dt.datetime
) -> FeedbackRecord:
    """What the ledger keeps of one rating: no comment, the rater by id."""
    actor = required(req.actor)
    return FeedbackRecord(
        reference=intake.reference,
        key=req.request_id,
        case_type=intake.case_type,
        priority=priority,
        integrator_id=intake.integrator.id,
        school_urn=intake.school.urn,
        rating=req.rating,
        escalate=req.escalate,
        by_role=actor.role.value,
        by_id=actor.id,
        given_at=now,
    )
