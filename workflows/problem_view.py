"""What a problem shows the outside world: status, search attributes, and what cases hear.

Pure functions of the problem's facts, shared by its query, its loop and its updates.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeUpdate

from domain.models import CaseType
from domain.problem_links import (
    NewsKind,
    ProblemInput,
)
from domain.problems import (
    FixVehicle,
    ProblemStatus,
    problem_priority,
)
from workflows import search


def status(record: ProblemInput) -> ProblemStatus:
    return ProblemStatus(
        reference=record.opening.reference,
        summary=record.opening.summary,
        state=record.state,
        scope=record.scope or record.opening.scope,
        school_urn=record.school_urn if record.scope else record.opening.school_urn,
        priority=problem_priority(record.links),
        linked_cases=list(record.links),
        vehicle=record.vehicle,
        target_version=record.target_version,
        released_version=record.released_version,
        timeline=list(record.events),
    )


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


def search_attributes(status: ProblemStatus) -> list[SearchAttributeUpdate[Any]]:
    pairs: list[SearchAttributeUpdate[Any]] = [
        search.PROBLEM_REFERENCE.value_set(status.reference),
        search.CASE_TYPE.value_set(CaseType.PROBLEM.value),
        search.CASE_STATE.value_set(status.state),
        search.CASE_PRIORITY.value_set(status.priority.name),
    ]
    if status.school_urn:
        pairs.append(search.SCHOOL_URN.value_set(status.school_urn))
    return pairs


def details(status: ProblemStatus) -> str:
    open_cases = sum(1 for link in status.linked_cases if link.open)
    line = (
        f"{status.state.replace('_', ' ')} · {status.priority.name} · {status.scope.value} · "
        f"{open_cases} linked case{'' if open_cases == 1 else 's'}"
    )
    if status.vehicle:
        version = status.released_version or status.target_version
        line += f" · fix: {status.vehicle.label} {version}"
    return line
