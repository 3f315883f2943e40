"""domain.calendar against pandas' CustomBusinessHour on the same calendar (DESIGN §2).

Both sides get 08:30-17:00 Monday to Friday and the same closure dates (exported from
the England and Wales calendar with `closures_between`), and the same seeded cases: a
start anywhere in the week over two years, a target of 1 minute to 15 working days in
whole minutes, and an end up to three weeks of wall-clock time after the start.

pandas works in naive local wall time, so each London instant is handed to it as its
London wall time. Support hours never touch the 01:00-02:00 clock change, so wall-time
arithmetic inside them is exact. pandas has neither call we need, so it is driven the
way a user would drive it:

- add: `start + hours * cbh` for the whole hours (this also rolls a start outside hours
  forward), then the remaining minutes by hand; minutes that reach closing carry over
  to the next business-hour start, matching pandas' own rule that landing on 17:00
  means 08:30 the next working day.
- between: roll the start forward with `0 * cbh`, count whole business hours with
  `pd.date_range(start, end, freq=cbh)`, then add the minutes from the last hour mark
  to the end by hand (across one closing if need be).

Both sides are timed on the same first PANDAS_CASES cases (all of them by default;
`date_range` costs milliseconds a call, so lower it on a slow machine). Rates are per
operation. Set-up (our table build, pandas' first call) is not timed. Ours is the
best of OURS_REPEATS runs; pandas runs once (it takes tens of seconds). A disagreement
on add is classified as pandas moving a deadline that lands exactly on 17:00 to 08:30
on the next working day, or as other.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
from pandas.tseries.offsets import CustomBusinessHour

from domain.calendar import WorkingCalendar

SEED = 2025
CASES = 10_000
# Lower this if pandas is too slow on your machine: both sides are then timed on it.
PANDAS_CASES = CASES
OURS_REPEATS = 5
TARGET_RATIO = 50  # DESIGN §2: far faster than pandas on the same calendar
FIRST_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
START_SPAN_MINUTES = 2 * 365 * 24 * 60
MAX_TARGET_MINUTES = 15 * 510
MAX_END_MINUTES = 21 * 24 * 60
LONDON = ZoneInfo("Europe/London")
MINUTE = dt.timedelta(minutes=1)
CLOSING = pd.Timedelta(hours=17)
RESULTS = Path(__file__).parent / "results" / "calendar.json"
R = TypeVar("R")


@dataclass(frozen=True)
class Case:
    start: dt.datetime
    target: dt.timedelta
    end: dt.datetime
    start_wall: Any  # pd.Timestamp: naive London wall time, for pandas
    end_wall: Any


def wall(instant: dt.datetime) -> Any:
    return pd.Timestamp(instant.astimezone(LONDON).replace(tzinfo=None))


def make_cases(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(CASES):
        start = FIRST_START + dt.timedelta(minutes=rng.randrange(START_SPAN_MINUTES))
        # Elapsed time is added in UTC: London-aware arithmetic would be wall-clock.
        end = start + dt.timedelta(minutes=rng.randrange(MAX_END_MINUTES))
        target = dt.timedelta(minutes=rng.randint(1, MAX_TARGET_MINUTES))
        cases.append(
            Case(start.astimezone(LONDON), target, end.astimezone(LONDON), wall(start), wall(end))
        )
    return cases


def next_opening(cbh: Any, closing: Any) -> Any:
    # Just past closing is outside hours, so rollforward lands on the next opening.
    return cbh.rollforward(closing + pd.Timedelta(microseconds=1))


def pandas_add(cbh: Any, start: Any, minutes: int) -> Any:
    hours, rest = divmod(minutes, 60)
    moved = start + hours * cbh
    closing = moved.normalize() + CLOSING
    arrived = moved + pd.Timedelta(minutes=rest)
    if arrived < closing:
        return arrived
    return next_opening(cbh, closing) + (arrived - closing)


def pandas_between(cbh: Any, start: Any, end: Any) -> Any:
    first = start + 0 * cbh
    if first >= end:
        return pd.Timedelta(0)
    marks = pd.date_range(first, end, freq=cbh)
    last = marks[-1]
    closing = last.normalize() + CLOSING
    if end <= closing:
        rest = end - last
    else:
        rest = closing - last
        reopening = next_opening(cbh, closing)
        if end > reopening:
            rest += end - reopening
    return (len(marks) - 1) * pd.Timedelta(hours=1) + rest


def timed(run: Callable[[], list[R]], repeats: int) -> tuple[float, list[R]]:
    best, results = float("inf"), []
    for _ in range(repeats):
        began = time.perf_counter()
        results = run()
        best = min(best, time.perf_counter() - began)
    return best, results


def compare_adds(
    calendar: WorkingCalendar, cases: list[Case], ours: list[dt.datetime], theirs: list[Any]
) -> dict[str, Any]:
    moved, other = 0, []
    for case, mine, pandas_due in zip(cases, ours, theirs, strict=True):
        if wall(mine) == pandas_due:
            continue
        reopening = wall(calendar.next_working_instant(mine))
        if mine.time() == calendar.closes and pandas_due == reopening:
            moved += 1
        else:
            other.append(
                {
                    "start": str(case.start),
                    "target": str(case.target),
                    "ours": str(mine),
                    "pandas": str(pandas_due),
                }
            )
    return {
        "total": moved + len(other),
        "closing_moved_to_next_morning": moved,
        "other": len(other),
        "other_examples": other[:5],
    }


def compare_betweens(
    cases: list[Case], ours: list[dt.timedelta], theirs: list[Any]
) -> dict[str, Any]:
    other = [
        {"start": str(case.start), "end": str(case.end), "ours": str(mine), "pandas": str(them)}
        for case, mine, them in zip(cases, ours, theirs, strict=True)
        if pd.Timedelta(mine) != them
    ]
    return {"total": len(other), "other": len(other), "other_examples": other[:5]}


def main() -> None:
    calendar = WorkingCalendar.england_and_wales()
    cases = make_cases(random.Random(SEED))
    closures = calendar.closures_between(dt.date(2024, 12, 1), dt.date(2027, 12, 31))
    cbh = CustomBusinessHour(start="08:30", end="17:00", holidays=closures)
    timed_cases = cases[:PANDAS_CASES]
    # Set-up is not timed: the first calls build our table and pandas' holiday calendar.
    calendar.working_time_between(FIRST_START, FIRST_START + dt.timedelta(days=3 * 365))
    pandas_add(cbh, cases[0].start_wall, 61)
    pandas_between(cbh, cases[0].start_wall, cases[0].end_wall)

    ours_add_s, ours_dues = timed(
        lambda: [calendar.add_working_time(c.start, c.target) for c in timed_cases], OURS_REPEATS
    )
    ours_between_s, ours_spans = timed(
        lambda: [calendar.working_time_between(c.start, c.end) for c in timed_cases],
        OURS_REPEATS,
    )
    pandas_add_s, pandas_dues = timed(
        lambda: [pandas_add(cbh, c.start_wall, c.target // MINUTE) for c in timed_cases], 1
    )
    pandas_between_s, pandas_spans = timed(
        lambda: [pandas_between(cbh, c.start_wall, c.end_wall) for c in timed_cases], 1
    )
    round_trip_failures = sum(
        calendar.working_time_between(c.start, calendar.add_working_time(c.start, c.target))
        != c.target
        for c in cases
    )

    def rates(ours_s: float, pandas_s: float) -> dict[str, Any]:
        ours_rate, pandas_rate = len(timed_cases) / ours_s, len(timed_cases) / pandas_s
        return {
            "ours_ops_per_s": round(ours_rate),
            "pandas_ops_per_s": round(pandas_rate),
            "ratio": round(ours_rate / pandas_rate, 1),
            "meets_target_ratio": ours_rate / pandas_rate >= TARGET_RATIO,
        }

    report = {
        "cases": CASES,
        "timed_cases": len(timed_cases),
        "seed": SEED,
        "target_ratio": TARGET_RATIO,
        "method": __doc__,
        "versions": {
            "python": platform.python_version(),
            "pandas": version("pandas"),
            "holidays": version("holidays"),
        },
        "cpus": os.cpu_count(),
        "ours_round_trip_failures": round_trip_failures,
        "add_working_time": rates(ours_add_s, pandas_add_s)
        | {"disagreements": compare_adds(calendar, timed_cases, ours_dues, pandas_dues)},
        "working_time_between": rates(ours_between_s, pandas_between_s)
        | {"disagreements": compare_betweens(timed_cases, ours_spans, pandas_spans)},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)


def print_table(report: dict[str, Any]) -> None:
    print(f"{report['timed_cases']:,} cases, timed the same on both sides (per-operation rates)")
    print(f"{'operation':<22}{'ours op/s':>12}{'pandas op/s':>13}{'ratio':>8}  disagreements")
    for name in ("add_working_time", "working_time_between"):
        row, diff = report[name], report[name]["disagreements"]
        moved = diff.get("closing_moved_to_next_morning", 0)
        ours, theirs = row["ours_ops_per_s"], row["pandas_ops_per_s"]
        print(
            f"{name:<22}{ours:>12,}{theirs:>13,}{row['ratio']:>7}x  "
            f"{diff['total']} ({moved} at 17:00 -> 08:30, {diff['other']} other)"
        )
    print(f"ours round-trip failures: {report['ours_round_trip_failures']}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
