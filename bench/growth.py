"""Growth benchmark: do the staff pages stay as fast with 1 000 000 stored journeys as with
10 000?

For each size, a fresh PostgreSQL database (migrations, demo places) gets one real walk
through the site (a person takes the test, shares the results with an organisation, asks
to be contacted; a mediator of it signs in: tests/flow.py), then bulk SQL
(INSERT … SELECT generate_series) adds the journeys, their ~12 answers, results, consents
and requests to be contacted. The mediator's organisation follows 200 of them at both
sizes (a realistic caseload for one France Services); the rest belong to 1 000 other
organisations. Then each page is requested 200 times through the Flask test client (app in
production mode) and the median compared. For a page slower than 1.5 times, the statement
that took the longest is shown with EXPLAIN ANALYZE. App code is not changed here.

Run: ``.venv/bin/python -m bench.growth`` (writes docs/growth-benchmark.md; 3–6 minutes).
Options: ``--sizes 10000 1000000``, ``--requests 200``, ``--postgres URL``, ``--out``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ["REPERE_ENV"] = "production"
os.environ["SECRET_KEY"] = secrets.token_hex(32)
os.environ["REPERE_HTTPS"] = "0"
os.environ.setdefault("REPERE_INSTANCE_PATH", "/tmp/repere-bench-growth-instance")

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from bench.common import (
    DEFAULT_POSTGRES,
    DEMO_PLACES,
    ROOT,
    log_to_stderr,
    machine,
    postgres_database,
    thousands,
)

DEFAULT_OUT = ROOT / "docs" / "growth-benchmark.md"
FOLLOWED = 200
OTHER_ORGS = 1000
ANSWERS = 12
TARGET = 1.5
WARM_UP = 20

#: Statements run during the request being traced (see trace()).
_TRACE: list[tuple[str, object, float]] | None = None


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn, cursor, statement, parameters, context, executemany):
    conn.info["bench_start"] = time.perf_counter()


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn, cursor, statement, parameters, context, executemany):
    if _TRACE is not None:
        _TRACE.append((statement, parameters, time.perf_counter() - conn.info["bench_start"]))


@dataclass
class SizeRun:
    journeys: int
    generation_s: float
    rows: dict[str, int]
    medians: dict[str, float | None] = field(default_factory=dict)
    p95: dict[str, float | None] = field(default_factory=dict)
    statements: dict[str, list[tuple[str, object, float]]] = field(default_factory=dict)
    explains: dict[str, str] = field(default_factory=dict)


def generate(connection, size: int, org_id: int, template: dict) -> None:
    """Bulk rows: ``size`` journeys, answers, results, consents and requests."""
    base_j = connection.execute(text("SELECT coalesce(max(id), 0) FROM journey")).scalar_one()
    base_c = connection.execute(text("SELECT coalesce(max(id), 0) FROM consent")).scalar_one()
    base_o = connection.execute(text("SELECT coalesce(max(id), 0) FROM organisation")).scalar_one()
    stride = max(1, size // FOLLOWED)  # tiny runs (the smoke test) follow everyone
    connection.execute(text("SET LOCAL synchronous_commit = off"))
    connection.execute(
        text(
            "INSERT INTO organisation (id, name, kind, postcode, share_code, created_at) "
            "SELECT :b + g, 'Organisme ' || g, 'france-services', '75001', "
            "'Z' || lpad(g::text, 7, '0'), now() FROM generate_series(1, :n) g"
        ),
        {"b": base_o, "n": OTHER_ORGS},
    )
    connection.execute(
        text(
            "INSERT INTO journey (id, locale, created_at, last_seen_at, seed, code_salt, "
            "code_lookup, bank_version, help_offered_at, assisted, ref) "
            "SELECT :b + g, 'fr', now() - (g % 360) * interval '1 day', "
            "now() - (g % 360) * interval '1 day', g, md5(g::text), "
            "md5(g::text) || md5((-g)::text), :bank, NULL, g % 4 = 0, md5('ref' || g) "
            "FROM generate_series(1, :n) g"
        ),
        {"b": base_j, "n": size, "bank": template["bank_version"]},
    )
    connection.execute(
        text(
            "INSERT INTO answer (journey_id, item_id, response, correct, position, answered_at) "
            "SELECT :b + g, (CAST(:items AS text[]))[p], '1', (g + p) % 3 <> 0, p, "
            "now() - (g % 360) * interval '1 day' "
            "FROM generate_series(1, :n) g, generate_series(1, :k) p"
        ),
        {"b": base_j, "n": size, "k": ANSWERS, "items": template["items"]},
    )
    connection.execute(
        text(
            "INSERT INTO result (journey_id, overall_theta, overall_band, needs_basics, details, "
            "engine_version, bank_version, stopped_early, created_at) "
            "SELECT :b + g, 0.1, :band, false, CAST(:details AS json), :engine, :bank, false, "
            "now() - (g % 360) * interval '1 day' "
            "FROM generate_series(1, :n) g WHERE g % 10 <> 7"
        ),
        {
            "b": base_j,
            "n": size,
            "band": template["band"],
            "details": template["details"],
            "engine": template["engine_version"],
            "bank": template["bank_version"],
        },
    )
    org = f"CASE WHEN g % {stride} = 0 THEN {org_id} ELSE {base_o} + 1 + g % {OTHER_ORGS} END"
    connection.execute(
        text(
            "INSERT INTO consent (id, journey_id, organisation_id, purpose, text_version, "
            "assisted, granted_at, expires_at, withdrawn_at) "
            f"SELECT :c + g, :b + g, {org}, 'share-results', :tv, g % 4 = 0, "
            "now() - (g % 170) * interval '1 day', "
            "now() - (g % 170) * interval '1 day' + interval '182 days', NULL "
            "FROM generate_series(1, :n) g"
        ),
        {"b": base_j, "c": base_c, "n": size, "tv": template["text_version"]},
    )
    connection.execute(
        text(
            "INSERT INTO contact_request (journey_id, organisation_id, consent_id, channel, "
            "slots, phone, email, origin, status, form_key, created_at, answered_at, closed_at) "
            f"SELECT :b + g, {org}, :c + g, 'phone', 'mon-am|thu-pm', '0612345678', NULL, "
            "'results', (ARRAY['new', 'in-progress', 'done'])[1 + g % 3], 'bench-' || g, "
            "now() - (g % 170) * interval '1 day', NULL, "
            "CASE WHEN g % 3 = 2 THEN now() - (g % 100) * interval '1 day' END "
            "FROM generate_series(1, :n) g WHERE g % 5 = 0"
        ),
        {"b": base_j, "c": base_c, "n": size},
    )
    for table, column in (("journey", "id"), ("consent", "id"), ("organisation", "id")):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT max({column}) FROM {table}))"
            )
        )


def run_size(admin_url: str, size: int, requests: int, log) -> SizeRun:
    global _TRACE
    from app import create_app, migrate
    from app.assessment.bank import load_bank
    from app.extensions import db
    from tests.flow import staff_signed_in, take_test

    with postgres_database(admin_url) as url:
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url})
        result = app.test_cli_runner().invoke(args=["import-places", str(DEMO_PLACES)])
        assert result.exit_code == 0, result.output
        staff = app.test_client()
        ids = staff_signed_in(staff)
        me = app.test_client()  # a person with results, for « Mes données »
        take_test(me, load_bank())
        engine = app.extensions["database_engine"]
        with engine.connect() as c:
            org_id = c.execute(
                text("SELECT organisation_id FROM consent WHERE journey_id = :j"),
                {"j": ids["person"]},
            ).first()[0]
            row = c.execute(
                text(
                    "SELECT j.bank_version, r.details::text, r.overall_band, r.engine_version, "
                    "co.text_version FROM journey j JOIN result r ON r.journey_id = j.id "
                    "JOIN consent co ON co.journey_id = j.id WHERE j.id = :j LIMIT 1"
                ),
                {"j": ids["person"]},
            ).one()
        items = [item.id for item in load_bank()][:ANSWERS]
        template = {
            "bank_version": row[0],
            "details": row[1],
            "band": row[2],
            "engine_version": row[3],
            "text_version": row[4],
            "items": items,
        }
        start = time.perf_counter()
        with engine.begin() as c:
            generate(c, size, org_id, template)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
        generation = time.perf_counter() - start
        with engine.connect() as c:
            rows = {
                t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("journey", "answer", "result", "consent", "contact_request")
            }
        log(f"{thousands(size)} journeys generated in {generation:.1f} s: {rows}")
        run = SizeRun(size, generation, rows)
        has_my_data = any(r.rule == "/mes-donnees" for r in app.url_map.iter_rules())
        pages = {
            "people list `/pro/personnes`": (staff, "/pro/personnes"),
            "a person `/pro/personnes/<id>`": (staff, f"/pro/personnes/{ids['person']}"),
            "queue `/pro/demandes`": (staff, "/pro/demandes"),
            "figures `/pro/chiffres`": (staff, "/pro/chiffres"),
            "« Mes données » `/mes-donnees`": (me, "/mes-donnees") if has_my_data else None,
        }
        for name, target in pages.items():
            if target is None:
                run.medians[name] = run.p95[name] = None
                continue
            client, path = target
            for _ in range(WARM_UP):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            run.medians[name] = statistics.median(times)
            run.p95[name] = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            _TRACE = []
            client.get(path)
            run.statements[name], _TRACE = _TRACE, None
            log(f"{thousands(size)}: {name}: median {run.medians[name]:.2f} ms")
        run.explains = {}
        app._bench_engine = engine
        # EXPLAIN ANALYZE of the slowest SELECT of each page, kept for the report.
        with engine.connect() as c:
            for name, statements in run.statements.items():
                selects = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
                if not selects:
                    continue
                statement, parameters, _ = max(selects, key=lambda s: s[2])
                cursor = c.connection.dbapi_connection.cursor()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                run.explains[name] = "\n".join(r[0] for r in cursor.fetchall())
                cursor.close()
        with app.app_context():
            db.session.remove()
        engine.dispose()
    return run


def report(runs: list[SizeRun], args, pg_version: str) -> str:
    small, large = runs[0], runs[-1]
    out = [
        "# Growth benchmark: staff pages with 10 000 and 1 000 000 stored journeys",
        "",
        f"Written by `bench/growth.py` on {date.today().isoformat()}. Machine: {machine()}. "
        f"{pg_version}.",
        "",
        "## Method",
        "",
        "- For each size, a fresh PostgreSQL database made by the migrations, the demo places, "
        "and one real walk (tests/flow.py `staff_signed_in`: a person takes the test, shares "
        "the results, asks to be contacted; a mediator of that organisation signs in).",
        f"- Then bulk SQL (`INSERT … SELECT generate_series`, one transaction, then `VACUUM "
        f"ANALYZE`): the journeys, {ANSWERS} answers each, a result for 90 %, one "
        "share-results consent each (granted within the last 170 days, for 6 months), and a "
        "request to be contacted for one in five (new, in progress or done). The mediator's "
        f"organisation follows {FOLLOWED} of them at both sizes (plus the walked person), the "
        f"rest belong to {OTHER_ORGS} other organisations: what grows is the rest of the "
        "country, not the mediator's caseload.",
        f"- Each page: {WARM_UP} warm-up requests, then {args.requests} timed ones through the "
        "Flask test client, app in production mode (no HTTP server, so the time is the app's "
        "and the database's), one at a time. Times in ms.",
        "",
        "## Data",
        "",
        "| | " + " | ".join(thousands(r.journeys) + " journeys" for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for table in ("journey", "answer", "result", "consent", "contact_request"):
        out.append(
            f"| `{table}` rows | " + " | ".join(thousands(r.rows[table]) for r in runs) + " |"
        )
    out.append("| generation (s) | " + " | ".join(f"{r.generation_s:.1f}" for r in runs) + " |")
    out += [
        "",
        "## Results",
        "",
        "| page | median at "
        + thousands(small.journeys)
        + " | p95 | median at "
        + thousands(large.journeys)
        + " | p95 | ratio of medians | target ≤ 1.5 |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    over = []
    for name in small.medians:
        a, b = small.medians[name], large.medians[name]
        if a is None or b is None:
            out.append(
                f"| {name} | – | – | – | – | – | not measured: the route did not exist when "
                "this ran (being added by another change) |"
            )
            continue
        ratio = b / a
        ok = ratio <= TARGET
        if not ok:
            over.append(name)
        out.append(
            f"| {name} | {a:.2f} | {small.p95[name]:.2f} | {b:.2f} | {large.p95[name]:.2f} "
            f"| {ratio:.2f} | {'met' if ok else '**missed**'} |"
        )
    out += [""]
    if over:
        out += ["## Pages over target: the slowest statement at " + thousands(large.journeys), ""]
        for name in over:
            statements = large.statements.get(name, [])
            total = sum(s[2] for s in statements) * 1000
            out += [
                f"### {name}",
                "",
                f"{len(statements)} statements in one traced request, {total:.1f} ms in the "
                "database in all. The slowest, with `EXPLAIN (ANALYZE, BUFFERS)`:",
                "",
                "```sql",
                max(
                    (s for s in statements if s[0].lstrip().upper().startswith("SELECT")),
                    key=lambda s: s[2],
                )[0].strip(),
                "```",
                "",
                "```",
                large.explains.get(name, "(none)"),
                "```",
                "",
            ]
    else:
        out += ["Every measured page is within the target.", ""]
    out += ["## Slowest statement of each page, for reference", ""]
    for name, plan in large.explains.items():
        if name in over:
            continue
        first = plan.splitlines()[0] if plan else ""
        last = [line for line in plan.splitlines() if "Execution Time" in line]
        out.append(f"- {name}: `{first.strip()}` — {last[0].strip() if last else ''}")
    out += [
        "",
        "## Rerun",
        "",
        "```sh",
        ".venv/bin/python -m bench.growth                      # 10 000 and 1 000 000",
        ".venv/bin/python -m bench.growth --sizes 1000 10000   # quick check",
        "```",
        "",
        "Needs PostgreSQL at `TEST_POSTGRES_URL` (default "
        "`postgresql+psycopg://postgres@127.0.0.1:5432/test`); each size makes a database "
        "`repere_bench_…` there and drops it.",
        "",
    ]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    log = log_to_stderr()
    runs = [run_size(args.postgres, size, args.requests, log) for size in args.sizes]
    from sqlalchemy import create_engine

    engine = create_engine(args.postgres)
    with engine.connect() as c:
        pg = "PostgreSQL " + str(c.execute(text("show server_version")).scalar_one()).split()[0]
    engine.dispose()
    args.out.write_text(report(runs, args, pg), encoding="utf-8")
    log(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
