"""Every benchmark in one run, then one summary table: `python -m bench.run_all`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, table

STEPS = [
    ["bench/calendar_bench.py"],
    ["-m", "bench.throughput", "500"],
    ["-m", "bench.history"],
    ["-m", "bench.memory", "1000"],
    ["-m", "bench.replay", "100"],
    ["-m", "bench.gateway"],
]


def load(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((RESULTS / f"{name}.json").read_text())
    return result


def summary() -> list[list[object]]:
    calendar, throughput = load("calendar"), load("throughput")
    history, memory, replay = load("history"), load("memory"), load("replay")
    gateway = load("gateway")
    through, direct = gateway["latency_ms"]["gateway"], gateway["latency_ms"]["client"]
    ops: dict[str, Any] = {n: calendar[n] for n in ("add_working_time", "working_time_between")}
    assert isinstance(history["paths"], dict)
    rows: list[list[object]] = [
        ["calendar add_working_time vs pandas", f"{ops['add_working_time']['ratio']}x", ">= 50x"],
        [
            "calendar working_time_between vs pandas",
            f"{ops['working_time_between']['ratio']}x",
            ">= 50x",
        ],
        [
            "cases/s vs trivial/s",
            f"{throughput['cases_per_s']} vs {throughput['trivial_per_s']} = {throughput['ratio']}",
            ">= 0.5",
        ],
        [
            "cases/s vs trivial/s, both unsandboxed",
            f"{throughput['cases_per_s']} vs {throughput['trivial_unsandboxed_per_s']} "
            f"= {throughput['ratio_unsandboxed']}",
            "",
        ],
        [
            "worker KiB per parked case vs trivial",
            f"{memory['kib_per_case']} vs {memory['kib_per_trivial']} = {memory['ratio']}x",
            "< 100 KiB, <= 2x",
        ],
        ["worker KiB per parked case, run by run", str(memory["kib_per_case_runs"]), ""],
        ["worker KiB an open case keeps per update", str(memory["kib_per_case_update"]), ""],
        [
            "worker KiB per parked case vs trivial, both unsandboxed",
            f"{memory['kib_per_case']} vs {memory['kib_per_trivial_unsandboxed']} "
            f"= {memory['ratio_unsandboxed']}x",
            "",
        ],
        ["replay", f"{replay['events_per_s']} events/s, {replay['ms_per_history']} ms/history", ""],
        [
            f"update p95 through the gateway vs the client, {gateway['callers']} callers",
            f"{through['p95']} vs {direct['p95']} ms = {gateway['ratio']['p95']}x",
            "<= 1.3x",
        ],
    ]
    for path, figures in history["paths"].items():
        rows.append(
            [f"events: {path}", f"{figures['events']} in {figures['runs']} run(s)", "< 4,096 a run"]
        )
    return rows


def main() -> None:
    for step in STEPS:
        subprocess.run([sys.executable, *step], check=True, cwd=Path(__file__).parent.parent)
    print()
    print(table("Summary", ["measure", "figure", "goal"], summary()))


if __name__ == "__main__":
    main()
