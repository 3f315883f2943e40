"""The models a case keeps for its life share the set of field names they were given."""

from __future__ import annotations

import datetime as dt

from domain.models import CaseEvent, EventKind, OpenCase, Priority
from tests.factories import intake

AT = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def test_two_intakes_given_the_same_fields_share_one_set_of_their_names() -> None:
    first = OpenCase.model_validate_json(intake().model_dump_json())
    second = OpenCase.model_validate_json(intake().model_dump_json())

    assert first.model_fields_set is second.model_fields_set
    assert first.reporter.model_fields_set is second.reporter.model_fields_set


def test_an_intake_still_tells_which_fields_it_was_given() -> None:
    plain = intake()
    with_deadline = intake(deadline="2026-12-18")

    assert "deadline" not in plain.model_fields_set
    assert "deadline" in with_deadline.model_fields_set
    assert "deadline" not in plain.model_dump(exclude_unset=True)
    assert with_deadline.model_dump(exclude_unset=True)["deadline"] == dt.date(2026, 12, 18)


def test_a_copy_with_changes_leaves_the_shared_set_alone() -> None:
    first, second = intake(), intake()

    changed = first.model_copy(update={"deadline": dt.date(2026, 12, 18)})

    assert "deadline" in changed.model_fields_set
    assert "deadline" not in first.model_fields_set
    assert "deadline" not in second.model_fields_set


def test_events_of_the_same_shape_share_one_set_and_keep_their_values() -> None:
    logged = CaseEvent(kind=EventKind.LOGGED, at=AT, priority=Priority.P3)
    raised = CaseEvent(kind=EventKind.PRIORITY_CHANGED, at=AT, priority=Priority.P1)
    note = CaseEvent(kind=EventKind.UPDATED, at=AT, detail="reproduced")

    assert logged.model_fields_set is raised.model_fields_set
    assert note.model_fields_set == {"kind", "at", "detail"}
    assert (logged.priority, raised.priority) == (Priority.P3, Priority.P1)
