import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.priority import CaseType, Priority, priority_for

P1, P2, P3, P4 = Priority.P1, Priority.P2, Priority.P3, Priority.P4

# The charter's grid: one row per impact 1..4, columns urgency 1, 2, 3.
CHARTER_GRID = {
    1: (P1, P1, P2),
    2: (P1, P2, P3),
    3: (P2, P3, P4),
    4: (P3, P4, P4),
}
# The same grid for enquiries and service requests, "never raised above a P3".
CAPPED_GRID = {
    1: (P3, P3, P3),
    2: (P3, P3, P3),
    3: (P3, P3, P4),
    4: (P3, P4, P4),
}
GRID_FOR = {
    CaseType.INCIDENT: CHARTER_GRID,
    CaseType.PROBLEM: CHARTER_GRID,
    CaseType.ENQUIRY: CAPPED_GRID,
    CaseType.SERVICE_REQUEST: CAPPED_GRID,
}
EVERY_CELL = [
    (case_type, impact, urgency, expected)
    for case_type, grid in GRID_FOR.items()
    for impact, row in grid.items()
    for urgency, expected in enumerate(row, start=1)
]

impacts = st.integers(min_value=1, max_value=4)
urgencies = st.integers(min_value=1, max_value=3)
prioritised = st.sampled_from(list(GRID_FOR))


@pytest.mark.parametrize(("case_type", "impact", "urgency", "expected"), EVERY_CELL)
def test_the_priority_is_read_from_the_charters_grid(
    case_type: CaseType, impact: int, urgency: int, expected: Priority
) -> None:
    assert priority_for(case_type, impact, urgency) is expected


def test_a_critical_critically_time_sensitive_enquiry_is_only_a_p3() -> None:
    assert priority_for(CaseType.INCIDENT, 1, 1) is P1
    assert priority_for(CaseType.ENQUIRY, 1, 1) is P3
    assert priority_for(CaseType.SERVICE_REQUEST, 1, 1) is P3


def test_a_case_type_may_be_given_by_its_name() -> None:
    assert priority_for("service_request", 2, 1) is P3


@pytest.mark.parametrize("impact", [0, 5, -1])
def test_an_impact_outside_one_to_four_is_refused(impact: int) -> None:
    with pytest.raises(ValueError, match="impact"):
        priority_for(CaseType.INCIDENT, impact, 1)


@pytest.mark.parametrize("urgency", [0, 4, -1])
def test_an_urgency_outside_one_to_three_is_refused(urgency: int) -> None:
    with pytest.raises(ValueError, match="urgency"):
        priority_for(CaseType.INCIDENT, 1, urgency)


def test_a_change_request_is_not_prioritised_by_the_grid() -> None:
    with pytest.raises(ValueError, match="change_request"):
        priority_for(CaseType.CHANGE_REQUEST, 1, 1)


def test_an_unknown_case_type_is_refused() -> None:
    with pytest.raises(ValueError, match="complaint"):
        priority_for("complaint", 1, 1)


@given(st.sampled_from([CaseType.ENQUIRY, CaseType.SERVICE_REQUEST]), impacts, urgencies)
def test_an_enquiry_or_service_request_is_never_raised_above_p3(
    case_type: CaseType, impact: int, urgency: int
) -> None:
    assert priority_for(case_type, impact, urgency) >= P3


@given(prioritised, impacts, impacts, urgencies)
def test_a_more_severe_impact_never_lowers_the_priority(
    case_type: CaseType, impact: int, other_impact: int, urgency: int
) -> None:
    severe, mild = sorted((impact, other_impact))

    # A smaller number is both the more severe impact and the higher priority.
    assert priority_for(case_type, severe, urgency) <= priority_for(case_type, mild, urgency)


@given(prioritised, impacts, urgencies, urgencies)
def test_a_more_urgent_case_never_gets_a_lower_priority(
    case_type: CaseType, impact: int, urgency: int, other_urgency: int
) -> None:
    urgent, relaxed = sorted((urgency, other_urgency))

    assert priority_for(case_type, impact, urgent) <= priority_for(case_type, impact, relaxed)
