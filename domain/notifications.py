"""Who hears what, and when: the notifications the charter promises (pure)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.models import Priority


class NotificationKind(StrEnum):
    CALL_TASK = "call_task"
    RESPONSE_WARNING = "response_warning"
    RESPONSE_BREACH = "response_breach"
    UPDATE_DUE = "update_due"
    UPDATE_OVERDUE = "update_overdue"
    INFORMATION_CHASER = "information_chaser"
    PROBLEM_NEWS = "problem_news"
    RESOLUTION_OFFERED = "resolution_offered"
    RESOLVED = "resolved"
    # Change requests (DESIGN §7): reminders for product managers, decisions for the raiser.
    CR_REVIEW_DUE = "cr_review_due"
    CR_DECISION_DUE = "cr_decision_due"
    CR_DELIVERY_DUE = "cr_delivery_due"
    CR_DELIVERY_OVERDUE = "cr_delivery_overdue"
    CR_DECIDED = "cr_decided"
    # Feedback that asks to be escalated (DESIGN §12).
    FEEDBACK_TO_CUSTOMER_CARE = "feedback_to_customer_care"
    FEEDBACK_TO_SERVICE_DESK_MANAGEMENT = "feedback_to_service_desk_management"


class Recipient(StrEnum):
    SUPPORT_DESK = "support_desk"
    INTEGRATOR = "integrator"
    PARTNER_SUPPORT_TEAM_MANAGER = "partner_support_team_manager"
    PRODUCT_MANAGER = "product_manager"
    CUSTOMER_CARE_TEAM = "customer_care_team"
    SERVICE_DESK_MANAGEMENT_TEAM = "service_desk_management_team"


RECIPIENTS: dict[NotificationKind, Recipient] = {
    NotificationKind.CALL_TASK: Recipient.SUPPORT_DESK,
    NotificationKind.RESPONSE_WARNING: Recipient.SUPPORT_DESK,
    NotificationKind.RESPONSE_BREACH: Recipient.SUPPORT_DESK,
    NotificationKind.UPDATE_DUE: Recipient.SUPPORT_DESK,
    NotificationKind.UPDATE_OVERDUE: Recipient.PARTNER_SUPPORT_TEAM_MANAGER,
    NotificationKind.INFORMATION_CHASER: Recipient.INTEGRATOR,
    NotificationKind.PROBLEM_NEWS: Recipient.INTEGRATOR,
    NotificationKind.RESOLUTION_OFFERED: Recipient.INTEGRATOR,
    NotificationKind.RESOLVED: Recipient.INTEGRATOR,
    NotificationKind.CR_REVIEW_DUE: Recipient.PRODUCT_MANAGER,
    NotificationKind.CR_DECISION_DUE: Recipient.PRODUCT_MANAGER,
    NotificationKind.CR_DELIVERY_DUE: Recipient.PRODUCT_MANAGER,
    NotificationKind.CR_DELIVERY_OVERDUE: Recipient.PRODUCT_MANAGER,
    NotificationKind.CR_DECIDED: Recipient.INTEGRATOR,
    NotificationKind.FEEDBACK_TO_CUSTOMER_CARE: Recipient.CUSTOMER_CARE_TEAM,
    NotificationKind.FEEDBACK_TO_SERVICE_DESK_MANAGEMENT: Recipient.SERVICE_DESK_MANAGEMENT_TEAM,
}


class Notification(BaseModel):
    """One message to deliver; `key` makes delivery idempotent at the receiver."""

    model_config = ConfigDict(frozen=True)
    key: str
    kind: NotificationKind
    recipient: Recipient
    reference: str
    # Change requests are not prioritised (DESIGN §3): theirs carry none.
    priority: Priority | None = None
    at: dt.datetime
    due: dt.datetime | None = None
    message: str


def notification(
    kind: NotificationKind,
    *,
    reference: str,
    priority: Priority | None,
    at: dt.datetime,
    message: str,
    due: dt.datetime | None = None,
    key: str | None = None,
) -> Notification:
    return Notification(
        key=key or f"case-{reference}:{kind}:{at.astimezone(dt.UTC).isoformat()}",
        kind=kind,
        recipient=RECIPIENTS[kind],
        reference=reference,
        priority=priority,
        at=at,
        due=due,
        message=message,
    )
