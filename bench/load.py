"""Load: many open cases on one worker, mixed updates from concurrent clients.

Opens N cases on the dev server, then sends U updates from C clients (each its own
connection), a realistic mix of valid events and some malformed raw payloads. Then
checks: every accepted update is in its case's timeline (by request id), every refused
one got a typed error and left no trace, no workflow task failed anywhere.

    python -m bench.load [CASES] [UPDATES] [CLIENTS]      # default 1000 5000 20

`tests/system/test_load.py` runs the same code small, in the default test run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from bench.harness import DESK, dev_server, run_tag, sample_case, table, write
from sims_support.client import cases as api
from sims_support.config import Settings
from sims_support.runtime.converter import data_converter
from worker import activities_for, create_worker

# Valid events, weighted as a desk sends them; fields filled in per request.
MIX: list[tuple[str, dict[str, Any], int]] = [
    ("acknowledge", {"message": "on it"}, 20),
    ("post_update", {"message": "still looking"}, 25),
    ("request_information", {"message": "which build?"}, 10),
    ("provide_information", {"message": "7.219"}, 10),
    ("change_priority", {"impact": 2, "urgency": 2, "reason": "more schools"}, 5),
    ("offer_resolution", {"kind": "workaround", "summary": "re-run the sync"}, 10),
    ("reopen", {"reason": "still failing"}, 5),
    ("withdraw", {"reason": "fixed itself"}, 3),
]
MALFORMED_SHARE = 0.1  # raw payloads a careless backend sends
AS_DESK = DESK.model_dump(mode="json")  # who sends the rest (DESIGN §12)


@dataclass
class Outcome:
    reference: str
    event: str
    request_id: str
    seconds: float
    refused: str | None  # the error's type; None when accepted


@dataclass
class Load:
    references: list[str]
    outcomes: list[Outcome] = field(default_factory=list)


def one_request(rng: random.Random, n: int) -> tuple[str, Any, str]:
    request_id = f"load-{n}"
    if rng.random() < MALFORMED_SHARE:
        bad = rng.choice([{"request_id": request_id}, {"request_id": 7}, "junk", [1], {"x": 1}])
        return rng.choice(["post_update", "offer_resolution", "change_priority"]), bad, request_id
    event, fields, _ = rng.choices(MIX, weights=[w for *_, w in MIX])[0]
    return event, {"request_id": request_id, "actor": AS_DESK, **fields}, request_id


async def send_one(client: Client, reference: str, event: str, payload: Any) -> str | None:
    try:
        await api.handle_for(client, reference).execute_update(event, payload)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        return cause.type or "Untyped" if isinstance(cause, ApplicationError) else "Untyped"
    except RPCError as err:  # not found: the case has closed (withdrawn), as api.send says
        known = api.refusal(err)
        return known.type if known else "CaseClosed"
    return None


async def run_load(
    client: Client, queue: str, cases: int, updates: int, clients: int, seed: int = 8
) -> dict[str, Any]:
    tag = run_tag()
    references = [f"LOAD-{tag}-{i:05d}" for i in range(cases)]
    gate = asyncio.Semaphore(50)

    async def open_one(reference: str) -> None:
        async with gate:
            intake = sample_case(reference, dt.datetime.now(dt.UTC))
            await api.open_case(client, intake, opened_by=DESK, task_queue=queue)

    began = time.perf_counter()
    await asyncio.gather(*(open_one(r) for r in references))
    open_seconds = time.perf_counter() - began

    load = Load(references)
    connections = [
        await Client.connect(
            client.service_client.config.target_host,
            namespace=client.namespace,
            data_converter=data_converter(),
        )
        for _ in range(clients)
    ]
    counter = iter(range(updates))

    async def lane(number: int, connection: Client) -> None:
        rng = random.Random(seed * 1000 + number)
        for n in counter:
            reference = rng.choice(references)
            event, payload, request_id = one_request(rng, n)
            start = time.perf_counter()
            refused = await send_one(connection, reference, event, payload)
            elapsed = time.perf_counter() - start
            load.outcomes.append(Outcome(reference, event, request_id, elapsed, refused))

    began = time.perf_counter()
    await asyncio.gather(*(lane(i, c) for i, c in enumerate(connections)))
    update_seconds = time.perf_counter() - began
    return {**await verify(client, load), **figures(load, cases, open_seconds, update_seconds)}


async def verify(client: Client, load: Load) -> dict[str, Any]:
    gate = asyncio.Semaphore(50)
    failed_tasks = 0
    missing: list[str] = []
    leaked: list[str] = []

    async def check(reference: str) -> None:
        nonlocal failed_tasks
        async with gate:
            handle = api.handle_for(client, reference)
            history = await handle.fetch_history()
            status = await api.case_status(client, reference)
        failed_tasks += sum(
            1 for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
        )
        recorded = {e.request_id for e in status.timeline}
        for o in load.outcomes:
            if o.reference != reference:
                continue
            if o.refused is None and o.request_id not in recorded:
                missing.append(o.request_id)
            if o.refused is not None and o.request_id in recorded:
                leaked.append(o.request_id)

    await asyncio.gather(*(check(r) for r in load.references))
    typed = {"CaseClosed", "InvalidInput", "InvalidTransition", "NotReady", "ReopenWindowClosed"}
    untyped = [o for o in load.outcomes if o.refused is not None and o.refused not in typed]
    return {
        "workflow_task_failures": failed_tasks,
        "accepted_missing_from_status": len(missing),
        "refused_but_recorded": len(leaked),
        "untyped_refusals": len(untyped),
    }


def figures(load: Load, cases: int, open_seconds: float, update_seconds: float) -> dict[str, Any]:
    latencies = sorted(o.seconds * 1000 for o in load.outcomes)
    accepted = [o for o in load.outcomes if o.refused is None]

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "cases": cases,
        "updates": len(load.outcomes),
        "open_seconds": round(open_seconds, 2),
        "cases_opened_per_s": round(cases / open_seconds, 1),
        "update_seconds": round(update_seconds, 2),
        "updates_per_s": round(len(load.outcomes) / update_seconds, 1),
        "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1.0)},
        "latency_ms_mean": round(statistics.fmean(latencies), 1),
        "accepted": len(accepted),
        "refused_by_type": dict(
            Counter(o.refused for o in load.outcomes if o.refused).most_common()
        ),
    }


async def measure(cases: int, updates: int, clients: int) -> dict[str, Any]:
    async with dev_server() as env:
        client = Client(
            env.client.service_client,
            namespace=env.client.namespace,
            data_converter=data_converter(),
        )
        queue = f"load-{run_tag()}"
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(_env_file=None, webhook_url=None, data_dir=Path(data_dir))
            async with create_worker(client, queue, activities=activities_for(settings, client)):
                report = await run_load(client, queue, cases, updates, clients)
    return {"clients": clients, **report}


def main() -> None:
    defaults = [1000, 5000, 20]
    given = [int(a) for a in sys.argv[1:4]]
    cases, updates, clients = given + defaults[len(given) :]
    report = asyncio.run(measure(cases, updates, clients))
    path = write("load", report)
    lat = report["latency_ms"]
    header = ["cases", "updates", "clients", "opened/s", "updates/s", "p50 ms", "p95 ms", "p99 ms"]
    row = [cases, report["updates"], clients, report["cases_opened_per_s"]]
    row += [report["updates_per_s"], lat["p50"], lat["p95"], lat["p99"]]
    print(table("Load: open cases on one worker, mixed updates", header, [row]))
    print(f"accepted {report['accepted']}; refused {report['refused_by_type']}")
    print(
        f"workflow task failures {report['workflow_task_failures']}; accepted but missing "
        f"{report['accepted_missing_from_status']}; refused but recorded "
        f"{report['refused_but_recorded']}; untyped refusals {report['untyped_refusals']}"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
