"""Staff follow-up: organisations and accounts, consents, contact requests, records, figures.

Mediators (France Services, associations) and France Travail counsellors follow people up,
with the person's consent. Like ``app/assessment/service.py``, nothing here imports Flask:
the functions take a SQLAlchemy session and the time ``now`` (an aware datetime), so they
are tested on their own and the views stay thin.

- ``accounts``: organisations (with their share code), staff accounts, signing in with a
  lockout per account.
- ``consent``: what a person allowed, to which organisation, until when; who may see whom.
- ``requests``: a person's request to be contacted, the organisation's queue, expiry and
  erasure of contact details.
- ``records``: what staff did for a person (chèques, orientation, note).
- ``access``: the append-only journal of who opened a person's data.
- ``figures``: monthly figures for an organisation, without personal data.

Times. Every stored time is UTC: SQLite keeps no time zone (it gives back naive datetimes,
read here as UTC), so ``utc`` converts ``now`` before it reaches the database, and
``as_utc`` reads back what the database gave. Calendar things (months, "today") are counted
in Europe/Paris.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "N_",
    "PARIS",
    "FormError",
    "add_months",
    "as_utc",
    "clean_form_key",
    "local_today",
    "utc",
]

PARIS = ZoneInfo("Europe/Paris")
#: Length of ``form_key`` columns.
FORM_KEY_LENGTH = 64


def N_(message: str) -> str:
    """Mark a message for translation without translating it (no Flask here).

    ``N_`` is one of Babel's default keywords: ``make translations-update`` extracts these
    messages, and the views translate them when they show them:
    ``_(error.message, **error.params)``.
    """
    return message


class FormError(ValueError):
    """What to fix in a form, in plain French.

    ``message`` is the French text with ``%(name)s`` placeholders (the msgid to translate),
    ``params`` their values, ``field`` the form field to link from the error summary (None
    when the whole form is at fault). ``str(error)`` is the French text, filled in.
    """

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


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


def clean_form_key(form_key: str) -> str:
    """A form's one-time key, as given by the view: 1 to 64 printable characters."""
    key = form_key.strip() if isinstance(form_key, str) else ""
    if not key or len(key) > FORM_KEY_LENGTH or not key.isprintable():
        raise ValueError("form_key: 1 to 64 printable characters")
    return key
