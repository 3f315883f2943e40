"""What a change request tells people: its reminders, its decisions and the words of its
refusals (pure; like `case_messages`)."""

from __future__ import annotations

from domain.case_messages import london
from domain.change_requests import CrEvent, OpenChangeRequest
from domain.cr_schedule import CrAction
from domain.notifications import Notification, NotificationKind, notification
from domain.sla import Due

ACTION_MESSAGES = {
    CrAction.REVIEW_DUE: "a product-manager review is due",
    CrAction.DECISION_DUE: "considered for 36 months or more: a decision is due "
    "(plan it or reject it)",
    CrAction.DELIVERY_DUE: "planned 12 months ago: delivery is due",
    CrAction.DELIVERY_OVERDUE: "planned 18 months ago: delivery is overdue",
}


def key(reference: str, name: str) -> str:
    """A notification's key: the change request's workflow id, then what it is about.

    The receiver takes each key once, so this never changes; domain/ names the id
    itself (`workflows.contract.change_request_workflow_id`, which a test pins it to).
    """
    return f"cr-{reference}:{name}"


def reminder(request: OpenChangeRequest, due: Due[CrAction], votes: int) -> Notification:
    """Tells the product managers what is due, and how many integrators want it."""
    return notification(
        NotificationKind(due.action.value),
        reference=request.reference,
        priority=None,
        at=due.at,
        due=due.at,
        message=f"{request.reference} ({request.title}): {ACTION_MESSAGES[due.action]}; "
        f"{votes} vote{'' if votes == 1 else 's'} (due {london(due.at)})",
        key=key(request.reference, due.key),
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
        key=key(request.reference, f"{event.kind}:{event.request_id}"),
    )


def voting_closed(reference: str, state: str, original: str | None) -> str:
    message = f"voting on change request {reference} is closed: it is {state.replace('_', ' ')}"
    return message + (f"; vote on the original, {original}" if original else "")
