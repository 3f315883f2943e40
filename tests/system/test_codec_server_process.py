"""The codec server as an operator runs it (`python -m sims_support.gateway.codec_server`),
watched from outside: its peak memory while 150 MB arrive behind lying headers, and its
threads while 200 connections sit idle."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sims_support.gateway.codec_server import IDLE_TIMEOUT, MAX_BODY
from sims_support.security.codec import new_key
from tests.system.conftest import free_port
from tests.unit.test_codec_server_limits import MiB, head, raw, status

TOKEN = "operators-only"
BEARER = f"Authorization: Bearer {TOKEN}"
OFFERED = 150 * MiB


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int

    def status_field(self, name: str) -> int:
        """A figure of /proc/PID/status: VmHWM (peak RSS, KiB), VmRSS, Threads."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == name:
                return int(value.split()[0])
        raise KeyError(name)

    def decode_nothing(self) -> httpx.Response:
        return httpx.post(
            f"http://localhost:{self.port}/decode",
            json={"payloads": []},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )


@pytest.fixture
def codec(tmp_path: Path) -> Iterator[Running]:
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the server's figures from /proc")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMS_")}
    env |= {"SIMS_CODEC_KEYS": new_key(), "SIMS_CODEC_TOKEN": TOKEN, "SIMS_CODEC_PORT": str(port)}
    command = [sys.executable, "-m", "sims_support.gateway.codec_server"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL)
    running = Running(process, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if running.decode_nothing().status_code == 200:  # warm: imports done
                    break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        process.wait(10)


def chunked(port: int) -> bytes:
    return head(port, BEARER, "Transfer-Encoding: chunked")


LIES = {
    "a negative length": lambda port: head(port, BEARER, "Content-Length: -1"),
    "a non-numeric length": lambda port: head(port, BEARER, "Content-Length: abc"),
    "no length": lambda port: head(port, BEARER),
    "a length over the cap": lambda port: head(port, BEARER, f"Content-Length: {OFFERED}"),
    "a length far short of the body": lambda port: head(port, BEARER, "Content-Length: 10"),
    "a chunked body": chunked,
}


def test_150_mb_behind_lying_headers_leave_the_servers_memory_flat(codec: Running) -> None:
    before = codec.status_field("VmHWM")
    taken = {}
    for lie, make in LIES.items():
        answer, sent = raw(codec.port, make(codec.port), OFFERED, chunked=make is chunked)
        assert status(answer) in {None, 400, 411, 413}, lie
        taken[lie] = sent
    growth = codec.status_field("VmHWM") - before
    print(f"\npeak RSS before {before} KiB, after {before + growth} KiB (+{growth} KiB)")
    print("bytes taken before the refusal:", taken)

    assert growth * 1024 < 3 * MAX_BODY  # against 6 x 150 MB offered
    assert codec.decode_nothing().status_code == 200  # and it still answers


def test_200_idle_connections_hold_no_threads_and_are_timed_out(codec: Running) -> None:
    threads_before = codec.status_field("Threads")
    silent = [socket.create_connection(("127.0.0.1", codec.port)) for _ in range(100)]
    half = [socket.create_connection(("127.0.0.1", codec.port)) for _ in range(100)]
    for sock in half:
        sock.sendall(f"POST /decode HTTP/1.1\r\nHost: localhost:{codec.port}\r\n".encode())
    time.sleep(0.5)
    threads_held = codec.status_field("Threads")
    answered = codec.decode_nothing()
    print(f"\nthreads before {threads_before}, with 200 idle connections {threads_held}")

    try:
        deadline = time.monotonic() + IDLE_TIMEOUT + 5
        for sock in silent + half:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            assert sock.recv(1024) == b"", "an idle connection was kept open"
    finally:
        for sock in silent + half:
            sock.close()

    assert answered.status_code == 200
    assert threads_held <= threads_before + 1
