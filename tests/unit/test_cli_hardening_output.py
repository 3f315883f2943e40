"""What a case holds is shown, never obeyed: a summary, a message or a name with terminal
escape sequences, bidi overrides or newlines prints escaped, a table row stays one line,
and JSON stays JSON with none of them raw either."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.actors import Actor, Role
from domain.change_requests import ChangeRequestStatus, CrEvent, CrEventKind
from domain.models import CaseEvent, EventKind
from domain.problems import ProblemEvent, ProblemEventKind, ProblemScope, ProblemStatus
from domain.school_data import DataRequest, SchoolData
from sims_support.cli import main
from sims_support.cli.change_request_render import render_cr
from sims_support.cli.exits import Failure
from sims_support.cli.problem import render_problem
from sims_support.cli.render import render_rows, render_status
from sims_support.cli.school import render_school
from sims_support.cli.shown import ESCAPED, escaped, json_safe, printable
from sims_support.client.cases import CaseRow
from sims_support.config import Settings
from tests.unit.test_cli_render import a_status

AT = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
# Sets the window title, clears the screen, then turns the rest of the line around.
EVIL = "\x1b]0;pwned\x07\x1b[2J\u202eevil"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil"
C1 = "\x9b31m"  # the one-byte CSI: a terminal that reads C1 starts a sequence here


def unsafe(text: str, keep: str = "\n") -> list[str]:
    """The characters in `text` that could drive a terminal."""
    return [c for c in text if c not in keep and unicodedata.category(c) in ESCAPED]


def test_an_escape_sequence_in_a_summary_is_shown_not_sent_to_the_terminal() -> None:
    text = render_status(a_status(summary=EVIL))

    assert text.splitlines()[1] == f"  {SHOWN}"
    assert unsafe(text) == []


def test_a_message_with_newlines_stays_one_row_of_the_timeline() -> None:
    detail = "line one\nline two\r\tand\x1b[31m red"
    status = a_status()
    event = CaseEvent(kind=EventKind.UPDATED, at=AT, detail=detail)
    text = render_status(status.model_copy(update={"timeline": [*status.timeline, event]}))

    assert text.splitlines()[-1].endswith("line one\\nline two\\r\\tand\\x1b[31m red")
    assert len(text.splitlines()) == len(render_status(status).splitlines()) + 1
    assert unsafe(text) == []


def test_an_actors_name_with_a_line_separator_is_escaped_in_its_column() -> None:
    named = Actor(role=Role.DESK, id="PST-017", name="Pat\u2028Jones\u200b")
    event = CaseEvent(kind=EventKind.UPDATED, at=AT, detail="x", actor=named)

    text = render_status(a_status(timeline=[event]))

    assert "desk:PST-017 (Pat\\u2028Jones\\u200b)" in text and unsafe(text) == []


def test_every_cell_of_the_case_list_is_escaped() -> None:
    row = CaseRow(
        reference="INC-1" + C1,
        case_type="incident\n",
        priority="P1",
        state="investigating",
        next_action_due=None,
        sla_breached=False,
        status="running",
    )

    text = render_rows([row])

    assert "INC-1\\x9b31m" in text and "incident\\n" in text
    assert len(text.splitlines()) == 2 and unsafe(text) == []


def test_a_problem_is_shown_escaped() -> None:
    status = ProblemStatus(
        reference="PRB-1",
        summary="Census",
        state="review_scheduled",
        scope=ProblemScope.GENERIC,
        school_urn=None,
        priority=4,
        linked_cases=[],
        vehicle=None,
        target_version=None,
        released_version=None,
        timeline=[ProblemEvent(kind=ProblemEventKind.OPENED, at=AT, detail="a\nb")],
    ).model_copy(update={"summary": EVIL})

    text = render_problem(status)

    assert f"  {SHOWN}" in text.splitlines() and "a\\nb" in text and unsafe(text) == []


def test_a_change_request_is_shown_escaped_its_workaround_on_one_line() -> None:
    status = ChangeRequestStatus.model_validate(
        {
            "reference": "CR-1",
            "title": "Codes",
            "raised_by": "INT-1",
            "raised_at": AT,
            "state": "published_for_consultation",
            "stage": 1,
            "votes": 0,
            "voters": [],
            "vote_threshold": 10,
            "duplicates": [],
            "original_reference": None,
            "workaround": "step one\nstep two\x1b[8m",
            "release_version": None,
            "target_release": None,
            "last_reviewed_at": None,
            "next_action_due": None,
            "decision_due": False,
            "delivery_overdue": False,
            "timeline": [CrEvent(kind=CrEventKind.PUBLISHED, at=AT, detail=EVIL)],
        }
    ).model_copy(update={"title": EVIL})

    text = render_cr(status)

    assert f"  {SHOWN}" in text.splitlines()
    assert "workaround: step one\\nstep two\\x1b[8m" in text
    assert text.splitlines()[-1].endswith(SHOWN) and unsafe(text) == []


def test_the_school_data_is_shown_escaped() -> None:
    purpose = "repro\nthe\x1b[2J bug"
    data = SchoolData(data_requests=(DataRequest(request_id="d1", requested_at=AT, purpose="x"),))
    request = data.data_requests[0].model_copy(update={"purpose": purpose})

    text = render_school(data.model_copy(update={"data_requests": (request,)}))

    assert text.splitlines()[1] == "  d1  repro\\nthe\\x1b[2J bug  transfers: -"


@given(st.text())
def test_nothing_escaped_can_drive_a_terminal_and_safe_text_is_unchanged(text: str) -> None:
    shown = escaped(text)

    assert unsafe(shown, keep="") == []
    if not unsafe(text, keep=""):
        assert shown == text


@given(st.text())
def test_json_keeps_its_value_with_nothing_raw_that_could_drive_a_terminal(text: str) -> None:
    value = {"summary": text, "timeline": [text]}

    shown = json_safe(json.dumps(value, ensure_ascii=False, indent=2))

    assert json.loads(shown) == value
    assert unsafe(shown) == []


def test_json_writes_characters_past_the_bmp_as_a_surrogate_pair() -> None:
    assert json_safe('"\U000e0001"') == '"\\udb40\\udc01"'
    assert json.loads(json_safe('"\U000e0001"')) == "\U000e0001"
    assert printable("é \u202e\nñ", as_json=False) == "é \\u202e\nñ"


@pytest.fixture
def answering(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """`main.run` with the command's answer given: no Temporal."""

    def answer(output: str) -> None:
        async def dispatch(args: argparse.Namespace, settings: Settings) -> str:
            return output

        monkeypatch.setattr(main, "dispatch", dispatch)

    return answer


def test_status_as_json_escapes_c1_and_format_characters_and_stays_json(
    answering: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    status = a_status(summary=EVIL + C1 + " Zoë")
    answering(status.model_dump_json())

    assert main.run(["status", "INC-7", "--json"]) == 0

    out = capsys.readouterr().out
    assert json.loads(out)["summary"] == status.summary
    assert unsafe(out) == [] and "Zoë" in out  # UTF-8 kept: only what could drive escaped


def test_whatever_a_renderer_leaves_raw_is_escaped_on_the_way_out(
    answering: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    answering("a report line\x1b[2J\nnext line\u202e")

    assert main.run(["status", "INC-7"]) == 0

    assert capsys.readouterr().out == "a report line\\x1b[2J\nnext line\\u202e\n"


def test_an_error_line_echoing_what_was_typed_is_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main.report_failure(Failure(2, "bad_input", f"REF: {EVIL!s} is not"), as_json=False)

    assert code == 2 and capsys.readouterr().err == f"sims-case: REF: {SHOWN} is not\n"
