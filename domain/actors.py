"""Who sends a request, and what each role may do (DESIGN §12), as data.

`permit(actor, event, on)` is the one question: may this actor send this event on this
case, problem or change request? It raises `NotAllowed` for a role the table does not
list, and `NotYourCase` for an integrator or a school acting on someone else's case.
The finer rules sit beside it: whose approval a partner-access decision is
(`permit_approval`), whose vote a vote is (`permit_vote`), and who may open what
(`permit_opening`). `system` (timers, a problem's news) is never accepted from a caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.refusals import InvalidInput, NotAllowed, NotYourCase
from domain.vocabulary import Visibility


class Role(StrEnum):
    DESK = "desk"
    INTEGRATOR = "integrator"
    SCHOOL = "school"
    PRODUCT_MANAGER = "product_manager"
    SYSTEM = "system"


class Lifecycle(StrEnum):
    CASE = "case"
    PROBLEM = "problem"
    CHANGE_REQUEST = "change_request"


ActorId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]


class Actor(BaseModel):
    """`id` is the staff id (desk), the integrator's id, or the school's URN."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Role
    id: ActorId
    name: Annotated[str, Field(max_length=100)] | None = None


SYSTEM = Actor(role=Role.SYSTEM, id="system")
# How a refusal says what was tried, where "cannot <event> a <lifecycle>" reads badly.
PHRASES = {
    "post_update": "post an update on a",
    "request_information": "request information on a",
    "provide_information": "provide information on a",
    "change_priority": "change the priority of a",
    "offer_resolution": "offer a resolution on a",
    "accept_resolution": "accept the resolution of a",
    "give_feedback": "give feedback on a",
    "request_school_data": "request school data on a",
    "record_data_transfer": "record a data transfer on a",
    "request_partner_access": "request partner access on a",
    "approve_partner_access": "approve partner access on a",
    "refuse_partner_access": "refuse partner access on a",
    "schedule_review": "schedule a review of a",
    "schedule_fix": "schedule a fix for a",
    "release_fix": "release a fix for a",
    "vote": "vote on a",
    "unvote": "withdraw a vote on a",
    "mark_duplicate": "mark as a duplicate a",
    "apply_policy": "apply a support policy to a",
}

DESK, INTEGRATOR, SCHOOL, PM = Role.DESK, Role.INTEGRATOR, Role.SCHOOL, Role.PRODUCT_MANAGER
# What the integrator (and the school, on its own cases) answers; the desk may send it on
# their behalf, recorded as the desk.
ANSWERS = frozenset({DESK, INTEGRATOR, SCHOOL})

PERMISSIONS: Mapping[Lifecycle, Mapping[str, frozenset[Role]]] = {
    Lifecycle.CASE: {
        "acknowledge": frozenset({DESK}),
        "post_update": frozenset({DESK}),
        "request_information": frozenset({DESK}),
        "provide_information": ANSWERS,
        "change_priority": frozenset({DESK}),
        "escalate_to_problem": frozenset({DESK}),
        "offer_resolution": frozenset({DESK}),
        "accept_resolution": ANSWERS,
        "reopen": ANSWERS,
        "withdraw": ANSWERS,
        "give_feedback": frozenset({INTEGRATOR, SCHOOL}),
        "request_school_data": frozenset({DESK}),
        "record_data_transfer": frozenset({DESK}),
        "request_partner_access": frozenset({DESK}),
        "approve_partner_access": frozenset({INTEGRATOR, SCHOOL}),
        "refuse_partner_access": frozenset({INTEGRATOR, SCHOOL}),
        "apply_policy": frozenset({DESK}),
    },
    Lifecycle.PROBLEM: {
        event: frozenset({DESK})
        for event in (
            "request_information",
            "schedule_review",
            "accept_as_defect",
            "reject",
            "schedule_fix",
            "release_fix",
        )
    },
    Lifecycle.CHANGE_REQUEST: {
        "vote": frozenset({INTEGRATOR}),
        "unvote": frozenset({INTEGRATOR}),
        **{
            event: frozenset({PM})
            for event in ("review", "consider", "plan", "deliver", "reject", "mark_duplicate")
        },
        "apply_policy": frozenset({DESK}),
    },
}
# Who may open each lifecycle (a case's opener must also own it: `permit_opening`).
OPENERS: Mapping[Lifecycle, frozenset[Role]] = {
    Lifecycle.CASE: frozenset({DESK, INTEGRATOR, SCHOOL}),
    Lifecycle.PROBLEM: frozenset({DESK}),
    Lifecycle.CHANGE_REQUEST: frozenset({DESK, INTEGRATOR}),
}


@dataclass(frozen=True)
class Subject:
    """What a request is sent to: the lifecycle, and for a case whose it is."""

    lifecycle: Lifecycle
    integrator_id: str | None = None
    school_urn: str | None = None


def required(actor: Actor | None, field: str = "actor") -> Actor:
    """The request's actor; a new request without one is refused, naming the field."""
    if actor is None:
        raise InvalidInput(
            f'{field}: say who sends this request, e.g. {{"role": "desk", "id": "PST-017"}} '
            "(roles: desk, integrator, school, product_manager)"
        )
    return actor


def sees_internal(viewer: Actor | None) -> bool:
    """The desk, product managers and operators (no viewer) see internal events; an
    integrator or a school sees only what is public."""
    return viewer is None or viewer.role not in (INTEGRATOR, SCHOOL)


def shown_to(viewer: Actor | None, visibility: Visibility) -> bool:
    return visibility is Visibility.PUBLIC or sees_internal(viewer)


def check_owner(viewer: Actor | None, on: Subject) -> None:
    """Raise `NotYourCase` when an integrator or a school looks at someone else's case."""
    if viewer is not None:
        _must_own(viewer, on)


def permit(actor: Actor, event: str, on: Subject) -> None:
    """Raise unless `actor` may send `event` on `on`; changes nothing."""
    allowed = PERMISSIONS[on.lifecycle].get(event, frozenset())
    if actor.role not in allowed:
        doing = PHRASES.get(event, _words(event) + " a")
        raise NotAllowed(f"actor: {_who(actor.role)} cannot {doing} {_words(on)}")
    _must_own(actor, on)


def permit_opening(
    actor: Actor,
    on: Subject,
    *,
    reporter_role: str | None = None,
    raised_by: str | None = None,
    field: str = "opened_by",
) -> None:
    """An integrator opens only its own cases, reported as `integrator`; a school only its
    own, reported by its support unit; the desk any (a phone call). An integrator raises a
    change request in its own name only (`raised_by`)."""
    if actor.role not in OPENERS[on.lifecycle]:
        raise NotAllowed(f"{field}: {_who(actor.role)} cannot open a {_words(on)}")
    if on.lifecycle is Lifecycle.CHANGE_REQUEST:
        if actor.role is INTEGRATOR and raised_by is not None and raised_by != actor.id:
            raise NotAllowed(f"raised_by: {actor.id} can only raise a change request as itself")
        return
    if on.lifecycle is not Lifecycle.CASE:
        return
    # Its own cases only: said plainly (the caller names the owner in the intake).
    owner = {INTEGRATOR: ("integrator.id", on.integrator_id), SCHOOL: ("school.urn", on.school_urn)}
    if actor.role in owner and owner[actor.role][1] != actor.id:
        field_name, value = owner[actor.role]
        raise NotAllowed(
            f"{field_name}: {actor.role.value} {actor.id} opens cases for itself only, not {value}"
        )
    expected = {INTEGRATOR: "integrator", SCHOOL: "school_support_unit"}.get(actor.role)
    if expected is not None and reporter_role != expected:
        raise NotAllowed(
            f"reporter.role: {_who(actor.role)} opens a case as {expected}, not {reporter_role}"
        )


def admit(actor: Actor | None, event: str, on: Subject) -> Actor:
    """The request's actor, if it may send `event` on `on`: `InvalidInput` without one."""
    found = required(actor)
    permit(found, event, on)
    return found


def permit_approval(actor: Actor, event: str, approver: str, on: Subject) -> None:
    """An approval or a refusal of partner access: `approver: school` only from that
    school, `approver: integrator` only from the case's integrator."""
    permit(actor, event, on)
    if approver != actor.role.value:
        raise NotAllowed(f"approver: {_who(actor.role)} cannot decide as the {approver}")


def permit_vote(actor: Actor, integrator_id: str) -> None:
    """A vote is the actor's own: an integrator votes, and unvotes, with its own id only."""
    if actor.role is not INTEGRATOR:
        raise NotAllowed(f"actor: {_who(actor.role)} cannot vote")
    if integrator_id != actor.id:
        raise NotAllowed(f"integrator_id: {actor.id} can only vote as itself")


def _must_own(actor: Actor, on: Subject) -> None:
    if on.lifecycle is not Lifecycle.CASE:
        return  # problems and change requests belong to no integrator
    owner = {INTEGRATOR: on.integrator_id, SCHOOL: on.school_urn}.get(actor.role)
    if actor.role in (INTEGRATOR, SCHOOL) and owner != actor.id:
        # The same words whether the case exists or not: no one learns of another's case.
        raise NotYourCase(f"reference: no such {_words(on)} for {actor.role.value} {actor.id}")


def _who(role: Role) -> str:
    return {PM: "a product manager", INTEGRATOR: "an integrator"}.get(role, f"the {role.value}")


def _words(value: object) -> str:
    text = value.lifecycle.value if isinstance(value, Subject) else str(value)
    return text.replace("_", " ")
