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
from dataclasses import dataclass
from functools import lru_cache
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
        self._table: _Table | None = None

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
        """Shared between every workflow with the same closures: its table is the bulk of
        a case's memory, and it depends on nothing else."""
        return _shared(
            snapshot.closures, snapshot.opens, snapshot.closes, snapshot.weekdays, snapshot.timezone
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
        table = self._covering(us, us)
        i = bisect_right(table.starts, us) - 1
        return i >= 0 and us < table.ends[i]

    def next_working_instant(self, t: dt.datetime) -> dt.datetime:
        us = _to_us(t, "t")
        if self.is_working_time(t):
            return t.astimezone(self.tz)
        table = self._covering(us, us)
        i = bisect_right(table.starts, us)
        while i >= len(table.starts):
            table = self._grown(table)
        return self._from_us(table.starts[i])

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        a, b = _to_us(start, "start"), _to_us(end, "end")
        if b <= a:
            return dt.timedelta(0)
        table = self._covering(a, b)
        return (table.cum_at(b) - table.cum_at(a)) * _US

    def add_working_time(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        us = _to_us(start, "start")
        if delta <= _ZERO:
            if delta:
                raise ValueError(f"delta must not be negative, got {delta}")
            return start.astimezone(self.tz)
        table = self._table
        if table is None or not table.low_us <= us < table.high_us:
            table = self._covering(us, us)
        # cum_at(us), inlined: this is the hot path of every deadline.
        starts = table.starts
        i = bisect_right(starts, us) - 1
        target = delta // _US
        if i >= 0:
            target += table.cum_before[i] + min(us, table.ends[i]) - starts[i]
        while table.cum_after[-1] < target:
            table = self._grown(table)  # same first year: the origin of `target` holds
        # The first interval whose end reaches the target: a target met exactly at
        # closing falls due at closing, not at the next opening.
        j = bisect_left(table.cum_after, target, max(i, 0))
        # No clock change falls inside support hours, so wall-clock addition is exact.
        return table.opening[j] + _US * (target - table.cum_before[j])

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        return self.add_working_time(start, days * WORKING_DAY)

    # -- the interval table ---------------------------------------------------------------
    # A table is never changed once built: growing builds a new one and swaps it in with
    # one assignment, so workflows sharing a calendar across threads never see half of one.

    def _closed(self, year: int) -> frozenset[dt.date]:
        if year not in self._closed_by_year:
            extra = self._closures_for_year(year) if self._closures_for_year else ()
            fixed = {d for d in self._fixed if d.year == year}
            self._closed_by_year[year] = frozenset(fixed | set(extra))
        return self._closed_by_year[year]

    def _from_us(self, us: int) -> dt.datetime:
        seconds, micros = divmod(us, 1_000_000)
        return dt.datetime.fromtimestamp(seconds, self.tz).replace(microsecond=micros)

    def _covering(self, low: int, high: int) -> _Table:
        """A table whose inner years hold both instants (a spare year either side)."""
        table = self._table
        if table is not None and table.low_us <= low and high < table.high_us:
            return table
        low_year, high_year = (_EPOCH + low * _US).year, (_EPOCH + high * _US).year
        if table is None:
            first, last = low_year - 1, high_year + _YEARS_PER_GROWTH
        else:
            first = (
                table.first_year if low_year > table.first_year else low_year - _YEARS_PER_GROWTH
            )
            last = table.last_year if high_year < table.last_year else high_year + _YEARS_PER_GROWTH
        self._table = table = self._build(first, last)
        return table

    def _grown(self, table: _Table) -> _Table:
        self._table = grown = self._build(table.first_year, table.last_year + _YEARS_PER_GROWTH)
        return grown

    def _build(self, first_year: int, last_year: int) -> _Table:
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
        if not starts:
            raise ValueError(f"no working time at all between {first_year} and {last_year}")
        cum_before: list[int] = []
        cum_after: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            cum_before.append(total)
            total += e - s
            cum_after.append(total)
        return _Table(
            first_year=first_year,
            last_year=last_year,
            low_us=_to_us(dt.datetime(first_year + 1, 1, 1, tzinfo=dt.UTC), "low"),
            high_us=_to_us(dt.datetime(last_year, 1, 1, tzinfo=dt.UTC), "high"),
            starts=starts,
            ends=ends,
            opening=opening,
            cum_before=cum_before,
            cum_after=cum_after,
        )


@dataclass(frozen=True, slots=True)
class _Table:
    """Working intervals of whole years, with cumulative working time before and after."""

    first_year: int
    last_year: int
    low_us: int  # instants in [low_us, high_us) lie in the inner years
    high_us: int
    starts: list[int]
    ends: list[int]
    opening: list[dt.datetime]
    cum_before: list[int]
    cum_after: list[int]

    def cum_at(self, us: int) -> int:
        """Working microseconds from the start of the table to `us`."""
        i = bisect_right(self.starts, us) - 1
        if i < 0:
            return 0
        return self.cum_before[i] + min(us, self.ends[i]) - self.starts[i]


@lru_cache(maxsize=64)
def _shared(
    closures: tuple[dt.date, ...],
    opens: dt.time,
    closes: dt.time,
    weekdays: tuple[int, ...],
    timezone: str,
) -> WorkingCalendar:
    return WorkingCalendar(
        closures, opens=opens, closes=closes, weekdays=weekdays, timezone=timezone
    )
