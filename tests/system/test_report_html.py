"""The HTML KPI report, opened in headless Chromium (Debian's; `.ci/chromium.sh` installs it):
the browser lays out its chart, one bar for each limit that has cases to count."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from activities.ledger import Ledger
from domain.kpi_ledger import LedgerEntry
from sims_support.reports.build import kpi_report
from sims_support.reports.html import render_html
from tests.kpi_data import CALENDAR, CASES, NOW, POLICY, WEEK
from tests.kpi_ledgers import write


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "chromium is not installed: `bash .ci/chromium.sh` (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs it: missing there is a broken set-up
    pytest.skip(message)


def test_the_html_report_renders_its_chart_in_a_browser(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    write(url, [LedgerEntry(case=c) for c in CASES])
    ledger = Ledger(url)
    report = kpi_report(ledger, POLICY, CALENDAR, WEEK, NOW)
    ledger.dispose()
    page = tmp_path / "kpi.html"
    page.write_text(render_html(report), encoding="utf-8")
    # Limits with cases counted: P1's three and P2's six; P3's one case is inside them all.
    expected = sum(1 for row in report.resolution for b in row.buckets if b.counted)

    browser = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    chart = re.search(r"<svg[^>]*class=\"chart\"[^>]*>", browser.stdout)
    assert chart, browser.stdout[:2000]
    bars = re.search(r'data-rendered-bars="(\d+)"', chart.group(0))
    width = re.search(r'data-rendered-width="(\d+)"', chart.group(0))
    assert expected == 9
    assert bars and int(bars.group(1)) == expected
    assert width and int(width.group(1)) > 800
