"""OpenAPI links (DESIGN §14): from an opened case, problem or change request to what can
be done with it next, each operation named by its id, the reference taken from the body
of the answer. Generated clients and stateful testers (schemathesis) follow them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sims_support.gateway.bodies import (
    CASE_EVENTS,
    CHANGE_REQUEST_EVENTS,
    PROBLEM_EVENTS,
    SCHOOL_EVENTS,
)
from sims_support.gateway.params import operation_id

REFERENCE = {"reference": "$response.body#/reference"}


def _links(read: str, operations: Iterable[str]) -> dict[str, Any]:
    found = {read: {"operationId": read, "parameters": REFERENCE}}
    for operation in operations:
        found[operation] = {"operationId": operation, "parameters": REFERENCE}
    return found


CASE_LINKS = _links(
    "get_case",
    [
        *(operation_id("Case", event) for event in CASE_EVENTS),
        "case_give_feedback",
        "get_school_data",
        *(operation_id("School", event) for event in SCHOOL_EVENTS),
    ],
)
PROBLEM_LINKS = _links("get_problem", (operation_id("Problem", e) for e in PROBLEM_EVENTS))
CHANGE_REQUEST_LINKS = _links(
    "get_change_request",
    (operation_id("ChangeRequest", e) for e in CHANGE_REQUEST_EVENTS),
)
