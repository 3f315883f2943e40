"""A case's record: the news its problem sends, and what falls due on its clocks."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.models import (
    EventKind,
)
from domain.problem_links import NewsKind
from domain.problems import FixVehicle
from tests.case_records import (
    MONDAY,
    Kind,
    escalated,
    investigating,
    kinds,
    logged,
    news,
    offer,
    told,
)
from tests.factories import LONDON

# -- the problem's news -----------------------------------------------------------------


def test_a_released_fix_offers_the_resolution_and_tells_the_integrator() -> None:
    record = escalated()

    heard = record.hear(news(NewsKind.FIX_RELEASED, vehicle=FixVehicle.SERVICE_PACK), MONDAY)

    assert heard and record.state == "resolution_offered"
    assert record.events[-1].kind is EventKind.RESOLUTION_OFFERED
    assert record.events[-1].detail.startswith("service_pack: ")
    assert record.outbox[-1].kind is Kind.RESOLUTION_OFFERED
    assert record.outbox[-1].key == f"case-{record.intake.reference}:n-1"


def test_not_a_defect_sends_the_case_back_to_investigating() -> None:
    record = escalated()

    record.hear(news(NewsKind.NOT_A_DEFECT), MONDAY)

    assert record.state == "investigating"
    assert kinds(record)[-1] is EventKind.INVESTIGATION_RESUMED
    assert told(record)[-1] is Kind.PROBLEM_NEWS


@pytest.mark.parametrize(
    "kind", [NewsKind.REVIEW_SCHEDULED, NewsKind.ACCEPTED_AS_DEFECT, NewsKind.INFORMATION_NEEDED]
)
def test_other_news_is_recorded_and_passed_on_while_the_case_waits(kind: NewsKind) -> None:
    record = escalated()

    record.hear(news(kind), MONDAY)

    assert record.state == "escalated_to_problem"
    assert record.events[-1].kind is EventKind.PROBLEM_NEWS
    assert told(record)[-1] is Kind.PROBLEM_NEWS


def test_stale_news_from_another_problem_is_ignored() -> None:
    record = escalated()
    before = list(record.events)

    heard = record.hear(news(NewsKind.NOT_A_DEFECT, problem="PRB-9"), MONDAY)

    assert not heard
    assert record.events == before and record.state == "escalated_to_problem"


def test_news_heard_twice_is_taken_once() -> None:
    record = escalated()

    record.hear(news(NewsKind.REVIEW_SCHEDULED, news_id="n-5"), MONDAY)
    again = record.hear(news(NewsKind.REVIEW_SCHEDULED, news_id="n-5"), MONDAY)

    assert not again
    assert kinds(record).count(EventKind.PROBLEM_NEWS) == 1
    assert told(record).count(Kind.PROBLEM_NEWS) == 1


# -- what falls due ---------------------------------------------------------------------


def test_a_p3_response_breach_at_its_instant_tells_the_desk() -> None:
    record = logged()
    # Eight working hours from Friday 10:00: Friday's seven, then Monday 08:30 + 1 h.
    breach = dt.datetime(2026, 11, 30, 9, 30, tzinfo=LONDON)

    record.take_due(record.view(breach), breach)

    notice = record.outbox[-1]
    assert (notice.kind, notice.due) == (Kind.RESPONSE_BREACH, breach)
    assert notice.key.startswith(f"case-{record.intake.reference}:response_breach@")
    assert record.events[-1].kind is EventKind.ACTION_TAKEN


def test_nothing_is_taken_before_it_falls_due() -> None:
    record = logged()
    before = dt.datetime(2026, 11, 27, 15, 59, tzinfo=LONDON)

    record.take_due(record.view(before), before)

    assert kinds(record) == [EventKind.LOGGED]


def test_a_resolution_offered_for_ten_working_days_becomes_resolved() -> None:
    record = investigating()
    record.apply(offer(), MONDAY)
    window_closes = dt.datetime(2026, 12, 14, 10, 0, tzinfo=LONDON)

    record.take_due(record.view(window_closes), window_closes)

    assert record.state == "resolved" and record.closed
    assert kinds(record)[-2:] == [EventKind.ACTION_TAKEN, EventKind.RESOLVED]
    assert told(record)[-1] is Kind.RESOLVED
