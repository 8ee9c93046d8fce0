"""Opening hours of a place, from its ``horaires`` (OpenStreetMap ``opening_hours`` syntax).

Parsed by ``opening-hours-py`` (the Rust ``opening-hours`` crate), which knows the whole
syntax, French public holidays (``PH off``) and comments (``"sur rendez-vous"``). Times are
local: Europe/Paris unless the caller gives the place's own zone (see ``zone_for``).

Tolerant by design: a missing or unreadable ``horaires`` gives the state ``UNKNOWN`` (or
``None`` for the week), never an error. This module returns data only; the web layer words
it ("Ouvert, ferme à 18 h", "Fermé, ouvre lundi à 9 h").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from opening_hours import OpeningHours, State, validate

from ..times import PARIS

#: Beyond this, a change of state is too far to tell ("closed until further notice").
LOOKAHEAD_DAYS = 366

#: Overseas départements and collectivités that do not live on Paris time.
_ZONES = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}


def zone_for(departement: str | None) -> ZoneInfo:
    """The time zone of a place from its département (``974`` → Indian/Reunion)."""
    name = _ZONES.get(departement or "")
    return ZoneInfo(name) if name else PARIS


class OpenState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


_STATES = {State.OPEN: OpenState.OPEN, State.CLOSED: OpenState.CLOSED}


@dataclass(frozen=True)
class OpenStatus:
    """Whether a place is open at a given moment, and until when.

    ``next_change`` is when ``state`` ends (closing time when open, opening time when
    closed), in the place's zone; ``None`` when unknown or not within a year.
    ``next_state`` is the state from then on. ``comment`` is the text the hours attach to
    this moment (``"sur rendez-vous"``), or "".
    """

    state: OpenState
    next_change: datetime | None = None
    next_state: OpenState | None = None
    comment: str = ""

    @property
    def is_open(self) -> bool:
        return self.state is OpenState.OPEN

    @property
    def is_known(self) -> bool:
        return self.state is not OpenState.UNKNOWN


UNKNOWN = OpenStatus(OpenState.UNKNOWN)


class DayHours(NamedTuple):
    """One day of a week: its weekday (0 Monday … 6 Sunday) and its opening ranges.

    A range that runs to the end of the day ends at ``time(0, 0)`` (midnight).
    """

    weekday: int
    ranges: list[tuple[time, time]]


def is_valid(horaires: str | None) -> bool:
    """True when ``horaires`` is a readable ``opening_hours`` expression."""
    return bool(horaires and horaires.strip()) and validate(horaires.strip())


@lru_cache(maxsize=4096)
def _parse(horaires: str, zone: ZoneInfo) -> OpeningHours | None:
    try:
        return OpeningHours(
            horaires,
            timezone=zone,
            country="FR",
            auto_country=False,
            auto_timezone=False,
            max_interval_days=LOOKAHEAD_DAYS,
        )
    except Exception:  # the parser raises ParserError, or others on odd input
        return None


def parse(horaires: str | None, zone: ZoneInfo = PARIS) -> OpeningHours | None:
    """The parsed expression, or ``None`` when it is missing or unreadable."""
    if not horaires or not horaires.strip():
        return None
    return _parse(horaires.strip(), zone)


def _has_fallback(horaires: str | None) -> bool:
    """A fallback rule (``Mo-Fr 09:00-12:00 || unknown``). opening-hours-py 2.1 gets its
    state right but not its next change nor its intervals: only the state is used."""
    return "||" in (horaires or "")


def _comment_only(oh: OpeningHours, at: datetime) -> bool:
    """Hours that are only a comment ("sur rendez-vous"), which the parser reads as
    always open: they say nothing of when the place is open."""
    state, comment = oh.state(at)
    return state is State.OPEN and bool(comment) and oh.next_change(at) is None


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    """``at`` in the place's zone; a naive datetime is taken as already local."""
    return at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)


def status(horaires: str | None, at: datetime, zone: ZoneInfo = PARIS) -> OpenStatus:
    """Open or closed at ``at``, and when that changes. Unknown when the hours are."""
    oh = parse(horaires, zone)
    if oh is None:
        return UNKNOWN
    local = _local(at, zone)
    try:
        state, comment = oh.state(local)
        change = None if _has_fallback(horaires) else oh.next_change(local)
        if change is not None and change - local > timedelta(days=LOOKAHEAD_DAYS):
            change = None
        next_state = None
        if change is not None:
            next_state = _STATES.get(oh.state(change)[0], OpenState.UNKNOWN)
    except Exception:  # evaluation of exotic expressions (sun events far north…)
        return UNKNOWN
    if state is State.OPEN and change is None and comment:
        return OpenStatus(OpenState.UNKNOWN, comment=comment)  # see _comment_only
    return OpenStatus(
        state=_STATES.get(state, OpenState.UNKNOWN),
        next_change=change,
        next_state=next_state,
        comment=comment,
    )


def week(horaires: str | None, week_of: date, zone: ZoneInfo = PARIS) -> list[DayHours] | None:
    """The opening ranges of each day of the week (Monday first) that contains ``week_of``.

    Public holidays count (``PH off`` closes them). ``None`` when the hours are missing,
    unreadable, only a comment or with a fallback rule (``||``): the week is unknown, which
    is not the same as closed all week.
    """
    oh = parse(horaires, zone)
    if oh is None:
        return None
    day = week_of.date() if isinstance(week_of, datetime) else week_of
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=offset) for offset in range(8)]
    bounds = [datetime.combine(d, time(0), tzinfo=zone) for d in days]
    result = [DayHours(weekday, []) for weekday in range(7)]
    if _has_fallback(horaires):
        return None
    try:
        if _comment_only(oh, bounds[0]):
            return None
        for start, end, state, _comment in oh.intervals(bounds[0], bounds[7]):
            if state is not State.OPEN:
                continue
            for weekday in range(7):
                lo, hi = max(start, bounds[weekday]), min(end, bounds[weekday + 1])
                if lo < hi:
                    result[weekday].ranges.append(
                        (lo.timetz().replace(tzinfo=None), hi.timetz().replace(tzinfo=None))
                    )
    except Exception:
        return None
    return result
