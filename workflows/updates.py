"""One way to declare a validated update in every workflow shell, and to take a signal.

Workflow code for the shells only: the client and the activities name updates by the
contract's strings (`workflows.contract`) and never import this.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from workflows import metrics

Handler = TypeVar("Handler", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)


class Checks(Protocol):
    """A shell that asks its record whether a request may be applied now."""

    def _check(self, update: str, req: Any) -> None:
        """Raise the refusal (an `ApplicationError`) the caller gets; change nothing."""


def checked_update(handler: Handler) -> Handler:
    """`@workflow.update`, named as the method is, validated by the shell's record.

    Before the update is accepted, its validator calls `self._check(update, req)` with
    the update's name, which in the problem and the change request is also the machine's
    event: a request the record refuses is rejected there and leaves no trace in history,
    so the handler only has to apply it. The method's name is the update's name callers
    send (`workflows.contract`): renaming it renames the update. An update whose
    validator does more than ask the record declares its own `@<update>.validator`.
    """
    update = handler.__name__

    # The SDK asks a validator to take what its handler takes: wrapped, its signature is
    # the handler's (`assigned=()` keeps its own name, and it stays synchronous).
    @functools.wraps(handler, assigned=(), updated=())
    def validator(self: Checks, req: Any) -> None:
        self._check(update, req)

    workflow.update(handler).validator(validator)
    return handler


def received(raw: RawValue, model: type[M], signal: str) -> M | None:
    """A signal's input as `model`; None when it breaks the model's bounds (DESIGN §13):
    dropped and counted (`sims_signals_dropped_total`), never applied.

    A signal handler takes its input raw and calls this, because the SDK drops a signal
    it cannot convert with only a log line. The warning names the fields and what they
    broke (the converter's `InvalidInput`), never what they held."""
    try:
        return workflow.payload_converter().from_payload(raw.payload, model)
    except ApplicationError as err:  # the converter's InvalidInput, naming the fields
        why = err.message
    except Exception as err:  # as the SDK does: any input it cannot convert is dropped
        why = type(err).__name__
    metrics.signal_dropped(signal)
    workflow.logger.warning("signal %s dropped, its input breaks its bounds: %s", signal, why)
    return None
