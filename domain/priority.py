"""The charter's impact x urgency grid."""

from domain.vocabulary import CaseType, Impact, Priority, Urgency

# Rows are impact 1..4, columns urgency 1..3, exactly as printed in the charter.
GRID: dict[Impact, tuple[Priority, Priority, Priority]] = {
    Impact.CRITICAL: (Priority.P1, Priority.P1, Priority.P2),
    Impact.MAJOR: (Priority.P1, Priority.P2, Priority.P3),
    Impact.MODERATE: (Priority.P2, Priority.P3, Priority.P4),
    Impact.MINOR: (Priority.P3, Priority.P4, Priority.P4),
}

# "Enquiries and service requests will never be raised above a P3."
CAPPED_AT_P3 = frozenset({CaseType.ENQUIRY, CaseType.SERVICE_REQUEST})


def priority_for(case_type: CaseType | str, impact: int, urgency: int) -> Priority:
    try:
        impact_level = Impact(impact)
    except ValueError:
        raise ValueError(f"impact must be 1 to 4, got {impact!r}") from None
    try:
        urgency_level = Urgency(urgency)
    except ValueError:
        raise ValueError(f"urgency must be 1 to 3, got {urgency!r}") from None
    kind = CaseType(case_type)
    if kind is CaseType.CHANGE_REQUEST:
        raise ValueError("case_type change_request is not prioritised by the grid")
    priority = GRID[impact_level][urgency_level - 1]
    if kind in CAPPED_AT_P3:
        return max(priority, Priority.P3)
    return priority


__all__ = ["CaseType", "Impact", "Priority", "Urgency", "priority_for"]
