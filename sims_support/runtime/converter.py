"""The production data converter, for clients, workers and replayers alike.

Pydantic models in and out (DESIGN §11), with two additions:

- strict about input: a payload that is not a valid model (a raw dict with a misspelt
  field, a wrong type, JSON null where a model is due) is refused as an
  `ApplicationError` of type `InvalidInput` naming the fields. Sent as an update, the
  update is rejected and nothing is written; sent as a workflow's input, the workflow
  fails at once instead of retrying a workflow task that can never succeed;
- encrypted when keys are configured (`sims_support/security/codec.py`), failure messages
  included; a worker with keys refuses input that arrives unencrypted (`for_worker`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.contrib.pydantic import (
    PydanticJSONPlainPayloadConverter,
    PydanticPayloadConverter,
    pydantic_data_converter,
)
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
)
from temporalio.exceptions import ApplicationError

if TYPE_CHECKING:
    from sims_support.security.codec import Keyring


INVALID_INPUT = "InvalidInput"
MAX_PROBLEMS = 5
# Set by the worker's codec on a payload that reached it without encryption.
UNENCRYPTED = "sims-unencrypted"


def invalid_input(err: ValidationError) -> ApplicationError:
    parts = []
    for problem in err.errors()[:MAX_PROBLEMS]:
        field = ".".join(str(p) for p in problem["loc"]) or err.title
        parts.append(f"{field}: {problem['msg'].removeprefix('Value error, ')}")
    more = len(err.errors()) - MAX_PROBLEMS
    message = "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    return ApplicationError(message, type=INVALID_INPUT, non_retryable=True)


# The SDK builds a new payload converter for every workflow activation (one data converter
# per serialization context), and a new pydantic JSON converter compiles a serializer and
# starts an empty type-adapter cache: every activation rebuilt the adapters it needed.
# The converters hold no per-context state (the SDK passes the context to `with_context`,
# which these do not take), and pydantic's serializer and adapters are thread-safe: one
# set serves them all.
_JSON = PydanticJSONPlainPayloadConverter()
_CONVERTERS = tuple(
    _JSON if isinstance(c, JSONPlainPayloadConverter) else c
    for c in DefaultPayloadConverter.default_encoding_payload_converters
)


class StrictPayloadConverter(PydanticPayloadConverter):
    def __init__(self) -> None:
        CompositePayloadConverter.__init__(self, *_CONVERTERS)

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        hints = type_hints or []
        for index, payload in enumerate(payloads):
            # A signal handler takes its input raw and converts it itself (through here, so
            # refused then, and counted: `workflows.updates.received`).
            raw = index < len(hints) and hints[index] is RawValue
            if UNENCRYPTED in payload.metadata and not raw:
                raise not_encrypted(index)
        try:
            values = super().from_payloads(payloads, type_hints)
        except ValidationError as err:
            raise invalid_input(err) from None
        except KeyError as err:  # an encoding nobody here writes
            raise ApplicationError(str(err), type=INVALID_INPUT, non_retryable=True) from None
        for index, (value, hint) in enumerate(zip(values, type_hints or [], strict=False)):
            if value is None and isinstance(hint, type) and issubclass(hint, BaseModel):
                raise ApplicationError(
                    f"argument {index + 1}: {hint.__name__} is required, not null",
                    type=INVALID_INPUT,
                    non_retryable=True,
                )
        return values


def not_encrypted(index: int) -> ApplicationError:
    return ApplicationError(
        f"argument {index + 1} is not encrypted: this worker takes only payloads encrypted "
        "with its SIMS_CODEC_KEYS; send it from a client configured with the same keys",
        type=INVALID_INPUT,
        non_retryable=True,
    )


def data_converter(
    keyring: Keyring | None = None, *, refuse_plaintext: bool = False
) -> DataConverter:
    """Pydantic and strict; encrypted, failure messages included, when keys are given;
    with `refuse_plaintext` too, what arrives unencrypted is refused (a worker's view)."""
    strict = dataclasses.replace(
        pydantic_data_converter, payload_converter_class=StrictPayloadConverter
    )
    if keyring is None:
        return strict
    return dataclasses.replace(
        strict,
        payload_codec=_encryption(keyring, refuse_plaintext),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def for_worker(client: Client, *, accept_plaintext: bool = False) -> Client:
    """The worker's view of `client`'s connection: with keys, a workflow or update input
    that arrives unencrypted is refused as `InvalidInput` (DESIGN §8), unless
    `accept_plaintext` (cases opened before encryption, still open, replay plaintext).
    Clients, the CLI among them, keep reading plaintext that is already in history."""
    config = client.config()
    codec = config["data_converter"].payload_codec
    if accept_plaintext or codec is None:
        return client
    from sims_support.security.codec import EncryptionCodec

    if not isinstance(codec, EncryptionCodec) or codec.unencrypted_mark is not None:
        return client
    config["data_converter"] = dataclasses.replace(
        config["data_converter"], payload_codec=_encryption(codec.keyring, refuse_plaintext=True)
    )
    return Client(**config)


def _encryption(keyring: Keyring, refuse_plaintext: bool) -> PayloadCodec:
    # Only a process with keys pays for the cryptography import.
    from sims_support.security.codec import EncryptionCodec

    return EncryptionCodec(keyring, unencrypted_mark=UNENCRYPTED if refuse_plaintext else None)
