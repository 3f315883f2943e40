"""The intake and the wire models platform backends send (DESIGN §5); the enums live in
`domain.vocabulary` and are re-exported here."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from domain.actors import Actor
from domain.bounds import (
    APIS_MAX,
    EMAIL_MAX,
    ERRORS_MAX,
    ID_MAX,
    SCREENSHOTS_MAX,
    VERSION_MAX,
    Api,
    ErrorMessage,
    Id,
    LongText,
    MediumText,
    Message,
    Name,
    OptionalMessage,
    Phone,
    RequestId,
    Screenshot,
    Summary,
    one_line,
)
from domain.priority import priority_for
from domain.vocabulary import (
    CaseType,
    Channel,
    ClockStatus,
    Environment,
    EventKind,
    FeedbackEscalation,
    Impact,
    Priority,
    ReporterRole,
    ResolutionKind,
    Urgency,
    Visibility,
)

__all__ = [
    "Actor",
    "CaseType",
    "Channel",
    "ClockStatus",
    "Environment",
    "EventKind",
    "FeedbackEscalation",
    "Impact",
    "Priority",
    "ReporterRole",
    "ResolutionKind",
    "Urgency",
    "Visibility",
]


class CaseRuleViolated(ValueError):
    """An intake that breaks a charter rule; the message names the field."""


def _email_fits(value: str) -> str:
    if len(value) > EMAIL_MAX:
        raise ValueError(f"at most {EMAIL_MAX} characters")
    return value


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a timezone offset (e.g. 2026-11-27T16:50:00+00:00)")
    return value


Reference = Annotated[str, Field(pattern=r"^[A-Z0-9-]{3,40}$")]
AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
Urn = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="DfE URN: 6 digits")]
NonBlank = Annotated[str, Field(min_length=1)]

LONDON = ZoneInfo("Europe/London")
# An optional field left out of the JSON when it holds nothing: an event or a clock is
# kept in histories by the thousand, and reads back the same (the default is None).
UNSET_IF_NONE = Field(exclude_if=lambda value: value is None)
WIRE = ConfigDict(frozen=True, extra="forbid")
# Built on first use: the e-mail address's validator is costly to set up, and a process
# that never reads an intake (`sims-case status`, say) should not pay for it.
WIRE_DEFERRED = ConfigDict(frozen=True, extra="forbid", defer_build=True)
# One set of field names per combination given, shared by the instances given it.
_FIELDS_GIVEN: dict[frozenset[str], set[str]] = {}


class Kept(BaseModel):
    """A frozen model a workflow keeps for its whole life: the intake, the event log.

    Pydantic gives every instance its own set of the field names it was given (what that
    costs is in bench/README.md); instances given the same fields share one here.
    Safe because they are frozen: pydantic changes that set only on assignment, which a
    frozen model refuses, and `model_copy` copies it first.
    """

    model_config = ConfigDict(frozen=True)

    def model_post_init(self, context: Any, /) -> None:
        given = self.__pydantic_fields_set__
        object.__setattr__(
            self, "__pydantic_fields_set__", _FIELDS_GIVEN.setdefault(frozenset(given), given)
        )


class Integrator(Kept):
    model_config = WIRE
    id: Id
    name: Name
    support_agreement_expires: dt.date


class Reporter(Kept):
    model_config = WIRE_DEFERRED
    name: Name
    email: Annotated[EmailStr, AfterValidator(_email_fits)]
    phone: Phone | None = None
    role: ReporterRole = ReporterRole.INTEGRATOR


class School(Kept):
    model_config = WIRE
    urn: Urn
    name: Name


class OpenCase(Kept):
    model_config = WIRE_DEFERRED

    reference: Reference
    case_type: CaseType
    impact: Annotated[int, Field(ge=1, le=4)]
    urgency: Annotated[int, Field(ge=1, le=3)]
    channel: Channel
    logged_at: AwareDatetime
    integrator: Integrator
    reporter: Reporter
    school: School
    summary: Summary
    description: LongText = ""
    apis: Annotated[list[Api], Field(max_length=APIS_MAX)] = []
    release_version: Annotated[str, Field(max_length=VERSION_MAX), AfterValidator(one_line)] = ""
    business_impact: MediumText = ""
    deadline: dt.date | None = None
    environment_changes: MediumText | None = None
    existing_reference: (
        Annotated[str, Field(max_length=ID_MAX), AfterValidator(one_line)] | None
    ) = None
    steps_to_reproduce: LongText | None = None
    error_messages: Annotated[list[ErrorMessage], Field(max_length=ERRORS_MAX)] = []
    screenshots: Annotated[list[Screenshot], Field(max_length=SCREENSHOTS_MAX)] = []
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
        # The agreement is judged on the London date: one instant, one answer, whatever
        # offset the caller wrote it in.
        logged_on = self.logged_at.astimezone(LONDON).date()
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
        return priority_for(self.case_type, self.impact, self.urgency)


# -- the events a platform backend sends to a running case ---------------------------------


class CaseRequest(BaseModel):
    """Every update carries a request id: a retry of the same request is a no-op.

    And who sends it (DESIGN §12): optional here only so that histories recorded before
    actors replay; the workflows' validators refuse a new request without one."""

    model_config = WIRE
    request_id: RequestId
    actor: Actor | None = None


class Acknowledge(CaseRequest):
    message: OptionalMessage = ""


class PostUpdate(CaseRequest):
    message: Message
    # `internal`: a desk note; no contact with the integrator, no notification.
    visibility: Visibility = Visibility.PUBLIC


class RequestInformation(CaseRequest):
    message: Message


class ProvideInformation(CaseRequest):
    message: Message


class ChangePriority(CaseRequest):
    impact: Annotated[int, Field(ge=1, le=4)]
    urgency: Annotated[int, Field(ge=1, le=3)]
    reason: Message


class EscalateToProblem(CaseRequest):
    problem_reference: Reference


class OfferResolution(CaseRequest):
    kind: ResolutionKind
    summary: Message


class AcceptResolution(CaseRequest):
    pass


class Reopen(CaseRequest):
    reason: Message


class Withdraw(CaseRequest):
    reason: Message


class GiveFeedback(CaseRequest):
    """The integrator's or the school's word on the service (the charter's "if you are
    happy or unhappy with the service ... please tell us")."""

    rating: Annotated[int, Field(ge=1, le=5)]
    comment: OptionalMessage = ""
    escalate: FeedbackEscalation = FeedbackEscalation.NONE


# -- what a case remembers and shows -------------------------------------------------------


class CaseEvent(Kept):
    """One line of the append-only event log every SLA clock is derived from."""

    kind: EventKind
    at: dt.datetime
    request_id: Annotated[str | None, UNSET_IF_NONE] = None
    priority: Annotated[Priority | None, UNSET_IF_NONE] = None
    detail: str = ""
    # Who did it (None only in histories recorded before actors), and who may see it.
    actor: Annotated[Actor | None, UNSET_IF_NONE] = None
    visibility: Visibility = Visibility.PUBLIC


class Clock(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    deadline: dt.datetime | None
    status: ClockStatus
    warning_at: Annotated[dt.datetime | None, UNSET_IF_NONE] = None
    escalation_at: Annotated[dt.datetime | None, UNSET_IF_NONE] = None
    working_time_left: Annotated[dt.timedelta | None, UNSET_IF_NONE] = None


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
    # The `status` query's is the whole log; an update's only what the update recorded.
    timeline: list[CaseEvent]
    timeline_total: int | None = None  # how many events the case has (None before 0.2)
    # The support policy it runs on (`domain.policy_change.policy_version`; DESIGN §15).
    policy_version: str | None = None


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
