"""Find places near a postcode or a commune, from near to far, without any online service.

Where the person is comes from the official list of communes (communes.py): every French
postcode and commune name is known, with its intercommunality (EPCI), its département and
a position. Names are compared without accents, case, hyphens, articles or "St"; a former
commune's name finds the commune it merged into; homonyms (there are many Saint-Denis) are
told apart by a département written after the name ("Saint-Denis 974"), else the most
populated comes first and the others are offered (``Where.alternatives``). A name that
matches no commune gets the communes whose names come closest (``Where.suggestions``).

From near to far: the places of the commune (or of the communes of a postcode), then of its
intercommunality, then of its département, then of the neighbouring départements; the next
area is searched only while fewer than ``ENOUGH`` places are found. Within an area, places
are sorted by distance from the commune when positions allow (``Hit.distance_km``), those
without a position last. Retired places are never found. The result is paged; only the
page's places are loaded.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from ..models import Place
from .communes import Commune, Communes, communes, distance_km, name_key
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
    "Area",
    "CommuneChoice",
    "Hit",
    "Mode",
    "Problem",
    "SearchFilters",
    "SearchResult",
    "Where",
    "WhereKind",
    "distance_km",
    "search_places",
]

#: How many places are enough to stop looking further away.
ENOUGH = 20
PER_PAGE = 10
MAX_PER_PAGE = 50
#: Postcodes of the arrondissements of Paris, Marseille and Lyon ("Paris 11" → 75011).
_ARRONDISSEMENTS = {"paris": ("75", 20), "marseille": ("13", 16), "lyon": ("69", 9)}


class WhereKind(StrEnum):
    POSTCODE = "postcode"
    COMMUNE = "commune"
    DEPARTEMENT = "departement"
    NOT_FOUND = "not_found"


class Problem(StrEnum):
    """Why a query found no place to search around."""

    EMPTY = "empty"
    #: Digits, but not five ("7500").
    POSTCODE_FORMAT = "postcode_format"
    #: Five digits that are no French postcode ("03999").
    POSTCODE_UNKNOWN = "postcode_unknown"
    #: Letters that are no French commune ("Moullins": see the suggestions).
    NAME_UNKNOWN = "name_unknown"


class Area(IntEnum):
    """How far from the person a place is: the order results come in."""

    COMMUNE = 0
    EPCI = 1
    DEPARTEMENT = 2
    NEIGHBOURS = 3


@dataclass(frozen=True)
class CommuneChoice:
    """A commune to offer: its name, its département, its INSEE code."""

    name: str
    departement: str
    code: str

    @property
    def query(self) -> str:
        """What to search to get exactly this commune."""
        return f"{self.name} {self.departement}"


@dataclass(frozen=True)
class Where:
    """What the query was understood as.

    ``POSTCODE``: a postcode (``postcode``; ``commune`` is its main commune). ``COMMUNE``: a
    commune (``commune``, ``code``), possibly among homonyms (``alternatives``).
    ``DEPARTEMENT``: a département typed. ``NOT_FOUND``: ``problem`` says why, with
    ``suggestions`` when the name was close to some. ``latitude``/``longitude``: where
    distances are measured from; ``approximate`` when that position is estimated.
    """

    kind: WhereKind
    query: str
    postcode: str | None = None
    commune: str | None = None
    code: str | None = None
    departement: str | None = None
    departement_name: str | None = None
    epci_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    approximate: bool = False
    alternatives: tuple[CommuneChoice, ...] = ()
    suggestions: tuple[CommuneChoice, ...] = ()
    problem: Problem | None = None

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

    @property
    def any(self) -> bool:
        return self != SearchFilters()

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
    """A place found, in which area, and how far it is from where the person is (km)."""

    place: Place
    distance_km: float | None
    area: Area = Area.COMMUNE


@dataclass(frozen=True)
class SearchResult:
    where: Where
    places: list[Hit]
    #: Places found in all pages.
    total: int
    page: int
    per_page: int
    #: The farthest area searched; None when nothing was located.
    reached: Area | None = None
    filters: SearchFilters = field(default_factory=SearchFilters)
    #: Places found in each area searched.
    by_area: dict[Area, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def nearby(self) -> int:
        """Places in the commune or its intercommunality."""
        return self.by_area.get(Area.COMMUNE, 0) + self.by_area.get(Area.EPCI, 0)


def _has(column: Any, value: str) -> ColumnElement[bool]:
    """The ``|``-joined column holds exactly ``value`` among its values."""
    return or_(
        column == value,
        column.like(f"{value}|%"),
        column.like(f"%|{value}"),
        column.like(f"%|{value}|%"),
    )


def search_places(
    db: Session,
    query: str,
    *,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResult:
    """Places near what ``query`` names (postcode, commune or département), near to far."""
    filters = filters or SearchFilters()
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    known = communes()
    where, areas = _locate(db, known, query)
    if not areas:
        return SearchResult(where, [], 0, page, per_page, None, filters)
    conditions = [Place.retired_at.is_(None), *filters.conditions()]

    found: dict[str, tuple[Area, float, str]] = {}
    by_area: dict[Area, int] = {}
    reached: Area | None = None
    for area, condition in areas:
        reached = area
        rows = db.execute(
            select(Place.id, Place.latitude, Place.longitude, Place.name).where(
                condition, *conditions
            )
        ).all()
        added = 0
        for place_id, lat, lon, name in rows:
            if place_id in found:
                continue
            distance = math.inf
            if where.latitude is not None and lat is not None:
                distance = distance_km(where.latitude, where.longitude, lat, lon)  # type: ignore[arg-type]
            found[place_id] = (area, distance, name)
            added += 1
        by_area[area] = added
        if len(found) >= ENOUGH:
            break

    ordered = sorted(found.items(), key=lambda item: (item[1][0], item[1][1], item[1][2], item[0]))
    chosen = ordered[(page - 1) * per_page : page * per_page]
    loaded = (
        {
            place.id: place
            for place in db.scalars(select(Place).where(Place.id.in_([pid for pid, _ in chosen])))
        }
        if chosen
        else {}
    )
    hits = [
        Hit(loaded[pid], None if math.isinf(distance) else round(distance, 3), area)
        for pid, (area, distance, _name) in chosen
    ]
    return SearchResult(where, hits, len(ordered), page, per_page, reached, filters, by_area)


# --------------------------------------------------------------------------------------------
# Understanding the query

_Areas = list[tuple[Area, ColumnElement[bool]]]


def _locate(db: Session, known: Communes, query: str) -> tuple[Where, _Areas]:
    """Where the query points to, and the areas to search, near to far."""
    text = " ".join(query.split())
    folded = fold(text)
    if not re.search(r"[a-z0-9]", folded):
        return Where(WhereKind.NOT_FOUND, text, problem=Problem.EMPTY), []

    postcode = _postcode_in(folded)
    if postcode is not None:
        return _locate_postcode(db, known, text, postcode)

    code = folded.strip().upper()
    if DEPARTEMENT_PATTERN.match(code) and code in known.departements:
        departement = known.departements[code]
        where = Where(
            WhereKind.DEPARTEMENT,
            text,
            departement=code,
            departement_name=departement.name,
        )
        return where, _wider_areas(code, known)
    if re.fullmatch(r"[\d\s]+", folded):
        return Where(WhereKind.NOT_FOUND, text, problem=Problem.POSTCODE_FORMAT), []

    name, hint = _name_and_departement(folded)
    found = known.named(name)
    if not found:
        found = known.starting_with(name)
    homonyms = found
    if hint is not None:
        found = [c for c in found if c.departement == hint] or found
    if not found:
        return (
            Where(
                WhereKind.NOT_FOUND,
                text,
                problem=Problem.NAME_UNKNOWN,
                suggestions=tuple(_choice(c) for c in _close_names(known, name)),
            ),
            [],
        )
    commune = found[0]
    where = _where_commune(db, known, WhereKind.COMMUNE, text, commune, None)
    others = [c for c in homonyms if c.code != commune.code][:5]
    where = _replace(where, alternatives=tuple(_choice(c) for c in others))
    return where, _areas_of(known, [commune])


def _replace(where: Where, **changes: Any) -> Where:
    values = {name: getattr(where, name) for name in where.__dataclass_fields__}
    values.update(changes)
    return Where(**values)


def _choice(commune: Commune) -> CommuneChoice:
    return CommuneChoice(commune.name, commune.departement, commune.code)


def _locate_postcode(
    db: Session, known: Communes, text: str, postcode: str
) -> tuple[Where, _Areas]:
    serving = known.postcode(postcode)
    if serving:
        where = _where_commune(db, known, WhereKind.POSTCODE, text, serving[0], postcode)
        areas = _areas_of(known, serving)
        areas[0] = (Area.COMMUNE, or_(Place.postcode == postcode, areas[0][1]))
        return where, areas
    # Not a postcode of a commune: a CEDEX or a company's own postcode, if places use it.
    here = Place.postcode == postcode
    lat, lon, count = db.execute(
        select(func.avg(Place.latitude), func.avg(Place.longitude), func.count()).where(
            here, Place.retired_at.is_(None)
        )
    ).one()
    departement = departement_of(postcode)
    if count and departement in known.departements:
        where = Where(
            WhereKind.POSTCODE,
            text,
            postcode=postcode,
            departement=departement,
            departement_name=known.departements[departement].name,
            latitude=None if lat is None else float(lat),
            longitude=None if lon is None else float(lon),
        )
        return where, [(Area.COMMUNE, here), *_wider_areas(departement, known)]
    return Where(
        WhereKind.NOT_FOUND,
        text,
        postcode=postcode,
        departement=departement if departement in known.departements else None,
        departement_name=(
            known.departements[departement].name if departement in known.departements else None
        ),
        problem=Problem.POSTCODE_UNKNOWN,
    ), []


def _where_commune(
    db: Session,
    known: Communes,
    kind: WhereKind,
    text: str,
    commune: Commune,
    postcode: str | None,
) -> Where:
    """Where a commune is: its position, or its places' when the list only estimates it."""
    lat, lon, approximate = commune.latitude, commune.longitude, not commune.precise
    if approximate:
        places_lat, places_lon, count = db.execute(
            select(
                func.avg(Place.latitude), func.avg(Place.longitude), func.count(Place.latitude)
            ).where(Place.insee_code == commune.code, Place.retired_at.is_(None))
        ).one()
        if count:
            lat, lon, approximate = float(places_lat), float(places_lon), False
    departement = known.departements.get(commune.departement)
    epci = known.epcis.get(commune.epci)
    return Where(
        kind,
        text,
        postcode=postcode,
        commune=commune.name,
        code=commune.code,
        departement=commune.departement,
        departement_name=departement.name if departement else None,
        epci_name=epci.name if epci else None,
        latitude=lat,
        longitude=lon,
        approximate=approximate,
    )


def _codes(known: Communes, codes: list[str]) -> list[str]:
    """The INSEE codes of these communes, with the arrondissements of Paris, Lyon, Marseille."""
    result = dict.fromkeys(codes)
    for code in codes:
        result.update(dict.fromkeys(known.arrondissements(code)))
    return list(result)


def _areas_of(known: Communes, serving: list[Commune]) -> _Areas:
    """The commune(s), their intercommunalities, their département, its neighbours.

    A place is in a commune by its INSEE code; a place imported without one, by its
    commune's name in the same département (or, for an arrondissement, by its postcode).
    """
    first = serving[0]
    if first.parent:  # an arrondissement of Paris, Lyon or Marseille
        commune = or_(
            Place.insee_code.in_([c.code for c in serving]),
            Place.postcode.in_({p for c in serving for p in c.postcodes}),
        )
    else:
        commune = or_(
            Place.insee_code.in_(_codes(known, [c.code for c in serving])),
            Place.insee_code.is_(None)
            & Place.departement.in_({c.departement for c in serving})
            & Place.commune_key.in_({commune_key(c.name) for c in serving}),
        )
    areas: _Areas = [(Area.COMMUNE, commune)]
    members: list[str] = []
    for epci in dict.fromkeys(c.epci for c in serving if c.epci):
        members += known.epci_members(epci)
    if first.parent:
        members.append(first.parent)
    if members:
        areas.append((Area.EPCI, Place.insee_code.in_(_codes(known, members))))
    return areas + _wider_areas(first.departement, known)


def _wider_areas(departement: str, known: Communes) -> _Areas:
    neighbours = (
        known.departements[departement].neighbours if departement in known.departements else ()
    )
    areas: _Areas = [(Area.DEPARTEMENT, Place.departement == departement)]
    if neighbours:
        areas.append((Area.NEIGHBOURS, Place.departement.in_(neighbours)))
    return areas


def _close_names(known: Communes, name: str, limit: int = 5) -> list[Commune]:
    """Communes whose names are closest to a misspelt one ("Moullins" → Moulins)."""
    key = name_key(name)
    if len(key) < 3:
        return []
    pool = known.keys_like(key)
    close = difflib.get_close_matches(key, pool, n=limit, cutoff=0.75)
    found: dict[str, Commune] = {}
    for match in close:
        for commune in known.by_key[match][:2]:
            found.setdefault(commune.code, commune)
    return list(found.values())[:limit]


def _postcode_in(folded: str) -> str | None:
    """A postcode typed, or the arrondissement of Paris, Marseille or Lyon ("Paris 11e").

    A postcode may be written in two groups, as on some letters ("93 200", "93.200").
    """
    match = re.search(r"(?<!\d)\d{5}(?!\d)", folded) or re.search(
        r"(?<![\d.])(?<![\d.] )(\d{2})[ .](\d{3})(?![\d.]| ?\d)", folded
    )
    if match:
        return re.sub(r"\D", "", match.group(0))
    # "paris15" is "paris 15".
    words = re.sub(r"[^a-z0-9]+", " ", re.sub(r"(?<=[a-z])(?=\d)", " ", folded)).split()
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
