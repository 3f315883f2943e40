"""Worker memory per open case, parked on its timers, against a trivial parked workflow.

Each kind runs in a fresh worker process (so neither inherits the other's caches) on one
dev server; the worker's RSS is read from /proc before and after opening N workflows.

    python -m bench.memory [N]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

from temporalio.client import Client

import api
from bench.harness import dev_server, run_tag, sample_case, table, write
from bench.trivial import ParkedWorkflow

CONCURRENCY = 50
WARM_UP = 20


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_cases(client: Client, queue: str, n: int) -> None:
    gate, tag, now = asyncio.Semaphore(CONCURRENCY), run_tag(), dt.datetime.now(dt.UTC)

    async def one(i: int) -> None:
        async with gate:
            case = sample_case(f"MEM-{tag}-{i:05d}", now)
            await api.open_case(client, case, task_queue=queue)

    await asyncio.gather(*(one(i) for i in range(n)))


async def park_trivial(client: Client, queue: str, n: int) -> None:
    gate, tag = asyncio.Semaphore(CONCURRENCY), run_tag()

    async def one(i: int) -> None:
        async with gate:
            handle = await client.start_workflow(
                ParkedWorkflow.run, id=f"parked-{tag}-{i}", task_queue=queue
            )
            await handle.execute_update(ParkedWorkflow.ping)  # it is now in the worker's cache

    await asyncio.gather(*(one(i) for i in range(n)))


async def per_workflow(
    address: str, client: Client, kind: str, n: int, *, trivial_passed_through: bool = False
) -> float:
    queue = f"mem-{uuid.uuid4().hex[:8]}"
    flags = ["--trivial-passed-through"] if trivial_passed_through else []
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.memory_worker"),
            *(address, queue, str(n + WARM_UP + 100), *flags),
        ]
    )
    try:
        opener = open_cases if kind == "case" else park_trivial
        await opener(client, queue, WARM_UP)  # modules loaded, caches warm
        await asyncio.sleep(1)
        before = rss_kib(worker.pid)
        await opener(client, queue, n)
        await asyncio.sleep(1)
        after = rss_kib(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return (after - before) / n


async def measure(n: int) -> dict[str, object]:
    async with dev_server() as env:
        address = env.client.service_client.config.target_host
        case_kib = await per_workflow(address, env.client, "case", n)
        trivial_kib = await per_workflow(address, env.client, "trivial", n)
        # For scale: the trivial workflow's module passed through as the case's modules are.
        passed_kib = await per_workflow(
            address, env.client, "trivial", n, trivial_passed_through=True
        )
    return {
        "open_workflows": n,
        "kib_per_case": round(case_kib, 1),
        "kib_per_trivial": round(trivial_kib, 1),
        "kib_per_trivial_passed_through": round(passed_kib, 1),
        "ratio": round(case_kib / trivial_kib, 2) if trivial_kib > 0 else None,
        "goal": "under 100 KiB per case and within 2x the trivial workflow",
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    report = asyncio.run(measure(n))
    path = write("memory", report)
    row = [n, report["kib_per_case"], report["kib_per_trivial"], report["ratio"]]
    print(table("Worker RSS per parked workflow", ["N", "KiB/case", "KiB/trivial", "ratio"], [row]))
    print(f"trivial with its module passed through: {report['kib_per_trivial_passed_through']} KiB")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
