"""`sims-case report`: the KPI report read from the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from activities.ledger import Ledger
from domain.kpi_ledger import LedgerEntry
from domain.models import Priority
from sims_support.cli import main as starter
from sims_support.cli.main import build_parser
from sims_support.cli.report import dispatch
from sims_support.config import Settings
from tests.kpi_data import CASES, NOW, case, mon
from tests.ledger_db import as_version_1, ledger_url

__all__ = ["ledger_url"]  # the fixture, parametrised over both databases

LONGEST = "INC-" + "9" * 36  # references are up to 40 characters
WEEK = ["--from", "2026-03-02", "--to", "2026-03-06"]


pytestmark = pytest.mark.usefixtures("no_local_settings")


@pytest.fixture
def filled(ledger_url: str) -> str:
    ledger = Ledger(ledger_url)
    # One more P1, resolved in 9 h: 4 h and 8 h missed, 2 d met.
    for found in [*CASES, case(LONGEST, Priority.P1, resolved=mon(9) - mon(0))]:
        ledger.record(LedgerEntry(case=found))
    ledger.dispose()
    return ledger_url


def args_for(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["report", *argv])


async def report(url: str, *argv: str) -> str:
    return await dispatch(args_for(*WEEK, "--ledger", url, *argv), Settings(), now=NOW)


async def test_the_table_fits_a_100_column_terminal(filled: str) -> None:
    text = await report(filled, "--at-risk", "3", "--with-references")

    too_wide = [line for line in text.splitlines() if len(line) > 100]
    assert not too_wide, too_wide
    assert "P1 not resolved within 4h (17% < 75%):" in text
    assert LONGEST in text


async def test_the_table_counts_the_cases_behind_each_miss_unless_asked_to_list_them(
    filled: str,
) -> None:
    lines = (await report(filled)).splitlines()

    assert "  P1 not resolved within 4h (17% < 75%): 5 cases" in lines
    assert "  open, inside every limit so far: 2 cases (P1 1, P3 1)" in lines
    assert "Cases behind each miss (--with-references lists them)" in lines
    assert not any(LONGEST in line for line in lines)


async def test_the_table_sets_the_charter_beside_the_actual_shares(filled: str) -> None:
    lines = (await report(filled)).splitlines()

    first = lines.index(next(line for line in lines if line.startswith("  P1  charter")))
    assert lines[first].split()[2:] == ["75%", "95%", "100%"]
    assert lines[first + 1].split()[1:] == ["17%", "✗", "60%", "✗", "100%", "✓"]
    assert lines[first + 2].split()[1:] == ["6", "5", "5"]


async def test_at_risk_lists_the_open_cases_about_to_pass_a_limit(filled: str) -> None:
    text = await report(filled, "--at-risk", "3")

    risky = text[text.index("At risk") :].splitlines()
    assert [line.split()[0] for line in risky[2:]] == ["P3-OPEN-4H", "P1-OPEN-5H"]


async def test_json_carries_every_share_and_the_cases_behind_it(filled: str) -> None:
    data = json.loads(await report(filled, "--format", "json", "--with-references"))

    p1 = data["resolution"][0]
    assert [b["share"] for b in p1["buckets"]] == pytest.approx([1 / 6, 3 / 5, 1.0])
    assert p1["buckets"][0]["met"] == ["P1-AT-4H"]
    assert p1["inside"] == ["P1-PAUSED-1H"]


async def test_json_without_references_gives_each_list_as_its_count(filled: str) -> None:
    data = json.loads(await report(filled, "--format", "json"))

    p1 = data["resolution"][0]
    assert [b["share"] for b in p1["buckets"]] == pytest.approx([1 / 6, 3 / 5, 1.0])
    assert {k: v for k, v in p1["buckets"][0].items() if k.endswith("_count")} == {
        "met_count": 1,
        "missed_count": 5,
        "pending_count": 1,
    }
    assert (p1["inside_count"], "met" in p1["buckets"][0]) == (1, False)
    assert "breached" not in data["sla_events"][0]  # listed reports only


async def test_html_is_written_to_a_file_when_asked(filled: str, tmp_path: Path) -> None:
    target = tmp_path / "kpi.html"

    said = await report(filled, "--format", "html", "--output", str(target))

    assert said == f"wrote the html report to {target}"
    page = target.read_text()
    assert page.startswith("<!doctype html>") and '<svg class="chart"' in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_command_reads_the_ledger_without_temporal(
    filled: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = starter.run(["report", *WEEK, "--ledger", filled])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("SIMS support KPIs: cases logged Mon 02 Mar 2026 to Fri 06 Mar 2026")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-03-06", "--to", "2026-03-02"], "--to 2026-03-02 is before --from"),
        (["--from", "2 March", "--to", "2026-03-02"], "'2 March' is not a date"),
        ([*WEEK, "--at-risk", "-1"], "not a positive number of working hours"),
    ],
)
def test_bad_input_is_refused_before_the_ledger_is_read(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = starter.run(["report", *argv, "--ledger", "sqlite:///nowhere/ledger.db"])

    assert code == 2
    assert message in capsys.readouterr().err


def test_a_ledger_nobody_wrote_yet_is_named_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "ledger.db"

    code = starter.run(["report", *WEEK, "--ledger", f"sqlite:///{missing}"])

    assert code == 2
    assert f"no KPI ledger at {missing}" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_a_report_of_a_ledger_of_an_older_schema_names_the_upgrade(
    filled: str, capsys: pytest.CaptureFixture[str]
) -> None:
    as_version_1(filled)

    code = starter.run(["report", *WEEK, "--ledger", filled])

    said = capsys.readouterr().err
    assert code == 2
    assert "schema version 1, older than this release's 5" in said
    assert "sims-case report --upgrade-ledger" in said


def test_upgrade_ledger_brings_it_up_to_date_and_the_report_reads_it(
    filled: str, capsys: pytest.CaptureFixture[str]
) -> None:
    as_version_1(filled)

    codes = [starter.run(["report", "--upgrade-ledger", "--ledger", filled]) for _ in range(2)]
    upgraded, already = capsys.readouterr().out.splitlines()

    assert codes == [0, 0]
    assert upgraded.startswith("upgraded the KPI ledger at ") and upgraded.endswith(
        "to schema version 5 (2, 3, 4, 5)"
    )
    assert already.endswith("is at schema version 5 already")
    assert starter.run(["report", *WEEK, "--ledger", filled]) == 0


def test_a_report_needs_its_days(capsys: pytest.CaptureFixture[str]) -> None:
    code = starter.run(["report", "--to", "2026-03-06", "--ledger", "sqlite:///nowhere/ledger.db"])

    assert code == 2
    assert "the following arguments are required: --from" in capsys.readouterr().err


def test_every_command_reads_its_flags_without_sqlalchemy_the_report_included() -> None:
    statement = (
        "import sys; from sims_support.cli.main import build_parser; "
        "build_parser().parse_args(['report', '--from', '2026-03-02', '--to', '2026-03-06']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))"
    )
    root = Path(__file__).parents[2]
    done = subprocess.run(
        [sys.executable, "-c", statement], capture_output=True, text=True, check=True, cwd=root
    )

    assert done.stdout.strip() == "[]"
