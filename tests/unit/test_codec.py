"""Payload encryption: AES-256-GCM, key id in the metadata, keys that rotate."""

from __future__ import annotations

import asyncio
import base64

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes

from sims_support.config import Settings
from sims_support.runtime.converter import StrictPayloadConverter, data_converter
from sims_support.security.codec import (
    ENCODING,
    KEY_ID,
    CodecError,
    EncryptionCodec,
    Keyring,
    new_key,
)

OLD, NEW = new_key("2025"), new_key("2026")


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def roundtrip(encrypting: Keyring, decrypting: Keyring, payload: Payload) -> Payload:
    sealed = asyncio.run(EncryptionCodec(encrypting).encode([payload]))
    return asyncio.run(EncryptionCodec(decrypting).decode(sealed))[0]


def test_an_encrypted_payload_carries_its_key_id_and_no_plaintext() -> None:
    keyring = Keyring.parse(OLD)
    [sealed] = asyncio.run(EncryptionCodec(keyring).encode([plain('{"name":"Priya Shah"}')]))

    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"2025"
    assert b"Priya" not in sealed.data
    assert roundtrip(keyring, keyring, plain("x")) == plain("x")


def test_after_a_rotation_the_new_key_encrypts_and_the_old_one_still_decrypts() -> None:
    before, after = Keyring.parse(OLD), Keyring.parse(f"{NEW},{OLD}")
    [old_payload] = asyncio.run(EncryptionCodec(before).encode([plain("logged last year")]))
    [new_payload] = asyncio.run(EncryptionCodec(after).encode([plain("logged today")]))

    assert asyncio.run(EncryptionCodec(after).decode([old_payload]))[0] == plain("logged last year")
    assert new_payload.metadata[KEY_ID] == b"2026"
    with pytest.raises(CodecError, match="key '2026', which is not in codec_keys"):
        asyncio.run(EncryptionCodec(before).decode([new_payload]))


def test_a_tampered_or_relabelled_payload_is_refused() -> None:
    keyring = Keyring.parse(f"{NEW},{OLD.replace('2025', 'other')}")
    [sealed] = asyncio.run(EncryptionCodec(keyring).encode([plain("x")]))
    flipped = bytes([sealed.data[-1] ^ 1])  # always a change (a fixed byte may be there)
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + flipped)
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"other"}, data=sealed.data)

    for bad in (tampered, relabelled):
        with pytest.raises(CodecError, match="failed authentication"):
            asyncio.run(EncryptionCodec(keyring).decode([bad]))


def test_payloads_written_before_encryption_was_turned_on_still_read() -> None:
    keyring = Keyring.parse(OLD)
    assert asyncio.run(EncryptionCodec(keyring).decode([plain("old")])) == [plain("old")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no key given"),
        ("justakey", "entry 1 is not keyid:base64key"),
        ("k1:not base64!", "key 'k1' is not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "has 5 bytes; AES-256 needs 32"),
        (f"{OLD},{OLD}", "key id '2025' is listed twice"),
    ],
)
def test_a_bad_key_list_is_refused_naming_the_entry_but_never_the_key(
    text: str, message: str
) -> None:
    with pytest.raises(CodecError, match=message) as refused:
        Keyring.parse(text)
    assert OLD.split(":")[1] not in str(refused.value)


def test_the_settings_refuse_a_bad_key_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMS_CODEC_KEYS", "k1:c2hvcnQ=")
    with pytest.raises(ValueError, match="codec_keys: key 'k1' has 5 bytes"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_production_converter_encrypts_payloads_and_failure_messages_when_keyed() -> None:
    assert data_converter(None).payload_codec is None
    keyed = data_converter(Keyring.parse(OLD))
    assert isinstance(keyed.payload_codec, EncryptionCodec)
    assert keyed.failure_converter_class is DefaultFailureConverterWithEncodedAttributes
    # Still the pydantic converter underneath (models in, models out), strict about input.
    assert issubclass(keyed.payload_converter_class, PydanticPayloadConverter)
    assert keyed.payload_converter_class is StrictPayloadConverter
