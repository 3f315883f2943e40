"""What a problem shows the outside world beyond its status: search attributes, and the
one-line details the Web UI lists (pure functions of its status)."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeUpdate

from domain.models import CaseType
from domain.problems import ProblemStatus
from workflows import search


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
