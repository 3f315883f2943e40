"""The codec server's edge, over raw sockets (an HTTP client would not lie): a missing,
negative or non-numeric Content-Length, a body over the cap, idle and slow connections,
a foreign Host in tokenless mode, and a bad setting at start."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sims_support.gateway.codec_server import (
    BODY_TIMEOUT,
    IDLE_TIMEOUT,
    MAX_BODY,
    CodecServer,
    main,
)
from sims_support.security.codec import ENCODING, Keyring, new_key
from tests.system.conftest import free_port

KEYRING = Keyring.parse(new_key("k1"))
TOKEN = "operators-only"
MiB = 1024 * 1024
EMPTY = b'{"payloads": []}'
PLAIN = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "MQ=="}]}
ONCE = "Connection: close"  # raw() reads until the server closes


def raw(
    port: int, head: bytes, body: int = 0, *, chunked: bool = False, wait: float = 10.0
) -> tuple[bytes, int]:
    """Send a request head, then up to `body` bytes of body (as chunks if `chunked`) until
    the server stops taking them; what it answered (b"" when it just closed) and the
    bytes it took."""
    block = b"x" * MiB
    frame = b"%x\r\n%s\r\n" % (len(block), block) if chunked else block
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head)
        try:
            while sent < body:
                sock.sendall(frame)
                sent += len(block)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server refused the rest: what it answered, if anything, is below
        return _read_all(sock), sent


def _read_all(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass  # closed with our bytes unread: a reset may discard the answer in flight
    return answer


def status(answer: bytes) -> int | None:
    """The first answer's status; None when the server closed without one."""
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def head(port: int, *lines: str, path: str = "/decode", host: str | None = None) -> bytes:
    fields = [f"POST {path} HTTP/1.1", f"Host: {host or f'localhost:{port}'}", *lines]
    return ("\r\n".join(fields) + "\r\n\r\n").encode()


BEARER = f"Authorization: Bearer {TOKEN}"


@pytest.fixture(scope="module")
def server() -> Iterator[CodecServer]:
    with CodecServer(KEYRING, TOKEN, idle_timeout=1, body_timeout=1) as running:
        yield running


@pytest.mark.parametrize(
    ("length", "refused_with"),
    [("-1", {400}), ("abc", {400}), ("1e3", {400}), (" 12 34", {400}), (None, {411})],
)
def test_a_negative_missing_or_non_numeric_length_is_refused_before_any_body(
    server: CodecServer, length: str | None, refused_with: set[int]
) -> None:
    lines = [BEARER] + ([f"Content-Length: {length}"] if length is not None else [])
    answer, _ = raw(server.port, head(server.port, *lines), body=2 * MiB)

    assert status(answer) in refused_with | {None}
    assert b"payloads" not in answer


def test_a_body_claimed_over_the_cap_is_refused_at_once(server: CodecServer) -> None:
    claim = head(server.port, BEARER, f"Content-Length: {MAX_BODY + 1}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(claim)
        answer = _read_all(sock)  # nothing of the body sent: refused on the claim alone

    assert status(answer) == 413


def test_a_chunked_body_is_cut_off_once_it_passes_the_cap(server: CodecServer) -> None:
    lines = (BEARER, "Transfer-Encoding: chunked")
    answer, sent = raw(server.port, head(server.port, *lines), body=40 * MiB, chunked=True)

    assert status(answer) in {413, None}
    assert sent < 40 * MiB  # the server stopped taking it


def test_a_body_shorter_than_its_claim_is_refused_and_the_rest_is_not_a_request(
    server: CodecServer,
) -> None:
    answer, _ = raw(server.port, head(server.port, BEARER, "Content-Length: 10"), body=2 * MiB)

    assert status(answer) == 400  # ten bytes of x are not a payload list
    assert answer.count(b"HTTP/1.1 ") <= 2  # and the megabytes after them one bad request


def test_a_body_that_stops_arriving_gets_408(server: CodecServer) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head(server.port, BEARER, "Content-Length: 100") + b'{"payloads"')
        answer = _read_all(sock)

    assert status(answer) == 408
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("trickle", [b"", b"POST /decode HTTP/1.1\r\nHost: local"])
def test_a_connection_without_a_whole_request_head_is_closed(
    server: CodecServer, trickle: bytes
) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        try:
            for byte in trickle:  # a byte at a time: no byte buys it more time
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed = _read_all(sock) == b""

    assert closed and time.monotonic() - started < 4.5


def test_a_kept_alive_connection_is_closed_once_idle(server: CodecServer) -> None:
    request = head(server.port, BEARER, f"Content-Length: {len(EMPTY)}") + EMPTY
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        started = time.monotonic()
        answer = _read_all(sock)  # the answer, then the close once the connection is idle

    assert status(answer) == 200 and answer.count(b"HTTP/1.1 ") == 1
    assert 0.9 < time.monotonic() - started < 3


@pytest.fixture(scope="module")
def tokenless() -> Iterator[CodecServer]:
    with CodecServer(KEYRING, None, ("http://localhost:8233",), "127.0.0.1") as running:
        yield running


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "localhost", "localhost:1", "127.0.0.2:{port}"]
)
def test_without_a_token_a_foreign_host_is_refused(tokenless: CodecServer, host: str) -> None:
    """A page on evil.example rebound to 127.0.0.1 reaches loopback, but names its host."""
    port = tokenless.port
    lines = (f"Content-Length: {len(EMPTY)}", "Origin: http://localhost:8233", ONCE)
    answer, _ = raw(port, head(port, *lines, host=host.format(port=port)) + EMPTY)

    assert status(answer) == 400
    assert b"payloads" not in answer and b"Access-Control-Allow-Origin" not in answer


@pytest.mark.parametrize("host", ["localhost:{port}", "LOCALHOST:{port}", "127.0.0.1:{port}"])
def test_without_a_token_the_loopback_names_are_answered(tokenless: CodecServer, host: str) -> None:
    port = tokenless.port
    answer, _ = raw(
        port, head(port, f"Content-Length: {len(EMPTY)}", ONCE, host=host.format(port=port)) + EMPTY
    )

    assert status(answer) == 200


def test_without_a_token_the_ipv6_loopback_is_answered_by_its_name() -> None:
    try:
        server = CodecServer(KEYRING, None, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server:
        answer = httpx.post(f"{server.url}/encode", json=PLAIN, timeout=5)
        foreign = httpx.post(
            f"{server.url}/encode", json=PLAIN, headers={"Host": "evil.example"}, timeout=5
        )

    assert server.url == f"http://[::1]:{server.port}"
    assert answer.status_code == 200 and foreign.status_code == 400
    assert base64.b64decode(answer.json()["payloads"][0]["metadata"]["encoding"]) == ENCODING


def test_with_a_token_any_host_reaches_the_token_check(server: CodecServer) -> None:
    port = server.port
    lines = (f"Content-Length: {len(EMPTY)}", ONCE)
    answer, _ = raw(port, head(port, *lines, host="codec.example") + EMPTY)

    assert status(answer) == 401  # behind a proxy the Host is the proxy's: the token decides


def test_without_a_token_the_server_will_not_listen_beyond_loopback() -> None:
    with pytest.raises(ValueError, match="SIMS_CODEC_TOKEN"):
        CodecServer(KEYRING, None, host="0.0.0.0")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> pytest.MonkeyPatch:
    import os

    for name in [n for n in os.environ if n.startswith("SIMS_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no .env of the developer's
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "argv", "names"),
    [
        ({"SIMS_CODEC_PORT": "abc"}, [], "codec_port"),
        ({"SIMS_CODEC_KEYS": "k1:not-base64"}, [], "codec_keys"),
        ({}, [], "SIMS_CODEC_KEYS"),
        ({"SIMS_CODEC_KEYS": new_key()}, ["--host", "0.0.0.0"], "SIMS_CODEC_TOKEN"),
        ({"SIMS_CODEC_KEYS": new_key()}, ["--port", "70000"], "70000"),
    ],
)
def test_a_bad_setting_stops_main_with_one_line(
    clean_env: pytest.MonkeyPatch, env: dict[str, str], argv: list[str], names: str
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        main(argv)

    message = str(stopped.value.code)
    assert message.startswith("codec_server: ") and names in message
    assert "\n" not in message and "Traceback" not in message


def test_a_port_already_taken_stops_main_with_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SIMS_CODEC_KEYS", new_key())
    port = free_port()
    with socket.create_server(("127.0.0.1", port)), pytest.raises(SystemExit) as stopped:
        main(["--port", str(port)])

    message = str(stopped.value.code)
    assert message.startswith("codec_server: ") and str(port) in message and "\n" not in message


def test_the_readme_states_the_limits_the_code_keeps() -> None:
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())

    assert f"a body is at most {MAX_BODY // MiB} MiB" in readme
    assert f"within {IDLE_TIMEOUT} s of opening" in readme
    assert f"a body must arrive within {BODY_TIMEOUT} s" in readme
