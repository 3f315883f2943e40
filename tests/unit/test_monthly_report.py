"""The monthly KPI report's rules: which month a run reports, and which of the schedule's
firings (09:00 London on days 1 to 7) does it, by the desk's calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.calendar import CalendarSnapshot, WorkingCalendar
from domain.monthly_report import (
    FIRES_AT,
    FIRST_DAYS,
    LONDON,
    Month,
    MonthlyReportRequest,
    PublishReport,
    firing_day,
    is_working_day,
    month_before,
    month_to_report,
    next_report,
    report_day,
)

ENGLAND = WorkingCalendar.england_and_wales()


def first_days(year: int, month: int) -> CalendarSnapshot:
    first = dt.date(year, month, 1)
    return ENGLAND.snapshot(first, first.replace(day=7))


def firing(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, FIRES_AT, LONDON)


def reported_by_firings(year: int, month: int, calendar: CalendarSnapshot) -> dict[int, Month]:
    """Day of the month -> the month its firing reports, for the firings that report."""
    runs = {d: month_to_report(firing(dt.date(year, month, d)), calendar) for d in FIRST_DAYS}
    return {d: reported for d, reported in runs.items() if reported is not None}


def test_the_report_made_in_january_is_of_december_of_the_year_before() -> None:
    december = month_before(dt.date(2027, 1, 4))

    assert december == Month(year=2026, month=12)
    assert december.label == "2026-12" and str(december) == "December 2026"
    assert december.period().start == dt.datetime(2026, 12, 1, tzinfo=LONDON)
    assert december.period().end == dt.datetime(2027, 1, 1, tzinfo=LONDON)


def test_a_month_is_its_london_days_through_a_change_of_the_clocks() -> None:
    october = Month(year=2026, month=10).period()

    assert october.start.utcoffset() == dt.timedelta(hours=1)  # BST on the 1st
    assert october.end == dt.datetime(2026, 11, 1, tzinfo=LONDON)  # GMT by the 31st
    # Subtracted as instants: one hour more than 31 days of wall-clock time.
    length = october.end.astimezone(dt.UTC) - october.start.astimezone(dt.UTC)
    assert length == dt.timedelta(days=31, hours=1)


@pytest.mark.parametrize(
    ("year", "month", "first_working_day", "why"),
    [
        (2023, 5, 2, "Monday 1 May 2023 is the early May bank holiday"),
        (2027, 1, 4, "New Year's Day 2027 is a Friday, then the weekend"),
        (2022, 1, 4, "1 January 2022 is a Saturday, its substitute Monday the 3rd"),
        (2024, 4, 2, "Monday 1 April 2024 is Easter Monday"),
        (2026, 8, 3, "1 August 2026 is a Saturday"),
        (2026, 5, 1, "Friday 1 May 2026 works: the bank holiday is Monday the 4th"),
        (2026, 6, 1, "Monday 1 June 2026"),
        (2021, 4, 1, "Thursday 1 April 2021 works: Good Friday is the 2nd"),
    ],
)
def test_the_report_is_made_on_the_first_working_day_of_the_month(
    year: int, month: int, first_working_day: int, why: str
) -> None:
    calendar = first_days(year, month)

    assert report_day(Month(year=year, month=month), calendar) == dt.date(
        year, month, first_working_day
    ), why
    assert reported_by_firings(year, month, calendar) == {
        first_working_day: Month(year=year, month=month).previous()
    }


def test_of_the_firings_of_may_2023_only_tuesday_the_2nd_reports_april() -> None:
    calendar = first_days(2023, 5)
    bank_holiday = firing(dt.date(2023, 5, 1))

    assert bank_holiday.astimezone(dt.UTC).hour == 8  # 09:00 BST
    assert month_to_report(bank_holiday, calendar) is None
    assert month_to_report(firing(dt.date(2023, 5, 2)), calendar) == Month(year=2023, month=4)
    assert month_to_report(firing(dt.date(2023, 5, 3)), calendar) is None


@pytest.mark.parametrize(
    ("asked_at", "reported"),
    [
        (dt.datetime(2026, 12, 15, 14, 23, 7, tzinfo=LONDON), (2026, 11)),
        (dt.datetime(2027, 1, 2, 10, 15, tzinfo=LONDON), (2026, 12)),  # a Saturday
        (dt.datetime(2023, 5, 1, 9, 0, 1, tzinfo=LONDON), (2023, 4)),  # the bank holiday
        (dt.datetime(2026, 12, 20, 9, 0, tzinfo=LONDON), (2026, 11)),  # 09:00, not days 1-7
        # 00:30 on 1 December in London is still 30 November in UTC.
        (dt.datetime(2026, 12, 1, 0, 30, tzinfo=LONDON), (2026, 11)),
    ],
)
def test_a_run_triggered_by_hand_reports_the_month_before_whatever_the_day(
    asked_at: dt.datetime, reported: tuple[int, int]
) -> None:
    calendar = first_days(asked_at.year, asked_at.month)

    assert firing_day(asked_at) is None
    assert month_to_report(asked_at, calendar) == Month(year=reported[0], month=reported[1])


def test_a_desk_closed_all_the_first_week_reports_on_the_seventh() -> None:
    closed = CalendarSnapshot(closures=tuple(dt.date(2026, 12, d) for d in FIRST_DAYS))

    assert report_day(Month(year=2026, month=12), closed) == dt.date(2026, 12, 7)
    assert reported_by_firings(2026, 12, closed) == {7: Month(year=2026, month=11)}


@pytest.mark.parametrize(
    ("after", "at", "reported"),
    [
        (dt.datetime(2026, 12, 2, 4, 49, tzinfo=dt.UTC), dt.datetime(2027, 1, 4, 9), (2026, 12)),
        (dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 9), (2026, 11)),
        (dt.datetime(2023, 5, 2, 8, tzinfo=dt.UTC), dt.datetime(2023, 6, 1, 9), (2023, 5)),
    ],
)
def test_the_next_report_is_on_the_next_first_working_day_still_ahead(
    after: dt.datetime, at: dt.datetime, reported: tuple[int, int]
) -> None:
    first = after.astimezone(LONDON).date().replace(day=1)
    calendar = ENGLAND.snapshot(first, first + dt.timedelta(days=40))

    assert next_report(after, calendar) == (
        at.replace(tzinfo=LONDON),
        Month(year=reported[0], month=reported[1]),
    )


def test_a_schedule_must_send_its_report_somewhere() -> None:
    with pytest.raises(ValidationError, match="a folder, the webhook or both"):
        MonthlyReportRequest()

    assert MonthlyReportRequest(webhook=True).output_dir is None


def test_the_webhook_id_names_the_month_and_the_run() -> None:
    request = PublishReport(
        month=Month(year=2026, month=11),
        as_of=dt.datetime(2026, 12, 1, 9, 0, 2, tzinfo=LONDON),
        request=MonthlyReportRequest(webhook=True),
    )

    assert request.key == "kpi-2026-11-20261201T090002Z"


months = st.builds(Month, year=st.integers(1900, 2200), month=st.integers(1, 12))
weekdays = st.sets(st.integers(0, 6), min_size=1).map(lambda days: tuple(sorted(days)))


@given(month=months, closed=st.sets(st.sampled_from(FIRST_DAYS)), open_on=weekdays)
def test_every_month_is_reported_once_of_its_firings_on_its_first_working_day(
    month: Month, closed: set[int], open_on: tuple[int, ...]
) -> None:
    days = [month.first_day.replace(day=d) for d in FIRST_DAYS]
    calendar = CalendarSnapshot(closures=tuple(days[d - 1] for d in closed), weekdays=open_on)

    reports = reported_by_firings(month.year, month.month, calendar)

    [(day, reported)] = reports.items()
    assert reported == month.previous()
    assert reported.period().end == month.period().start
    working = [d.day for d in days if is_working_day(d, calendar)]
    assert day == (working[0] if working else FIRST_DAYS[-1])


@given(month=months)
def test_by_the_bank_holidays_the_report_day_is_the_first_working_day(month: Month) -> None:
    calendar = first_days(month.year, month.month)

    day = report_day(month, calendar)

    assert day.weekday() < 5 and day not in calendar.closures
    assert all(
        d.weekday() >= 5 or d in calendar.closures
        for d in (month.first_day.replace(day=n) for n in range(1, day.day))
    )


@given(
    moment=st.datetimes(
        min_value=dt.datetime(1901, 1, 1),
        max_value=dt.datetime(2199, 12, 31),
        timezones=st.just(LONDON),
    )
)
def test_a_run_at_any_other_instant_reports_the_month_before_its_london_day(
    moment: dt.datetime,
) -> None:
    calendar = CalendarSnapshot()

    reported = month_to_report(moment, calendar)

    if firing_day(moment) is None:
        assert reported == Month.of(moment.date()).previous()
        assert reported.period().end <= moment < reported.following().period().end
    else:
        assert reported in (None, Month.of(moment.date()).previous())
