"""What cases and their problems tell each other (DESIGN §6): the messages and news.

A case links itself with update-with-start on `problem-<reference>`; the case tells its
problem when it changes priority or stops waiting; the problem tells each linked case its
news. The names of those messages and the workflow ids are in `workflows/contract.py`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Actor
from domain.bounds import MESSAGE_MAX, SUMMARY_MAX, VERSION_MAX
from domain.models import WIRE, Priority, Reference
from domain.problems import (
    FixVehicle,
    LinkedCase,
    OpenProblem,
    ProblemEvent,
    ProblemScope,
)


class LinkCase(BaseModel):
    """A case escalated to the problem (update-with-start from the case's activity)."""

    model_config = WIRE
    case_reference: Reference
    priority: Priority
    summary: Annotated[str, Field(max_length=SUMMARY_MAX)] = ""


class LinkedCaseChanged(BaseModel):
    """A linked case changed priority, or stopped waiting for the problem (withdrawn, or
    resolved another way): the problem re-ranks itself."""

    model_config = WIRE
    problem_reference: Reference
    case_reference: Reference
    priority: Priority
    open: bool = True


# The desk's text (at most a message) and the charter's words around it.
NEWS_MAX = MESSAGE_MAX + 500


class NewsKind(StrEnum):
    REVIEW_SCHEDULED = "review_scheduled"
    ACCEPTED_AS_DEFECT = "accepted_as_defect"
    INFORMATION_NEEDED = "information_needed"
    NOT_A_DEFECT = "not_a_defect"
    FIX_RELEASED = "fix_released"


def news_message(
    kind: NewsKind,
    reference: str,
    text: str = "",
    vehicle: FixVehicle | None = None,
    version: str | None = None,
) -> str:
    """What the integrator of a linked case is told, in the charter's words."""
    said = f": {text}" if text else ""
    match kind:
        case NewsKind.REVIEW_SCHEDULED:
            return f"your issue (problem {reference}) is going to be reviewed{said}"
        case NewsKind.ACCEPTED_AS_DEFECT:
            return f"your issue has been accepted as a defect (problem {reference}){said}"
        case NewsKind.INFORMATION_NEEDED:
            return f"a developer working on problem {reference} needs more information{said}"
        case NewsKind.NOT_A_DEFECT:
            return (
                f"problem {reference} was found not to be a defect{said}; "
                "your case is being investigated again"
            )
        case NewsKind.FIX_RELEASED:
            label = vehicle.label if vehicle else "a release"
            return f"the fix for problem {reference} is released in {label} {version or ''}{said}"


class ProblemNews(BaseModel):
    """What a problem tells each linked case; `news_id` makes a repeat a no-op."""

    model_config = ConfigDict(frozen=True)
    # Bounded like every input (DESIGN §13): a signal past them is dropped, never applied.
    news_id: Annotated[str, Field(min_length=1, max_length=200)]
    problem_reference: Reference
    kind: NewsKind
    message: Annotated[str, Field(max_length=NEWS_MAX)]
    vehicle: FixVehicle | None = None
    version: Annotated[str, Field(max_length=VERSION_MAX)] | None = None


def news_of(
    reference: str,
    kind: NewsKind,
    text: str,
    request_id: str,
    vehicle: FixVehicle | None,
    version: str | None,
) -> ProblemNews:
    """The news a decision owes the linked cases; keyed by the problem's workflow id and
    the request, so a case takes each once."""
    released = kind is NewsKind.FIX_RELEASED
    return ProblemNews(
        news_id=f"problem-{reference}:{request_id}",
        problem_reference=reference,
        kind=kind,
        message=news_message(kind, reference, text, vehicle, version),
        vehicle=vehicle if released else None,
        version=version if released else None,
    )


class Delivery(BaseModel):
    """News waiting to be signalled to one linked case."""

    model_config = ConfigDict(frozen=True)
    case_reference: str
    news: ProblemNews


class Notice(BaseModel):
    """News owed to linked cases: the news once, and the cases still to be told it, in
    order. One per decision, however many cases it reaches (a generic defect may gather
    thousands, and a continued run carries what is still owed)."""

    model_config = ConfigDict(frozen=True)
    news: ProblemNews
    case_references: list[str]


class ProblemInput(BaseModel):
    """The opening, plus what a continued run carries over."""

    model_config = ConfigDict(frozen=True)
    opening: OpenProblem
    # Who opened it: the desk, or the actor whose escalation did (DESIGN §12).
    opened_by: Actor | None = None
    state: str = "under_investigation"
    scope: ProblemScope | None = None
    school_urn: str | None = None
    events: list[ProblemEvent] = []
    links: list[LinkedCase] = []
    request_ids: list[str] = []
    # 0.2's first runs kept news per case here; a continued run of theirs reads it into
    # `notices` (it was always empty: they continued as new only once all was told).
    outbox: list[Delivery] = []
    notices: list[Notice] = []
    vehicle: FixVehicle | None = None
    target_version: str | None = None
    released_version: str | None = None
    request_digests: dict[str, str] = {}
    # Test-only: continue-as-new at this history length (the test server never suggests it).
    history_threshold: int | None = None
