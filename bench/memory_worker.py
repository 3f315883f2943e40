"""A worker process for bench.memory: `python -m bench.memory_worker ADDRESS QUEUE CACHE`."""

from __future__ import annotations

import asyncio
import sys

from temporalio.client import Client

from bench.harness import PRODUCTION_CONVERTER, bench_worker


async def main(address: str, queue: str, cache: int) -> None:
    client = await Client.connect(address, data_converter=PRODUCTION_CONVERTER)
    async with bench_worker(client, queue, cache=cache):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
