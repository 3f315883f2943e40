"""How much a lifecycle's log may hold (DESIGN §13): `max_events` events, `max_log_text`
bytes of text. Past either a new request is refused `CaseTooLarge` (a problem's
`ProblemTooLarge`), naming the limit;
what the product records itself (timer actions, news) still goes in (pure).

Text is counted as the log carries it into continue-as-new: JSON, UTF-8, so a quote, a
backslash, a newline or a tab is two bytes. Counted as bare UTF-8, a log of quotes or
newlines carried twice its limit: 2.01 MiB, past Temporal's 2 MiB payload limit, so the
case could not continue as new."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel

from domain.policy import SupportPolicy
from domain.refusals import CaseTooLarge, Refusal


class Logged(Protocol):
    @property
    def detail(self) -> str: ...


# The standard library's escaping is pydantic's (quote, backslash, control characters;
# nothing else, non-ASCII written as it is): one C pass, the quotes around it not counted.
_escaped = json.encoder.encode_basestring


def carried_size(text: str) -> int:
    """The bytes `text` takes in the JSON a log is carried in."""
    return len(_escaped(text).encode()) - 2


def request_text(request: BaseModel) -> int:
    """The text a request brings to the log: its string fields, as carried."""
    return sum(carried_size(v) for v in request.model_dump().values() if isinstance(v, str))


def log_text(events: Sequence[Logged]) -> int:
    return sum(carried_size(event.detail) for event in events)


def check_room(
    what: str,
    events: Sequence[Logged],
    policy: SupportPolicy,
    adding: int = 0,
    too_large: type[Refusal] = CaseTooLarge,
) -> None:
    """Raise `too_large` unless one more event, with `adding` bytes of text, fits."""
    if len(events) + 1 > policy.max_events:
        raise too_large(
            f"max_events: {what} holds {len(events)} events, the most it keeps "
            f"({policy.max_events}); open a new one quoting it"
        )
    total = log_text(events) + adding
    if total > policy.max_log_text:
        raise too_large(
            f"max_log_text: {what} would hold {total} bytes of text, more than it keeps "
            f"({policy.max_log_text}); open a new one quoting it, or send less"
        )
