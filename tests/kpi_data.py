"""A week of cases as the KPI ledger holds them, for the KPI maths and report tests.

The week of Monday 2 March 2026 (London, GMT, no bank holiday). Every case is logged at
09:00 on the Monday unless it says otherwise; the report is made on Monday at 14:00, so
an open case logged at 09:00 has used 5 working hours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.calendar import WorkingCalendar
from domain.kpi import Period
from domain.kpi_ledger import CaseRow
from domain.models import CaseType, Priority
from domain.policy import SupportPolicy
from tests.factories import LONDON

CALENDAR = WorkingCalendar()
POLICY = SupportPolicy()
H = dt.timedelta(hours=1)
DAY = dt.timedelta(hours=8, minutes=30)
P1, P2, P3, P4 = Priority.P1, Priority.P2, Priority.P3, Priority.P4


def mon(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, second, tzinfo=LONDON)


NOW = mon(14)
WEEK_LONG = dt.timedelta(days=7)
WEEK = Period(start=mon(0), end=mon(0) + dt.timedelta(days=5))


def case(reference: str, priority: Priority, **fields: Any) -> CaseRow:
    """Resolved when given `resolved` (its working time); open ("investigating") otherwise."""
    resolved = fields.pop("resolved", None)
    values: dict[str, Any] = {
        "reference": reference,
        "case_type": CaseType.INCIDENT,
        "priority": priority,
        "integrator_id": "INT-1",
        "school_urn": "100001",
        "state": "resolved" if resolved is not None else "investigating",
        "logged_at": mon(9),
        "response_due": mon(9, 20),
        "first_response_at": mon(9, 10),
        "response_working_time": dt.timedelta(minutes=10),
        "resolution_working_time": resolved,
        "paused_working_time": dt.timedelta(0),
        "paused_since": None,
        "breaches": 0,
        "reopen_count": 0,
        "closed_at": mon(17) if resolved is not None else None,
        "revision": 3,
    }
    values.update(fields)
    return CaseRow.model_validate(values)


CASES = [
    # P1: 4 h (75%), 8 h (95%), 2 d = 17 h (100%).
    case("P1-AT-4H", P1, resolved=4 * H),
    case("P1-JUST-OVER-4H", P1, resolved=4 * H + dt.timedelta(seconds=1)),
    case("P1-AT-8H", P1, resolved=8 * H),
    case("P1-AT-2D", P1, resolved=2 * DAY),
    case("P1-OPEN-5H", P1),  # logged 09:00, 14:00 now: 5 h used
    case(  # logged 12:00, awaiting information since 13:00: 1 h used, clock stopped
        "P1-PAUSED-1H", P1, logged_at=mon(12), state="awaiting_information", paused_since=mon(13)
    ),
    # P2: 4 h (60%), 8 h (75%), 2 d (90%), 5 d (95%), 10 d (97%), 12 d (100%).
    case("P2-2H", P2, resolved=2 * H),
    case("P2-3H", P2, resolved=3 * H),
    case("P2-5H", P2, resolved=5 * H),
    case("P2-WITHDRAWN", P2, state="withdrawn", closed_at=mon(9, 5), first_response_at=None),
    case(  # an offer standing since 6 working hours: the clock has stopped there
        "P2-OFFERED-6H", P2, state="resolution_offered", resolution_working_time=6 * H
    ),
    # P3: logged 09:00, an hour paused (ended), 5 h - 1 h = 4 h used now: exactly at 4 h.
    case("P3-OPEN-4H", P3, paused_working_time=H),
    # Logged the week before: not in this report's resolution shares.
    case(
        "P3-LAST-WEEK",
        P3,
        resolved=H,
        logged_at=mon(9) - WEEK_LONG,
        response_due=mon(9, 20) - WEEK_LONG,
        first_response_at=mon(9, 10) - WEEK_LONG,
    ),
]
