"""DESIGN §13: every text and list field has a maximum. At the limit a request is taken;
one past it, or with a character its field does not allow, it is refused `InvalidInput`
naming the field, through the same converter the workers decode with."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError

from domain import bounds
from domain import change_requests as cr
from domain import models as m
from domain import problems as p
from domain import school_data as s
from sims_support.runtime.converter import StrictPayloadConverter
from tests.factories import intake

ONE_LINE, TEXT = "one line", "text"
INTAKE = intake().model_dump(mode="json")
REQ = {"request_id": "r-1"}
RAISED = {"reference": "CR-1", "raised_at": "2026-11-30T10:00:00+00:00"}

# (model, a valid payload, the field's path, its maximum, what it allows)
Row = tuple[type[BaseModel], dict[str, Any], str, int, str]
ROWS: list[Row] = [
    (m.OpenCase, INTAKE, "integrator.name", 100, ONE_LINE),
    (m.OpenCase, INTAKE, "reporter.name", 100, ONE_LINE),
    (m.OpenCase, INTAKE, "school.name", 100, ONE_LINE),
    (m.OpenCase, INTAKE, "summary", 200, ONE_LINE),
    (m.OpenCase, INTAKE, "description", 20_000, TEXT),
    (m.OpenCase, INTAKE, "steps_to_reproduce", 20_000, TEXT),
    (m.OpenCase, INTAKE, "business_impact", 5_000, TEXT),
    (m.OpenCase, INTAKE, "environment_changes", 5_000, TEXT),
    (m.OpenCase, INTAKE, "release_version", 50, ONE_LINE),
    (m.OpenCase, INTAKE, "apis.0", 100, ONE_LINE),
    (m.OpenCase, INTAKE, "error_messages.0", 2_000, TEXT),
    (m.OpenCase, INTAKE, "screenshots.0", 500, ONE_LINE),
    (m.Acknowledge, REQ, "request_id", 100, ONE_LINE),
    (m.Acknowledge, REQ, "message", 10_000, TEXT),
    (m.PostUpdate, REQ, "message", 10_000, TEXT),
    (m.RequestInformation, REQ, "message", 10_000, TEXT),
    (m.ProvideInformation, REQ, "message", 10_000, TEXT),
    (m.Reopen, REQ, "reason", 10_000, TEXT),
    (m.Withdraw, REQ, "reason", 10_000, TEXT),
    (m.OfferResolution, {**REQ, "kind": "advice"}, "summary", 10_000, TEXT),
    (m.GiveFeedback, {**REQ, "rating": 3}, "comment", 10_000, TEXT),
    (s.RequestSchoolData, REQ, "purpose", 10_000, TEXT),
    (
        s.RequestPartnerAccess,
        {**REQ, "country": "IN", "purpose": "x", "partner": "P"},
        "partner",
        100,
        ONE_LINE,
    ),
    (
        s.ApprovePartnerAccess,
        {**REQ, "access_request_id": "a1", "approver": "school"},
        "approved_by",
        100,
        ONE_LINE,
    ),
    (p.ScheduleFix, {**REQ, "vehicle": "hotfix"}, "target_version", 50, ONE_LINE),
    (p.Reject, REQ, "reason", 10_000, TEXT),
    (cr.Decision, {**REQ, "reason": "why"}, "decided_by", 100, ONE_LINE),
    (cr.Deliver, {**REQ, "decided_by": "pm", "reason": "r"}, "release_version", 50, ONE_LINE),
    (cr.OpenChangeRequest, {**RAISED, "raised_by": "INT-1"}, "title", 200, ONE_LINE),
]
IDS = [
    (m.OpenCase, INTAKE, "integrator.id"),
    (cr.Vote, REQ, "integrator_id"),
    (cr.OpenChangeRequest, {**RAISED, "title": "t"}, "raised_by"),
]
LISTS = [("apis", 20), ("error_messages", 20), ("screenshots", 20)]


def put(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`base` with `value` at `path` ("reporter.name"; "apis.0" is a one-item list)."""
    data = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    if last.isdigit():
        *parents, last = parents
        value = [value]
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
    return data


def decode(model: type[BaseModel], data: dict[str, Any]) -> str | None:
    """None when taken; else the InvalidInput's message."""
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(data).encode())
    try:
        StrictPayloadConverter().from_payloads([payload], [model])
    except ApplicationError as err:
        assert err.type == "InvalidInput"
        return err.message
    return None


@pytest.mark.parametrize(
    ("model", "base", "path", "limit", "kind"), ROWS, ids=[f"{r[0].__name__}.{r[2]}" for r in ROWS]
)
def test_a_field_at_its_limit_is_taken_and_one_past_it_refused_naming_it(
    model: type[BaseModel], base: dict[str, Any], path: str, limit: int, kind: str
) -> None:
    assert decode(model, put(base, path, "x" * limit)) is None
    refused = decode(model, put(base, path, "x" * (limit + 1)))
    assert refused is not None and refused.startswith(f"{path}:"), refused
    assert str(limit) in refused


@pytest.mark.parametrize(
    ("model", "base", "path", "limit", "kind"), ROWS, ids=[f"{r[0].__name__}.{r[2]}" for r in ROWS]
)
def test_control_and_format_characters_are_refused_but_newline_and_tab_in_text(
    model: type[BaseModel], base: dict[str, Any], path: str, limit: int, kind: str
) -> None:
    for char in ("\x1b", "\u202e", "\x00", "\r"):  # escape, right-to-left override, NUL, CR
        refused = decode(model, put(base, path, f"a{char}b"))
        assert refused is not None and refused.startswith(f"{path}:"), (char, refused)
    for char in ("\n", "\t", "\u2028", "\u2029"):  # newline, tab, line/paragraph separator
        taken = decode(model, put(base, path, f"a{char}b"))
        assert (taken is None) == (kind == TEXT), (char, taken)
    assert decode(model, put(base, path, "Zo\u00eb\u2019s caf\u00e9: 7.219 \u2713")) is None


@pytest.mark.parametrize(("model", "base", "path"), IDS)
def test_an_id_is_1_to_64_of_letters_digits_and_dot_underscore_at_dash(
    model: type[BaseModel], base: dict[str, Any], path: str
) -> None:
    data = {**base, "request_id": "r-1"} if model is cr.Vote else base
    assert decode(model, put(data, path, "A" * 64)) is None
    assert decode(model, put(data, path, "int_7.x@y-z")) is None
    for bad in ("A" * 65, "", "INT 042", "INT/042", "INT-é"):
        refused = decode(model, put(data, path, bad))
        assert refused is not None and refused.startswith(f"{path}:"), (bad, refused)


@pytest.mark.parametrize(("field", "most"), LISTS)
def test_a_list_holds_at_most_its_items(field: str, most: int) -> None:
    assert decode(m.OpenCase, {**INTAKE, field: ["x"] * most}) is None
    refused = decode(m.OpenCase, {**INTAKE, field: ["x"] * (most + 1)})
    assert refused is not None and refused.startswith(f"{field}:"), refused


def test_an_email_is_at_most_254_and_a_phone_30_of_digits_spaces_and_plus_brackets_dash() -> None:
    local = "a" * 64
    domain = f"{'b' * 60}.{'b' * 60}.{'b' * 59}.example"  # 189: the address is 254
    assert decode(m.OpenCase, put(INTAKE, "reporter.email", f"{local}@{domain}")) is None
    too_long = f"{local}@c{domain}"  # 255
    refused = decode(m.OpenCase, put(INTAKE, "reporter.email", too_long))
    assert refused is not None and refused.startswith("reporter.email:"), refused
    assert decode(m.OpenCase, put(INTAKE, "reporter.phone", "+44 (0)20 7946-0000")) is None
    for bad in ("9" * 31, "0123 ext. 4", "0123\n4"):
        refused = decode(m.OpenCase, put(INTAKE, "reporter.phone", bad))
        assert refused is not None and refused.startswith("reporter.phone:"), refused


CATEGORIES: list[Any] = ["Lu", "Ll", "Nd", "Zs", "Po", "So", "Mn", "Cc", "Cf", "Zl", "Zp"]


@given(
    row=st.sampled_from(ROWS),
    size=st.integers(1, 260),
    chars=st.text(st.characters(categories=CATEGORIES), min_size=1, max_size=8),
    over=st.booleans(),
)
def test_any_size_and_any_character_class_is_taken_exactly_when_the_field_allows_it(
    row: Row, size: int, chars: str, over: bool
) -> None:
    model, base, path, limit, kind = row
    length = limit + 1 + size % 50 if over else min(size, limit)  # never empty: size >= 1
    value = (chars * (length // len(chars) + 1))[:length]
    allowed = {"\n", "\t"} if kind == TEXT else set()
    refused_here = bounds.FORBIDDEN | (bounds.SEPARATORS if kind == ONE_LINE else set())
    bad_char = any(unicodedata.category(c) in refused_here and c not in allowed for c in value)
    refused = decode(model, put(base, path, value))
    if length > limit or bad_char:
        assert refused is not None and refused.startswith(f"{path}:"), refused
    else:
        assert refused is None, (path, value, refused)
