"""Benchmark of the places: import and search at national scale (20 000 places, seeded).

Generates a file of the national standard (v1.0.2 columns, plus the legacy
``conditions_acces`` for the Pass numérique) with places spread like the real inventory:
most around 38 cities, the rest over the whole of metropolitan France, in synthetic
communes (names with accents, some homonyms) and postcodes consistent with their
département. Then, on a temporary SQLite file and, when a server answers, on a temporary
PostgreSQL database (created and dropped here), both brought up by the Alembic migrations:

* import of the 20 000 places into an empty table, the same file again (nothing changes),
  and a file where 1 000 places changed;
* ``search_places`` for a seeded mix of queries: known postcodes, unknown postcodes (the
  département fallback), commune names as stored and typed without accents in capitals,
  half with filters, some on page 2. The time is the whole call, server side (query
  understanding, SQL, distances, loading the page's places), after a short warm-up.

Run: ``.venv/bin/python -m bench.places`` (writes docs/places-benchmark.md; under a minute).
Options: ``--places``, ``--queries``, ``--seed``, ``--postgres URL`` (an admin URL on which
to create the temporary database; ``--postgres ''`` to skip), ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # `python bench/places.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from app import migrate
from app.extensions import make_engine
from app.places.importer import ImportReport, import_places
from app.places.schema import (
    FRAIS_A_CHARGE,
    MODALITES_ACCES,
    SERVICES,
    V1_COLUMNS,
    Mode,
    departement_of,
    fold,
)
from app.places.search import SearchFilters, search_places
from bench.common import DEFAULT_POSTGRES, machine, postgres_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "places-benchmark.md"
DEFAULT_SEED = 20261126
DEFAULT_PLACES = 20_000
DEFAULT_QUERIES = 200
WARM_UP = 20
CHANGED = 1_000
PASS_VALUE = (
    "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu"
)

#: (name, département, latitude, longitude): cities the places cluster around.
CITIES = (
    ("Paris", "75", 48.857, 2.352),
    ("Marseille", "13", 43.296, 5.370),
    ("Lyon", "69", 45.764, 4.836),
    ("Toulouse", "31", 43.605, 1.444),
    ("Nice", "06", 43.710, 7.262),
    ("Nantes", "44", 47.218, -1.554),
    ("Strasbourg", "67", 48.573, 7.752),
    ("Montpellier", "34", 43.611, 3.877),
    ("Bordeaux", "33", 44.838, -0.579),
    ("Lille", "59", 50.629, 3.057),
    ("Rennes", "35", 48.117, -1.678),
    ("Reims", "51", 49.258, 4.032),
    ("Le Havre", "76", 49.494, 0.108),
    ("Saint-Étienne", "42", 45.440, 4.387),
    ("Toulon", "83", 43.124, 5.928),
    ("Grenoble", "38", 45.188, 5.724),
    ("Dijon", "21", 47.322, 5.041),
    ("Angers", "49", 47.478, -0.563),
    ("Nîmes", "30", 43.837, 4.360),
    ("Clermont-Ferrand", "63", 45.778, 3.087),
    ("Le Mans", "72", 48.006, 0.199),
    ("Aix-en-Provence", "13", 43.529, 5.447),
    ("Brest", "29", 48.390, -4.486),
    ("Tours", "37", 47.394, 0.685),
    ("Amiens", "80", 49.894, 2.296),
    ("Limoges", "87", 45.834, 1.261),
    ("Perpignan", "66", 42.699, 2.895),
    ("Metz", "57", 49.119, 6.176),
    ("Besançon", "25", 47.238, 6.024),
    ("Orléans", "45", 47.903, 1.909),
    ("Rouen", "76", 49.443, 1.099),
    ("Caen", "14", 49.183, -0.371),
    ("Nancy", "54", 48.692, 6.184),
    ("Poitiers", "86", 46.580, 0.340),
    ("Pau", "64", 43.295, -0.370),
    ("La Rochelle", "17", 46.160, -1.151),
    ("Ajaccio", "2A", 41.919, 8.738),
    ("Bastia", "2B", 42.697, 9.450),
)
_PREFIXES = ("Saint-", "Sainte-", "", "", "Le ", "La ", "Les ", "Villers-")
_STEMS = (
    "Étang",
    "Château",
    "Bois",
    "Mont",
    "Val",
    "Pré",
    "Côte",
    "Rivière",
    "Fontaine",
    "Écluse",
    "Forêt",
    "Moulin",
    "Plaine",
    "Pont",
    "Hôpital",
    "Chêne",
)
_SUFFIXES = ("", "-sur-Loire", "-en-Bray", "-lès-Bains", "-la-Forêt", "-d'Azé", "-le-Haut", "")
HOURS = (
    "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00",
    "Mo-Fr 09:00-17:00",
    "Tu-Sa 10:00-18:00",
    "Mo,We,Fr 14:00-18:00",
    "Mo-Fr 08:30-12:00,13:30-17:00; PH off",
    "We 14:00-17:00; Sa 09:30-12:30",
    "",
)


@dataclass(frozen=True)
class Commune:
    name: str
    departement: str
    postcode: str
    latitude: float
    longitude: float
    weight: float


def _postcode(rng: random.Random, departement: str) -> str:
    if departement == "2A":
        return f"20{rng.randrange(0, 200):03d}"
    if departement == "2B":
        return f"20{rng.randrange(200, 300):03d}"
    return f"{departement}{rng.randrange(100, 1000, 10):03d}"


def make_communes(rng: random.Random, count: int) -> list[Commune]:
    """The cities, communes around them, and rural communes everywhere."""
    communes = [
        Commune(
            name, dep, _postcode(rng, dep) if dep in ("2A", "2B") else f"{dep}000", lat, lon, 60.0
        )
        for name, dep, lat, lon in CITIES
    ]
    while len(communes) < count:
        if rng.random() < 0.55:
            _, dep, clat, clon = rng.choice(CITIES)
            lat, lon = rng.gauss(clat, 0.12), min(rng.gauss(clon, 0.16), 9.45)
            weight = rng.uniform(1.0, 6.0)
        else:
            lat, lon = rng.uniform(42.6, 50.9), rng.uniform(-4.3, 7.9)
            dep = min(CITIES, key=lambda c: (c[2] - lat) ** 2 + (c[3] - lon) ** 2)[1]
            weight = rng.uniform(0.3, 2.0)
        name = rng.choice(_PREFIXES) + rng.choice(_STEMS) + rng.choice(_SUFFIXES)
        communes.append(Commune(name, dep, _postcode(rng, dep), lat, lon, weight))
    return communes


def make_csv(
    rng: random.Random,
    communes: Sequence[Commune],
    count: int,
    *,
    start: int = 0,
    stamp: date = date(2026, 6, 1),
) -> str:
    columns = (*V1_COLUMNS, "conditions_acces")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    weights = [c.weight for c in communes]
    for number in range(start, start + count):
        commune = rng.choices(communes, weights)[0]
        row = dict.fromkeys(columns, "")
        row.update(
            {
                "id": f"bench-{number:06d}",
                "pivot": "00000000000000",
                "nom": f"Espace numérique n° {number}",
                "commune": commune.name,
                "code_postal": commune.postcode,
                "adresse": f"{rng.randrange(1, 200)} rue de la République",
                "latitude": f"{commune.latitude + rng.gauss(0, 0.01):.5f}",
                "longitude": f"{commune.longitude + rng.gauss(0, 0.014):.5f}",
                "telephone": f"+33199{rng.randrange(1_000_000):06d}",
                "horaires": rng.choice(HOURS),
                "date_maj": (stamp - timedelta(days=rng.randrange(300))).isoformat(),
                "services": "|".join(rng.sample(SERVICES, rng.randint(1, 4))),
                "frais_a_charge": "|".join(rng.sample(FRAIS_A_CHARGE, rng.choice((1, 1, 1, 2)))),
                "modalites_acces": "|".join(rng.sample(MODALITES_ACCES, rng.randint(1, 2))),
                "modalites_accompagnement": "|".join(
                    m.value for m in rng.sample(list(Mode), rng.randint(1, 3))
                ),
                "conditions_acces": PASS_VALUE if rng.random() < 0.1 else "",
            }
        )
        writer.writerow([row[c] for c in columns])
    return out.getvalue()


def changed_csv(original: str, rng: random.Random, changed: int) -> str:
    """The same file with ``changed`` places renamed and re-dated."""
    lines = original.splitlines()
    header, body = lines[0], lines[1:]
    columns = header.split(",")
    name_at, date_at = columns.index("nom"), columns.index("date_maj")
    picked = set(rng.sample(range(len(body)), changed))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for position, cells in enumerate(csv.reader(body)):
        if position in picked:
            cells[name_at] += " (nouveau nom)"
            cells[date_at] = "2026-11-01"
        writer.writerow(cells)
    return out.getvalue()


@dataclass(frozen=True)
class Query:
    kind: str  # postcode | unknown postcode | commune | commune typed plainly
    text: str
    filters: SearchFilters
    page: int


def make_queries(rng: random.Random, communes: Sequence[Commune], count: int) -> list[Query]:
    known = sorted({c.postcode for c in communes})
    departements = sorted({c.departement for c in communes})
    queries = []
    for number in range(count):
        roll = number % 4
        if roll == 0:
            kind, query = "postcode", rng.choice(known)
        elif roll == 1:
            kind = "unknown postcode"
            while True:
                dep = rng.choice(departements)
                query = _postcode(rng, dep)[:-1] + "7"  # known ones end in 0
                if query not in known and departement_of(query) == dep:
                    break
        elif roll == 2:
            kind, query = "commune", rng.choice(communes).name
        else:
            kind, query = "commune typed plainly", fold(rng.choice(communes).name).upper()
            query = query.replace("-", " ").replace("SAINT ", "ST ")
        filters = SearchFilters()
        if rng.random() < 0.5:
            filters = SearchFilters(
                pass_numerique=rng.random() < 0.3,
                free=rng.random() < 0.5,
                job_search=rng.random() < 0.6,
                modes=frozenset(rng.sample(list(Mode), rng.choice((0, 1, 2)))),
            )
        queries.append(Query(kind, query, filters, 2 if rng.random() < 0.15 else 1))
    return queries


# --------------------------------------------------------------------------------------------
# Runs


@dataclass
class Run:
    database: str
    version: str
    imports: list[tuple[str, float, ImportReport]] = field(default_factory=list)
    timings: list[tuple[Query, float, int]] = field(default_factory=list)


def _timed(action: Callable[[], ImportReport]) -> tuple[float, ImportReport]:
    start = time.perf_counter()
    report = action()
    return time.perf_counter() - start, report


def run_on(
    url: str,
    label: str,
    files: tuple[str, str],
    queries: Sequence[Query],
    log: Callable[[str], None],
) -> Run:
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            version = "SQLite " + connection.execute(text("select sqlite_version()")).scalar_one()
        else:
            raw = connection.execute(text("show server_version")).scalar_one()
            version = "PostgreSQL " + str(raw).split()[0]
    run = Run(label, version)
    first, changed = files
    with Session(engine, expire_on_commit=False) as db:
        for name, content in (
            ("20 000 new places", first),
            ("same file again", first),
            (f"{CHANGED} places changed", changed),
        ):
            seconds, report = _timed(lambda content=content: import_places(db, content))
            run.imports.append((name, seconds, report))
            log(f"{label}: import {name}: {seconds:.2f} s ({report.summary()})")
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a large import, in production.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE place"))
    with Session(engine, expire_on_commit=False) as db:
        for query in queries[:WARM_UP]:
            search_places(db, query.text, filters=query.filters, page=query.page)
        for query in queries:
            start = time.perf_counter()
            result = search_places(db, query.text, filters=query.filters, page=query.page)
            elapsed = (time.perf_counter() - start) * 1000
            run.timings.append((query, elapsed, result.total))
            db.expunge_all()  # each request has its own session in the web app
    engine.dispose()
    median = statistics.median(t for _, t, _ in run.timings)
    log(f"{label}: {len(queries)} searches, median {median:.2f} ms")
    return run


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="repere-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'places.sqlite3'}"


def postgres_reachable(admin_url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(make_url(admin_url))
        engine.connect().close()
        engine.dispose()
    except Exception as error:
        return str(error).splitlines()[0]
    return None


# --------------------------------------------------------------------------------------------
# Report


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _stats(values: Sequence[float]) -> str:
    if not values:
        return "| – | – | – | – |"
    return (
        f"| {len(values)} | {statistics.median(values):.2f} | {_percentile(values, 0.95):.2f} "
        f"| {max(values):.2f} |"
    )


def report(runs: Sequence[Run], args: argparse.Namespace, skipped: str | None) -> str:
    out = [
        "# Places: import and search benchmark",
        "",
        f"Written by `bench/places.py` on {date.today().isoformat()}. "
        f"Machine: {machine()} (sqlite3 module {sqlite3.sqlite_version}).",
        "",
        "## Method",
        "",
        f"- {_thousands(args.places)} places (seed {args.seed}) in the national standard's v1.0.2 "
        "columns (plus the legacy `conditions_acces`, Pass numérique on about 10 %), in "
        "synthetic communes: 55 % around 38 cities, 45 % anywhere in metropolitan France; "
        "postcodes consistent with their département.",
        "- Each database is made by the Alembic migrations (same indexes as production): a "
        "temporary SQLite file (WAL, as the app opens it) and a temporary PostgreSQL database, "
        "dropped at the end. On PostgreSQL, `ANALYZE place` runs after the imports, as "
        "autovacuum does shortly after a large import.",
        "- Imports: `import_places` on the whole text, parsing and checking every row included, "
        "one transaction.",
        f"- Searches: {args.queries} seeded queries, a quarter each of known postcodes, "
        "unknown postcodes (département fallback), commune names as stored, and commune names "
        'typed without accents, in capitals, with "ST" for Saint; half with filters '
        "(Pass numérique, free, job search, modes), 15 % on page 2; 10 per page. "
        f"{WARM_UP} warm-up queries first. Time: the whole `search_places` call, from the "
        "query string to the page's `Place` objects, on one connection.",
        "- One run, on a shared machine: medians moved by up to a third between runs while "
        "this was written (other work on the same two CPUs).",
        "",
    ]
    if skipped:
        out += [f"PostgreSQL was not measured: {skipped}.", ""]
    for run in runs:
        out += [
            f"## {run.database} ({run.version})",
            "",
            "| import | seconds | result |",
            "|---|---:|---|",
        ]
        for name, seconds, result in run.imports:
            out.append(f"| {name} | {seconds:.2f} | {result.summary()} |")
        out += ["", "| searches | n | median ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|"]
        times = [t for _, t, _ in run.timings]
        out.append("| all " + _stats(times))
        plain = [t for q, t, _ in run.timings if q.filters == SearchFilters()]
        filtered = [t for q, t, _ in run.timings if q.filters != SearchFilters()]
        out.append("| without filters " + _stats(plain))
        out.append("| with filters " + _stats(filtered))
        for kind in ("postcode", "unknown postcode", "commune", "commune typed plainly"):
            out.append(f"| {kind} " + _stats([t for q, t, _ in run.timings if q.kind == kind]))
        totals = [n for _, _, n in run.timings]
        empty = sum(1 for n in totals if n == 0)
        out += [
            "",
            f"Places found per query: median {statistics.median(totals):.0f}, "
            f"{empty} queries with none.",
            "",
        ]
    out += [
        "## Rerun",
        "",
        "```sh",
        ".venv/bin/python -m bench.places            # SQLite, and PostgreSQL if it answers",
        ".venv/bin/python -m bench.places --postgres ''   # SQLite only",
        "```",
        "",
        "The PostgreSQL server is `TEST_POSTGRES_URL` (default "
        "`postgresql+psycopg://postgres@127.0.0.1:5432/test`) or `--postgres URL`; the "
        "benchmark creates a database `repere_bench_…` there and drops it.",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--places", type=int, default=DEFAULT_PLACES)
    parser.add_argument("--queries", type=int, default=DEFAULT_QUERIES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    start = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:5.1f} s] {message}", file=sys.stderr, flush=True)

    rng = random.Random(args.seed)
    communes = make_communes(rng, max(50, args.places // 5))
    first = make_csv(rng, communes, args.places)
    files = (first, changed_csv(first, rng, min(CHANGED, args.places)))
    queries = make_queries(rng, communes, args.queries)
    log(f"{args.places} places in {len(communes)} communes, {len(queries)} queries")

    runs = []
    with sqlite_database() as url:
        runs.append(run_on(url, "SQLite", files, queries, log))
    skipped = None
    if args.postgres:
        skipped = postgres_reachable(args.postgres)
        if skipped is None:
            with postgres_database(args.postgres) as url:
                runs.append(run_on(url, "PostgreSQL", files, queries, log))
    else:
        skipped = "skipped (--postgres '')"

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(runs, args, skipped), encoding="utf-8")
    log(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
