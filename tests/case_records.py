"""Tiny factories for the case record's tests: a case logged, investigating, escalated."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any, Protocol

from domain.calendar import WorkingCalendar
from domain.case_record import CaseRecord
from domain.models import (
    Acknowledge,
    ChangePriority,
    EscalateToProblem,
    EventKind,
    OfferResolution,
    OpenCase,
    PostUpdate,
    ResolutionKind,
)
from domain.notifications import NotificationKind
from domain.policy import SupportPolicy
from domain.problem_links import NewsKind, ProblemNews
from domain.refusals import CaseTooLarge
from domain.workflow_inputs import CaseSetup
from sims_support.runtime.converter import data_converter
from tests.factories import DESK, LONDON, intake

# Late 2026 in London, no bank holiday near: Fri 27 Nov ... Mon 14 Dec.
LOGGED = dt.datetime(2026, 11, 27, 10, 0, tzinfo=LONDON)
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)
SETUP = CaseSetup(
    policy=SupportPolicy(),
    calendar=WorkingCalendar.england_and_wales().snapshot(
        dt.date(2026, 11, 1), dt.date(2027, 12, 31)
    ),
)
PROBLEM = "PRB-7"
_ids = itertools.count(1)
Kind = NotificationKind


def rid() -> str:
    return f"r-{next(_ids)}"


# What a record carries into continue-as-new, as the worker's converter writes it.
TEMPORAL_PAYLOAD_LIMIT = 2 * 1024 * 1024  # the server refuses a larger payload
CONVERTER = data_converter(None).payload_converter


class Carries(Protocol):
    def carried(self, history_threshold: int | None = None) -> Any: ...


def carried_bytes(record: Carries) -> int:
    return len(CONVERTER.to_payloads([record.carried(400)])[0].data)


def filled(record: CaseRecord, message: str, ids: Iterator[str] | None = None) -> int:
    """Internal notes of `message` until the log refuses one; how many it took."""
    taken = 0
    while True:
        note = PostUpdate(
            request_id=next(ids) if ids else rid(),
            message=message,
            actor=DESK,
            visibility="internal",
        )
        try:
            record.admit(note)
        except CaseTooLarge:
            return taken
        record.apply(note, LOGGED)
        taken += 1


def logged(case: OpenCase | None = None) -> CaseRecord:
    record = CaseRecord(case or intake(logged_at=LOGGED))
    record.load(SETUP)
    record.log(LOGGED)
    return record


def investigating(case: OpenCase | None = None) -> CaseRecord:
    record = logged(case)
    record.apply(Acknowledge(request_id=rid(), message="looking into it"), LOGGED)
    return record


def escalated() -> CaseRecord:
    record = investigating()
    record.apply(EscalateToProblem(request_id=rid(), problem_reference=PROBLEM), LOGGED)
    return record


def offer(kind: str = "workaround") -> OfferResolution:
    return OfferResolution(
        request_id=rid(), kind=ResolutionKind(kind), summary="clear the marks cache"
    )


def raise_to_p1() -> ChangePriority:
    return ChangePriority(request_id=rid(), impact=1, urgency=1, reason="every school is down")


def news(
    kind: NewsKind, news_id: str = "n-1", problem: str = PROBLEM, **fields: Any
) -> ProblemNews:
    message = f"problem {problem}: {kind.value.replace('_', ' ')}"
    return ProblemNews(
        news_id=news_id, problem_reference=problem, kind=kind, message=message, **fields
    )


def kinds(record: CaseRecord) -> list[EventKind]:
    return [e.kind for e in record.events]


def told(record: CaseRecord) -> list[NotificationKind]:
    return [n.kind for n in record.outbox]
