"""The charter's words: the enums every lifecycle, model and rule shares (DESIGN §3)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class CaseType(StrEnum):
    INCIDENT = "incident"
    ENQUIRY = "enquiry"
    SERVICE_REQUEST = "service_request"
    PROBLEM = "problem"
    CHANGE_REQUEST = "change_request"


class Priority(IntEnum):
    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4

    @property
    def label(self) -> str:
        return self.name


class Impact(IntEnum):
    CRITICAL = 1
    MAJOR = 2
    MODERATE = 3
    MINOR = 4


class Urgency(IntEnum):
    CRITICALLY_TIME_SENSITIVE = 1
    HIGH_VOLUME = 2
    NOT_TIME_SENSITIVE = 3


class Channel(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    PHONE = "phone"


class Environment(StrEnum):
    LIVE = "live"
    TEST = "test"
    PROJECT = "project"
    TRAIN = "train"


class ReporterRole(StrEnum):
    INTEGRATOR = "integrator"
    SCHOOL_SUPPORT_UNIT = "school_support_unit"


class ResolutionKind(StrEnum):
    ADVICE = "advice"
    WORKAROUND = "workaround"
    UPGRADE = "upgrade"
    SCRIPT = "script"
    HOTFIX = "hotfix"
    SERVICE_PACK = "service_pack"
    MAIN_RELEASE = "main_release"


class ClockStatus(StrEnum):
    PENDING = "pending"
    MET = "met"
    BREACHED = "breached"


class EventKind(StrEnum):
    LOGGED = "logged"
    ACKNOWLEDGED = "acknowledged"
    UPDATED = "updated"
    INFO_REQUESTED = "info_requested"
    INFO_PROVIDED = "info_provided"
    PRIORITY_CHANGED = "priority_changed"
    ESCALATED = "escalated"
    PROBLEM_NEWS = "problem_news"
    INVESTIGATION_RESUMED = "investigation_resumed"
    RESOLUTION_OFFERED = "resolution_offered"
    REOPENED = "reopened"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    # A timer's action was taken (a warning sent, an escalation raised); `detail` is its key.
    ACTION_TAKEN = "action_taken"
    # The webhook refused a notification for good (a 4xx): kept so an operator can follow up.
    NOTIFICATION_REFUSED = "notification_refused"
    # School data and sharing it (DESIGN §8; rules in domain/school_data.py).
    SCHOOL_DATA_REQUESTED = "school_data_requested"
    DATA_TRANSFER_RECORDED = "data_transfer_recorded"
    PARTNER_ACCESS_REQUESTED = "partner_access_requested"
    PARTNER_ACCESS_APPROVED = "partner_access_approved"
    PARTNER_ACCESS_REFUSED = "partner_access_refused"
    PARTNER_ACCESS_EXPIRED = "partner_access_expired"
    # The integrator's or the school's rating of the service (DESIGN §12).
    FEEDBACK_GIVEN = "feedback_given"
    # The desk applied a new support policy (DESIGN §15); `detail`: the versions and what
    # changed. Every clock is derived under the new policy from here on.
    POLICY_CHANGED = "policy_changed"


class Visibility(StrEnum):
    """Who sees an event: `public`, the integrator too; `internal`, the desk only."""

    PUBLIC = "public"
    INTERNAL = "internal"


class FeedbackEscalation(StrEnum):
    NONE = "none"
    CUSTOMER_CARE = "customer_care"
    SERVICE_DESK_MANAGEMENT = "service_desk_management"
