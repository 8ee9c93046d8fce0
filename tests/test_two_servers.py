"""Two production servers behind no proxy, sharing PostgreSQL, Redis and the secret key.

This is what docs/deploy.md promises: web processes are stateless, so any request can go to
any server. Two gunicorn servers, started with the project's ``gunicorn.conf.py`` (two
workers each), run ``wsgi:app`` in production mode with JSON logs on one fresh PostgreSQL
database, migrated with the deployment command (``flask --app wsgi db upgrade``), and one
Redis of their own for the rate limits (a throw-away ``redis-server`` on a free port, which
the last test stops and starts again). Then:

- one person takes the whole test with every request going to the other server than the
  previous one, and reaches their results as if there were one server;
- wrong codes to come back, posted to each server in turn, are refused (429) once the
  per-client limit is reached in total, not per server;
- with Redis stopped, every page and form still works (a right code opens the person's
  test, staff sign in), limits are counted in each process's memory with a warning in the
  log, the health endpoint says "degraded"; once Redis is back, each process goes back to
  it by itself and the limit is shared again.

Runs in the PostgreSQL pass of ``make test`` (TEST_DATABASE_URL=postgresql+psycopg://…);
skipped otherwise. Needs ``redis-server`` (Debian's package ``redis-server``): skipped
without it, unless REQUIRE_REDIS=1 (CI), which makes a missing Redis fail.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.assessment import service
from app.assessment.bank import DONT_KNOW, load_bank
from app.config import PROJECT_ROOT
from app.models import Answer, Person
from app.return_code import grouped
from app.staff import accounts

from . import databases
from .flow import STAFF_PASSWORD, csrf_token, item_on_page, right_answer, wrong_answer
from .test_concurrency import Browser, answer_form, continue_link

pytestmark = pytest.mark.skipif(
    not databases.is_postgres(),
    reason="two servers share one PostgreSQL database: runs in the PostgreSQL pass "
    "(TEST_DATABASE_URL=postgresql+psycopg://…, see `make test-postgres`)",
)

#: Low, so that the test reaches it quickly; the servers read it from the environment.
PER_CLIENT_LIMIT = 4
#: Seconds for a server to start, and for everything else to happen.
START_LIMIT = 60
STOP_LIMIT = 20
#: Seconds for every process to go back to Redis once it is up again (Flask-Limiter tries
#: again after 1, 2, 4… up to 32 s, counted from its previous try).
RECOVERY_LIMIT = 45


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throw-away ``redis-server`` on a free port, without persistence, that a test may stop
    and start again on the same port."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("REQUIRE_REDIS") == "1":
                pytest.fail("REQUIRE_REDIS=1 but redis-server is not installed")
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_LIMIT
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_LIMIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_LIMIT)
        self.process = None


def wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped at start:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urlopen(f"{base_url}/", timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not serve {base_url} within {START_LIMIT} s")


@contextmanager
def gunicorn(environment: dict[str, str], log: Path) -> Iterator[str]:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` on a free port, as in docs/deploy.md (two
    workers: the smallest number that shows per-process counting); stopped afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py")]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_serving(process, base_url, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_LIMIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_LIMIT)


@dataclass
class Servers:
    urls: list[str]
    database_url: str
    logs: Path
    redis: RedisServer
    secret_key: str


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Two servers on one migrated database and one Redis of their own."""
    folder = tmp_path_factory.mktemp("two-servers")
    redis = RedisServer(folder)
    database_url = databases.postgres().empty_database()
    secret_key = secrets.token_hex(32)
    with ExitStack() as stack:
        redis.start()
        stack.callback(redis.stop)
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("REPERE_", "TEST_"))},
            "REPERE_ENV": "production",
            "SECRET_KEY": secret_key,
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": redis.url,
            "RETURN_CODE_LIMIT_PER_CLIENT": f"{PER_CLIENT_LIMIT}/minute",
            # Behind one proxy: the tests give each client an address (X-Forwarded-For).
            "TRUSTED_PROXIES": "1",
            "LOG_FORMAT": "json",
            # Plain HTTP on 127.0.0.1: cookies without Secure. A real site uses HTTPS.
            "REPERE_HTTPS": "0",
            "REPERE_INSTANCE_PATH": str(folder / "instance"),
        }
        # The deployment step: the migrations, once, before the servers start.
        upgrade = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=START_LIMIT,
            check=False,
        )
        assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
        urls = [
            stack.enter_context(gunicorn(environment, folder / f"server-{name}.log"))
            for name in ("a", "b")
        ]
        yield Servers(urls, database_url, folder, redis, secret_key)


def test_one_person_alternating_between_two_servers(servers: Servers) -> None:
    (server_a, server_b), database_url, logs = servers.urls, servers.database_url, servers.logs
    bank = load_bank()
    rng = random.Random(7)
    log: list[tuple[str, str, str, int]] = []
    tab = Browser(server_a, "person", log).tab()
    # Each request goes to the other server than the one before.
    alternate = itertools.cycle((server_a, server_b))

    intro = tab.get("/test", base_url=next(alternate))
    started = tab.post("/test", {"csrf_token": csrf_token(intro.html)}, base_url=next(alternate))
    assert (started.status, started.location) == (303, "/test/question/1")
    path, asked = started.location, []
    for _step in range(60):
        if path == "/resultats":
            break
        page = tab.get(path, base_url=next(alternate))
        if len(asked) % 3 == 1:  # the person reloads the page: the next POST changes server
            page = tab.get(path, base_url=next(alternate))
        assert page.status == 200, f"GET {path} gave {page.status}"
        if path == "/test/pause":
            path = continue_link(page.html)
            continue
        item = bank.get(item_on_page(page.html))
        assert item is not None
        pick = rng.random()
        response = right_answer(item) if pick < 0.6 else wrong_answer(item)
        if pick > 0.9:
            response = DONT_KNOW
        posted = tab.post(path, answer_form(page.html, response), base_url=next(alternate))
        # The other server knows the person and accepts the token made by the first one.
        assert posted.status == 303, f"POST {path} gave {posted.status}"
        assert posted.location in ("/resultats", "/test/pause") or posted.location.startswith(
            "/test/question/"
        ), posted.location
        asked.append(item.id)
        path = posted.location
    assert path == "/resultats", "the test did not end"
    results = tab.get("/resultats", base_url=next(alternate))
    assert results.status == 200
    assert "Vos résultats" in results.html
    code = re.search(r'<p class="code">(\d{4} \d{4} \d{4} \d{4})</p>', results.html)
    assert code, "no code to come back on the results page"
    assert {status for *_request, status in log} <= {200, 303}

    # Both servers took part, and the database holds the whole test once.
    for name in ("a", "b"):
        served = (logs / f"server-{name}.log").read_text(errors="replace")
        for request in ("GET /test/question/", "POST /test/question/"):
            assert request in served, f"server {name} served no {request}"
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            person = session.scalars(select(Person)).one()
            assert [a.item_id for a in person.answers] == asked
            assert [a.position for a in person.answers] == list(range(1, len(asked) + 1))
            assert person.result is not None
            assert session.scalar(select(func.count()).select_from(Answer)) == len(asked)
    finally:
        engine.dispose()


def test_wrong_code_limit_is_shared_between_servers(servers: Servers) -> None:
    server_a, server_b = servers.urls
    log: list[tuple[str, str, str, int]] = []
    tab = Browser(server_a, "someone guessing", log).tab()
    form = tab.get("/revenir")
    assert form.status == 200
    token = csrf_token(form.html)
    statuses = []
    for attempt in range(PER_CLIENT_LIMIT + 2):
        server = (server_a, server_b)[attempt % 2]
        wrong = {"code": f"{attempt + 1:012d}", "csrf_token": token}
        statuses.append(tab.post("/revenir", wrong, base_url=server).status)
    # 4 wrong codes in total (2 on each server) reach the limit; a per-server count would
    # have allowed 8.
    assert statuses == [200] * PER_CLIENT_LIMIT + [429, 429], statuses
    limited = tab.post("/revenir", {"code": "9" * 12, "csrf_token": token}, base_url=server_b)
    assert limited.status == 429 and "<h1>" in limited.html


def client_at(server: str, address: str) -> tuple[Browser, object]:
    """A new browser whose requests seem to come from ``address`` (through the proxy)."""
    browser = Browser(server, address, [])
    tab = browser.tab()
    tab.headers["X-Forwarded-For"] = address
    return browser, tab


def wrong_codes(servers: list[str], address: str, count: int) -> list[int]:
    """``count`` wrong codes from one address, to each server in turn; their statuses."""
    _browser, tab = client_at(servers[0], address)
    token = csrf_token(tab.get("/revenir").html)  # type: ignore[attr-defined]
    return [
        tab.post(  # type: ignore[attr-defined]
            "/revenir",
            {"code": f"{900000000000 + attempt}", "csrf_token": token},
            base_url=servers[attempt % len(servers)],
        ).status
        for attempt in range(count)
    ]


def health(server: str) -> dict[str, object]:
    with urlopen(f"{server}/sante", timeout=5) as response:
        return json.loads(response.read())


def test_with_redis_down_every_form_works_and_limits_come_back(servers: Servers) -> None:
    urls = servers.urls
    engine = create_engine(servers.database_url)
    try:
        with Session(engine) as session:
            person = service.start(session, load_bank(), servers.secret_key, "fr")
            code = grouped(service.code_of(person, servers.secret_key))
            organisation = accounts.create_organisation(
                session, name="France Services de Bondy", kind="france-services", postcode="93140"
            )
            email = "mediatrice-panne@repere.example"
            accounts.create_staff(
                session,
                email=email,
                name="Awa",
                password=STAFF_PASSWORD,
                role="mediator",
                organisation_id=organisation.id,
            )
    finally:
        engine.dispose()

    servers.redis.stop()
    addresses = (f"198.51.100.{n}" for n in itertools.count(1))
    for server in urls:
        # Pages, a right code to come back, a wrong one, and staff sign-in all work.
        _browser, tab = client_at(server, next(addresses))
        assert tab.get("/").status == 200  # type: ignore[attr-defined]
        token = csrf_token(tab.get("/revenir").html)  # type: ignore[attr-defined]
        wrong = tab.post("/revenir", {"code": "1" * 12, "csrf_token": token})  # type: ignore[attr-defined]
        assert wrong.status == 200 and "Nous ne trouvons pas ce code" in wrong.html
        back = tab.post("/revenir", {"code": code, "csrf_token": token})  # type: ignore[attr-defined]
        assert back.status == 303, back.status
        assert tab.get(back.location).status == 200  # type: ignore[attr-defined]
        _browser, staff = client_at(server, next(addresses))
        form = staff.get("/pro/connexion")  # type: ignore[attr-defined]
        signed = staff.post(  # type: ignore[attr-defined]
            "/pro/connexion",
            {"csrf_token": csrf_token(form.html), "email": email, "password": STAFF_PASSWORD},
        )
        assert signed.status == 303 and signed.location == "/pro/", signed.status
        assert staff.get("/pro/").status == 200  # type: ignore[attr-defined]
        assert health(server) | {"rate_limit_shared": True} == {
            "status": "degraded",
            "database": "ok",
            "rate_limit_store": "error",
            "rate_limit_shared": True,
        }
    # Limits still hold, counted by each process: at most 4 wrong codes per worker (2 workers).
    statuses = wrong_codes(urls[:1], next(addresses), 2 * PER_CLIENT_LIMIT + 1)
    assert 429 in statuses, statuses
    logged = "".join((servers.logs / f"server-{n}.log").read_text() for n in ("a", "b"))
    assert "falling back to in-memory storage" in logged

    servers.redis.start()
    deadline = time.monotonic() + RECOVERY_LIMIT
    while True:
        # Every process goes back to Redis on a later request, by itself: wake them all.
        for server in urls * 4:
            urlopen(f"{server}/", timeout=5).close()
        if wrong_codes(urls, next(addresses), PER_CLIENT_LIMIT + 1)[-1] == 429:
            break  # the 5th, on server A, counted the 2 wrong codes made on server B
        assert time.monotonic() < deadline, "the servers did not go back to Redis"
        time.sleep(1)
    for server in urls:
        assert health(server)["status"] == "ok"
    # Shared again, as before the outage: 4 in total, whichever server.
    statuses = wrong_codes(urls, next(addresses), PER_CLIENT_LIMIT + 2)
    assert statuses == [200] * PER_CLIENT_LIMIT + [429, 429], statuses

    # The logs said what happened, one JSON object per line, without personal data.
    logged = "".join((servers.logs / f"server-{n}.log").read_text() for n in ("a", "b"))
    assert "Rate limit storage recovered" in logged
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "repere.request"]
    assert requests and all({"status", "duration_ms", "route"} <= set(r) for r in requests)
    for secret in (code, code.replace(" ", ""), email, STAFF_PASSWORD, "198.51.100."):
        assert secret not in logged
