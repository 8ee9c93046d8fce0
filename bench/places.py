"""Benchmark of the places: a messy national file imported, and searched, at national scale.

Generates a file of the national standard (v1.0.2 columns, the legacy ``conditions_acces``
for the Pass numérique, and two columns of a newer version) with 20 000 places in real
communes of the official list (the larger the commune, the more places, as in the real
inventory), at their real postcodes, around their positions. Real open data is messy, so the
file is too: about 1 row in 40 repeats an earlier identifier, and others have typos in the
lists' values, hours in free text, no coordinates, swapped coordinates, malformed e-mail
addresses and phone numbers, web addresses without https://, no postcode, no name, a date
written the French way.

Then, on a temporary SQLite file and, when a server answers, on a temporary PostgreSQL
database (created and dropped here), both brought up by the Alembic migrations:

* imports (the whole ``import_places`` call: reading, checking every row, writing): the file
  into an empty table, the same file again, a file where 1 000 places changed, and a newer
  snapshot where 500 places are gone (retired);
* ``search_places`` for a seeded mix of queries: postcodes with places, postcodes of communes
  without any, commune names as stored, typed without accents in capitals with "ST" for
  Saint, misspelt, and postcodes that do not exist; half with filters, some on page 2. The
  time is the whole call (understanding the query, SQL, distances, loading the page's
  places), after a short warm-up;
* (SQLite) every postcode of the official list searched, and every commune's name with its
  département understood: none may end in "not found".

Run: ``.venv/bin/python -m bench.places`` (writes docs/places-benchmark.md; a few minutes).
Options: ``--places``, ``--queries``, ``--seed``, ``--postgres URL`` (an admin URL on which
to create the temporary database; ``--postgres ''`` to skip), ``--no-sweep``, ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
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
from app.places import search as search_module
from app.places.communes import Commune, communes
from app.places.importer import ImportReport, import_places
from app.places.schema import (
    FRAIS_A_CHARGE,
    MODALITES_ACCES,
    SERVICES,
    V1_COLUMNS,
    Mode,
    fold,
)
from app.places.search import SearchFilters, WhereKind, search_places
from bench.common import DEFAULT_POSTGRES, machine, postgres_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "places-benchmark.md"
DEFAULT_SEED = 20261126
DEFAULT_PLACES = 20_000
DEFAULT_QUERIES = 300
WARM_UP = 20
#: What a search must take at 20 000 places (clock time of the whole `search_places` call).
TARGET_MEDIAN_MS = 10.0
TARGET_P95_MS = 30.0
CHANGED = 1_000
GONE = 500
SOURCE = "cartographie-nationale"
PASS_VALUE = (
    "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu"
)
#: Columns of a newer version of the standard, unknown to Repère.
NEWER_COLUMNS = ("structure_porteuse", "labels_2027")
HOURS = (
    "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00",
    "Mo-Fr 09:00-17:00",
    "Tu-Sa 10:00-18:00",
    "Mo,We,Fr 14:00-18:00",
    "Mo-Fr 08:30-12:00,13:30-17:00; PH off",
    "We 14:00-17:00; Sa 09:30-12:30",
    "",
)
FREE_TEXT_HOURS = (
    "du lundi au vendredi 9h-12h",
    "Lundi : 14h-17h, mercredi matin",
    "sur rendez-vous",
    "Mo-Fr 9h-12h",
)
BAD_EMAILS = ("mfs@ville-louvres", "maisondes services@mairie.example", "accueil.mairie.example")
BAD_PHONES = ("01 99 00 12", "3949", "tél. mairie", "+44 20 7946 0958")

#: Defects, and how often a row has each (independently).
DEFECTS = {
    "duplicate id": 0.025,
    "value typo": 0.04,
    "free-text hours": 0.05,
    "no coordinates": 0.06,
    "swapped coordinates": 0.01,
    "bad e-mail": 0.03,
    "bad phone": 0.03,
    "web address without https": 0.03,
    "no postcode": 0.01,
    "no name": 0.005,
    "french date": 0.01,
}


def _place_communes(rng: random.Random) -> tuple[list[Commune], list[float]]:
    """The communes places are drawn from, weighted like the real inventory: a place in most
    towns of 2 000 inhabitants or more, several in cities, a few in villages."""
    chosen = [c for c in communes().by_code.values() if c.latitude is not None and c.postcodes]
    weights = [max(c.population, 50) ** 0.8 for c in chosen]
    return chosen, weights


def _typo(rng: random.Random, value: str) -> str:
    """One letter dropped, or the case changed, or a trailing s."""
    roll = rng.random()
    if roll < 0.4 and len(value) > 4:
        at = rng.randrange(1, len(value) - 1)
        return value[:at] + value[at + 1 :]
    if roll < 0.7:
        return value + "s"
    return value.upper()


def make_csv(rng: random.Random, count: int, *, stamp: date = date(2026, 6, 1)) -> str:
    chosen, weights = _place_communes(rng)
    columns = (*V1_COLUMNS, "conditions_acces", *NEWER_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for number in range(count):
        commune = rng.choices(chosen, weights)[0]
        lat = commune.latitude + rng.gauss(0, 0.01)  # type: ignore[operator]
        lon = commune.longitude + rng.gauss(0, 0.014)  # type: ignore[operator]
        row = dict.fromkeys(columns, "")
        row.update(
            {
                "id": f"bench-{number:06d}",
                "pivot": "00000000000000",
                "nom": f"Espace numérique n° {number}",
                "commune": commune.name,
                "code_postal": rng.choice(commune.postcodes),
                "code_insee": commune.code if rng.random() < 0.7 else "",
                "adresse": f"{rng.randrange(1, 200)} rue de la République",
                "latitude": f"{lat:.5f}",
                "longitude": f"{lon:.5f}",
                "telephone": f"+33199{rng.randrange(1_000_000):06d}",
                "courriels": f"contact@lieu-{number}.example",
                "site_web": f"https://lieu-{number}.example/" if rng.random() < 0.5 else "",
                "horaires": rng.choice(HOURS),
                "date_maj": (stamp - timedelta(days=rng.randrange(300))).isoformat(),
                "services": "|".join(rng.sample(SERVICES, rng.randint(1, 4))),
                "frais_a_charge": "|".join(rng.sample(FRAIS_A_CHARGE, rng.choice((1, 1, 1, 2)))),
                "modalites_acces": "|".join(rng.sample(MODALITES_ACCES, rng.randint(1, 2))),
                "modalites_accompagnement": "|".join(
                    m.value for m in rng.sample(list(Mode), rng.randint(1, 3))
                ),
                "conditions_acces": PASS_VALUE if rng.random() < 0.1 else "",
                "structure_porteuse": "Commune",
            }
        )
        if number > 10 and rng.random() < DEFECTS["duplicate id"]:
            row["id"] = f"bench-{rng.randrange(number):06d}"
        if rng.random() < DEFECTS["value typo"]:
            column = rng.choice(("services", "frais_a_charge", "modalites_accompagnement"))
            values = row[column].split("|")
            values[0] = _typo(rng, values[0])
            row[column] = "|".join(values)
        if rng.random() < DEFECTS["free-text hours"]:
            row["horaires"] = rng.choice(FREE_TEXT_HOURS)
        if rng.random() < DEFECTS["no coordinates"]:
            row["latitude"] = row["longitude"] = ""
        elif rng.random() < DEFECTS["swapped coordinates"]:
            row["latitude"], row["longitude"] = row["longitude"], row["latitude"]
        if rng.random() < DEFECTS["bad e-mail"]:
            row["courriels"] = rng.choice(BAD_EMAILS)
        if rng.random() < DEFECTS["bad phone"]:
            row["telephone"] = rng.choice(BAD_PHONES)
        if rng.random() < DEFECTS["web address without https"]:
            row["site_web"] = f"lieu-{number}.example"
        if rng.random() < DEFECTS["no postcode"]:
            row["code_postal"] = ""
        if rng.random() < DEFECTS["no name"]:
            row["nom"] = ""
        if rng.random() < DEFECTS["french date"]:
            row["date_maj"] = "15/03/2026"
        writer.writerow([row[c] for c in columns])
    return out.getvalue()


def changed_csv(original: str, rng: random.Random, changed: int, gone: int = 0) -> str:
    """The same file with ``changed`` places renamed and re-dated, ``gone`` places left out."""
    rows = list(csv.reader(io.StringIO(original)))
    header, body = rows[0], rows[1:]
    name_at, date_at = header.index("nom"), header.index("date_maj")
    picked = set(rng.sample(range(len(body)), changed))
    left_out = set(rng.sample(sorted(set(range(len(body))) - picked), gone))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for position, cells in enumerate(body):
        if position in left_out:
            continue
        if position in picked and cells[name_at]:
            cells[name_at] += " (nouveau nom)"
            cells[date_at] = "2026-11-01"
        writer.writerow(cells)
    return out.getvalue()


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    filters: SearchFilters
    page: int


QUERY_KINDS = (
    "postcode with places",
    "postcode without places",
    "commune",
    "commune typed plainly",
    "misspelt commune",
    "postcode that does not exist",
)


def make_queries(rng: random.Random, file_text: str, count: int) -> list[Query]:
    rows = list(csv.DictReader(io.StringIO(file_text)))
    with_places = sorted({r["code_postal"] for r in rows if r["code_postal"]})
    known = communes()
    without = sorted(set(known.by_postcode) - set(with_places))
    named = [r["commune"] for r in rows if r["commune"]]
    queries = []
    for number in range(count):
        kind = QUERY_KINDS[number % len(QUERY_KINDS)]
        if kind == "postcode with places":
            query = rng.choice(with_places)
        elif kind == "postcode without places":
            query = rng.choice(without)
        elif kind == "commune":
            query = rng.choice(named)
        elif kind == "commune typed plainly":
            query = fold(rng.choice(named)).upper().replace("-", " ").replace("SAINT ", "ST ")
        elif kind == "misspelt commune":
            name = rng.choice(named)
            at = rng.randrange(1, max(2, len(name) - 1))
            query = name[:at] + name[at + 1 :]
        else:
            while True:
                query = f"{rng.randrange(1000, 96000):05d}"
                if not known.postcode_exists(query):
                    break
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
class Sweep:
    postcodes: int = 0
    postcodes_understood: int = 0
    postcodes_seconds: float = 0.0
    communes: int = 0
    communes_found: int = 0
    communes_exact: int = 0
    communes_seconds: float = 0.0
    not_understood: list[str] = field(default_factory=list)


@dataclass
class Run:
    database: str
    version: str
    #: The machine's load average (1 minute) when the searches started and ended.
    load: tuple[float, float] = (0.0, 0.0)
    #: CPU time of this process per search, ms (SQLite: all of the work; PostgreSQL: the
    #: app's side only). Unlike the clock, it does not count waiting for a busy CPU.
    cpu: list[float] = field(default_factory=list)
    imports: list[tuple[str, float, ImportReport]] = field(default_factory=list)
    timings: list[tuple[Query, float, int, bool]] = field(default_factory=list)
    sweep: Sweep | None = None


def sweep_france(db: Session) -> Sweep:
    """Every postcode searched, every commune (name and département) understood."""
    known = communes()
    result = Sweep()
    start = time.perf_counter()
    for postcode in sorted(known.by_postcode):
        result.postcodes += 1
        if search_places(db, postcode).where.kind is WhereKind.POSTCODE:
            result.postcodes_understood += 1
        else:
            result.not_understood.append(postcode)
        db.expunge_all()
    result.postcodes_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for commune in known.by_code.values():
        result.communes += 1
        where, _areas = search_module._locate(db, known, f"{commune.name} {commune.departement}")
        if where.found:
            result.communes_found += 1
        else:
            result.not_understood.append(commune.name)
        if where.code == commune.code:
            result.communes_exact += 1
    result.communes_seconds = time.perf_counter() - start
    return result


def _timed(action: Callable[[], ImportReport]) -> tuple[float, ImportReport]:
    start = time.perf_counter()
    report = action()
    return time.perf_counter() - start, report


def run_on(
    url: str,
    label: str,
    files: Sequence[tuple[str, str]],
    queries: Sequence[Query],
    log: Callable[[str], None],
    *,
    sweep: bool = False,
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
    with Session(engine, expire_on_commit=False) as db:
        for name, content in files:
            seconds, report = _timed(
                lambda content=content: import_places(
                    db, content, source=SOURCE, allow_mass_retirement=False
                )
            )
            run.imports.append((name, seconds, report))
            log(f"{label}: import {name}: {seconds:.2f} s ({report.summary()})")
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a large import, in production.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE place"))
    load_before = os.getloadavg()[0]
    with Session(engine, expire_on_commit=False) as db:
        for query in queries[:WARM_UP]:
            search_places(db, query.text, filters=query.filters, page=query.page)
        for query in queries:
            start, cpu_start = time.perf_counter(), time.process_time()
            result = search_places(db, query.text, filters=query.filters, page=query.page)
            elapsed = (time.perf_counter() - start) * 1000
            run.cpu.append((time.process_time() - cpu_start) * 1000)
            run.timings.append((query, elapsed, result.total, result.where.found))
            db.expunge_all()  # each request has its own session in the web app
        run.load = (load_before, os.getloadavg()[0])
        if sweep:
            run.sweep = sweep_france(db)
            log(
                f"{label}: {run.sweep.postcodes_understood}/{run.sweep.postcodes} postcodes, "
                f"{run.sweep.communes_found}/{run.sweep.communes} communes understood"
            )
    engine.dispose()
    median = statistics.median(t for _, t, _, _ in run.timings)
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


def _verdict(times: Sequence[float]) -> str:
    """Say whether the searches meet the targets, with the figures."""
    median, p95 = statistics.median(times), _percentile(times, 0.95)
    met = median < TARGET_MEDIAN_MS and p95 < TARGET_P95_MS
    return (
        f"Search targets (median < {TARGET_MEDIAN_MS:g} ms, p95 < {TARGET_P95_MS:g} ms): "
        f"{'met' if met else '**not met**'} (median {median:.2f} ms, p95 {p95:.2f} ms)."
    )


def _import_line(name: str, seconds: float, result: ImportReport) -> str:
    return (
        f"| {name} | {seconds:.2f} | {result.created} | {result.updated} | {result.unchanged} "
        f"| {result.retired} | {len(result.skipped)} | {len(result.warnings)} |"
    )


def report(runs: Sequence[Run], args: argparse.Namespace, skipped: str | None) -> str:
    defects = ", ".join(f"{name} {share:.1%}" for name, share in DEFECTS.items())
    out = [
        "# Places: import and search benchmark",
        "",
        f"Written by `bench/places.py` on {date.today().isoformat()}. "
        f"Machine: {machine()} (sqlite3 module {sqlite3.sqlite_version}).",
        "",
        "## Method",
        "",
        f"- A file of {_thousands(args.places)} places (seed {args.seed}) in the national "
        "standard's v1.0.2 columns, plus the legacy `conditions_acces` (Pass numérique on "
        "about 10 %) and two columns of a newer version. Places are in real communes of the "
        "official list, more in larger ones, at their real postcodes and around their positions.",
        f"- Defects, each drawn independently for every row: {defects}.",
        "- Each database is made by the Alembic migrations (same indexes as production): a "
        "temporary SQLite file (WAL, as the app opens it) and a temporary PostgreSQL database, "
        "dropped at the end. On PostgreSQL, `ANALYZE place` runs after the imports, as "
        "autovacuum does shortly after a large import.",
        f"- Imports: the whole `import_places` call (reading, checking every row, writing, "
        f"one transaction), source `{SOURCE}`: the file into an empty table, the same file "
        f"again, the file with {_thousands(CHANGED)} places renamed, then a newer snapshot "
        f"without {GONE} of them (retired).",
        f"- Searches: {args.queries} seeded queries, a sixth each of: "
        + ", ".join(QUERY_KINDS)
        + "; half with filters (Pass numérique, free, job search, modes), 15 % on page 2; "
        f"10 per page. {WARM_UP} warm-up queries first. Time: the whole `search_places` call, "
        "from the query string to the page's `Place` objects, on one connection.",
        "- One run. When other work shares the two CPUs, timings move by a third or more "
        "between runs: the load average beside each search table says how busy the machine was.",
        f"- Search targets: median under {TARGET_MEDIAN_MS:g} ms and 95th percentile under "
        f"{TARGET_P95_MS:g} ms (clock time of the whole call).",
        "",
    ]
    if skipped:
        out += [f"PostgreSQL was not measured: {skipped}.", ""]
    for run in runs:
        out += [
            f"## {run.database} ({run.version})",
            "",
            "| import | seconds | created | updated | unchanged | retired | rows skipped "
            "| warnings |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, seconds, result in run.imports:
            out.append(_import_line(name, seconds, result))
        first = run.imports[0][2]
        out += [
            "",
            "First import, warnings by field: "
            + ", ".join(f"`{name}` {count}" for name, count in first.warnings_by_field())
            + ". Rows skipped: "
            + ", ".join(
                f"{reason} {count}"
                for reason, count in sorted(
                    {
                        key: sum(1 for p in first.skipped if p.field == key)
                        for key in {p.field for p in first.skipped}
                    }.items()
                )
            )
            + " (`id`: an identifier already used; `nom`: no name).",
            "",
            f"Searches (load average of the machine's 2 CPUs: {run.load[0]:.1f} when they "
            f"started, {run.load[1]:.1f} when they ended; above 2, other work was waiting "
            "for the CPUs too):",
            "",
            "| searches | n | median ms | p95 ms | max ms |",
            "|---|---:|---:|---:|---:|",
        ]
        times = [t for _, t, _, _ in run.timings]
        out.append("| all " + _stats(times))
        verdict_line = _verdict(times)
        side = "all of the work" if run.database == "SQLite" else "the app's side"
        out.append(f"| all, CPU time of the benchmark's process ({side}) " + _stats(run.cpu))
        plain = [t for q, t, _, _ in run.timings if not q.filters.any]
        filtered = [t for q, t, _, _ in run.timings if q.filters.any]
        out.append("| without filters " + _stats(plain))
        out.append("| with filters " + _stats(filtered))
        for kind in QUERY_KINDS:
            out.append(f"| {kind} " + _stats([t for q, t, _, _ in run.timings if q.kind == kind]))
        located = [n for q, _, n, found in run.timings if found]
        empty = sum(1 for n in located if n == 0)
        not_found = {
            kind: sum(1 for q, _, _, found in run.timings if q.kind == kind and not found)
            for kind in QUERY_KINDS
        }
        out += [
            "",
            verdict_line,
            "",
            f"Places found per query understood: median {statistics.median(located):.0f}, "
            f"{empty} with none (filters too narrow for the area). Queries not understood, by "
            "kind: " + ", ".join(f"{kind} {n}" for kind, n in not_found.items()) + ".",
            "",
        ]
        if run.sweep:
            sweep = run.sweep
            out += [
                "Every French postcode and commune: "
                f"{_thousands(sweep.postcodes_understood)} of {_thousands(sweep.postcodes)} "
                f"postcodes searched and understood ({sweep.postcodes_seconds:.0f} s in all); "
                f"{_thousands(sweep.communes_found)} of {_thousands(sweep.communes)} communes "
                "understood from their name and département "
                f"({_thousands(sweep.communes_exact)} as that very commune; the others share "
                f"their name with a larger commune of the same département) "
                f"({sweep.communes_seconds:.0f} s)."
                + (
                    f" Not understood: {', '.join(sweep.not_understood[:10])}."
                    if sweep.not_understood
                    else ""
                ),
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
    parser.add_argument("--no-sweep", action="store_true", help="Skip the whole-France sweep.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    start = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:5.1f} s] {message}", file=sys.stderr, flush=True)

    rng = random.Random(args.seed)
    first = make_csv(rng, args.places)
    changed = changed_csv(first, rng, min(CHANGED, args.places // 2))
    newer = changed_csv(changed, rng, 0, min(GONE, args.places // 4))
    files = (
        (f"{_thousands(args.places)} new places", first),
        ("same file again", first),
        (f"{_thousands(CHANGED)} places changed", changed),
        (f"snapshot without {GONE}", newer),
    )
    queries = make_queries(rng, first, args.queries)
    log(f"{args.places} places, {len(queries)} queries")

    runs = []
    with sqlite_database() as url:
        runs.append(run_on(url, "SQLite", files, queries, log, sweep=not args.no_sweep))
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
