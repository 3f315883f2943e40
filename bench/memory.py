"""Worker memory per open case, parked on its timers, against a trivial parked workflow.

Each kind runs in a fresh worker process (so neither inherits the other's caches) on one
dev server; the worker's RSS is read from /proc before and after opening N workflows.

    python -m bench.memory [N]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client

from bench.harness import DESK, dev_server, run_tag, sample_case, table, write
from bench.trivial import ParkedWorkflow, PatchedParkedWorkflow, UnsandboxedParkedWorkflow
from domain.models import Acknowledge, CaseRequest, PostUpdate
from sims_support.client import cases as api

CONCURRENCY = 50
WARM_UP = 20
CASE_ROUNDS = 3
PATCHES = 10  # PatchedParkedWorkflow's default
MORE_UPDATES = 10


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_cases(updates: int = 0) -> Callable[[Client, str, int], Awaitable[None]]:
    """Open cases; with `updates`, then acknowledge each and post `updates - 1` notes."""

    async def opener(client: Client, queue: str, n: int) -> None:
        gate, tag, now = asyncio.Semaphore(CONCURRENCY), run_tag(), dt.datetime.now(dt.UTC)

        async def one(i: int) -> None:
            async with gate:
                case = sample_case(f"MEM-{tag}-{i:05d}", now)
                await api.open_case(client, case, opened_by=DESK, task_queue=queue)
                for step in range(updates):
                    event, request = update(step)
                    await api.send(client, case.reference, event, request, actor=DESK)

        await asyncio.gather(*(one(i) for i in range(n)))

    return opener


def update(step: int) -> tuple[str, CaseRequest]:
    if step == 0:
        return "acknowledge", Acknowledge(request_id="ack", message="on it")
    return "post_update", PostUpdate(request_id=f"u{step}", message=f"progress note {step}")


def park(
    parked: type[ParkedWorkflow], updates: int = 1
) -> Callable[[Client, str, int], Awaitable[None]]:
    async def park_trivial(client: Client, queue: str, n: int) -> None:
        gate, tag = asyncio.Semaphore(CONCURRENCY), run_tag()

        async def one(i: int) -> None:
            async with gate:
                handle = await client.start_workflow(
                    parked.run, id=f"parked-{tag}-{i}", task_queue=queue
                )
                for _ in range(updates):  # after the first, it is in the worker's cache
                    await handle.execute_update(parked.ping)

        await asyncio.gather(*(one(i) for i in range(n)))

    return park_trivial


OPENERS = {
    "case": open_cases(),
    f"case, {MORE_UPDATES} updates": open_cases(MORE_UPDATES),
    "trivial": park(ParkedWorkflow),
    "trivial, unsandboxed": park(UnsandboxedParkedWorkflow),
    f"trivial, unsandboxed, {PATCHES} patches": park(PatchedParkedWorkflow),
    f"trivial, unsandboxed, {MORE_UPDATES} more updates": park(
        UnsandboxedParkedWorkflow, updates=1 + MORE_UPDATES
    ),
}


async def per_workflow(address: str, client: Client, kind: str, n: int) -> float:
    queue = f"mem-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "bench.memory_worker", address, queue, str(n + WARM_UP + 100)]
    )
    try:
        opener = OPENERS[kind]
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
        kib = {kind: await per_workflow(address, env.client, kind, n) for kind in OPENERS}
        # The headline figure: more runs, for its spread (each in a fresh worker).
        cases = [kib["case"]]
        for _ in range(CASE_ROUNDS - 1):
            cases.append(await per_workflow(address, env.client, "case", n))
    cases.sort()
    case, trivial, alike = statistics.median(cases), kib["trivial"], kib["trivial, unsandboxed"]
    updated_case = kib[f"case, {MORE_UPDATES} updates"]
    patched = kib[f"trivial, unsandboxed, {PATCHES} patches"]
    updated = kib[f"trivial, unsandboxed, {MORE_UPDATES} more updates"]
    return {
        "open_workflows": n,
        "kib_per_case": round(case, 1),  # the median of the runs below
        "kib_per_case_runs": [round(k, 1) for k in cases],
        "kib_per_trivial": round(trivial, 1),
        "ratio": round(case / trivial, 2) if trivial > 0 else None,
        # Like for like: the trivial workflow run as ours are, outside the sandbox.
        "kib_per_trivial_unsandboxed": round(alike, 1),
        "ratio_unsandboxed": round(case / alike, 2) if alike > 0 else None,
        # What an open run keeps in the worker for each `workflow.patched` call (a marker
        # and a search-attribute upsert) and for each update it has taken.
        "kib_per_patch": round((patched - alike) / PATCHES, 2),
        "kib_per_update": round((updated - alike) / MORE_UPDATES, 2),
        # The same for a case, whose updates answer with its status (timeline included).
        "kib_per_case_update": round((updated_case - case) / MORE_UPDATES, 2),
        "goal": "under 100 KiB per case and within 2x the trivial workflow",
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    report = asyncio.run(measure(n))
    path = write("memory", report)
    rows = [
        [
            n,
            "trivial (default)",
            report["kib_per_case"],
            report["kib_per_trivial"],
            report["ratio"],
        ],
        [
            *(n, "trivial, unsandboxed", report["kib_per_case"]),
            *(report["kib_per_trivial_unsandboxed"], report["ratio_unsandboxed"]),
        ],
    ]
    header = ["N", "against", "KiB/case", "KiB/trivial", "ratio"]
    print(table("Worker RSS per parked workflow", header, rows))
    print(f"an open run keeps {report['kib_per_patch']} KiB per workflow.patched call")
    print(f"an open run keeps {report['kib_per_update']} KiB per update taken")
    print(f"an open case keeps {report['kib_per_case_update']} KiB per update taken")
    print(f"KiB per case, run by run: {report['kib_per_case_runs']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
