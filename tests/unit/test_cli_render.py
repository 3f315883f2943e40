"""What a person reads: deadlines in London time, working time left, the timeline."""

from __future__ import annotations

import datetime as dt

from domain.models import (
    CaseEvent,
    CaseStatus,
    CaseType,
    Clock,
    ClockStatus,
    EventKind,
    Priority,
)
from sims_support.cli.render import render_rows, render_status
from sims_support.client.cases import CaseRow
from sims_support.reports.format import london, working_time

UTC = dt.UTC


def a_status(**overrides: object) -> CaseStatus:
    logged = dt.datetime(2026, 7, 3, 15, 0, tzinfo=UTC)  # 16:00 in London (BST)
    fields: dict[str, object] = {
        "reference": "INC-7",
        "case_type": CaseType.INCIDENT,
        "state": "awaiting_information",
        "priority": Priority.P2,
        "integrator_id": "INT-042",
        "school_urn": "123456",
        "summary": "Marks write-back fails",
        "logged_at": logged,
        "reopen_count": 1,
        "problem_reference": None,
        "clocks": [
            Clock(
                name="response",
                deadline=logged + dt.timedelta(hours=1),
                status=ClockStatus.MET,
            ),
            Clock(name="update", deadline=None, status=ClockStatus.PENDING),
            Clock(
                name="resolution_offered",
                deadline=dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                status=ClockStatus.PENDING,
                working_time_left=dt.timedelta(hours=42, minutes=5),
            ),
        ],
        "next_action_due": dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        "sla_breached": True,
        "resolution_working_time": dt.timedelta(hours=3),
        "paused_working_time": dt.timedelta(minutes=45),
        "timeline": [
            CaseEvent(kind=EventKind.LOGGED, at=logged, priority=Priority.P2),
            CaseEvent(
                kind=EventKind.INFO_REQUESTED,
                at=logged + dt.timedelta(minutes=30),
                detail="Which release are you on?",
            ),
        ],
    }
    return CaseStatus.model_validate(fields | overrides)


def test_deadlines_are_shown_in_london_time_across_daylight_saving() -> None:
    assert london(dt.datetime(2026, 7, 3, 15, 0, tzinfo=UTC)) == "Fri 03 Jul 2026 16:00"
    assert london(dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == "Tue 01 Dec 2026 09:00"
    assert london(None) == "-"


def test_working_time_is_hours_and_minutes_because_a_working_day_is_eight_and_a_half() -> None:
    assert working_time(dt.timedelta(hours=42, minutes=5)) == "42h 05m"
    assert working_time(dt.timedelta(minutes=20)) == "20m"
    assert working_time(dt.timedelta(seconds=40)) == "40s"
    assert working_time(dt.timedelta(0)) == "0m"
    assert working_time(None) == "-"


def test_the_status_shows_state_priority_each_clock_and_the_timeline() -> None:
    text = render_status(a_status())

    assert text.splitlines()[0] == "INC-7  P2 incident  awaiting information"
    assert "response            Fri 03 Jul 2026 17:00  met" in text
    assert "resolution offered  Tue 01 Dec 2026 09:00  pending  42h 05m" in text
    assert "SLA breached: yes" in text and "reopened 1 time" in text
    assert "paused 45m" in text
    assert "Fri 03 Jul 2026 16:30  info requested  Which release are you on?" in text


def test_a_linked_problem_is_shown_when_there_is_one() -> None:
    assert "linked problem PRB-3" in render_status(a_status(problem_reference="PRB-3"))


def test_the_list_shows_what_is_due_next_and_what_is_closed() -> None:
    rows = [
        CaseRow(
            reference="INC-1",
            case_type="incident",
            priority="P1",
            state="investigating",
            next_action_due=dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            sla_breached=True,
            status="running",
        ),
        CaseRow(
            reference="SR-2",
            case_type="service_request",
            priority="P4",
            state="resolved",
            next_action_due=None,
            sla_breached=False,
            status="completed",
        ),
    ]

    lines = render_rows(rows).splitlines()

    assert lines[0].split() == [
        "reference", "type", "priority", "state", "next", "action", "due", "(London)", "SLA"
    ]  # fmt: skip
    assert lines[1].split() == [
        "INC-1", "incident", "P1", "investigating", "Tue", "01", "Dec", "2026", "09:00", "BREACHED"
    ]  # fmt: skip
    assert "resolved (closed)" in lines[2] and lines[2].endswith("ok")
    assert render_rows([]) == "No cases match."
