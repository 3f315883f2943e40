"""Payload encryption (DESIGN §8): AES-256-GCM with keys from configuration.

Temporal's history holds personal data (contact names and e-mails, error text). Every
payload a client, worker or replayer writes is encrypted here before it leaves the
process; failure messages and stack traces too (the failure converter moves them into
an encoded payload). The key id travels in each payload's metadata, so keys rotate:
the first key of `SIMS_CODEC_KEYS` encrypts, every listed key decrypts.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32


class CodecError(ValueError):
    """A payload this process cannot decrypt, or a key list it cannot read."""


@dataclass(frozen=True)
class Keyring:
    """Key ids and their 256-bit keys, in order: the first one encrypts."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """`keyid:base64key,keyid:base64key`; the message names what is wrong, never a key."""
        keys: list[tuple[str, bytes]] = []
        for number, item in enumerate((p.strip() for p in text.split(",") if p.strip()), 1):
            key_id, sep, encoded = (part.strip() for part in item.partition(":"))
            if not sep or not key_id:
                raise CodecError(f"codec_keys: entry {number} is not keyid:base64key")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise CodecError(f"codec_keys: key {key_id!r} is not valid base64") from None
            if len(key) != KEY_BYTES:
                raise CodecError(
                    f"codec_keys: key {key_id!r} has {len(key)} bytes; AES-256 needs "
                    f"{KEY_BYTES} (make one with: python -m sims_support.security.codec new-key)"
                )
            if key_id in dict(keys):
                raise CodecError(f"codec_keys: key id {key_id!r} is listed twice")
            keys.append((key_id, key))
        if not keys:
            raise CodecError("codec_keys: no key given")
        return cls(tuple(keys))

    @property
    def current(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes:
        found = dict(self.keys).get(key_id)
        if found is None:
            raise CodecError(
                f"payload encrypted with key {key_id!r}, which is not in codec_keys "
                f"(known: {', '.join(k for k, _ in self.keys)})"
            )
        return found


def encrypt(keyring: Keyring, payload: Payload) -> Payload:
    key_id = keyring.current
    nonce = os.urandom(NONCE_BYTES)
    # The key id is authenticated too: a payload cannot be relabelled to another key.
    sealed = AESGCM(keyring.key(key_id)).encrypt(
        nonce, payload.SerializeToString(), key_id.encode()
    )
    return Payload(
        metadata={"encoding": ENCODING, KEY_ID: key_id.encode()},
        data=nonce + sealed,
    )


def decrypt(keyring: Keyring, payload: Payload) -> Payload:
    if not is_encrypted(payload):
        return payload  # written before encryption was turned on: readable as it is
    key_id = payload.metadata.get(KEY_ID, b"").decode()
    nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
    try:
        plain = AESGCM(keyring.key(key_id)).decrypt(nonce, sealed, key_id.encode())
    except InvalidTag:
        raise CodecError(f"payload under key {key_id!r} failed authentication") from None
    decoded = Payload()
    decoded.ParseFromString(plain)
    return decoded


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


class EncryptionCodec(PayloadCodec):
    """With `unencrypted_mark`, a payload that arrives unencrypted is passed on with that
    metadata key set, so the payload converter can refuse it as input (DESIGN §8): a codec
    that raised instead would fail the whole workflow activation, not the one update."""

    def __init__(self, keyring: Keyring, *, unencrypted_mark: str | None = None) -> None:
        self.keyring = keyring
        self.unencrypted_mark = unencrypted_mark

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [encrypt(self.keyring, p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode(p) for p in payloads]

    def _decode(self, payload: Payload) -> Payload:
        if self.unencrypted_mark is None or is_encrypted(payload):
            return decrypt(self.keyring, payload)
        marked = Payload()
        marked.CopyFrom(payload)
        marked.metadata[self.unencrypted_mark] = b"1"
        return marked


def new_key(key_id: str = "k1") -> str:
    """A fresh `keyid:base64key` entry for SIMS_CODEC_KEYS."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="payload encryption keys")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("new-key", help="print a new keyid:base64key entry")
    make.add_argument("key_id", nargs="?", default="k1")
    args = parser.parse_args(argv)
    print(new_key(args.key_id))


if __name__ == "__main__":
    main()
