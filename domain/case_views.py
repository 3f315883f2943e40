"""What a case shows each caller (DESIGN §12): an integrator or a school sees its own
cases only, and none of their internal events (pure)."""

from __future__ import annotations

from domain.actors import Actor, Lifecycle, Subject, check_owner, sees_internal, shown_to
from domain.models import CaseStatus


def subject(status: CaseStatus) -> Subject:
    return Subject(Lifecycle.CASE, status.integrator_id, status.school_urn)


def status_for(status: CaseStatus, viewer: Actor | None) -> CaseStatus:
    """The status as `viewer` may see it; `NotYourCase` for another's case. No viewer is
    the desk or an operator: everything."""
    check_owner(viewer, subject(status))
    if sees_internal(viewer):
        return status
    shown = [event for event in status.timeline if shown_to(viewer, event.visibility)]
    return status.model_copy(update={"timeline": shown})
