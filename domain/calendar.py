"""Support hours and working-time arithmetic (DESIGN §2).

Instants are held as integer microseconds since the Unix epoch, so arithmetic is exact.
A table of working intervals (one per open day) with cumulative working time before
each interval answers every question with one bisect. The table grows on demand, in
whole years, in either direction, so no date range ever runs out.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_ZERO = dt.timedelta(0)
WORKING_DAY = dt.timedelta(hours=8, minutes=30)
SUBDIVISIONS = ("ENG", "WLS", "SCT", "NIR")
# Grow the table a few years at a time: enough to keep rebuilds rare.
_YEARS_PER_GROWTH = 4


class CalendarSnapshot(BaseModel):
    """What a workflow carries instead of the `holidays` package: explicit closures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    closures: tuple[dt.date, ...] = ()
    opens: dt.time = dt.time(8, 30)
    closes: dt.time = dt.time(17, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    timezone: str = "Europe/London"
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


def _to_us(value: dt.datetime, name: str) -> int:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    try:
        delta = value - _EPOCH
    except TypeError:  # a tzinfo that gives no offset is as good as naive
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}") from None
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class WorkingCalendar:
    def __init__(
        self,
        holidays: Iterable[dt.date] = (),
        *,
        opens: dt.time = dt.time(8, 30),
        closes: dt.time = dt.time(17, 0),
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        timezone: str = "Europe/London",
        closures_for_year: Callable[[int], Iterable[dt.date]] | None = None,
    ) -> None:
        if closes <= opens:
            raise ValueError(f"closes ({closes}) must be after opens ({opens})")
        days = tuple(sorted(set(weekdays)))
        if not days or any(d not in range(7) for d in days):
            raise ValueError(f"weekdays must be a non-empty subset of 0..6, got {days!r}")
        self.opens, self.closes, self.weekdays = opens, closes, days
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self._fixed = frozenset(holidays)
        self._closures_for_year = closures_for_year
        self._closed_by_year: dict[int, frozenset[dt.date]] = {}
        self._first_year = self._last_year = 0
        # Instants strictly inside the built years, [low, high): answered without growing.
        self._low_us = self._high_us = 0
        self._starts: list[int] = []
        self._opening: list[dt.datetime] = []
        self._ends: list[int] = []
        self._cum_before: list[int] = []
        self._cum_after: list[int] = []

    # -- construction -------------------------------------------------------------------

    @classmethod
    def england_and_wales(
        cls,
        subdivision: str = "ENG",
        extra_closures: Iterable[dt.date] = (),
        *,
        opens: dt.time = dt.time(8, 30),
        closes: dt.time = dt.time(17, 0),
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
    ) -> WorkingCalendar:
        """Bank holidays from the `holidays` package (substitute days included)."""
        if subdivision not in SUBDIVISIONS:
            raise ValueError(f"subdivision must be one of {SUBDIVISIONS}, got {subdivision!r}")
        import holidays as holidays_package  # never at module level: workflows import us

        def closures_for_year(year: int) -> Iterable[dt.date]:
            return holidays_package.country_holidays("GB", subdiv=subdivision, years=year).keys()

        return cls(
            extra_closures,
            opens=opens,
            closes=closes,
            weekdays=weekdays,
            closures_for_year=closures_for_year,
        )

    @classmethod
    def from_snapshot(cls, snapshot: CalendarSnapshot) -> WorkingCalendar:
        return cls(
            snapshot.closures,
            opens=snapshot.opens,
            closes=snapshot.closes,
            weekdays=snapshot.weekdays,
            timezone=snapshot.timezone,
        )

    def closures_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every closure date (bank holiday or extra) in [start, end], sorted."""
        return sorted(
            day
            for year in range(start.year, end.year + 1)
            for day in self._closed(year)
            if start <= day <= end
        )

    def snapshot(self, start: dt.date, end: dt.date) -> CalendarSnapshot:
        return CalendarSnapshot(
            closures=tuple(self.closures_between(start, end)),
            opens=self.opens,
            closes=self.closes,
            weekdays=self.weekdays,
            timezone=self.timezone,
            valid_from=start,
            valid_to=end,
        )

    # -- questions ------------------------------------------------------------------------

    def is_working_time(self, t: dt.datetime) -> bool:
        us = _to_us(t, "t")
        i = self._interval_at(us)
        return i >= 0 and us < self._ends[i]

    def next_working_instant(self, t: dt.datetime) -> dt.datetime:
        us = _to_us(t, "t")
        if self.is_working_time(t):
            return t.astimezone(self.tz)
        self._cover(us)
        i = bisect_right(self._starts, us)
        while i >= len(self._starts):
            self._grow_forward()
        return self._from_us(self._starts[i])

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        a, b = _to_us(start, "start"), _to_us(end, "end")
        if b <= a:
            return dt.timedelta(0)
        # Cover both ends before reading either: growing backwards moves the origin.
        self._cover(a)
        self._cover(b)
        return (self._cum_at(b) - self._cum_at(a)) * _US

    def add_working_time(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        us = _to_us(start, "start")
        if delta <= _ZERO:
            if delta:
                raise ValueError(f"delta must not be negative, got {delta}")
            return start.astimezone(self.tz)
        # Inlined from _cum_at: this is the hot path of every deadline.
        if not self._low_us <= us < self._high_us:
            self._cover(us)
        starts, cum_before = self._starts, self._cum_before
        i = bisect_right(starts, us) - 1
        target = delta // _US
        if i >= 0:
            target += cum_before[i] + min(us, self._ends[i]) - starts[i]
        while self._cum_after[-1] < target:
            self._grow_forward()
        # The first interval whose end reaches the target: a target met exactly at
        # closing falls due at closing, not at the next opening.
        j = bisect_left(self._cum_after, target, i if i > 0 else 0)
        # No clock change falls inside support hours, so wall-clock addition is exact.
        return self._opening[j] + dt.timedelta(microseconds=target - self._cum_before[j])

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        return self.add_working_time(start, days * WORKING_DAY)

    # -- the interval table ---------------------------------------------------------------

    def _closed(self, year: int) -> frozenset[dt.date]:
        if year not in self._closed_by_year:
            extra = self._closures_for_year(year) if self._closures_for_year else ()
            fixed = {d for d in self._fixed if d.year == year}
            self._closed_by_year[year] = frozenset(fixed | set(extra))
        return self._closed_by_year[year]

    def _from_us(self, us: int) -> dt.datetime:
        seconds, micros = divmod(us, 1_000_000)
        return dt.datetime.fromtimestamp(seconds, self.tz).replace(microsecond=micros)

    def _cum_at(self, us: int) -> int:
        """Working microseconds from the start of the table to `us`."""
        if not self._low_us <= us < self._high_us:
            self._cover(us)
        i = bisect_right(self._starts, us) - 1
        if i < 0:
            return 0
        return self._cum_before[i] + min(us, self._ends[i]) - self._starts[i]

    def _interval_at(self, us: int) -> int:
        self._cover(us)
        return bisect_right(self._starts, us) - 1

    def _cover(self, us: int) -> None:
        if self._low_us <= us < self._high_us:
            return
        # One spare year either side so an instant near New Year still finds its neighbours.
        year = (_EPOCH + us * _US).year
        if not self._starts:
            self._build(year - 1, year + _YEARS_PER_GROWTH)
        elif year <= self._first_year:
            self._build(year - _YEARS_PER_GROWTH, self._last_year)
        elif year >= self._last_year:
            self._build(self._first_year, year + _YEARS_PER_GROWTH)

    def _grow_forward(self) -> None:
        self._build(self._first_year, self._last_year + _YEARS_PER_GROWTH)

    def _build(self, first_year: int, last_year: int) -> None:
        starts: list[int] = []
        ends: list[int] = []
        opening: list[dt.datetime] = []
        day = dt.date(first_year, 1, 1)
        last = dt.date(last_year, 12, 31)
        one_day = dt.timedelta(days=1)
        while day <= last:
            if day.weekday() in self.weekdays and day not in self._closed(day.year):
                opening.append(dt.datetime.combine(day, self.opens, self.tz))
                starts.append(_to_us(opening[-1], "opens"))
                ends.append(_to_us(dt.datetime.combine(day, self.closes, self.tz), "closes"))
            day += one_day
        cum_before: list[int] = []
        cum_after: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            cum_before.append(total)
            total += e - s
            cum_after.append(total)
        if not starts:
            raise ValueError(f"no working time at all between {first_year} and {last_year}")
        self._first_year, self._last_year = first_year, last_year
        self._low_us = _to_us(dt.datetime(first_year + 1, 1, 1, tzinfo=dt.UTC), "low")
        self._high_us = _to_us(dt.datetime(last_year, 1, 1, tzinfo=dt.UTC), "high")
        self._starts, self._ends, self._opening = starts, ends, opening
        self._cum_before, self._cum_after = cum_before, cum_after
