"""Who may do what to a case (DESIGN §12): the permission table asked about a case's
requests, its opening and its partner-access decisions, and the feedback it keeps for
the ledger (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

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
from domain.idempotency import check_reuse, fingerprint
from domain.kpi_ledger import FeedbackRecord
from domain.log_limits import check_room, request_text
from domain.models import (
    CaseEvent,
    CaseRequest,
    FeedbackEscalation,
    GiveFeedback,
    OpenCase,
    PostUpdate,
    Priority,
    Visibility,
)
from domain.notifications import NotificationKind
from domain.policy_change import APPLY_POLICY, ApplyPolicy
from domain.school_data import ApprovePartnerAccess, RefusePartnerAccess
from domain.workflow_inputs import CaseSetup

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


def event_name(req: CaseRequest) -> str:
    """The update (and permission-table event) a request is."""
    if isinstance(req, ApplyPolicy):
        return APPLY_POLICY
    return SCHOOL_EVENTS[type(req)] if type(req) in SCHOOL_EVENTS else event_of(req)


def fingerprint_of(req: CaseRequest) -> str:
    return fingerprint(event_name(req), req)


def admit(
    intake: OpenCase,
    req: CaseRequest | SchoolRequest,
    *,
    new: bool = True,
    events: Sequence[CaseEvent] = (),
    digests: Mapping[str, str] | None = None,
    setup: CaseSetup | None = None,
    winding_up: bool = False,
) -> Actor:
    """The request's actor, if it may send this request on this case; raises
    `InvalidInput` (no actor), `NotAllowed` or `NotYourCase`, then, for a request id
    already applied to something else `IdempotencyKeyReused`, and for a new request the
    log has no room for `CaseTooLarge`, unless it is `winding_up` the case (a move towards
    its end, `domain.machines.WINDING_UP`). Changes nothing."""
    actor = required(req.actor)
    on, event = subject(intake), event_name(req)
    if isinstance(req, ApprovePartnerAccess | RefusePartnerAccess):
        permit_approval(actor, event, req.approver, on)
    else:
        permit(actor, event, on)
    if not new:
        check_reuse(digests or {}, event, req, req.request_id)
    elif setup is not None and not winding_up:
        check_room(f"case {intake.reference}", events, setup.policy, request_text(req))
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
