"""The codec server the Web UI decodes through: the protocol, the token, CORS."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.common.v1 import Payload

from sims_support.config import Settings
from sims_support.gateway.codec_server import CodecServer, is_loopback, start_for_dev
from sims_support.runtime.devserver import dev_server_command
from sims_support.security.codec import ENCODING, EncryptionCodec, Keyring, new_key
from tests.system.conftest import free_port

KEYRING = Keyring.parse(new_key("k1"))
TOKEN = "operators-only"
UI = "http://localhost:8233"


@pytest.fixture(scope="module")
def server() -> Iterator[CodecServer]:
    with CodecServer(KEYRING, TOKEN, [UI]) as running:
        yield running


def wire(payload: Payload) -> dict[str, object]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


def sealed(text: str) -> Payload:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=text.encode())
    return asyncio.run(EncryptionCodec(KEYRING).encode([plain]))[0]


def post(server: CodecServer, path: str, body: object, **headers: str) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, headers=headers, timeout=5)


BEARER = {"Authorization": f"Bearer {TOKEN}"}


def test_the_ui_decodes_an_encrypted_payload_with_the_token(server: CodecServer) -> None:
    answer = post(server, "/decode", {"payloads": [wire(sealed('"Priya Shah"'))]}, **BEARER)

    assert answer.status_code == 200
    [decoded] = answer.json()["payloads"]
    assert base64.b64decode(decoded["data"]) == b'"Priya Shah"'
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"


def test_encode_then_decode_gives_back_the_payload(server: CodecServer) -> None:
    plain = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": "IjEi"}
    encoded = post(server, "/encode", {"payloads": [plain]}, **BEARER).json()
    assert base64.b64decode(encoded["payloads"][0]["metadata"]["encoding"]) == ENCODING

    decoded = post(server, "/decode", encoded, **BEARER).json()
    assert decoded == {"payloads": [plain]}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", TOKEN, "Basic b3BzOm9wcw=="])
def test_a_caller_without_the_token_gets_401_and_no_data(
    server: CodecServer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = post(server, "/decode", {"payloads": [wire(sealed('"secret"'))]}, **headers)

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "secret" not in answer.text


def test_the_ui_origin_passes_the_cors_preflight_and_others_do_not(server: CodecServer) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    allowed = httpx.options(f"{server.url}/decode", headers=preflight, timeout=5)
    other = httpx.options(
        f"{server.url}/decode", headers={**preflight, "Origin": "https://evil.example"}, timeout=5
    )
    real = post(server, "/decode", {"payloads": []}, Origin=UI, **BEARER)

    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == UI
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert other.status_code == 403 and "Access-Control-Allow-Origin" not in other.headers
    assert real.headers["Access-Control-Allow-Origin"] == UI


def test_bad_bodies_and_unknown_paths_are_refused_plainly(server: CodecServer) -> None:
    assert post(server, "/decode", {"nope": 1}, **BEARER).status_code == 400
    unknown_key = Payload(metadata={"encoding": ENCODING, "encryption-key-id": b"k9"}, data=b"x")
    refused = post(server, "/decode", {"payloads": [wire(unknown_key)]}, **BEARER)
    assert refused.status_code == 400 and "k9" in refused.json()["message"]
    assert post(server, "/other", {}, **BEARER).status_code == 404
    garbage = httpx.post(f"{server.url}/decode", content=b"{", headers=BEARER, timeout=5)
    assert garbage.status_code == 400
    assert json.loads(garbage.text)["message"]


def test_the_dev_ui_is_pointed_at_the_codec_server_only_when_it_runs() -> None:
    command = dev_server_command("temporal", Path("t.db"), 7233, 8233, codec_endpoint="http://x")
    assert command[command.index("--ui-codec-endpoint") + 1] == "http://x"
    assert "--ui-codec-endpoint" not in dev_server_command("temporal", Path("t.db"), 7233, 8233)
    headless = dev_server_command("temporal", Path("t.db"), 7233, None, codec_endpoint="http://x")
    assert "--ui-codec-endpoint" not in headless


def test_only_loopback_hosts_may_run_without_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("codec.internal")


def test_dev_mode_starts_the_codec_server_only_when_keys_are_configured() -> None:
    without = Settings(_env_file=None)  # type: ignore[call-arg]
    keyed = Settings(
        _env_file=None,  # type: ignore[call-arg]
        codec_keys=new_key("dev"),
        codec_port=free_port(),
        dev_ui_port=8299,
    )
    assert start_for_dev(without) is None
    server = start_for_dev(keyed)
    assert server is not None
    try:
        preflight = httpx.options(
            f"{server.url}/decode",
            headers={"Origin": "http://localhost:8299", "Access-Control-Request-Method": "POST"},
            timeout=5,
        )
        assert preflight.status_code == 204  # the dev UI's own origin is allowed
        assert server.token is None and server.url.startswith("http://localhost:")
    finally:
        server.stop()
