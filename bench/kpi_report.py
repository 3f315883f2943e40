"""`sims-case report` at scale (DESIGN §16) against one SQL query for the closed-case shares.

Seeded ledgers of 10k, 100k and 1M cases (`bench/kpi_ledgers.py`: three years to
1 December 2026, SQLite) are each reported for a month (November 2026), a year and the
whole ledger. Each measurement is a fresh process, so no run inherits another's heap:
the report (`build_report` and the table, as `sims-case report` makes them, timed after
the imports) and the baseline (one grouped SELECT of the resolved cases' shares per
priority and limit, the least any report of these figures must read) alternate,
REPEATS times each, and the medians are compared; peak RSS is the child's own (VmHWM
in /proc/self/status as it ends). The whole command (`sims-case report ...` as a person
runs it) is timed too, beside a bare `python -c pass` and one that only imports what
the command imports. With `--before`, the report as it was built before
(`tests/kpi_reference.py`: every case row and SLA event as Python objects) is timed
the same way on the periods of up to BEFORE_UP_TO cases.

    python -m bench.kpi_report [--sizes 10000,100000,1000000] [--ledgers DIR] [--before]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPEATS = 3
BEFORE_UP_TO = 110_000
NOW = "2026-12-01T17:00:00+00:00"
PERIODS = {
    "month": ("2026-11-01", "2026-11-30"),
    "year": ("2025-12-01", "2026-11-30"),
    "whole": ("2023-12-01", "2026-12-01"),
}
ROOT = Path(__file__).parents[1]

# The child's own peak RSS: VmHWM starts again at exec (ru_maxrss of a child does not:
# it keeps the parent's size at the fork).
PEAK = """
def peak_mib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM:"))
"""

REPORT = (
    PEAK
    + """
import datetime as dt, json, sys, time
start = time.perf_counter()
from sims_support.cli.main import build_parser
from sims_support.cli.report import build_report, render
from sims_support.config import Settings
import sims_support.reports.build, sims_support.reports.text  # imported by a report
import holidays.countries  # imported by the calendar at its first use
imported = time.perf_counter() - start
url, first, last, now, form = sys.argv[1:6]
argv = ["report", "--from", first, "--to", last, "--ledger", url, "--format", form]
args = build_parser().parse_args(argv)
settings = Settings()
start = time.perf_counter()
report = build_report(args, settings, dt.datetime.fromisoformat(now))
text = render(report, form)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "imports": imported, "cases": report.logged,
                  "open": report.open, "rss": peak_mib()}))
"""
)

BEFORE = (
    PEAK
    + """
import datetime as dt, json, sys, time
from sims_support.cli.main import build_parser
from sims_support.cli.report import period_of
from sims_support.config import Settings
from tests.kpi_reference import reference_report
import holidays.countries  # imported by the calendar at its first use, as above
url, first, last, now = sys.argv[1:5]
args = build_parser().parse_args(["report", "--from", first, "--to", last, "--ledger", url])
settings = Settings()
start = time.perf_counter()
report = reference_report(url, settings.policy, settings.calendar, period_of(args),
                          dt.datetime.fromisoformat(now))
text = report.model_dump_json()
print(json.dumps({"seconds": time.perf_counter() - start, "rss": peak_mib()}))
"""
)

SQL = (
    PEAK
    + """
import datetime as dt, json, sys, time
import sqlalchemy as sa
from activities.ledger_schema import case_outcomes
from domain.models import Priority
from domain.policy import SupportPolicy
from sims_support.reports.format import LONDON
url, first, last = sys.argv[1:4]
start_at = dt.datetime.combine(dt.date.fromisoformat(first), dt.time(0), LONDON)
end_at = dt.datetime.combine(dt.date.fromisoformat(last) + dt.timedelta(days=1), dt.time(0), LONDON)
c = case_outcomes.c
limits = sorted({lim for p in Priority for lim, _ in SupportPolicy().kpi_targets(p)})
query = (
    sa.select(c.priority, sa.func.count(), *(
        sa.func.sum(sa.case((c.resolution_working_seconds <= lim, 1), else_=0)) for lim in limits
    ))
    # Every priority named, as the report names them: the index is walked group by group.
    .where(c.priority.in_([p.name for p in Priority]), c.state == "resolved")
    .where(c.logged_at >= start_at, c.logged_at < end_at)
    .group_by(c.priority)
)
start = time.perf_counter()
engine = sa.create_engine(url)
with engine.connect() as conn:
    rows = conn.execute(query).all()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "resolved": sum(r[1] for r in rows), "rss": peak_mib()}))
"""
)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode kept
    env["PYTHONPATH"] = str(ROOT)
    return env


def measured(argv: list[str]) -> tuple[float, str]:
    """(wall seconds, stdout) of one fresh process."""
    start = time.perf_counter()
    done = subprocess.run(
        argv, capture_output=True, env=child_env(), cwd=tempfile.gettempdir(), check=False
    )
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{argv[:3]} failed ({done.returncode}): {done.stderr[-2000:]!r}")
    return wall, done.stdout.decode()


def timed(script: str, *args: str) -> dict[str, Any]:
    _, out = measured([sys.executable, "-c", script, *args])
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def command(url: str, first: str, last: str) -> float:
    sims_case = str(Path(sys.executable).parent / "sims-case")
    return measured([sims_case, "report", "--from", first, "--to", last, "--ledger", url])[0]


def median(found: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in found)


def run(size: int, url: str, period: str, before: bool) -> dict[str, Any]:
    first, last = PERIODS[period]
    reports, queries, as_json = [], [], []
    for _ in range(REPEATS):
        reports.append(timed(REPORT, url, first, last, NOW, "table"))
        queries.append(timed(SQL, url, first, last))
        as_json.append(timed(REPORT, url, first, last, NOW, "json"))
    report_s, sql_s = median(reports, "seconds"), median(queries, "seconds")
    found: dict[str, Any] = {
        "ledger_cases": size,
        "period": period,
        "from": first,
        "to": last,
        "cases_in_period": reports[0]["cases"],
        "open_in_period": reports[0]["open"],
        "report_seconds": round(report_s, 3),
        "sql_seconds": round(sql_s, 3),
        "ratio_to_sql": round(report_s / sql_s, 2),
        "peak_rss_mib": round(max(r["rss"] for r in reports), 1),
        # The JSON also counts the cases with a breach (the table and the page show none).
        "json_seconds": round(median(as_json, "seconds"), 3),
        "json_ratio_to_sql": round(median(as_json, "seconds") / sql_s, 2),
        "json_peak_rss_mib": round(max(r["rss"] for r in as_json), 1),
        "sql_peak_rss_mib": round(max(q["rss"] for q in queries), 1),
        "report_seconds_runs": [round(r["seconds"], 3) for r in reports],
        "sql_seconds_runs": [round(q["seconds"], 3) for q in queries],
        "imports_seconds": round(median(reports, "imports"), 3),
        "command_seconds": round(
            statistics.median(command(url, first, last) for _ in range(REPEATS)), 3
        ),
    }
    if before and found["cases_in_period"] <= BEFORE_UP_TO:
        old = timed(BEFORE, url, first, last, NOW)
        found.update(
            before_seconds=round(old["seconds"], 3), before_peak_rss_mib=round(old["rss"], 1)
        )
    return found


def startup(statement: str) -> float:
    return statistics.median(measured([sys.executable, "-c", statement])[0] for _ in range(9))


def main() -> None:
    from bench.harness import table, write
    from bench.kpi_ledgers import build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--ledgers", type=Path, help="keep the ledgers here (and reuse them)")
    parser.add_argument("--before", action="store_true", help="time the report it replaced too")
    args = parser.parse_args()
    folder = args.ledgers or Path(tempfile.mkdtemp(prefix="kpi-ledgers-"))
    folder.mkdir(parents=True, exist_ok=True)
    runs, built = [], {}
    for size in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        url = build(folder / f"ledger-{size}.db", size, seed=size)
        built[size] = round(time.perf_counter() - start, 1)
        for period in PERIODS:
            runs.append(run(size, url, period, args.before))
            print(json.dumps(runs[-1]), flush=True)
    bare = startup("pass")
    # The interpreter and every module `sims-case report` imports, doing nothing.
    imports = startup(
        "import sims_support.cli.main, sims_support.cli.report, sims_support.reports.build, "
        "sims_support.reports.text, sims_support.config, holidays.countries"
    )
    path = write(
        "kpi_report",
        {
            "repeats": REPEATS,
            "now": NOW,
            "python_startup_seconds": round(bare, 3),
            "startup_with_imports_seconds": round(imports, 3),
            "ledger_build_seconds": built,
            "runs": runs,
        },
    )
    header = ["ledger", "period", "cases", "report s", "sql s", "ratio", "peak MiB", "command s"]
    rows = [
        [
            r["ledger_cases"],
            r["period"],
            r["cases_in_period"],
            r["report_seconds"],
            r["sql_seconds"],
            r["ratio_to_sql"],
            r["peak_rss_mib"],
            r["command_seconds"],
        ]
        for r in runs
    ]
    title = f"KPI report (python start-up {bare:.3f} s, with the report's imports {imports:.3f} s)"
    print(table(title, header, rows))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
