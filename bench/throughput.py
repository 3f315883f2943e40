"""Cases per second through acknowledge → offer → accept, against a trivial workflow with
the same round trips (start, four updates, complete), on one dev server and one worker.

    python -m bench.throughput [N]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import sys
import time
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from bench.harness import DESK, bench_worker, dev_server, run_tag, sample_case, table, write
from bench.trivial import TrivialWorkflow, UnsandboxedTrivialWorkflow
from domain.models import AcceptResolution, Acknowledge, OfferResolution
from sims_support.client import cases as api

CONCURRENCY = 50
ROUNDS = 5
UPDATES = 4  # a case: opened, acknowledge, offer_resolution, accept_resolution


async def one_case(client: Client, task_queue: str, reference: str) -> None:
    now = dt.datetime.now(dt.UTC)
    await api.open_case(client, sample_case(reference, now), opened_by=DESK, task_queue=task_queue)
    await api.send(client, reference, "acknowledge", Acknowledge(request_id="ack"), actor=DESK)
    offer = OfferResolution(request_id="offer", kind="advice", summary="try this")
    await api.send(client, reference, "offer_resolution", offer, actor=DESK)
    await api.send(
        client, reference, "accept_resolution", AcceptResolution(request_id="ok"), actor=DESK
    )
    await api.handle_for(client, reference).result()


async def one_trivial(
    client: Client, task_queue: str, reference: str, trivial: type[TrivialWorkflow]
) -> None:
    handle = await client.start_workflow(
        trivial.run, UPDATES, id=f"trivial-{reference}", task_queue=task_queue
    )
    for _ in range(UPDATES):
        await handle.execute_update(trivial.step)
    await handle.result()


async def timed(n: int, run: Callable[[str], Awaitable[None]], tag: str) -> tuple[float, list[str]]:
    gate = asyncio.Semaphore(CONCURRENCY)
    references = [f"BENCH-{tag}-{i:05d}" for i in range(n)]

    async def guarded(reference: str) -> None:
        async with gate:
            await run(reference)

    began = time.perf_counter()
    await asyncio.gather(*(guarded(r) for r in references))
    return time.perf_counter() - began, references


async def measure(n: int, rounds: int = ROUNDS) -> dict[str, object]:
    """`n` of each kind, in alternating rounds: the machine's other load drifts, and a
    ratio taken round by round sees every kind under the same drift."""
    per_round = max(1, n // rounds)
    kinds: dict[str, Callable[[Client, str, str], Awaitable[None]]] = {
        "trivial": lambda c, q, r: one_trivial(c, q, r, TrivialWorkflow),
        "trivial, unsandboxed": lambda c, q, r: one_trivial(c, q, r, UnsandboxedTrivialWorkflow),
        "case": one_case,
    }
    seconds = dict.fromkeys(kinds, 0.0)
    ratios: list[float] = []
    async with dev_server() as env:
        client, queue = env.client, f"bench-{run_tag()}"
        async with bench_worker(client, queue):
            for run in kinds.values():  # warm up
                await timed(20, functools.partial(run, client, queue), run_tag())
            for _ in range(rounds):
                took = {}
                for kind, run in kinds.items():
                    took[kind], refs = await timed(
                        per_round, functools.partial(run, client, queue), run_tag()
                    )
                    seconds[kind] += took[kind]
                ratios.append(round(took["trivial"] / took["case"], 3))
                rates = ", ".join(f"{k} {per_round / s:.1f}/s" for k, s in took.items())
                print(f"round {len(ratios)}: {rates}", flush=True)
            history = await api.handle_for(client, refs[0]).fetch_history()
    total = per_round * rounds
    return {
        "cases": total,
        "rounds": rounds,
        "concurrency": CONCURRENCY,
        "cases_per_s": round(total / seconds["case"], 1),
        "trivial_per_s": round(total / seconds["trivial"], 1),
        "ratio": round(seconds["trivial"] / seconds["case"], 3),
        "ratio_by_round": ratios,
        # Like for like: the trivial workflow run as ours are, outside the sandbox.
        "trivial_unsandboxed_per_s": round(total / seconds["trivial, unsandboxed"], 1),
        "ratio_unsandboxed": round(seconds["trivial, unsandboxed"] / seconds["case"], 3),
        "events_per_case": len(history.events),
        "goal": "ratio >= 0.5",
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    report = asyncio.run(measure(n))
    path = write("throughput", report)
    rounds = ", ".join(str(r) for r in report["ratio_by_round"])  # type: ignore[attr-defined]
    total, case = report["cases"], report["cases_per_s"]
    rows = [
        [total, "trivial (default)", case, report["trivial_per_s"], report["ratio"]],
        [
            *(total, "trivial, unsandboxed", case),
            *(report["trivial_unsandboxed_per_s"], report["ratio_unsandboxed"]),
        ],
    ]
    header = ["N", "against", "cases/s", "trivial/s", "ratio"]
    print(table("Throughput (dev server, one worker)", header, rows))
    print(f"ratio by round: {rounds}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
