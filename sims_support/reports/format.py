"""How `sims-case` writes times and tables for people: London time, working hours, columns.

Shared by the command line's renderers and the KPI reports; imports nothing of ours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
NONE = "-"


def london(value: dt.datetime | None) -> str:
    if value is None:
        return NONE
    return value.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def working_time(value: dt.timedelta | None) -> str:
    """Working time in hours and minutes: a working day is 8.5 h, so days would mislead."""
    if value is None:
        return NONE
    seconds = int(value.total_seconds())
    minutes = seconds // 60
    if minutes == 0:
        return f"{seconds}s" if seconds else "0m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def words(identifier: str | None) -> str:
    return identifier.replace("_", " ") if identifier else NONE


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, *rows]
    return "\n".join(
        indent + "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
