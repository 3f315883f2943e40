"""The vocabulary of the charter and the wire models platform backends send (DESIGN §5)."""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator


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


class CaseRuleViolated(ValueError):
    """An intake that breaks a charter rule; the message names the field."""


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a timezone offset (e.g. 2026-11-27T16:50:00+00:00)")
    return value


Reference = Annotated[str, Field(pattern=r"^[A-Z0-9-]{3,40}$")]
AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
Urn = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="DfE URN: 6 digits")]
NonBlank = Annotated[str, Field(min_length=1)]

WIRE = ConfigDict(frozen=True, extra="forbid")
# One set of field names per combination given, shared by the instances given it.
_FIELDS_GIVEN: dict[frozenset[str], set[str]] = {}


class Kept(BaseModel):
    """A frozen model a workflow keeps for its whole life: the intake, the event log.

    Pydantic gives every instance its own set of the field names it was given (2.2 KiB
    for the intake's 23, a third of its memory; 0.7 KiB per event); instances given the
    same fields share one here. Safe because they are frozen: pydantic changes that set
    only on assignment, which a frozen model refuses, and `model_copy` copies it first.
    """

    model_config = ConfigDict(frozen=True)

    def model_post_init(self, context: Any, /) -> None:
        given = self.__pydantic_fields_set__
        object.__setattr__(
            self, "__pydantic_fields_set__", _FIELDS_GIVEN.setdefault(frozenset(given), given)
        )


class Integrator(Kept):
    model_config = WIRE
    id: NonBlank
    name: NonBlank
    support_agreement_expires: dt.date


class Reporter(Kept):
    model_config = WIRE
    name: NonBlank
    email: EmailStr
    phone: str | None = None
    role: ReporterRole = ReporterRole.INTEGRATOR


class School(Kept):
    model_config = WIRE
    urn: Urn
    name: NonBlank


class OpenCase(Kept):
    model_config = WIRE

    reference: Reference
    case_type: CaseType
    impact: Annotated[int, Field(ge=1, le=4)]
    urgency: Annotated[int, Field(ge=1, le=3)]
    channel: Channel
    logged_at: AwareDatetime
    integrator: Integrator
    reporter: Reporter
    school: School
    summary: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    apis: list[NonBlank] = []
    release_version: str = ""
    business_impact: str = ""
    deadline: dt.date | None = None
    environment_changes: str | None = None
    existing_reference: str | None = None
    steps_to_reproduce: str | None = None
    error_messages: list[str] = []
    screenshots: list[str] = []
    occurred_at: AwareDatetime | None = None
    replicable: bool | None = None
    environments: list[Environment] = []

    @model_validator(mode="after")
    def _charter_rules(self) -> OpenCase:
        if self.case_type not in (CaseType.INCIDENT, CaseType.ENQUIRY, CaseType.SERVICE_REQUEST):
            raise CaseRuleViolated(
                "case_type: a case is an incident, enquiry or service_request; "
                "problems and change requests have their own workflows"
            )
        logged_on = self.logged_at.date()
        if self.integrator.support_agreement_expires < logged_on:
            raise CaseRuleViolated(
                "integrator.support_agreement_expires: the support agreement expired on "
                f"{self.integrator.support_agreement_expires}, before the case was logged on "
                f"{logged_on}; cases are for licensed integrators with a valid agreement"
            )
        if self.channel is Channel.PHONE and self.priority is not Priority.P1:
            raise CaseRuleViolated(
                f"channel: the phone line is for P1 incidents only; this {self.case_type} is "
                f"{self.priority.name}: log it through the portal or by email"
            )
        if self.case_type is CaseType.INCIDENT and not self.apis:
            raise CaseRuleViolated(
                "apis: an incident must name at least one API or business object"
            )
        return self

    @property
    def priority(self) -> Priority:
        # Imported here so that the modules depend one way only: priority -> models.
        from domain.priority import priority_for

        return priority_for(self.case_type, self.impact, self.urgency)


# -- the events a platform backend sends to a running case ---------------------------------


class CaseRequest(BaseModel):
    """Every update carries a request id: a retry of the same request is a no-op."""

    model_config = WIRE
    request_id: Annotated[str, Field(min_length=1, max_length=100)]


class Acknowledge(CaseRequest):
    message: str = ""


class PostUpdate(CaseRequest):
    message: NonBlank


class RequestInformation(CaseRequest):
    message: NonBlank


class ProvideInformation(CaseRequest):
    message: NonBlank


class ChangePriority(CaseRequest):
    impact: Annotated[int, Field(ge=1, le=4)]
    urgency: Annotated[int, Field(ge=1, le=3)]
    reason: NonBlank


class EscalateToProblem(CaseRequest):
    problem_reference: Reference


class OfferResolution(CaseRequest):
    kind: ResolutionKind
    summary: NonBlank


class AcceptResolution(CaseRequest):
    pass


class Reopen(CaseRequest):
    reason: NonBlank


class Withdraw(CaseRequest):
    reason: NonBlank


# -- what a case remembers and shows -------------------------------------------------------


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


class CaseEvent(Kept):
    """One line of the append-only event log every SLA clock is derived from."""

    kind: EventKind
    at: dt.datetime
    request_id: str | None = None
    priority: Priority | None = None
    detail: str = ""


class Clock(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    deadline: dt.datetime | None
    status: ClockStatus
    warning_at: dt.datetime | None = None
    escalation_at: dt.datetime | None = None
    working_time_left: dt.timedelta | None = None


class CaseStatus(BaseModel):
    model_config = ConfigDict(frozen=True)
    reference: str
    case_type: CaseType
    state: str
    priority: Priority
    integrator_id: str
    school_urn: str
    summary: str
    logged_at: dt.datetime
    reopen_count: int
    problem_reference: str | None
    clocks: list[Clock]
    next_action_due: dt.datetime | None
    sla_breached: bool
    resolution_working_time: dt.timedelta
    paused_working_time: dt.timedelta
    timeline: list[CaseEvent]


class CaseOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    reference: str
    case_type: CaseType
    state: str
    priority: Priority
    logged_at: dt.datetime
    closed_at: dt.datetime
    response_working_time: dt.timedelta | None
    resolution_working_time: dt.timedelta | None
    paused_working_time: dt.timedelta
    response_breached: bool
    updates_missed: int
    reopen_count: int
    resolution_kind: ResolutionKind | None
