"""Search attributes are stored and indexed in clear (no codec): none may be personal."""

from __future__ import annotations

import re

from domain.models import Integrator, OpenCase, Reporter, School
from workflows import search

# Every field of the intake that names a person, reaches them, or is free text they wrote.
PERSONAL_FIELDS = {
    *(f"reporter.{name}" for name in Reporter.model_fields if name != "role"),
    "integrator.name",
    "school.name",
    "summary",
    "description",
    "business_impact",
    "environment_changes",
    "steps_to_reproduce",
    "error_messages",
    "screenshots",
    # What the desk and the integrator write in updates.
    "message",
    "reason",
    "detail",
}
DENIED_WORDS = {"name", "email", "phone", "contact", "person", "address", "text", "note"} | {
    word
    for field in PERSONAL_FIELDS
    for word in field.rsplit(".", 1)[-1].split("_")
    if word != "to"
}


def words(key_name: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Z][a-z]*", key_name)}


def test_the_deny_list_covers_every_personal_field_of_the_intake() -> None:
    assert {"name", "email", "phone"} <= set(Reporter.model_fields)
    assert "name" in Integrator.model_fields and "name" in School.model_fields
    assert PERSONAL_FIELDS - {"message", "reason", "detail"} <= {
        *(f"reporter.{n}" for n in Reporter.model_fields),
        "integrator.name",
        "school.name",
        *OpenCase.model_fields,
    }


def test_no_search_attribute_holds_a_personal_field() -> None:
    for key in search.ALL:
        assert not words(key.name) & DENIED_WORDS, f"{key.name} looks personal"


def test_search_attributes_are_identifiers_enums_instants_flags_and_counts() -> None:
    kinds = {key.indexed_value_type.name for key in search.ALL}
    assert kinds <= {"KEYWORD", "DATETIME", "BOOL", "INT"}  # never free Text


def test_a_case_worked_by_named_actors_publishes_their_ids_never_their_names() -> None:
    """DESIGN §12: actor ids are not names; the names stay in the (encrypted) history."""
    from domain.actors import Actor, Role
    from domain.models import GiveFeedback, PostUpdate, ProvideInformation, RequestInformation
    from tests.case_records import LOGGED, investigating, rid
    from workflows import case_view

    desk = Actor(role=Role.DESK, id="PST-017", name="Pat Jones")
    integrator = Actor(role=Role.INTEGRATOR, id="INT-042", name="Priya Shah")
    record = investigating()
    steps = [
        RequestInformation(request_id=rid(), message="which build?", actor=desk),
        ProvideInformation(request_id=rid(), message="7.219", actor=integrator),
        PostUpdate(request_id=rid(), message="proxy?", visibility="internal", actor=desk),
        GiveFeedback(request_id=rid(), rating=2, comment="slow", actor=integrator),
    ]
    for request in steps:
        record.apply(request, LOGGED)
    view = record.view(LOGGED)

    published = [str(update.value) for update in case_view.search_attributes(record, view)]

    assert "INT-042" in published  # the integrator, by id
    for name in ("Pat Jones", "Priya Shah", "proxy?", "slow"):
        assert not any(name in value for value in published), name
