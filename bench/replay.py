"""Replaying recorded case histories: events per second, the cost of a cache eviction.

Records N case lifecycles on the dev server (logged, acknowledged, updated, information
asked and given, offered, reopened, offered again, accepted), then replays them all with
the production data converter (strict pydantic, no keys) and worker settings.

    python -m bench.replay [N]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time

from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from bench.harness import (
    DESK,
    PRODUCTION_CONVERTER,
    bench_worker,
    dev_server,
    run_tag,
    sample_case,
    table,
    write,
)
from domain.models import (
    AcceptResolution,
    Acknowledge,
    OfferResolution,
    PostUpdate,
    ProvideInformation,
    Reopen,
    RequestInformation,
)
from sims_support.client import cases as api
from worker import SANDBOX, WORKFLOWS


async def lifecycle(client: Client, queue: str, reference: str) -> WorkflowHistory:
    await api.open_case(
        client, sample_case(reference, dt.datetime.now(dt.UTC)), opened_by=DESK, task_queue=queue
    )
    offer = OfferResolution(request_id="o1", kind="workaround", summary="restart the service")
    steps = [
        ("acknowledge", Acknowledge(request_id="a")),
        ("post_update", PostUpdate(request_id="u1", message="looking")),
        ("request_information", RequestInformation(request_id="q", message="logs?")),
        ("provide_information", ProvideInformation(request_id="p", message="attached")),
        ("offer_resolution", offer),
        ("reopen", Reopen(request_id="r", reason="still failing")),
        ("offer_resolution", offer.model_copy(update={"request_id": "o2", "kind": "upgrade"})),
        ("accept_resolution", AcceptResolution(request_id="ok")),
    ]
    for event, request in steps:
        await api.send(client, reference, event, request, actor=DESK)
    handle = api.handle_for(client, reference)
    await handle.result()
    return await handle.fetch_history()


async def measure(n: int) -> dict[str, object]:
    async with dev_server() as env:
        client, queue, tag = env.client, f"replay-{run_tag()}", run_tag()
        async with bench_worker(client, queue):
            gate = asyncio.Semaphore(25)

            async def one(i: int) -> WorkflowHistory:
                async with gate:
                    return await lifecycle(client, queue, f"RPL-{tag}-{i:04d}")

            histories = await asyncio.gather(*(one(i) for i in range(n)))
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        data_converter=PRODUCTION_CONVERTER,
        workflow_runner=SANDBOX,
    )
    events = sum(len(h.events) for h in histories)
    began = time.perf_counter()
    for history in histories:
        await replayer.replay_workflow(history)
    seconds = time.perf_counter() - began
    return {
        "histories": n,
        "events": events,
        "events_per_history": round(events / n, 1),
        "events_per_s": round(events / seconds),
        "ms_per_history": round(1000 * seconds / n, 2),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    report = asyncio.run(measure(n))
    path = write("replay", report)
    header = ["histories", "events/history", "events/s", "ms/history"]
    row = [n, report["events_per_history"], report["events_per_s"], report["ms_per_history"]]
    print(table("Replay of recorded case histories", header, [row]))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
