"""The monthly KPI report (DESIGN §15): which month a run reports, and which run of the
schedule does it (pure).

A Temporal Schedule cannot say "the first working day of the month", and a date list
computed once would miss a bank holiday announced later. So the schedule fires at 09:00
London on each of days 1 to 7, and only the firing on the month's first working day (by
the desk's calendar) reports the month before; the others do nothing. A run at any other
instant was started by hand (`temporal schedule trigger`, the SDK's `trigger()`, or no
schedule at all): it reports the month before its day, whatever day that is.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.calendar import CalendarSnapshot
from domain.kpi import Period
from domain.workflow_inputs import SetupRequest

# The schedule's spec, written once: the CLI builds it from these, the rules read them.
TIMEZONE = "Europe/London"
LONDON = ZoneInfo(TIMEZONE)
FIRES_AT = dt.time(9, 0)  # after support opens: a report day is a working day
FIRST_DAYS = range(1, 8)  # the first working day is among them, bank holidays or not

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Month(BaseModel):
    model_config = _FROZEN
    year: Annotated[int, Field(ge=1, le=9998)]
    month: Annotated[int, Field(ge=1, le=12)]

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(year=day.year, month=day.month)

    @property
    def label(self) -> str:
        """`2026-11`: the report's file names and its webhook id carry it."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def following(self) -> Month:
        return Month.of(self.first_day + dt.timedelta(days=31))

    def previous(self) -> Month:
        return Month.of(self.first_day - dt.timedelta(days=1))

    def period(self) -> Period:
        """Its days in London, as `sims-case report --from` the 1st `--to` the last gives."""
        start = dt.datetime.combine(self.first_day, dt.time(0), LONDON)
        end = dt.datetime.combine(self.following().first_day, dt.time(0), LONDON)
        return Period(start=start, end=end)

    def __str__(self) -> str:
        return self.first_day.strftime("%B %Y")


def month_before(day: dt.date) -> Month:
    return Month.of(day).previous()


def is_working_day(day: dt.date, calendar: CalendarSnapshot) -> bool:
    return day.weekday() in calendar.weekdays and day not in calendar.closures


def report_day(month: Month, calendar: CalendarSnapshot) -> dt.date:
    """The month's first working day; the schedule's last firing day when none of its
    first days is one (a desk closed that whole week), so no month goes unreported."""
    days = [month.first_day.replace(day=d) for d in FIRST_DAYS]
    return next((day for day in days if is_working_day(day, calendar)), days[-1])


def firing_day(nominal: dt.datetime) -> dt.date | None:
    """The London day of one of the schedule's firings; None for any other instant (a
    trigger by hand is scheduled at the second it is asked for)."""
    day = nominal.astimezone(LONDON).date()
    fires = dt.datetime.combine(day, FIRES_AT, LONDON)
    return day if nominal == fires and day.day in FIRST_DAYS else None


def month_to_report(nominal: dt.datetime, calendar: CalendarSnapshot) -> Month | None:
    """What the run scheduled at `nominal` reports; None: a firing before or after the
    month's first working day, which does nothing."""
    day = firing_day(nominal)
    if day is not None and day != report_day(Month.of(day), calendar):
        return None
    return month_before(nominal.astimezone(LONDON).date())


def calendar_span(nominal: dt.datetime) -> SetupRequest:
    """The days of the calendar snapshot a run needs: the first days of its month."""
    first = Month.of(nominal.astimezone(LONDON).date()).first_day
    return SetupRequest(from_date=first, to_date=first.replace(day=FIRST_DAYS[-1]))


def next_report(after: dt.datetime, calendar: CalendarSnapshot) -> tuple[dt.datetime, Month]:
    """When the schedule next reports, and which month (`calendar` covers the first days
    of this month and the next)."""
    this = Month.of(after.astimezone(LONDON).date())
    for month in (this, this.following()):
        at = dt.datetime.combine(report_day(month, calendar), FIRES_AT, LONDON)
        if at > after:
            return at, month.previous()
    raise AssertionError("a month's report day is in its first week")  # pragma: no cover


class MonthlyReportRequest(BaseModel):
    """What the schedule starts every run with: where the report goes."""

    model_config = _FROZEN
    # A folder on the worker's machine; the files are kpi-YYYY-MM.html and .json in it.
    output_dir: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    webhook: bool = False

    @model_validator(mode="after")
    def _goes_somewhere(self) -> MonthlyReportRequest:
        if self.output_dir is None and not self.webhook:
            raise ValueError("the report must go to a folder, the webhook or both")
        return self


class PublishReport(BaseModel):
    """One month's report, as at one instant, to where the request says."""

    model_config = _FROZEN
    month: Month
    as_of: dt.datetime
    request: MonthlyReportRequest

    @property
    def key(self) -> str:
        """The webhook id: the same on every retry of this run, another for another run."""
        stamp = self.as_of.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"kpi-{self.month.label}-{stamp}"


class MonthlyReportDone(BaseModel):
    """What a run did: the month it reported, or why it reported nothing today."""

    model_config = _FROZEN
    month: Month | None = None
    files: list[str] = []
    sent: str | None = None  # the webhook id of the delivery
    skipped: str | None = None

    @classmethod
    def not_today(cls, nominal: dt.datetime, calendar: CalendarSnapshot) -> MonthlyReportDone:
        day = nominal.astimezone(LONDON).date()
        due = report_day(Month.of(day), calendar)
        return cls(
            skipped=f"{day:%a %d %b %Y} is not the first working day of {Month.of(day)} "
            f"({due:%a %d %b}): the report of {month_before(day)} is made then"
        )
