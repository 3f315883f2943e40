import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WORKING_DAY, CalendarSnapshot, WorkingCalendar

LONDON = ZoneInfo("Europe/London")
HOUR = dt.timedelta(hours=1)
US = dt.timedelta(microseconds=1)
CALENDAR = WorkingCalendar.england_and_wales()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_a_target_set_on_friday_afternoon_runs_over_the_weekend_to_monday() -> None:
    assert CALENDAR.add_working_time(at(2025, 3, 7, 16), 2 * HOUR) == at(2025, 3, 10, 9, 30)
    assert not CALENDAR.is_working_time(at(2025, 3, 8, 12))
    assert CALENDAR.next_working_instant(at(2025, 3, 9, 12)) == at(2025, 3, 10, 8, 30)
    assert CALENDAR.working_time_between(at(2025, 3, 8), at(2025, 3, 10)) == dt.timedelta(0)


def test_a_p1_target_running_out_at_closing_falls_due_at_five_pm() -> None:
    assert CALENDAR.add_working_time(at(2025, 3, 4, 13), 4 * HOUR) == at(2025, 3, 4, 17)
    assert CALENDAR.add_working_days(at(2025, 3, 4, 8, 30), 1) == at(2025, 3, 4, 17)
    assert CALENDAR.add_working_days(at(2025, 3, 4, 7), 10) == at(2025, 3, 17, 17)


def test_a_zero_target_falls_due_the_moment_the_case_is_logged() -> None:
    logged_on_saturday = at(2025, 3, 8, 10, 7)

    assert CALENDAR.add_working_time(logged_on_saturday, dt.timedelta(0)) == logged_on_saturday


def test_a_case_logged_before_opening_starts_the_clock_at_half_past_eight() -> None:
    assert CALENDAR.add_working_time(at(2025, 3, 4, 7), HOUR) == at(2025, 3, 4, 9, 30)
    assert CALENDAR.is_working_time(at(2025, 3, 4, 8, 30))
    assert CALENDAR.working_time_between(at(2025, 3, 4, 7), at(2025, 3, 4, 9)) == HOUR / 2


def test_a_case_logged_after_closing_starts_the_clock_next_morning() -> None:
    assert CALENDAR.add_working_time(at(2025, 3, 4, 18, 30), HOUR) == at(2025, 3, 5, 9, 30)
    assert not CALENDAR.is_working_time(at(2025, 3, 4, 17))
    assert CALENDAR.next_working_instant(at(2025, 3, 4, 17)) == at(2025, 3, 5, 8, 30)
    assert CALENDAR.working_time_between(at(2025, 3, 4, 16), at(2025, 3, 4, 23)) == HOUR


@pytest.mark.parametrize(
    ("logged", "falls_due"),
    [
        (at(2021, 12, 24, 16), at(2021, 12, 29, 9, 30)),  # Christmas Sat, Boxing Day Sun
        (at(2022, 12, 23, 16), at(2022, 12, 28, 9, 30)),  # Christmas Day on a Sunday
        (at(2026, 12, 24, 16), at(2026, 12, 29, 9, 30)),  # Boxing Day Sat, off Mon 28th
        (at(2025, 4, 17, 16), at(2025, 4, 22, 9, 30)),  # Good Friday, Easter Monday
        (at(2022, 6, 1, 16), at(2022, 6, 6, 9, 30)),  # Spring bank holiday, Jubilee
        (at(2022, 9, 16, 16), at(2022, 9, 20, 9, 30)),  # the Queen's State Funeral
        (at(2040, 3, 29, 16), at(2040, 4, 3, 9, 30)),  # Easter 2040, past 2035
    ],
)
def test_a_target_running_into_bank_holidays_falls_due_after_them(
    logged: dt.datetime, falls_due: dt.datetime
) -> None:
    assert CALENDAR.add_working_time(logged, 2 * HOUR) == falls_due


def test_support_hours_stay_half_eight_to_five_local_when_the_clocks_go_forward() -> None:
    falls_due = CALENDAR.add_working_time(at(2025, 3, 28, 16), 2 * HOUR)

    assert falls_due == utc(2025, 3, 31, 8, 30) == at(2025, 3, 31, 9, 30)
    assert CALENDAR.next_working_instant(at(2025, 3, 31)) == utc(2025, 3, 31, 7, 30)
    assert CALENDAR.working_time_between(at(2025, 3, 28), at(2025, 4, 1)) == 17 * HOUR


def test_support_hours_stay_half_eight_to_five_local_when_the_clocks_go_back() -> None:
    falls_due = CALENDAR.add_working_time(at(2025, 10, 24, 16), 2 * HOUR)

    assert falls_due == utc(2025, 10, 27, 9, 30) == at(2025, 10, 27, 9, 30)
    assert CALENDAR.next_working_instant(at(2025, 10, 24)) == utc(2025, 10, 24, 7, 30)
    assert CALENDAR.working_time_between(at(2025, 10, 24), at(2025, 10, 28)) == 17 * HOUR


def test_a_case_logged_in_utc_gets_the_same_answer_in_london_time() -> None:
    winter = CALENDAR.add_working_time(utc(2025, 1, 14, 12), HOUR)
    summer = CALENDAR.add_working_time(utc(2025, 7, 1, 11), HOUR)
    unchanged = CALENDAR.add_working_time(utc(2025, 7, 1, 11), dt.timedelta(0))

    assert winter == at(2025, 1, 14, 13) and winter.tzinfo == LONDON
    assert summer == at(2025, 7, 1, 13) and summer.tzinfo == LONDON
    assert unchanged == at(2025, 7, 1, 12) and unchanged.tzinfo == LONDON
    assert CALENDAR.next_working_instant(utc(2025, 7, 1, 11)).tzinfo == LONDON


@pytest.mark.parametrize(
    ("argument", "call"),
    [
        ("start", lambda c: c.add_working_time(dt.datetime(2025, 3, 4), HOUR)),
        ("start", lambda c: c.working_time_between(dt.datetime(2025, 3, 4), at(2025, 3, 5))),
        ("end", lambda c: c.working_time_between(at(2025, 3, 4), dt.datetime(2025, 3, 5))),
        ("t", lambda c: c.is_working_time(dt.datetime(2025, 3, 4))),
        ("t", lambda c: c.next_working_instant(dt.datetime(2025, 3, 4))),
    ],
)
def test_a_time_without_a_timezone_is_refused_naming_the_argument(argument, call) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} must be a timezone-aware"):
        call(CALENDAR)


def test_a_negative_target_is_refused() -> None:
    with pytest.raises(ValueError):
        CALENDAR.add_working_time(at(2025, 3, 4, 9), -US)
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(at(2025, 3, 4, 9), -1)


def test_a_desk_with_its_own_hours_and_saturdays_counts_them() -> None:
    desk = WorkingCalendar.england_and_wales(
        opens=dt.time(9), closes=dt.time(17, 30), weekdays=(0, 1, 2, 3, 4, 5)
    )

    assert desk.add_working_time(at(2025, 3, 7, 17), HOUR) == at(2025, 3, 8, 9, 30)
    assert desk.add_working_days(at(2025, 3, 8, 9), 1) == at(2025, 3, 8, 17, 30)


def test_scotland_closes_on_its_own_bank_holidays_and_not_on_easter_monday() -> None:
    scotland = WorkingCalendar.england_and_wales("SCT")

    for day in (dt.date(2025, 1, 2), dt.date(2025, 8, 4), dt.date(2025, 12, 1)):
        assert not scotland.is_working_time(at(day.year, day.month, day.day, 12))
    for day in (dt.date(2025, 4, 21), dt.date(2025, 8, 25)):
        assert scotland.is_working_time(at(day.year, day.month, day.day, 12))


def test_wales_keeps_the_english_bank_holidays() -> None:
    wales = WorkingCalendar.england_and_wales("WLS")

    assert wales.closures_between(dt.date(2025, 1, 1), dt.date(2026, 12, 31)) == (
        CALENDAR.closures_between(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    )


def test_an_unknown_part_of_the_uk_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar.england_and_wales("XYZ")


def test_an_extra_closure_day_stops_the_clock() -> None:
    desk = WorkingCalendar.england_and_wales(extra_closures=[dt.date(2025, 3, 5)])

    assert desk.add_working_time(at(2025, 3, 4, 16), 2 * HOUR) == at(2025, 3, 6, 9, 30)
    assert dt.date(2025, 3, 5) in desk.closures_between(dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def test_a_calendar_of_explicit_holidays_needs_no_holidays_package() -> None:
    desk = WorkingCalendar([dt.date(2025, 12, 25), dt.date(2025, 12, 26)])

    assert desk.add_working_time(at(2025, 12, 24, 16), 2 * HOUR) == at(2025, 12, 29, 9, 30)
    assert desk.is_working_time(at(2026, 1, 1, 12))


def test_the_closures_exported_for_a_snapshot_include_substitute_days() -> None:
    closures = CALENDAR.closures_between(dt.date(2026, 12, 1), dt.date(2027, 1, 31))

    assert closures == [
        dt.date(2026, 12, 25),
        dt.date(2026, 12, 26),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 1),
    ]


def test_a_table_grown_year_by_year_counts_the_same_as_each_year_alone() -> None:
    fresh = WorkingCalendar.england_and_wales()
    whole = fresh.working_time_between(at(2020, 1, 1), at(2045, 1, 1))

    years = [CALENDAR.working_time_between(at(y, 1, 1), at(y + 1, 1, 1)) for y in range(2020, 2045)]
    assert whole == sum(years, dt.timedelta(0))


SNAPSHOT = CALENDAR.snapshot(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
RESTORED = WorkingCalendar.from_snapshot(
    CalendarSnapshot.model_validate_json(SNAPSHOT.model_dump_json())
)
PROPERTY = settings(deadline=None, max_examples=300)
deltas = st.integers(0, 15 * WORKING_DAY // US).map(lambda us: us * US)
instants = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2061, 1, 1), timezones=st.just(dt.UTC))
# Early enough in the snapshot that a 15-working-day target still falls due inside it.
in_snapshot = st.datetimes(
    dt.datetime(2025, 1, 1), dt.datetime(2026, 11, 1), timezones=st.just(dt.UTC)
)


@PROPERTY
@given(in_snapshot, in_snapshot, deltas)
def test_a_workflow_restored_from_its_snapshot_agrees_with_the_package(a, b, d) -> None:
    assert RESTORED.add_working_time(a, d) == CALENDAR.add_working_time(a, d)
    assert RESTORED.working_time_between(a, b) == CALENDAR.working_time_between(a, b)


@PROPERTY
@given(instants, deltas)
def test_the_working_time_to_a_deadline_is_exactly_the_target(t, d) -> None:
    assert CALENDAR.working_time_between(t, CALENDAR.add_working_time(t, d)) == d


@PROPERTY
@given(instants, deltas, deltas)
def test_a_longer_target_never_falls_due_earlier(t, d1, d2) -> None:
    shorter, longer = sorted((d1, d2))
    assert CALENDAR.add_working_time(t, shorter) <= CALENDAR.add_working_time(t, longer)


@PROPERTY
@given(instants, deltas.filter(bool), deltas)
def test_extending_a_deadline_is_the_same_as_setting_the_total_at_once(t, a, b) -> None:
    extended = CALENDAR.add_working_time(CALENDAR.add_working_time(t, a), b)
    assert extended == CALENDAR.add_working_time(t, a + b)


@PROPERTY
@given(instants, deltas.filter(bool))
def test_a_deadline_never_falls_due_while_the_desk_is_closed(t, d) -> None:
    falls_due = CALENDAR.add_working_time(t, d)
    assert falls_due > t
    assert CALENDAR.is_working_time(falls_due - US)


@PROPERTY
@given(instants, instants, instants)
def test_working_time_over_consecutive_spans_adds_up(a, b, c) -> None:
    a, b, c = sorted((a, b, c))
    whole = CALENDAR.working_time_between(a, c)
    assert CALENDAR.working_time_between(a, b) + CALENDAR.working_time_between(b, c) == whole
