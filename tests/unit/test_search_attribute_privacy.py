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
