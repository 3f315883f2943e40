"""Tiny factories for the case record's tests: a case logged, investigating, escalated."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from domain.calendar import WorkingCalendar
from domain.case_record import CaseRecord
from domain.models import (
    Acknowledge,
    ChangePriority,
    EscalateToProblem,
    EventKind,
    OfferResolution,
    OpenCase,
    ResolutionKind,
)
from domain.notifications import NotificationKind
from domain.policy import SupportPolicy
from domain.problem_links import NewsKind, ProblemNews
from domain.workflow_inputs import CaseSetup
from tests.factories import LONDON, intake

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
