"""Tiny factories for intakes and requests, in the support desk's words."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from domain.actors import Actor, Role
from domain.models import OpenCase

LONDON = ZoneInfo("Europe/London")
# Who the tests act as (DESIGN §12): the desk, unless a test says otherwise.
DESK = Actor(role=Role.DESK, id="PST-017", name="Pat Desk")
PRODUCT_MANAGER = Actor(role=Role.PRODUCT_MANAGER, id="pm-ann")
_refs = itertools.count(1)


def new_reference(prefix: str = "INC") -> str:
    return f"{prefix}-{next(_refs):05d}-{dt.datetime.now().strftime('%H%M%S%f')}"


def intake(**overrides: Any) -> OpenCase:
    fields: dict[str, Any] = {
        "reference": new_reference(),
        "case_type": "incident",
        "impact": 3,
        "urgency": 2,
        "channel": "portal",
        "logged_at": dt.datetime(2026, 11, 27, 10, 0, tzinfo=LONDON),
        "integrator": {
            "id": "INT-042",
            "name": "Acme Attendance Ltd",
            # Far off: the session's test clock moves years ahead (change-request timers).
            "support_agreement_expires": "2099-03-31",
        },
        "reporter": {"name": "Priya Shah", "email": "priya@acme.example", "phone": "0123"},
        "school": {"urn": "123456", "name": "Hilltop Academy"},
        "summary": "Attendance API returns 500 for marks write-back",
        "apis": ["Attendance API"],
        "error_messages": ["HTTP 500 Internal Server Error"],
        "environments": ["live"],
    }
    fields.update(overrides)
    return OpenCase.model_validate(fields)


def p1_incident(**overrides: Any) -> OpenCase:
    return intake(impact=1, urgency=1, channel="phone", **overrides)


def integrator_of(case: OpenCase) -> Actor:
    """The case's own integrator, as an actor."""
    return Actor(role=Role.INTEGRATOR, id=case.integrator.id)


def school_of(case: OpenCase) -> Actor:
    """The case's school's support unit, as an actor."""
    return Actor(role=Role.SCHOOL, id=case.school.urn)
