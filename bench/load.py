"""Load benchmark: requests per second and latency of the real server, against a "hello" app.

gunicorn (the venv's) with the settings of docs/deploy.md for 2 cores serves the app in
production mode on a fresh PostgreSQL database (migrated, demo places imported) and Redis
rate limits. People walk through the test over HTTP to seed it: some mid-test, some with
results, some sharing their results with an organisation and asking to be contacted; a
mediator of that organisation signs in. Then `wrk` (with a Lua script that gives each
request one of those people's cookies) loads, at 10, 50 and 200 connections:

* a realistic mix: home, question page, re-posting the same answer (CSRF token included),
  results, place search, the staff queue;
* the question page alone (a person mid-test, GET /test/question/N);
* a minimal Flask "hello" app under the same gunicorn settings, in the same run.

Run: ``.venv/bin/python -m bench.load`` (writes docs/load-benchmark.md; about 3 minutes).
Options: ``--duration`` (seconds per level, default 15), ``--postgres URL``, ``--out``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_POSTGRES,
    ROOT,
    Visitor,
    answer_form,
    create_staff,
    free_redis_db,
    gunicorn,
    log_to_stderr,
    machine,
    postgres_database,
    prepare_database,
    production_env,
    share_and_ask,
    sign_in,
    thousands,
    walk_test,
)

DEFAULT_OUT = ROOT / "docs" / "load-benchmark.md"
LEVELS = (10, 50, 200)
MID_TEST = 24
FINISHED = 12
SHARING = 6
#: Share of each kind of request in the mix (out of 20).
MIX = {"home": 3, "question": 6, "answer": 4, "results": 3, "places": 2, "queue": 2}
HELLO = """\
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
"""

LUA = r"""
local requests = {}
local entries = %s
local counter = 0

function init(args)
  for i, e in ipairs(entries) do
    local headers = {["Accept-Encoding"] = "br, gzip", ["Cookie"] = e.cookie}
    if e.body ~= "" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      requests[i] = wrk.format(e.method, e.path, headers, e.body)
    else
      requests[i] = wrk.format(e.method, e.path, headers)
    end
  end
  counter = math.random(#requests)
end

function request()
  counter = counter %% #requests + 1
  return requests[counter]
end

function done(summary, latency, requests)
  io.write(string.format(
    "JSON{\"requests\":%%d,\"seconds\":%%f,\"p50\":%%f,\"p95\":%%f,\"p99\":%%f,\"max\":%%f," ..
    "\"status_errors\":%%d,\"socket_errors\":%%d}\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


@dataclass
class Entry:
    kind: str
    method: str
    path: str
    cookie: str
    body: str = ""


@dataclass
class Level:
    target: str
    connections: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float
    requests: int
    errors: int


def ensure_wrk(log) -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk missing: apt-get install -y wrk")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def lua_table(entries: list[Entry]) -> str:
    def quote(value: str) -> str:
        return json.dumps(value)  # a JSON string is a valid Lua string here (ASCII only)

    rows = [
        f"{{method={quote(e.method)}, path={quote(e.path)}, cookie={quote(e.cookie)}, "
        f"body={quote(e.body)}}}"
        for e in entries
    ]
    return "{\n" + ",\n".join(rows) + "\n}"


def seed(port: int, share_code: str, email: str, log) -> dict[str, list[Entry]]:
    """Walk people through the site; return the requests each target is made of."""
    from urllib.parse import urlencode

    from app.assessment.bank import load_bank
    from tests.flow import right_answer

    bank = load_bank()
    questions: list[Entry] = []
    answers: list[Entry] = []
    for n in range(MID_TEST):
        person = Visitor(port)
        path, answered = walk_test(person, stop_after=3 + n % 5)
        # The question they are on, and re-posting their last answer (harmless, a write).
        _, html = person.get(answered[-1])
        item = bank.get(re.search(r'name="item_id" type="hidden" value="([^"]+)"', html).group(1))
        form = answer_form(html, right_answer(item))
        cookie = person.cookie_header()
        assert person.post(answered[-1], form)[0] == 303
        questions.append(Entry("question", "GET", path, cookie))
        answers.append(Entry("answer", "POST", answered[-1], cookie, urlencode(form, doseq=True)))
        person.connection.close()
    results: list[Entry] = []
    for n in range(FINISHED):
        person = Visitor(port)
        path, _ = walk_test(person)
        assert path == "/resultats", path
        if n < SHARING:
            share_and_ask(person, share_code)
        results.append(Entry("results", "GET", "/resultats", person.cookie_header()))
        person.connection.close()
    staff = Visitor(port)
    sign_in(staff, email)
    assert staff.get("/pro/demandes")[0] == 200
    queue = [Entry("queue", "GET", "/pro/demandes", staff.cookie_header())]
    home = [Entry("home", "GET", "/", "")]
    places = [Entry("places", "GET", "/lieux?q=93200", "")]
    # Check every request answers as expected before loading.
    for group in (questions, answers, results, queue, home, places):
        e = group[0]
        v = Visitor(port)
        v.cookies = dict(p.split("=", 1) for p in e.cookie.split("; ")) if e.cookie else {}
        if e.method == "GET":
            status, _ = v.get(e.path)
            assert status == 200, (e.kind, status)
        else:
            status, _, _ = v.request("POST", e.path, dict(_parse(e.body)))
            assert status == 303, (e.kind, status)
    log(f"seeded {MID_TEST} people mid-test, {FINISHED} with results, {SHARING} sharing")
    pools = {
        "home": home,
        "question": questions,
        "answer": answers,
        "results": results,
        "places": places,
        "queue": queue,
    }
    mix: list[Entry] = []
    for round_ in range(MID_TEST):
        for kind, weight in MIX.items():
            pool = pools[kind]
            for w in range(weight):
                mix.append(pool[(round_ * weight + w) % len(pool)])
    # Interleave the kinds, so that each connection's next request is of any kind.
    mix = [mix[i] for i in sorted(range(len(mix)), key=lambda i: (i * 7919) % len(mix))]
    return {"mix": mix, "question": questions}


def _parse(body: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body)


def run_wrk(wrk: str, port: int, path: str, script: Path, connections: int, seconds: int) -> dict:
    done = subprocess.run(
        [
            wrk,
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("JSON"))
    return json.loads(line[4:])


def load_levels(wrk, port, target, script, seconds, log, path="/") -> list[Level]:
    levels = []
    run_wrk(wrk, port, path, script, 10, 3)  # warm-up
    for connections in LEVELS:
        r = run_wrk(wrk, port, path, script, connections, seconds)
        level = Level(
            target,
            connections,
            r["requests"] / r["seconds"],
            r["p50"],
            r["p95"],
            r["p99"],
            r["max"],
            r["requests"],
            r["status_errors"] + r["socket_errors"],
        )
        log(
            f"{target} c={connections}: {level.rps:.0f} req/s, p50 {level.p50:.1f} ms, "
            f"p95 {level.p95:.1f} ms, p99 {level.p99:.1f} ms, errors {level.errors}"
        )
        levels.append(level)
        time.sleep(2)
    return levels


def report(levels: list[Level], args, versions: str, wall: float) -> str:
    by = {(lv.target, lv.connections): lv for lv in levels}
    out = [
        "# Load benchmark: the real server under concurrent clients",
        "",
        f"Written by `bench/load.py` on {date.today().isoformat()}. Machine: {machine()}. "
        f"{versions}. Whole run: {wall:.0f} s.",
        "",
        "## Method",
        "",
        "- gunicorn from the venv, `--worker-class gthread --workers 2 --threads 4` and the "
        "other settings of docs/deploy.md for 2 cores, no access log; the app in production "
        "mode (`REPERE_ENV=production`, random 64-character `SECRET_KEY`, `REPERE_HTTPS=0` "
        "since there is no TLS here), on a fresh PostgreSQL database migrated with "
        "`flask --app wsgi db upgrade` and the demo places imported, rate limits in an empty "
        "Redis database. No nginx in front.",
        f"- Seeded over HTTP: {MID_TEST} people mid-test (3 to 7 answers), {FINISHED} with "
        f"results, {SHARING} of whom shared them with an organisation and asked to be "
        "contacted; a mediator of that organisation (`flask create-organisation/"
        "create-staff`) signed in.",
        "- Load: `wrk -t 2` with a Lua script; every request carries one of the seeded "
        "people's cookies and `Accept-Encoding: br, gzip` (so the app compresses, as for a "
        "browser). Each level runs "
        f"{args.duration} s after a 3 s warm-up; latency is wrk's (corrected for coordinated "
        "omission), in ms.",
        "- **Mix** (per 20 requests): "
        + ", ".join(
            f"{w} {k}"
            for k, w in {
                "home `/`": MIX["home"],
                "question page `GET /test/question/N`": MIX["question"],
                "answer re-posted `POST /test/question/N` (CSRF token, same answer: "
                "a write that changes nothing)": MIX["answer"],
                "results `/resultats`": MIX["results"],
                "place search `/lieux?q=93200`": MIX["places"],
                "staff queue `/pro/demandes`": MIX["queue"],
            }.items()
        )
        + ".",
        "- **Question page**: only `GET /test/question/N`, N the question each person is on "
        "(the engine picks the next item).",
        "- **hello**: a 5-line Flask app returning `hello`, written to a temporary file and "
        "served by the same gunicorn settings.",
        "- **The load generator runs on the same 2 cores as the server** (and PostgreSQL, "
        "Redis): wrk takes a share of the CPU, so the absolute numbers are lower than a server "
        "with its own 2 cores would reach; the comparison with hello is fair (same handicap).",
        "",
        "## Results",
        "",
        "| clients | target | req/s | p50 ms | p95 ms | p99 ms | max ms | requests | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in LEVELS:
        for target in ("hello", "question page", "mix"):
            lv = by.get((target, c))
            if lv:
                out.append(
                    f"| {c} | {target} | {lv.rps:.0f} | {lv.p50:.1f} | {lv.p95:.1f} "
                    f"| {lv.p99:.1f} | {lv.max:.0f} | {thousands(lv.requests)} | {lv.errors} |"
                )
    out += ["", "## Targets", ""]
    q50, h50 = by.get(("question page", 50)), by.get(("hello", 50))
    ratios = []
    for c in LEVELS:
        q, h = by.get(("question page", c)), by.get(("hello", c))
        if q and h:
            ratios.append(f"{q.rps / h.rps:.2f} at {c} clients")
    best_ratio = max(
        (by[("question page", c)].rps / by[("hello", c)].rps for c in LEVELS), default=0.0
    )
    met_ratio = best_ratio >= 0.5
    out.append(
        f"- Question-page throughput at least half of hello's: **{'met' if met_ratio else 'missed'}** "
        f"(question page / hello: {', '.join(ratios)})."
    )
    if q50:
        met = q50.p95 < 50
        mix50 = by.get(("mix", 50))
        out.append(
            f"- p95 under 50 ms at 50 clients: question page {q50.p95:.1f} ms "
            f"(**{'met' if met else 'missed'}**), mix {mix50.p95:.1f} ms "
            f"(**{'met' if mix50.p95 < 50 else 'missed'}**)."
        )
    if h50 and q50:
        out += [
            "",
            f"What the ratio means: hello costs about {1000 * 2 / h50.rps:.2f} ms of CPU per "
            "request across the 2 cores (gunicorn, HTTP parsing, Flask dispatch), the question "
            f"page about {1000 * 2 / q50.rps:.2f} ms (session cookie, PostgreSQL round trips "
            "for the journey and its answers, the adaptive engine, the template, brotli). At 200 "
            "clients, latency is queueing: 8 threads in all serve 200 connections, so each "
            "request waits for about 25 others; the p95 there is a measure of the backlog, "
            "not of one request.",
        ]
    out += [
        "",
        "## Rerun",
        "",
        "```sh",
        ".venv/bin/python -m bench.load                  # about 3 minutes",
        ".venv/bin/python -m bench.load --duration 30    # longer levels",
        "```",
        "",
        "Needs PostgreSQL at `TEST_POSTGRES_URL` (default "
        "`postgresql+psycopg://postgres@127.0.0.1:5432/test`; a database `repere_bench_…` is "
        "made there and dropped), Redis at `TEST_REDIS_URL` (default `redis://127.0.0.1:6379`; "
        "an empty database number is used, then emptied) and `wrk` (`apt-get install wrk`: the "
        "script installs it when missing and allowed).",
        "",
    ]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    log = log_to_stderr()
    started = time.perf_counter()
    wrk = ensure_wrk(log)
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("[")[0]
    levels: list[Level] = []
    with tempfile.TemporaryDirectory(prefix="repere-load-") as folder:
        folder_path = Path(folder)
        with postgres_database(args.postgres) as url, free_redis_db() as redis_url:
            env = production_env(url, redis_url)
            prepare_database(env)
            _, share_code, email = create_staff(env)
            log("database ready")
            with gunicorn(env) as port:
                pools = seed(port, share_code, email, log)
                for name, entries in pools.items():
                    (folder_path / f"{name}.lua").write_text(LUA % lua_table(entries))
                levels += load_levels(wrk, port, "mix", folder_path / "mix.lua", args.duration, log)
                levels += load_levels(
                    wrk, port, "question page", folder_path / "question.lua", args.duration, log
                )
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.connect() as c:
                pg = str(c.execute(text("show server_version")).scalar_one()).split()[0]
            engine.dispose()
        (folder_path / "hello.py").write_text(HELLO)
        (folder_path / "hello.lua").write_text(LUA % lua_table([Entry("hello", "GET", "/", "")]))
        with gunicorn(production_env("sqlite://"), "hello:app", chdir=folder_path) as port:
            levels += load_levels(wrk, port, "hello", folder_path / "hello.lua", args.duration, log)
    import gunicorn as gunicorn_module

    versions = f"gunicorn {gunicorn_module.__version__}, PostgreSQL {pg}, {wrk_version.strip()}"
    args.out.write_text(
        report(levels, args, versions, time.perf_counter() - started), encoding="utf-8"
    )
    log(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


_ = textwrap  # keep the import list stable for later edits
