"""The report's three forms against golden files of a small seeded ledger
(`tests/kpi_ledgers.py`), reported as at Monday 2 March 2026, 14:00.

`tests/golden/kpi_report*.{txt,json,html}` were written by the report as it was before
DESIGN §16: listed (`--with-references`), today's report is the same to the byte. They
have been rewritten once since, for the feedback section (DESIGN §12: the seeded ledger
gained ratings, from a seed of their own), and that rewrite only added lines, but for a
comma in JSON (`git log -p tests/golden`). Without references, the JSON is that same
document with every list of references replaced by its count, and the table and the
page are `*.counts.*`: the same but for the cases behind each miss and the open cases
inside every limit, given as counts. `SIMS_TEST_WRITE_GOLDEN=1` writes the `*.counts.*`
files again, and `SIMS_TEST_WRITE_GOLDEN=listed` the listed ones too: for a change to
what the report says, never to make a difference go away.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sims_support.cli.main import build_parser
from sims_support.cli.report import dispatch
from sims_support.config import Settings
from tests.kpi_data import NOW
from tests.kpi_ledgers import counts_only, seeded_entries, write

GOLDEN = Path(__file__).parents[1] / "golden"
WEEK = ["--from", "2026-03-02", "--to", "2026-03-06"]
RUNS = {
    "kpi_report.txt": ["--at-risk", "8"],
    "kpi_report.json": ["--at-risk", "8", "--format", "json"],
    "kpi_report.html": ["--at-risk", "8", "--format", "html"],
    "kpi_report_int2.txt": ["--integrator", "INT-2"],
    "kpi_report_int2.json": ["--integrator", "INT-2", "--format", "json"],
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('golden') / 'ledger.db'}"
    write(url, seeded_entries())
    return url


pytestmark = pytest.mark.usefixtures("no_local_settings")


async def report(url: str, *argv: str) -> str:
    args = build_parser().parse_args(["report", *WEEK, "--ledger", url, *argv])
    return await dispatch(args, Settings(), now=NOW) + "\n"


def golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(RUNS))
async def test_the_listed_report_reads_as_the_report_did_before_to_the_byte(
    seeded: str, name: str
) -> None:
    text = await report(seeded, *RUNS[name], "--with-references")
    if os.environ.get("SIMS_TEST_WRITE_GOLDEN") == "listed":
        (GOLDEN / name).write_text(text, encoding="utf-8")

    assert text == golden(name)


@pytest.mark.parametrize("name", [n for n in sorted(RUNS) if n.endswith(".json")])
async def test_without_references_the_json_gives_each_list_as_its_count(
    seeded: str, name: str
) -> None:
    found = json.loads(await report(seeded, *RUNS[name]))

    # Compared as text too: the same keys in the same places.
    assert json.dumps(found) == json.dumps(counts_only(json.loads(golden(name))))


@pytest.mark.parametrize("name", [n for n in sorted(RUNS) if not n.endswith(".json")])
async def test_without_references_the_table_and_page_give_the_counts_behind_each_miss(
    seeded: str, name: str
) -> None:
    counted = name.replace(".", ".counts.")
    text = await report(seeded, *RUNS[name])
    if os.environ.get("SIMS_TEST_WRITE_GOLDEN"):
        (GOLDEN / counted).write_text(text, encoding="utf-8")

    assert text == golden(counted)
    assert without_lists(text) == without_lists(golden(name))


def without_lists(text: str) -> list[str]:
    """All but the cases given: the open cases inside every limit and the cases behind
    each miss (in the table, a line and a paragraph; on the page, three lines)."""
    if text.startswith("<!doctype html>"):
        given = ("<p>Open, inside every limit", "<h2>Cases behind each miss", "<ul><li>")
        return [line for line in text.splitlines() if not line.startswith(given)]
    return [
        section.split("\n  open, inside every limit")[0]
        for section in text.split("\n\n")
        if not section.startswith("Cases behind each miss")
    ]
