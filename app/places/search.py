"""Find places near a postcode or a commune, nearest first, without any online service.

Where the person is comes from the places already known (no geocoding service, no address
base): a postcode is located at the centroid of the places that have it; a postcode nobody
has falls back to the centroid of its département's places (first two digits, ``2A``/``2B``
for Corsica, ``97x`` overseas); a commune name is matched on its key (accents, case, hyphens
and "St" aside, see ``schema.commune_key``), then on the start of the name. Homonyms (there
are many Saint-Denis) are told apart by the number of places, or by a département written
after the name ("Saint-Denis 974"); the others are given in ``Where.alternatives``.

Nearest first: a bounding box on the indexed (latitude, longitude) selects candidates
within 2 km, widened (5, 10, 20, 50, 100, 200 km) until at least ``ENOUGH`` places match
(radii too small for the density already seen are skipped);
exact great-circle distances are then computed in Python and sorted. The result counts the
places within that radius (``radius_km``), and is paged. Only the page's places are loaded.
Places of the searched postcode or commune that have no coordinates come last, without a
distance.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from ..models import Place
from .schema import (
    DEPARTEMENT_PATTERN,
    FEE_FREE,
    SERVICE_JOB_SEARCH,
    Mode,
    commune_key,
    departement_of,
    fold,
)

__all__ = [
    "ENOUGH",
    "RADII_KM",
    "CommuneChoice",
    "Hit",
    "Mode",
    "SearchFilters",
    "SearchResult",
    "Where",
    "WhereKind",
    "distance_km",
    "search_places",
]

#: Radii tried in turn, in km, until enough places are found.
RADII_KM = (2, 5, 10, 20, 50, 100, 200)
#: How many places within the radius are enough to stop widening it.
ENOUGH = 20
PER_PAGE = 10
MAX_PER_PAGE = 50
EARTH_RADIUS_KM = 6371.0088
#: Postcodes of the arrondissements of Paris, Marseille and Lyon ("Paris 11" → 75011).
_ARRONDISSEMENTS = {"paris": ("75", 20), "marseille": ("13", 16), "lyon": ("69", 9)}


class WhereKind(StrEnum):
    POSTCODE = "postcode"
    COMMUNE = "commune"
    DEPARTEMENT = "departement"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class CommuneChoice:
    """A commune that matched the name typed: its name, its département, its places."""

    name: str
    departement: str
    places: int


@dataclass(frozen=True)
class Where:
    """What the query was understood as.

    ``POSTCODE``: a postcode with known places. ``DEPARTEMENT``: a département typed, or
    (``fell_back``) a postcode without places, searched from its département (``postcode``
    then says which one was typed). ``COMMUNE``: a commune (``commune``, ``departement``),
    possibly among homonyms (``alternatives``). ``NOT_FOUND``: nothing known there.
    ``latitude``/``longitude``: the point distances are measured from.
    """

    kind: WhereKind
    query: str
    postcode: str | None = None
    commune: str | None = None
    departement: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    fell_back: bool = False
    alternatives: tuple[CommuneChoice, ...] = ()

    @property
    def found(self) -> bool:
        return self.kind is not WhereKind.NOT_FOUND


@dataclass(frozen=True)
class SearchFilters:
    """What the person asked for. Several modes: places offering any of them."""

    pass_numerique: bool = False
    free: bool = False
    job_search: bool = False
    modes: frozenset[Mode] = field(default_factory=frozenset)

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.pass_numerique:
            conditions.append(Place.accepts_pass_numerique.is_(True))
        if self.free:
            conditions.append(_has(Place.frais_a_charge, FEE_FREE))
        if self.job_search:
            conditions.append(_has(Place.services, SERVICE_JOB_SEARCH))
        if self.modes:
            modes = sorted(self.modes)
            conditions.append(or_(*(_has(Place.modalites_accompagnement, m.value) for m in modes)))
        return conditions


@dataclass(frozen=True)
class Hit:
    """A place found, and how far it is from where the person searched (km), if known."""

    place: Place
    distance_km: float | None


@dataclass(frozen=True)
class SearchResult:
    where: Where
    places: list[Hit]
    #: Places found in all pages.
    total: int
    page: int
    per_page: int
    #: The radius the places were counted in, in km; None when nothing was located.
    radius_km: float | None
    filters: SearchFilters = field(default_factory=SearchFilters)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _has(column: Any, value: str) -> ColumnElement[bool]:
    """The ``|``-joined column holds exactly ``value`` among its values."""
    return or_(
        column == value,
        column.like(f"{value}|%"),
        column.like(f"%|{value}"),
        column.like(f"%|{value}|%"),
    )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def search_places(
    db: Session,
    query: str,
    *,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResult:
    """Places near what ``query`` names (postcode, commune or département), nearest first."""
    filters = filters or SearchFilters()
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    where, same_area = _locate(db, query)
    conditions = filters.conditions()

    located: list[tuple[float, str]] = []
    radius: float | None = None
    if where.latitude is not None and where.longitude is not None:
        located, radius = _nearby(db, where.latitude, where.longitude, conditions)
    unlocated: list[str] = []
    if same_area is not None:
        unlocated = list(
            db.scalars(
                select(Place.id)
                .where(same_area, Place.latitude.is_(None), *conditions)
                .order_by(Place.name, Place.id)
            )
        )

    ordered: list[tuple[str, float | None]] = [(pid, d) for d, pid in located]
    ordered += [(pid, None) for pid in unlocated]
    chosen = ordered[(page - 1) * per_page : page * per_page]
    loaded = (
        {
            place.id: place
            for place in db.scalars(select(Place).where(Place.id.in_([pid for pid, _ in chosen])))
        }
        if chosen
        else {}
    )
    hits = [Hit(loaded[pid], None if d is None else round(d, 3)) for pid, d in chosen]
    return SearchResult(where, hits, len(ordered), page, per_page, radius, filters)


def _nearby(
    db: Session, lat: float, lon: float, conditions: list[ColumnElement[bool]]
) -> tuple[list[tuple[float, str]], float]:
    """(distance, id) of the matching places within the first radius that has enough."""
    found: list[tuple[float, str]] = []
    radius = float(RADII_KM[0])
    wanted = radius
    for radius_km in RADII_KM:
        if radius_km < wanted:
            continue  # too small for the density seen so far
        radius = float(radius_km)
        dlat = radius / 111.0
        dlon = radius / (111.0 * max(math.cos(math.radians(lat)), 0.01))
        rows = db.execute(
            select(Place.id, Place.latitude, Place.longitude).where(
                Place.latitude.between(lat - dlat, lat + dlat),
                Place.longitude.between(lon - dlon, lon + dlon),
                *conditions,
            )
        ).all()
        found = []
        for pid, plat, plon in rows:
            d = distance_km(lat, lon, plat, plon)
            if d <= radius:
                found.append((d, pid))
        if len(found) >= ENOUGH:
            break
        # Skip the radii too small to hold enough places at the density seen so far.
        wanted = min(radius * math.sqrt(ENOUGH / max(len(found), 1)), RADII_KM[-1])
    found.sort()
    return found, radius


# --------------------------------------------------------------------------------------------
# Understanding the query


def _locate(db: Session, query: str) -> tuple[Where, ColumnElement[bool] | None]:
    """Where the query points to, and which places count as "in that area"."""
    text = " ".join(query.split())
    folded = fold(text)
    not_found = Where(WhereKind.NOT_FOUND, text)

    postcode = _postcode_in(folded)
    if postcode is not None:
        return _locate_postcode(db, text, postcode)

    code = folded.strip().upper()
    if DEPARTEMENT_PATTERN.match(code):
        lat, lon, count = _centroid(db, Place.departement == code)
        if not count:
            return not_found, None
        where = Where(WhereKind.DEPARTEMENT, text, departement=code, latitude=lat, longitude=lon)
        return where, None

    name, hint = _name_and_departement(folded)
    key = commune_key(name)
    if not key:
        return not_found, None
    choices = _communes(db, Place.commune_key == key)
    if not choices and len(key) >= 3:
        choices = _communes(db, Place.commune_key.like(f"{key}%"))
    if not choices:
        return not_found, None
    if hint is not None and any(c[1].departement == hint for c in choices):
        choices.sort(key=lambda c: c[1].departement != hint)
    best_key, best, lat, lon = choices[0]
    area = (Place.commune_key == best_key) & (Place.departement == best.departement)
    where = Where(
        WhereKind.COMMUNE,
        text,
        commune=best.name,
        departement=best.departement,
        latitude=lat,
        longitude=lon,
        alternatives=tuple(choice for _, choice, _, _ in choices[1:6]),
    )
    return where, area


def _locate_postcode(
    db: Session, text: str, postcode: str
) -> tuple[Where, ColumnElement[bool] | None]:
    area = Place.postcode == postcode
    lat, lon, located = _centroid(db, area)
    if located:
        where = Where(WhereKind.POSTCODE, text, postcode=postcode, latitude=lat, longitude=lon)
        return where, area
    departement = departement_of(postcode)
    dep_lat, dep_lon, dep_located = _centroid(db, Place.departement == departement)
    if dep_located:
        where = Where(
            WhereKind.DEPARTEMENT,
            text,
            postcode=postcode,
            departement=departement,
            latitude=dep_lat,
            longitude=dep_lon,
            fell_back=True,
        )
        return where, area
    if db.scalar(select(func.count()).select_from(Place).where(area)):
        return Where(WhereKind.POSTCODE, text, postcode=postcode), area  # none has a position
    return Where(WhereKind.NOT_FOUND, text, postcode=postcode), None


def _postcode_in(folded: str) -> str | None:
    """A postcode typed, or the arrondissement of Paris, Marseille or Lyon ("Paris 11e")."""
    match = re.search(r"(?<!\d)(\d{5})(?!\d)", folded)
    if match:
        return match.group(1)
    words = re.sub(r"[^a-z0-9]+", " ", folded).split()
    if len(words) >= 2 and words[0] in _ARRONDISSEMENTS:
        number = re.fullmatch(r"(\d{1,2})(e|er|eme|ieme)?", words[1])
        rest = words[2:]
        if number and rest in ([], ["arrondissement"], ["arr"]):
            prefix, count = _ARRONDISSEMENTS[words[0]]
            n = int(number.group(1))
            if 1 <= n <= count:
                return f"{prefix}{n:03d}"
    return None


def _name_and_departement(folded: str) -> tuple[str, str | None]:
    """ "saint-denis (974)" → ("saint-denis", "974")."""
    match = re.fullmatch(r"(.*?[a-z].*?)[\s,]*\(?\s*(\d{2}|2[ab]|9[78]\d)\s*\)?", folded)
    if match and DEPARTEMENT_PATTERN.match(match.group(2).upper()):
        return match.group(1), match.group(2).upper()
    return folded, None


def _centroid(db: Session, area: ColumnElement[bool]) -> tuple[float | None, float | None, int]:
    """Mean position of the located places of an area, and how many there are."""
    lat, lon, count = db.execute(
        select(
            func.avg(Place.latitude), func.avg(Place.longitude), func.count(Place.latitude)
        ).where(area)
    ).one()
    return (None if lat is None else float(lat)), (None if lon is None else float(lon)), count


def _communes(
    db: Session, match: ColumnElement[bool]
) -> list[tuple[str, CommuneChoice, float | None, float | None]]:
    """The communes matching, most places first: (key, choice, latitude, longitude)."""
    rows = db.execute(
        select(
            Place.commune_key,
            Place.departement,
            func.min(Place.commune),
            func.count(),
            func.avg(Place.latitude),
            func.avg(Place.longitude),
        )
        .where(match)
        .group_by(Place.commune_key, Place.departement)
    ).all()
    choices = [
        (
            key,
            CommuneChoice(name, departement, count),
            None if lat is None else float(lat),
            None if lon is None else float(lon),
        )
        for key, departement, name, count, lat, lon in rows
    ]
    choices.sort(key=lambda c: (-c[1].places, c[1].name, c[1].departement))
    return choices
