"""How much a lifecycle's log may hold (DESIGN §13): `max_events` events, `max_log_text`
bytes of text. Past either a new request is refused `CaseTooLarge`, naming the limit;
what the product records itself (timer actions, news) still goes in (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel

from domain.policy import SupportPolicy
from domain.refusals import CaseTooLarge


class Logged(Protocol):
    @property
    def detail(self) -> str: ...


def request_text(request: BaseModel) -> int:
    """The text a request brings to the log: its string fields, in UTF-8 bytes."""
    return sum(len(v.encode()) for v in request.model_dump().values() if isinstance(v, str))


def log_text(events: Sequence[Logged]) -> int:
    return sum(len(event.detail.encode()) for event in events)


def check_room(what: str, events: Sequence[Logged], policy: SupportPolicy, adding: int = 0) -> None:
    """Raise unless one more event, with `adding` bytes of text, fits in the log."""
    if len(events) + 1 > policy.max_events:
        raise CaseTooLarge(
            f"max_events: {what} holds {len(events)} events, the most it keeps "
            f"({policy.max_events}); open a new one quoting it"
        )
    total = log_text(events) + adding
    if total > policy.max_log_text:
        raise CaseTooLarge(
            f"max_log_text: {what} would hold {total} bytes of text, more than it keeps "
            f"({policy.max_log_text}); open a new one quoting it, or send less"
        )
