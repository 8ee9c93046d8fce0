"""Load benchmark: requests per second and latency of the real server, against a "hello" app.

gunicorn (the venv's) with gunicorn.conf.py (docs/deploy.md, 2 cores) serves the app in
production mode on a fresh PostgreSQL database (migrated, demo places imported) and Redis
rate limits. People walk through the test over HTTP to seed it: some mid-test, some with
results, some sharing their results with an organisation and asking to be contacted; a
mediator of that organisation signs in. Then `wrk` (with a Lua script that gives each
request one of those people's cookies) loads, at 10, 50 and 200 connections:

* a realistic mix: home, question page, re-posting the same answer (CSRF token included),
  results, place search, the staff queue;
* the question page alone (a person mid-test, GET /test/question/N);
* a minimal Flask "hello" app under the same gunicorn settings, in the same run;

then the same 50 connections at half load (each pausing between requests). For every level it
records the CPU each process used (/proc), and it times the parts of one question page inside
the app (Flask's test client) and the engine's step.

Run: ``.venv/bin/python -m bench.load`` (writes docs/load-benchmark.md; about 4 minutes).
Options: ``--duration`` (seconds per level, default 15), ``--postgres URL``, ``--out``,
``--clients`` and ``--targets`` (a partial run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
TARGETS = ("hello", "question page", "mix")
#: People seeded mid-test (half as many finish the test, a quarter share their results).
MID_TEST = 24
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
    #: Mean pause of each client between two requests (ms), for a level at half load.
    pause: float = 0.0
    #: CPU milliseconds per request: the app (gunicorn), PostgreSQL, Redis, wrk, and the
    #: rest of the machine (kernel network work, anything else running).
    cpu: dict[str, float] = field(default_factory=dict)


TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(port: int) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn on ``port`` (workers that ended included, in
    the master's children time), PostgreSQL and Redis (likewise), from /proc."""
    totals = dict.fromkeys(("app", "PostgreSQL", "Redis"), 0.0)
    bind = f"127.0.0.1:{port}"
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # the process ended meanwhile
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        used = sum(int(v) for v in fields[11:15]) / TICK  # utime stime cutime cstime
        if "gunicorn" in cmdline and bind in cmdline:
            totals["app"] += used
        elif comm == "postgres" or cmdline.startswith("postgres"):
            totals["PostgreSQL"] += used
        elif comm.startswith("redis-server"):
            totals["Redis"] += used
    return totals


def machine_busy() -> float:
    """CPU seconds all CPUs have spent not idle since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK


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


def seed(
    port: int, share_code: str, email: str, log, mid_test: int = MID_TEST
) -> dict[str, list[Entry]]:
    """Walk people through the site; return the requests each target is made of."""
    finished, sharing = max(1, mid_test // 2), max(1, mid_test // 4)
    from urllib.parse import urlencode

    from app.assessment.bank import load_bank
    from tests.flow import right_answer

    bank = load_bank()
    questions: list[Entry] = []
    answers: list[Entry] = []
    for n in range(mid_test):
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
    for n in range(finished):
        person = Visitor(port)
        path, _ = walk_test(person)
        assert path == "/resultats", path
        if n < sharing:
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
    log(f"seeded {mid_test} people mid-test, {finished} with results, {sharing} sharing")
    pools = {
        "home": home,
        "question": questions,
        "answer": answers,
        "results": results,
        "places": places,
        "queue": queue,
    }
    mix: list[Entry] = []
    for round_ in range(mid_test):
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


HALF_LOAD_CLIENTS = 50
PACED_LUA = """
function delay()
  return math.random(%d, %d)
end
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_levels(wrk, port, target, script, seconds, log, counts, path="/") -> list[Level]:
    """The saturating levels (each client sends its next request as soon as it has the
    answer), then, when 50 clients are among them, 50 clients at half load."""
    levels = []
    run_wrk(wrk, port, path, script, 10, 3)  # warm-up
    for connections in counts:
        levels.append(measure(wrk, port, target, script, seconds, log, connections, path))
        time.sleep(2)
    saturated = next((lv for lv in levels if lv.connections == HALF_LOAD_CLIENTS), None)
    if saturated is not None:
        # Each client pauses so that together they ask for half of what the server sustained:
        # the server is busy half of the time, the usual headroom of a service in production.
        # (The time a request takes adds to the pause: a little under half, measured below.)
        pause = 1000 * HALF_LOAD_CLIENTS / (saturated.rps / 2)
        paced = script.with_name(f"{script.stem}-paced.lua")
        paced.write_text(script.read_text() + PACED_LUA % (pause / 2, 3 * pause / 2))
        level = measure(wrk, port, target, paced, seconds, log, HALF_LOAD_CLIENTS, path)
        level.pause = pause
        levels.append(level)
        time.sleep(2)
    return levels


def measure(wrk, port, target, script, seconds, log, connections, path) -> Level:
    before, busy, wrk_before = process_cpu(port), machine_busy(), children_cpu()
    r = run_wrk(wrk, port, path, script, connections, seconds)
    after, busy, wrk_used = process_cpu(port), machine_busy() - busy, children_cpu() - wrk_before
    per_request = 1000 / max(r["requests"], 1)
    cpu = {name: (after[name] - before[name]) * per_request for name in after}
    cpu["wrk"] = wrk_used * per_request
    cpu["rest"] = max(busy * per_request - sum(cpu.values()), 0.0)
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
        cpu=cpu,
    )
    log(
        f"{target} c={connections}{' paced' if 'paced' in script.name else ''}: "
        f"{level.rps:.0f} req/s, p50 {level.p50:.1f} ms, p95 {level.p95:.1f} ms, "
        f"p99 {level.p99:.1f} ms, errors {level.errors}; CPU ms "
        + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
    )
    return level


def step_cost(samples: int = 60) -> tuple[float, float]:
    """Median and p95 time (ms) of the engine's step for one question, when it is not
    remembered: random walks through the real bank, timed at every question."""
    import random
    import statistics

    from app.assessment import engine
    from app.assessment.bank import load_bank

    items = load_bank().items
    times = []
    rng = random.Random(7)
    for seed in range(samples):
        answers: list[tuple[str, bool]] = []
        while True:
            start = time.perf_counter()
            now = engine.step(items, answers, seed)
            times.append(1000 * (time.perf_counter() - start))
            if now.next_item is None:
                break
            answers.append((now.next_item.id, rng.random() < 0.6))
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def page_parts(env: dict[str, str], repeat: int = 300) -> dict[str, float]:
    """Where one question page's time goes inside the app (ms, best of 5 batches), measured
    in this process with Flask's test client on the benchmark's database: the whole page,
    an unknown address (the framework and the shared layout alone), and the parts."""
    import brotli
    from flask import request
    from sqlalchemy import text

    from app import create_app
    from app.assessment import service
    from app.extensions import db
    from app.forms import AnswerForm
    from app.views import assessment
    from app.views.current import current_person
    from tests.flow import item_on_page, post_answer, right_answer, start_test

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        app = create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    bank = app.extensions["bank"]
    client = app.test_client()
    path = start_test(client)
    for _ in range(4):
        html = client.get(path).get_data(as_text=True)
        path = post_answer(client, path, right_answer(bank.get(item_on_page(html))))[1]
    headers = {"Accept-Encoding": "br, gzip"}

    def best(work, n: int = repeat) -> float:
        for _ in range(30):
            work()
        times = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                work()
            times.append((time.perf_counter() - start) / n * 1000)
        return min(times)

    parts = {
        "the whole page (test client)": best(lambda: client.get(path, headers=headers)),
        "an unknown address, 404 page": best(lambda: client.get("/nulle-part", headers=headers)),
    }
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    with app.test_request_context(
        path, headers={**headers, "Cookie": f"{cookie.key}={cookie.value}"}
    ):
        app.preprocess_request()

        def load():
            db.session.expunge_all()
            return current_person()

        person = load()
        state = service.progress(person, bank)
        item = state.next_item
        form = AnswerForm(item, item_id=item.id)
        position = state.count + 1
        body = assessment.question_page(person, position, item, form, state).encode()

        def new_session():
            db.session.remove()
            db.session.execute(text("SELECT 1"))

        parts["a database session: connection with its ping, SELECT 1, rollback"] = best(
            new_session
        )
        parts["person, answers and result (one query, session open)"] = best(load)
        parts["the step, remembered"] = best(lambda: service.progress(person, bank))
        parts["answer form (WTForms, CSRF token)"] = best(lambda: AnswerForm(item, item_id=item.id))
        parts["template (Jinja)"] = best(
            lambda: assessment.question_page(person, position, item, form, state)
        )
        parts["brotli"] = best(lambda: brotli.compress(body, quality=5))
        assert request.path == path
    return parts


def busy_cores(level: Level) -> float:
    """How many CPUs were busy on average during the level."""
    return sum(level.cpu.values()) * level.rps / 1000


def report(
    levels: list[Level], args, versions: str, wall: float, step: tuple, parts: dict[str, float]
) -> str:
    saturating = [lv for lv in levels if not lv.pause]
    by = {(lv.target, lv.connections): lv for lv in saturating}
    half = {lv.target: lv for lv in levels if lv.pause}
    counts = sorted({lv.connections for lv in saturating})
    targets = [t for t in ("hello", "question page", "mix") if any(k[0] == t for k in by)]
    out = [
        "# Load benchmark: the real server under concurrent clients",
        "",
        f"Written by `bench/load.py` on {date.today().isoformat()}. Machine: {machine()}. "
        f"{versions}. Whole run: {wall:.0f} s.",
        "",
        "## Method",
        "",
        "- gunicorn from the venv with the project's `gunicorn.conf.py` (`gthread`, 2 workers "
        "of 4 threads, the settings of docs/deploy.md for 2 cores; no gunicorn access log, the "
        "app's own line per request to a file); the app in production "
        "mode (`REPERE_ENV=production`, random 64-character `SECRET_KEY`, `REPERE_HTTPS=0` "
        "since there is no TLS here), on a fresh PostgreSQL database migrated with "
        "`flask --app wsgi db upgrade` and the demo places imported, rate limits in an empty "
        "Redis database. No nginx in front.",
        f"- Seeded over HTTP: {args.people} people mid-test (3 to 7 answers), "
        f"{max(1, args.people // 2)} with results, {max(1, args.people // 4)} of whom shared them with an organisation and asked to be "
        "contacted; a mediator of that organisation (`flask create-organisation/"
        "create-staff`) signed in.",
        "- Load: `wrk -t 2` with a Lua script; every request carries one of the seeded "
        "people's cookies and `Accept-Encoding: br, gzip` (so the app compresses, as for a "
        f"browser). Each level runs {args.duration} s after a 3 s warm-up. Latency is wrk's, "
        "from sending a request to the end of its response, in ms. The clients are closed "
        "loop: each sends its next request as soon as it has the answer, so every level "
        "saturates the server and its latency is mostly time spent waiting in the queue. "
        "Compare figures within one run: on a shared machine, rates move between runs.",
        f"- **Half load**: {HALF_LOAD_CLIENTS} clients again, each pausing a random time "
        "between requests (uniform, mean shown) so that together they ask for half of what "
        f"the server sustained with {HALF_LOAD_CLIENTS} saturating clients: the latency a "
        "person feels on a server with the usual headroom.",
        "- **CPU per request**: CPU time of the gunicorn processes (workers that ended "
        "included), of PostgreSQL's and Redis's processes (from `/proc`), of wrk, and of the "
        "rest of the machine (kernel network work, anything else running), over each level, "
        "divided by the requests served.",
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
        "- **Question page**: only `GET /test/question/N`, N the question each person is on. "
        "Each person's page is asked for again and again, so the engine's step for their "
        "answers is remembered (`app/assessment/service.py`, `step`) after the first request "
        "on each worker. On a real walk the step is computed when the answer is posted and "
        "remembered for the page that follows, on the worker that took the post (one chance "
        "in two with two workers); otherwise that page also pays for one step, measured "
        f"below: median {step[0]:.2f} ms, p95 {step[1]:.2f} ms of CPU.",
        "- **hello**: a 5-line Flask app returning `hello`, written to a temporary file and "
        "served by the same gunicorn settings.",
        "- **The load generator runs on the same 2 cores as the server** (and PostgreSQL, "
        "Redis): wrk takes a share of the CPU (column wrk below), so the absolute numbers are "
        "lower than a server with its own 2 cores would reach; the comparison with hello is "
        "fair (same handicap).",
        "",
        "## Results (saturating clients)",
        "",
        "| clients | target | req/s | p50 ms | p95 ms | p99 ms | max ms | requests | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in counts:
        for target in targets:
            lv = by.get((target, c))
            if lv:
                out.append(
                    f"| {c} | {target} | {lv.rps:.0f} | {lv.p50:.1f} | {lv.p95:.1f} "
                    f"| {lv.p99:.1f} | {lv.max:.0f} | {thousands(lv.requests)} | {lv.errors} |"
                )
    if half:
        out += [
            "",
            f"## Half load ({HALF_LOAD_CLIENTS} clients pausing between requests)",
            "",
            "| target | mean pause ms | req/s | share of saturation | p50 ms | p95 ms | p99 ms "
            "| max ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for target in targets:
            lv, sat = half.get(target), by.get((target, HALF_LOAD_CLIENTS))
            if lv and sat:
                out.append(
                    f"| {target} | {lv.pause:.0f} | {lv.rps:.0f} | {lv.rps / sat.rps:.0%} "
                    f"| {lv.p50:.1f} | {lv.p95:.1f} | {lv.p99:.1f} | {lv.max:.0f} "
                    f"| {lv.errors} |"
                )
    cpu_levels = [by[(t, HALF_LOAD_CLIENTS)] for t in targets if (t, HALF_LOAD_CLIENTS) in by]
    if cpu_levels:
        names = list(cpu_levels[0].cpu)
        out += [
            "",
            f"## CPU per request ({HALF_LOAD_CLIENTS} saturating clients), ms",
            "",
            "| target | " + " | ".join(names) + f" | total | cores busy (of {os.cpu_count()}) |",
            "|---|" + "---:|" * (len(names) + 2),
        ]
        for lv in cpu_levels:
            out.append(
                f"| {lv.target} | "
                + " | ".join(f"{lv.cpu[n]:.2f}" for n in names)
                + f" | {sum(lv.cpu.values()):.2f} | {busy_cores(lv):.2f} |"
            )
    out += ["", "## Targets", ""]
    q50, h50 = by.get(("question page", 50)), by.get(("hello", 50))
    ratios, values = [], []
    for c in counts:
        q, h = by.get(("question page", c)), by.get(("hello", c))
        if q and h:
            ratios.append(f"{q.rps / h.rps:.2f} at {c} clients")
            values.append(q.rps / h.rps)
    if values:
        met_ratio = max(values) >= 0.5
        out.append(
            "- Question-page throughput at least half of hello's: "
            f"**{'met' if met_ratio else 'missed'}** (question page / hello: "
            f"{', '.join(ratios)})."
        )
    if q50:
        line = (
            f"- p95 under 50 ms at 50 clients: question page {q50.p95:.1f} ms "
            f"(**{'met' if q50.p95 < 50 else 'missed'}**)"
        )
        mix50 = by.get(("mix", 50))
        if mix50:
            line += f", mix {mix50.p95:.1f} ms (**{'met' if mix50.p95 < 50 else 'missed'}**)"
        if h50:
            line += f"; hello itself: {h50.p95:.1f} ms"
        out.append(line + ", with saturating clients.")
        if "question page" in half:
            hq = half["question page"]
            out.append(
                f"- The same 50 clients at half load: question page p95 {hq.p95:.1f} ms"
                + (f", mix {half['mix'].p95:.1f} ms" if "mix" in half else "")
                + " (not the target's measure, given for what people feel)."
            )
    if h50 and q50:
        app_q, app_h = q50.cpu.get("app", 0.0), h50.cpu.get("app", 0.0)
        out += [
            "",
            "### Why",
            "",
            f"- The question page's throughput is its CPU: at 50 clients it keeps "
            f"{busy_cores(q50):.2f} of the {os.cpu_count()} cores busy, at "
            f"{sum(q50.cpu.values()):.2f} ms of CPU per request in all ({app_q:.2f} ms in "
            f"gunicorn, {q50.cpu.get('PostgreSQL', 0.0):.2f} ms in PostgreSQL). hello costs "
            f"{sum(h50.cpu.values()):.2f} ms ({app_h:.2f} ms in gunicorn: HTTP parsing, Flask "
            "dispatch, a 5-byte body), and at 50 clients it keeps only "
            f"{busy_cores(h50):.2f} cores busy: its limit is how fast gunicorn's threads hand "
            "requests over, not the CPU, which is why its rate changes from level to level. "
            "Half of hello's throughput would need the question page to cost at most about "
            f"twice hello's CPU, {2 * sum(h50.cpu.values()):.2f} ms in all: "
            f"{sum(q50.cpu.values()) / sum(h50.cpu.values()):.0f} times less than now.",
            "- What the question page does that hello does not, per request: read and check "
            "the signed session cookie; check out a database connection (with a ping, "
            "`pool_pre_ping`), one query for the person with its answers and result "
            "(SQLAlchemy ORM), and the transaction's end; build the answer form (WTForms) "
            "with a CSRF token; render the page (Jinja, about 20 translated strings and "
            "a dozen URLs, the shared layout); add the security headers; compress it with "
            "brotli. Measured in the app alone, in this run (Flask's test client, best of "
            "5 batches, ms):",
            "",
            "  | | ms |",
            "  |---|---:|",
            *(f"  | {name} | {value:.2f} |" for name, value in parts.items()),
            "",
            "  No part stands out: an unknown address, which only goes through Flask, the "
            "session, the security headers and the shared layout, already costs "
            f"{parts.get('an unknown address, 404 page', 0.0):.2f} ms, "
            f"{parts.get('an unknown address, 404 page', 0.0) / sum(h50.cpu.values()):.1f} "
            "times hello's whole cost. "
            "Reaching twice hello's cost would mean serving this page without the "
            "framework, the ORM, the form library and the templates that every page of the "
            "site shares.",
            f"- p95 under 50 ms at 50 saturating clients: with {HALF_LOAD_CLIENTS} clients "
            "always waiting, the mean latency is the number of clients divided by the "
            f"throughput (Little's law: {HALF_LOAD_CLIENTS} / {q50.rps:.0f} req/s = "
            f"{1000 * HALF_LOAD_CLIENTS / q50.rps:.0f} ms), whatever the server does. A mean "
            f"under 50 ms would take more than {HALF_LOAD_CLIENTS * 1000 / 50:.0f} requests "
            "per second, which only a page nearly as cheap as hello reaches here.",
            "- At 200 clients, 8 threads in all serve 200 connections: the latency there "
            "measures the backlog, not one request.",
            "",
            "### What the numbers mean for capacity",
            "",
            f"One 2-core server at half load answers about {q50.rps / 2:.0f} question pages "
            f"per second, {thousands(q50.rps / 2 * 3600)} an hour. A whole test is about 11 questions "
            "(each a page and a post; median of docs/assessment-simulation.md) plus the start and "
            "the results, about 25 requests: "
            f"about {thousands(q50.rps / 2 * 3600 / 25)} tests an hour per server at half load. "
            "The app keeps no state in its processes (docs/deploy.md): servers are added "
            "behind the reverse proxy when the peak needs them.",
        ]
    out += [
        "",
        "## Rerun",
        "",
        "```sh",
        ".venv/bin/python -m bench.load                  # about 4 minutes",
        ".venv/bin/python -m bench.load --duration 30    # longer levels",
        ".venv/bin/python -m bench.load --clients 50 --targets 'hello,question page' "
        "--out /tmp/load.md   # a quick look",
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
    parser.add_argument(
        "--clients",
        default=",".join(map(str, LEVELS)),
        help="concurrent clients per level, comma-separated (default %(default)s)",
    )
    parser.add_argument(
        "--people",
        type=int,
        default=MID_TEST,
        help="people seeded mid-test (half as many finish, a quarter share; default %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=300,
        help="repetitions when timing the parts of a page (default %(default)s)",
    )
    parser.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help="what to load, comma-separated among %(default)s (a partial run for a quick look)",
    )
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.clients.split(",")]
    targets = set(args.targets.split(","))
    if not targets <= set(TARGETS):
        parser.error(f"--targets: choose among {', '.join(TARGETS)}")
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
                pools = seed(port, share_code, email, log, args.people)
                for name, entries in pools.items():
                    (folder_path / f"{name}.lua").write_text(LUA % lua_table(entries))
                for target, pool in (("mix", "mix"), ("question page", "question")):
                    if target in targets:
                        levels += load_levels(
                            wrk, port, target, folder_path / f"{pool}.lua", args.duration, log,
                            counts,
                        )  # fmt: skip
            parts = page_parts(env, args.repeat)
            log("question page, in the app: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.connect() as c:
                pg = str(c.execute(text("show server_version")).scalar_one()).split()[0]
            engine.dispose()
        (folder_path / "hello.py").write_text(HELLO)
        (folder_path / "hello.lua").write_text(LUA % lua_table([Entry("hello", "GET", "/", "")]))
        if "hello" in targets:
            with gunicorn(production_env("sqlite://"), "hello:app", chdir=folder_path) as port:
                levels += load_levels(
                    wrk, port, "hello", folder_path / "hello.lua", args.duration, log, counts
                )
    import gunicorn as gunicorn_module

    versions = f"gunicorn {gunicorn_module.__version__}, PostgreSQL {pg}, {wrk_version.strip()}"
    step = step_cost(max(5, args.repeat // 5))
    log(f"engine step: median {step[0]:.2f} ms, p95 {step[1]:.2f} ms")
    args.out.write_text(
        report(levels, args, versions, time.perf_counter() - started, step, parts),
        encoding="utf-8",
    )
    log(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
