"""Problems: the cause of one or more incidents (DESIGN §6): scope, decisions, status.

A problem is generic (a software error, fixed by a release) or site-specific (data or a
local cause at one school, often fixed by a script). Its priority is the highest of the
cases linked to it and still open.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from domain.actors import Actor
from domain.bounds import Message, OptionalMessage, RequestId, Summary, Version
from domain.machines import PROBLEM_CLOSED
from domain.models import WIRE, Priority, Reference, ResolutionKind, Urn
from domain.vocabulary import Visibility

CLOSED_STATES = PROBLEM_CLOSED


class ProblemScope(StrEnum):
    GENERIC = "generic"
    SITE_SPECIFIC = "site_specific"


class FixVehicle(StrEnum):
    """How the charter delivers a problem's fix; each is also a case's resolution kind."""

    SCRIPT = "script"
    HOTFIX = "hotfix"
    SERVICE_PACK = "service_pack"
    MAIN_RELEASE = "main_release"

    @property
    def resolution_kind(self) -> ResolutionKind:
        return ResolutionKind(self.value)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


def scope_error(scope: ProblemScope, school_urn: str | None) -> str | None:
    """A site-specific problem names its school; a generic one names none."""
    if scope is ProblemScope.SITE_SPECIFIC and school_urn is None:
        return "school_urn: a site-specific problem names the school's DfE URN"
    if scope is ProblemScope.GENERIC and school_urn is not None:
        return (
            "school_urn: only a site-specific problem names a school; "
            "a generic problem affects every school on the release"
        )
    return None


class OpenProblem(BaseModel):
    model_config = WIRE
    reference: Reference
    summary: Summary
    scope: ProblemScope = ProblemScope.GENERIC
    school_urn: Urn | None = None

    @model_validator(mode="after")
    def _school_named_when_site_specific(self) -> OpenProblem:
        if error := scope_error(self.scope, self.school_urn):
            raise ValueError(error)
        return self


# -- the events a support engineer sends to a problem ---------------------------------------


class ProblemRequest(BaseModel):
    """Every update carries a request id: a retry of the same request is a no-op."""

    model_config = WIRE
    request_id: RequestId
    # Who sends it (DESIGN §12): optional only so that older histories replay.
    actor: Actor | None = None


class ScheduleReview(ProblemRequest):
    message: OptionalMessage = ""


class AcceptAsDefect(ProblemRequest):
    message: OptionalMessage = ""
    # The review may (re)classify the problem; omitted, the scope stays as it was.
    scope: ProblemScope | None = None
    school_urn: Urn | None = None

    @model_validator(mode="after")
    def _scope_is_consistent(self) -> AcceptAsDefect:
        if self.scope is None and self.school_urn is not None:
            raise ValueError("school_urn: give scope site_specific with the school's URN")
        if self.scope is not None and (error := scope_error(self.scope, self.school_urn)):
            raise ValueError(error)
        return self


class Reject(ProblemRequest):
    reason: Message


class RequestInformation(ProblemRequest):
    message: Message


class ScheduleFix(ProblemRequest):
    vehicle: FixVehicle
    target_version: Version


class ReleaseFix(ProblemRequest):
    # The version the fix shipped in; omitted, the scheduled target version.
    version: Version | None = None
    summary: OptionalMessage = ""


# -- what a problem remembers and shows ------------------------------------------------------


class ProblemEventKind(StrEnum):
    OPENED = "opened"
    CASE_LINKED = "case_linked"
    CASE_CHANGED = "case_changed"
    PRIORITY_CHANGED = "priority_changed"
    REVIEW_SCHEDULED = "review_scheduled"
    ACCEPTED_AS_DEFECT = "accepted_as_defect"
    INFORMATION_REQUESTED = "information_requested"
    REJECTED = "rejected"
    FIX_SCHEDULED = "fix_scheduled"
    FIX_RELEASED = "fix_released"
    # A linked case could not be told (it had closed meanwhile): kept for the operator.
    NEWS_UNDELIVERED = "news_undelivered"


class ProblemEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: ProblemEventKind
    at: dt.datetime
    request_id: str | None = None
    detail: str = ""
    actor: Actor | None = None
    visibility: Visibility = Visibility.PUBLIC


class LinkedCase(BaseModel):
    model_config = ConfigDict(frozen=True)
    reference: str
    priority: Priority
    open: bool = True
    linked_at: dt.datetime


class ProblemStatus(BaseModel):
    model_config = ConfigDict(frozen=True)
    reference: str
    summary: str
    state: str
    scope: ProblemScope
    school_urn: str | None
    priority: Priority
    linked_cases: list[LinkedCase]
    vehicle: FixVehicle | None
    target_version: str | None
    released_version: str | None
    # The `status` query's are whole; an update's hold what it changed (DESIGN §5, §13).
    timeline: list[ProblemEvent]
    timeline_total: int | None = None
    linked_total: int | None = None


def problem_priority(links: list[LinkedCase]) -> Priority:
    """The highest priority of the open linked cases; P4 while none is open."""
    return min((link.priority for link in links if link.open), default=Priority.P4)


def too_many_links(reference: str, count: int) -> str:
    return (
        f"max_problem_links: problem {reference} holds {count} linked cases, the most it "
        "keeps; link the case to a new problem quoting it"
    )


def closed_to_new_links(reference: str, state: str, case_reference: str) -> str:
    """Why a closed problem takes no more cases, and what the desk can do instead."""
    if state == "fix_released":
        return (
            f"problem {reference} is closed: its fix has been released. Offer case "
            f"{case_reference} the released fix directly (an upgrade to the fixed version), "
            "or log a new problem if the fix does not cure it"
        )
    return (
        f"problem {reference} is closed: it was found not to be a defect. Keep "
        f"investigating case {case_reference}, or log a new problem for it"
    )
