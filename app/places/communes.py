"""Every French commune and postcode, from the official lists: where a person is.

The data are in ``app/places/data/communes.tsv.gz`` (built by ``scripts/build_communes.py``,
``make communes``; sources and licences in ``app/places/data/README.md``): the communes of
INSEE's Code officiel géographique with La Poste's postcodes, their intercommunality
(EPCI), their département and its neighbours, and a position (from GeoNames, or estimated
from the other communes of the EPCI when GeoNames has none: ``precise`` is then False).
Former communes merged into a new one are kept as other names of it.

``find_postcode("03000")``, ``find_name("Moulins")`` and ``commune("03190")`` answer from
memory (about 35 000 communes, loaded once per process on first use, in about 0.2 s).

Pure Python: no database, no Flask.
"""

from __future__ import annotations

import bisect
import gzip
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DATA_FILE",
    "FORMAT_VERSION",
    "Commune",
    "Communes",
    "Departement",
    "Epci",
    "communes",
    "distance_km",
    "name_key",
]

DATA_FILE = Path(__file__).resolve().parent / "data" / "communes.tsv.gz"
FORMAT_VERSION = "1"
EARTH_RADIUS_KM = 6371.0088

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARTICLE = re.compile(r"^(le|la|les|l) ")


def _fold(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = text.replace("’", "'").replace("ʼ", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_key(name: str) -> str:
    """How a commune's name is compared: no accents, case, hyphens, apostrophes or "St".

    ``Saint-Ouen-sur-Seine``, ``ST OUEN SUR SEINE`` → ``saint ouen sur seine``;
    ``L'Abergement-Clémenciat`` → ``l abergement clemenciat``; ``Paris 11e Arrondissement``
    keeps its number: ``paris 11e arrondissement``.
    """
    text = re.sub(r"[^a-z0-9]+", " ", _fold(name)).strip()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in text.split())


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune (or an arrondissement of Paris, Lyon or Marseille)."""

    code: str
    name: str
    departement: str
    #: SIREN of its EPCI; "" for the few communes in none (some islands).
    epci: str
    postcodes: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    #: False when the position is estimated from the other communes of its EPCI.
    precise: bool
    population: int
    #: For an arrondissement: the code of its city (75056 for Paris).
    parent: str = ""


@dataclass(frozen=True)
class Epci:
    code: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    latitude: float | None
    longitude: float | None
    neighbours: tuple[str, ...]


@dataclass
class Communes:
    """The lists, indexed for look-ups by code, postcode and name."""

    by_code: dict[str, Commune] = field(default_factory=dict)
    by_postcode: dict[str, list[Commune]] = field(default_factory=dict)
    #: Current names, then former names (communes merged into a new one).
    by_key: dict[str, list[Commune]] = field(default_factory=dict)
    by_former_key: dict[str, list[Commune]] = field(default_factory=dict)
    epcis: dict[str, Epci] = field(default_factory=dict)
    departements: dict[str, Departement] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    _sorted_keys: list[str] = field(default_factory=list)
    _cities: frozenset[str] = frozenset()
    _grid: dict[tuple[int, int], list[Commune]] | None = None
    #: The arrondissements of Paris, Lyon and Marseille, by city.
    _arrondissements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Name keys by (first letter, length), for close matches.
    _keys_by_shape: dict[tuple[str, int], list[str]] | None = None

    def commune(self, code: str) -> Commune | None:
        return self.by_code.get(code.upper())

    def postcode(self, postcode: str) -> list[Commune]:
        """The communes a postcode serves, the most populated first (for a postcode of
        Paris, Lyon or Marseille: its arrondissement)."""
        return self.by_postcode.get(postcode, [])

    def postcode_exists(self, postcode: str) -> bool:
        return postcode in self.by_postcode

    def named(self, name: str) -> list[Commune]:
        """The communes with this name, the most populated first, then those that had it
        before a merger. Accents, case, hyphens, "St" and a leading article do not matter."""
        key = name_key(name)
        keys = [key]
        bare = _ARTICLE.sub("", key)
        if bare != key:
            keys.append(bare)
        keys += [
            article + bare for article in ("le ", "la ", "les ", "l ") if article + bare != key
        ]
        found: dict[str, Commune] = {}
        for index in (self.by_key, self.by_former_key):
            for candidate in keys:
                for commune in index.get(candidate, ()):
                    found.setdefault(commune.code, commune)
            if found and index is self.by_key:
                break
        return list(found.values())

    def starting_with(self, name: str, limit: int = 6) -> list[Commune]:
        """Communes whose name starts with what was typed ("aubervil"), most populated first."""
        key = name_key(name)
        if len(key) < 3:
            return []
        start = bisect.bisect_left(self._sorted_keys, key)
        found: dict[str, Commune] = {}
        for candidate in self._sorted_keys[start:]:
            if not candidate.startswith(key):
                break
            for commune in self.by_key[candidate]:
                found.setdefault(commune.code, commune)
        ranked = sorted(found.values(), key=_by_size)
        return ranked[:limit]

    def epci_members(self, code: str) -> tuple[str, ...]:
        epci = self.epcis.get(code)
        return epci.members if epci else ()

    def nearest(self, latitude: float, longitude: float, within_km: float = 15.0) -> Commune | None:
        """The commune with its own position nearest to a point, if one is that close."""
        if self._grid is None:
            grid: dict[tuple[int, int], list[Commune]] = defaultdict(list)
            for commune in self.by_code.values():
                if commune.precise and not self._is_city(commune):
                    grid[_cell(commune.latitude, commune.longitude)].append(commune)  # type: ignore[arg-type]
            self._grid = dict(grid)
        row, column = _cell(latitude, longitude)
        best: tuple[float, Commune] | None = None
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for commune in self._grid.get((row + dr, column + dc), ()):
                    d = distance_km(latitude, longitude, commune.latitude, commune.longitude)  # type: ignore[arg-type]
                    if d <= within_km and (best is None or d < best[0]):
                        best = (d, commune)
        return best[1] if best else None

    def _is_city(self, commune: Commune) -> bool:
        return commune.code in self._cities

    def arrondissements(self, code: str) -> tuple[str, ...]:
        """The codes of the arrondissements of Paris, Lyon or Marseille; () elsewhere."""
        return self._arrondissements.get(code, ())

    def keys_like(self, key: str, spread: int = 1) -> list[str]:
        """Name keys with the same first letter and about the same length as ``key``."""
        if self._keys_by_shape is None:
            shapes: dict[tuple[str, int], list[str]] = defaultdict(list)
            for candidate in self.by_key:
                shapes[(candidate[:1], len(candidate))].append(candidate)
            self._keys_by_shape = dict(shapes)
        return [
            candidate
            for length in range(len(key) - spread, len(key) + spread + 1)
            for candidate in self._keys_by_shape.get((key[:1], length), ())
        ]

    def city_of(self, commune: Commune) -> Commune:
        """Paris for an arrondissement of Paris; the commune itself otherwise."""
        if commune.parent:
            return self.by_code.get(commune.parent, commune)
        return commune


#: Cells of the grid of positions: about 17 km of latitude.
_CELL_DEGREES = 0.15


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return int(latitude // _CELL_DEGREES), int(longitude // _CELL_DEGREES)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _by_size(commune: Commune) -> tuple[int, str]:
    return -commune.population, commune.code


def _number(text: str) -> float | None:
    return float(text) if text else None


def load(path: Path = DATA_FILE) -> Communes:
    """Read the data file (see scripts/build_communes.py for its columns)."""
    data = Communes()
    by_key: dict[str, list[Commune]] = defaultdict(list)
    by_former_key: dict[str, list[Commune]] = defaultdict(list)
    by_postcode: dict[str, list[Commune]] = defaultdict(list)
    members: dict[str, list[str]] = defaultdict(list)
    epci_names: dict[str, str] = {}
    aliases: list[tuple[str, str]] = []
    sources = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            cells = line.rstrip("\n").split("\t")
            kind = cells[0]
            if kind == "C":
                code, name, dep, epci, postcodes, lat, lon, precise, people, parent, key = cells[1:]
                commune = Commune(
                    code,
                    name,
                    dep,
                    epci,
                    tuple(postcodes.split()),
                    float(lat) if lat else None,
                    float(lon) if lon else None,
                    precise == "1",
                    int(people or 0),
                    parent,
                )
                data.by_code[code] = commune
                by_key[key].append(commune)
                if epci:
                    members[epci].append(code)
            elif kind == "A":
                aliases.append((cells[3], cells[2]))
            elif kind == "E":
                epci_names[cells[1]] = cells[2]
            elif kind == "D":
                code, name, lat, lon, neighbours = cells[1:]
                data.departements[code] = Departement(
                    code, name, _number(lat), _number(lon), tuple(neighbours.split())
                )
            elif kind == "#source":
                sources.append(cells[1])
    cities = {commune.parent for commune in data.by_code.values() if commune.parent}
    for commune in data.by_code.values():
        if commune.code not in cities:  # Paris's postcodes are its arrondissements'
            for postcode in commune.postcodes:
                by_postcode[postcode].append(commune)
    for key, code in aliases:
        commune = data.by_code.get(code)
        if commune is not None:
            by_former_key[key].append(commune)
    for code, name in epci_names.items():
        data.epcis[code] = Epci(code, name, tuple(members.get(code, ())))
    data.by_key = {key: sorted(found, key=_by_size) for key, found in by_key.items()}
    data.by_former_key = {key: sorted(found, key=_by_size) for key, found in by_former_key.items()}
    data.by_postcode = {key: sorted(found, key=_by_size) for key, found in by_postcode.items()}
    data._sorted_keys = sorted(data.by_key)
    data._cities = frozenset(cities)
    children: dict[str, list[str]] = defaultdict(list)
    for commune in data.by_code.values():
        if commune.parent:
            children[commune.parent].append(commune.code)
    data._arrondissements = {city: tuple(codes) for city, codes in children.items()}
    data.sources = tuple(sources)
    return data


@lru_cache(maxsize=1)
def communes() -> Communes:
    """The official lists, loaded once per process."""
    return load()
