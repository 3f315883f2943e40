"""Problem models and rules: scope, decisions, ranking by linked cases, closed problems."""

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from domain.models import Priority
from domain.problems import (
    AcceptAsDefect,
    FixVehicle,
    LinkedCase,
    OpenProblem,
    ProblemScope,
    ReleaseFix,
    ScheduleFix,
    closed_to_new_links,
    problem_priority,
)

AT = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def opening(**overrides: Any) -> OpenProblem:
    fields: dict[str, Any] = {"reference": "PRB-1", "summary": "Census return rejects pupils"}
    return OpenProblem.model_validate({**fields, **overrides})


def link(reference: str, priority: Priority, open: bool = True) -> LinkedCase:
    return LinkedCase(reference=reference, priority=priority, open=open, linked_at=AT)


def refusal(error: ValidationError) -> str:
    return str(error.errors()[0]["msg"])


def test_a_problem_is_generic_unless_said_otherwise() -> None:
    problem = opening()

    assert problem.scope is ProblemScope.GENERIC and problem.school_urn is None


def test_a_site_specific_problem_names_its_school() -> None:
    problem = opening(scope="site_specific", school_urn="123456")

    assert problem.scope is ProblemScope.SITE_SPECIFIC and problem.school_urn == "123456"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scope": "site_specific"}, "school_urn"),
        ({"scope": "generic", "school_urn": "123456"}, "school_urn"),
        ({"school_urn": "12345"}, "school_urn"),
        ({"reference": "prb 1"}, "reference"),
        ({"summary": ""}, "summary"),
        ({"scope": "local"}, "scope"),
        ({"severity": 1}, "severity"),
    ],
)
def test_a_bad_opening_is_refused_naming_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        opening(**fields)

    error = refused.value.errors()[0]
    assert field in (str(error["loc"][0]) if error["loc"] else refusal(refused.value))


def test_acceptance_may_classify_the_problem_consistently() -> None:
    AcceptAsDefect(request_id="r1", scope="site_specific", school_urn="123456")

    with pytest.raises(ValidationError, match="school_urn"):
        AcceptAsDefect(request_id="r2", scope="site_specific")
    with pytest.raises(ValidationError, match="school_urn"):
        AcceptAsDefect(request_id="r3", school_urn="123456")


def test_a_fix_goes_out_in_one_of_the_charters_vehicles() -> None:
    fix = ScheduleFix(request_id="r1", vehicle="service_pack", target_version="7.220")

    assert fix.vehicle.resolution_kind == "service_pack"
    assert fix.vehicle.label == "service pack"
    with pytest.raises(ValidationError) as refused:
        ScheduleFix(request_id="r2", vehicle="patch", target_version="7.220")
    assert refused.value.errors()[0]["loc"] == ("vehicle",)
    assert ReleaseFix(request_id="r3").version is None
    assert {v.value for v in FixVehicle} == {"script", "hotfix", "service_pack", "main_release"}


def test_a_problem_takes_the_highest_priority_of_its_open_cases() -> None:
    links = [link("A", Priority.P3), link("B", Priority.P1, open=False), link("C", Priority.P2)]

    assert problem_priority(links) is Priority.P2
    assert problem_priority([]) is Priority.P4


def test_a_closed_problem_tells_the_desk_what_to_do_instead() -> None:
    released = closed_to_new_links("PRB-1", "fix_released", "INC-9")
    rejected = closed_to_new_links("PRB-1", "not_a_defect", "INC-9")

    assert "fix has been released" in released and "Offer case INC-9" in released
    assert "not to be a defect" in rejected and "log a new problem" in rejected
