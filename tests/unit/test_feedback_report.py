"""The KPI report's feedback (DESIGN §12): how many ratings were given in the period and
their mean, per priority (the case's when it was given), in the table, the JSON and the
page; on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from domain.kpi_ledger import FeedbackRecord, LedgerEntry
from domain.models import CaseType, FeedbackEscalation, Priority
from sims_support.cli.main import build_parser
from sims_support.cli.report import dispatch
from sims_support.config import Settings
from tests.kpi_data import NOW, WEEK, case, mon
from tests.kpi_ledgers import write
from tests.ledger_db import ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

DAYS = ["--from", "2026-03-02", "--to", "2026-03-06"]
US = dt.timedelta(microseconds=1)
P1, P2, P3, P4 = Priority.P1, Priority.P2, Priority.P3, Priority.P4


def rated(
    reference: str, n: int, priority: Priority, stars: int, at: dt.datetime
) -> FeedbackRecord:
    integrator = "INT-2" if reference.endswith("-INT2") else "INT-1"
    return FeedbackRecord(
        reference=reference,
        key=f"req-{n}",
        case_type=CaseType.INCIDENT,
        priority=priority,
        integrator_id=integrator,
        school_urn="100001",
        rating=stars,
        escalate=FeedbackEscalation.NONE,
        by_role="integrator",
        by_id=integrator,
        given_at=at,
    )


# P1: 5, 4, 4 (one of them on a case that is P4 now: the priority when it was given);
# P2: one 2 in the period, others just outside it; P3: none; P4: 1 and 2 (INT-2's 2).
FEEDBACK = {
    "INC-A": [rated("INC-A", 1, P1, 5, WEEK.start), rated("INC-A", 2, P1, 4, mon(11))],
    "INC-NOW-P4": [rated("INC-NOW-P4", 1, P1, 4, mon(12))],
    "INC-B": [
        rated("INC-B", 1, P2, 2, WEEK.end - US),
        rated("INC-B", 2, P2, 5, WEEK.start - US),
        rated("INC-B", 3, P2, 5, WEEK.end),
    ],
    "INC-C": [rated("INC-C", 1, P4, 1, mon(13))],
    "INC-D-INT2": [rated("INC-D-INT2", 1, P4, 2, mon(13))],
}
PRIORITY_NOW = {"INC-A": P1, "INC-NOW-P4": P4, "INC-B": P2, "INC-C": P4, "INC-D-INT2": P4}


@pytest.fixture(autouse=True)
def no_local_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SIMS_") and "TEST" not in n]:
        monkeypatch.delenv(name)


@pytest.fixture
def rated_ledger(ledger_url: str) -> str:
    entries = [
        LedgerEntry(
            case=case(ref, PRIORITY_NOW[ref], integrator_id=given[0].integrator_id),
            feedback=given,
        )
        for ref, given in FEEDBACK.items()
    ]
    write(ledger_url, entries)
    return ledger_url


async def report(url: str, *argv: str) -> str:
    args = build_parser().parse_args(["report", *DAYS, "--ledger", url, *argv])
    return await dispatch(args, Settings(), now=NOW)


def section(text: str) -> list[list[str]]:
    lines = text.split("Feedback given in the period")[1].split("\n\n")[0].splitlines()
    return [line.split() for line in lines[2:]]


async def test_the_table_gives_the_count_and_mean_rating_of_each_priority(
    rated_ledger: str,
) -> None:
    text = await report(rated_ledger)

    assert section(text) == [
        ["P1", "3", "4.33"],
        ["P2", "1", "2.00"],
        ["P3", "0", "-"],
        ["P4", "2", "1.50"],
    ]


async def test_the_json_gives_each_priority_its_count_and_a_null_mean_without_any(
    rated_ledger: str,
) -> None:
    data = json.loads(await report(rated_ledger, "--format", "json"))

    assert data["feedback"] == [
        {"priority": "P1", "count": 3, "mean_rating": 4.33},
        {"priority": "P2", "count": 1, "mean_rating": 2.0},
        {"priority": "P3", "count": 0, "mean_rating": None},
        {"priority": "P4", "count": 2, "mean_rating": 1.5},
    ]


async def test_the_page_has_the_feedback_table(rated_ledger: str) -> None:
    page = await report(rated_ledger, "--format", "html")

    assert "<h2>Feedback given in the period" in page
    assert "<th>priority</th><th>given</th><th>mean rating</th>" in page
    assert "<tr><td>P1</td><td>3</td><td>4.33</td></tr>" in page
    assert "<tr><td>P3</td><td>0</td><td>-</td></tr>" in page


async def test_one_integrators_report_counts_its_own_cases_feedback_only(
    rated_ledger: str,
) -> None:
    data = json.loads(await report(rated_ledger, "--format", "json", "--integrator", "INT-2"))

    assert [(f["priority"], f["count"], f["mean_rating"]) for f in data["feedback"]] == [
        ("P1", 0, None),
        ("P2", 0, None),
        ("P3", 0, None),
        ("P4", 1, 2.0),
    ]


async def test_a_ledger_without_feedback_reports_none_for_every_priority(
    ledger_url: str,
) -> None:
    write(ledger_url, [LedgerEntry(case=case("INC-1", P1))])

    text = await report(ledger_url)

    assert section(text) == [[p.name, "0", "-"] for p in Priority]
