"""Times, the one way: every stored time is UTC, calendar things are counted in Paris.

SQLite keeps no time zone (it gives back naive datetimes, read here as UTC), so ``utc``
converts an aware ``now`` before it reaches the database, and ``as_utc`` reads back what the
database gave. Months and "today" are counted in Europe/Paris. No Flask here: domain code
takes ``now`` as an argument, and the views pass ``utcnow()``.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is needed (datetime.now(UTC))")
    return moment.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """A time read from the database, aware and in UTC (SQLite gives it back naive)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, in Paris time; the day is clamped (31 Jan + 1 → 28 Feb).

    The result is in UTC.
    """
    local = utc(moment).astimezone(PARIS)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    wall = local.replace(tzinfo=None, year=year, month=month, day=day)
    return wall.replace(tzinfo=PARIS).astimezone(UTC)


def local_today(now: datetime) -> date:
    """The date in Paris at ``now``."""
    return utc(now).astimezone(PARIS).date()


_DAY_FIRST = re.compile(r"(\d{1,2})[/.\- ]+(\d{1,2})[/.\- ]+(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(text: str | None) -> date | None:
    """A date as people in France type it, or as a browser's date field sends it; None when
    ``text`` is not a date.

    ``31/12/2027``, ``31-12-2027``, ``31 12 2027``, ``31.12.2027``, ``1/2/2027`` (day first)
    and ``2027-12-31`` (the browser's field) are read; so are digits of other scripts.
    """
    value = " ".join(str(text or "").split())
    if len(value) > 40:
        return None
    if match := _YEAR_FIRST.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.fullmatch(value):
        day, month, year = (int(part) for part in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
