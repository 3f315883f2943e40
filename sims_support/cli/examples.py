"""Sample intakes for `sims-case open --example NAME`: logged now, under a fresh reference,
and as the integrator or the school that opens it (DESIGN §12: a case of its own)."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from typing import Any

from domain.actors import Actor, Role

INTEGRATOR = {
    "id": "INT-042",
    "name": "Acme Attendance Ltd",
    "support_agreement_expires": None,  # filled in: a year from today
}
REPORTER = {
    "name": "Priya Shah",
    "email": "priya.shah@acme.example",
    "phone": "+44 20 7946 0000",
    "role": "integrator",
}
SCHOOL = {"urn": "123456", "name": "Hilltop Academy"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "p1-incident": {
        "case_type": "incident",
        "impact": 1,
        "urgency": 1,
        "channel": "phone",
        "summary": "Attendance API returns 500 for every marks write-back",
        "description": "Since this morning every write-back of attendance marks fails.",
        "apis": ["Attendance API"],
        "release_version": "2026.3",
        "business_impact": "Registers cannot be taken in 40 schools",
        "error_messages": ["HTTP 500 Internal Server Error"],
        "steps_to_reproduce": "POST /attendance/marks with any valid session",
        "replicable": True,
        "environments": ["live"],
    },
    "p3-enquiry": {
        "case_type": "enquiry",
        "impact": 3,
        "urgency": 2,
        "channel": "portal",
        "summary": "Which field carries the pupil's preferred surname?",
        "description": "The Student API has both legal and preferred surnames; which to show?",
        "apis": ["Student API"],
        "environments": ["test"],
    },
    "p4-service-request": {
        "case_type": "service_request",
        "impact": 4,
        "urgency": 3,
        "channel": "email",
        "summary": "Please enable the Assessment API for our Train environment",
        "apis": ["Assessment API"],
        "environments": ["train"],
    },
}
PREFIXES = {"incident": "INC", "enquiry": "ENQ", "service_request": "SR"}


def new_reference(case_type: str, now: dt.datetime) -> str:
    """E.g. INC-20261127-101500-7F3A: readable, sortable, and unique enough for a demo."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{PREFIXES[case_type]}-{stamp}-{secrets.token_hex(2).upper()}"


def example(
    name: str, now: dt.datetime, reference: str | None = None, opener: Actor | None = None
) -> dict[str, Any]:
    """The named sample as wire JSON (a dict), ready for `OpenCase.model_validate`: the
    opener's own case when it is an integrator (its id) or a school (its URN, reported by
    its support unit); the desk's sample is INT-042's."""
    fields = copy.deepcopy(EXAMPLES[name])
    integrator = {
        **INTEGRATOR,
        "support_agreement_expires": (now.date() + dt.timedelta(days=365)).isoformat(),
    }
    reporter, school = dict(REPORTER), dict(SCHOOL)
    if opener is not None and opener.role is Role.INTEGRATOR:
        integrator["id"] = opener.id
    if opener is not None and opener.role is Role.SCHOOL:
        school["urn"] = opener.id
        reporter["role"] = "school_support_unit"
    return {
        "reference": reference or new_reference(fields["case_type"], now),
        "logged_at": now.isoformat(),
        "integrator": integrator,
        "reporter": reporter,
        "school": school,
        **fields,
    }
