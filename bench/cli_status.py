"""`sims-case status REF` against a bare Python Temporal client describing the same case.

Both are fresh processes, as a person at a terminal runs them, and both leave through
`os._exit`; they alternate, five runs each, and the medians are compared. The figure a
user feels is start-up: the imports a command pays before it talks to Temporal.

    python -m bench.cli_status [RUNS]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from bench.harness import DESK, bench_worker, dev_server, run_tag, sample_case, table, write
from sims_support.client.cases import open_case

BARE = """
import asyncio, os, sys
from temporalio.client import Client

async def main():
    client = await Client.connect(sys.argv[1])
    description = await client.get_workflow_handle(sys.argv[2]).describe()
    print(description.status.name if description.status else "unknown")
    sys.stdout.flush()
    os._exit(0)

asyncio.run(main())
"""


def sims_case() -> str:
    return str(Path(sys.executable).parent / "sims-case")


async def timed(argv: list[str]) -> tuple[float, int, bytes]:
    # As installed: Python keeps compiled bytecode (the bare client's temporalio has its
    # own in site-packages); a machine that turns that off would compile ours every run.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SIMS_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
    )
    out, _ = await process.communicate()
    return time.perf_counter() - start, process.returncode or 0, out


async def modules_loaded(statement: str) -> int:
    argv = [sys.executable, "-c", f"{statement}; import sys; print(len(sys.modules))"]
    _, _, out = await timed(argv)
    return int(out.split()[-1])


async def main(runs: int = 5) -> dict[str, object]:
    async with dev_server() as env:
        client = env.client
        address = client.service_client.config.target_host
        queue = f"bench-cli-{run_tag()}"
        reference = f"INC-BENCH-{run_tag()}"
        async with bench_worker(client, queue):
            now = dt.datetime.now(dt.UTC)
            await open_case(client, sample_case(reference, now), opened_by=DESK, task_queue=queue)
            status = [sims_case(), "status", reference, "--address", address]
            status += ["--task-queue", queue]
            bare = [sys.executable, "-c", BARE, address, f"case-{reference}"]
            ours: list[float] = []
            baseline: list[float] = []
            for warm_up in (status, bare):  # writes the bytecode both will run from
                await timed(warm_up)
            for _ in range(runs):
                seconds, code, out = await timed(status)
                assert code == 0 and reference.encode() in out, out.decode()
                ours.append(seconds)
                seconds, code, out = await timed(bare)
                assert code == 0 and b"RUNNING" in out, out.decode()
                baseline.append(seconds)
    ours_median, bare_median = statistics.median(ours), statistics.median(baseline)
    report: dict[str, object] = {
        "runs": runs,
        "sims_case_status_s": [round(s, 3) for s in ours],
        "bare_client_describe_s": [round(s, 3) for s in baseline],
        "sims_case_median_s": round(ours_median, 3),
        "bare_median_s": round(bare_median, 3),
        "ratio": round(ours_median / bare_median, 2),
        "modules": {
            "sims_support.client": await modules_loaded("import sims_support.client.cases"),
            "sims_support.cli.main": await modules_loaded("import sims_support.cli.main"),
            "temporalio.client": await modules_loaded("import temporalio.client"),
        },
    }
    write("cli_status", report)
    rows: list[list[object]] = [
        ["sims-case status", f"{ours_median:.3f} s", report["sims_case_status_s"]],
        ["bare client describe", f"{bare_median:.3f} s", report["bare_client_describe_s"]],
        ["ratio", f"{report['ratio']}x", "goal <= 1.5x"],
    ]
    print(table("CLI start-up, median of runs", ["command", "median", "runs"], rows))
    print("modules loaded:", report["modules"])
    return report


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
