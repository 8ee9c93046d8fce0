"""Two production servers behind no proxy, sharing PostgreSQL, Redis and the secret key.

This is what docs/deploy.md promises: web processes are stateless, so any request can go to
any server. Two gunicorn servers (two workers of two threads each) run ``wsgi:app`` in
production mode on one fresh PostgreSQL database, migrated with the deployment command
(``flask --app wsgi db upgrade``), and one Redis database for the rate limits. Then:

- one person takes the whole test with every request going to the other server than the
  previous one, and reaches their results as if there were one server;
- wrong codes to come back, posted to each server in turn, are refused (429) once the
  per-client limit is reached in total, not per server.

Runs in the PostgreSQL pass of ``make test`` (TEST_DATABASE_URL=postgresql+psycopg://…);
skipped otherwise. Needs Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379): skipped
without it, unless REQUIRE_REDIS=1 (CI), which makes a missing Redis fail.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.assessment.bank import DONT_KNOW, load_bank
from app.config import PROJECT_ROOT
from app.models import Answer, Person

from . import databases
from .flow import csrf_token, item_on_page, right_answer, wrong_answer
from .test_concurrency import Browser, answer_form, continue_link

pytestmark = pytest.mark.skipif(
    not databases.is_postgres(),
    reason="two servers share one PostgreSQL database: runs in the PostgreSQL pass "
    "(TEST_DATABASE_URL=postgresql+psycopg://…, see `make test-postgres`)",
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
#: Low, so that the test reaches it quickly; the servers read it from the environment.
PER_CLIENT_LIMIT = 4
#: Seconds for a server to start, and for everything else to happen.
START_LIMIT = 60
STOP_LIMIT = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_database() -> Iterator[str]:
    """An empty Redis database of its own (a number no one uses), emptied afterwards."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()
    except Exception as error:
        if os.environ.get("REQUIRE_REDIS") == "1":
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    marker = f"repere-test-{uuid.uuid4().hex}"
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_URL}/{number}", socket_timeout=5)
        # Only a database that is empty, and claimed by a marker no one else can set.
        if client.dbsize() == 0 and client.set("repere-test-owner", marker, nx=True, ex=600):
            break
        client.close()
    else:
        pytest.fail(f"no empty Redis database at {REDIS_URL} (1 to 15) to run the test on")
    try:
        yield f"{REDIS_URL}/{number}"
    finally:
        if client.get("repere-test-owner") == marker.encode():
            client.flushdb()
        client.close()


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
    """``gunicorn wsgi:app`` on a free port, as in docs/deploy.md; stopped afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "2",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        "wsgi:app",
    ]
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


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], str, Path]]:
    """Two servers on one migrated database and one Redis; yields (URLs, database URL, logs)."""
    folder = tmp_path_factory.mktemp("two-servers")
    database_url = databases.postgres().empty_database()
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_database())
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("REPERE_", "TEST_"))},
            "REPERE_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "RETURN_CODE_LIMIT_PER_CLIENT": f"{PER_CLIENT_LIMIT}/minute",
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
        yield urls, database_url, folder


def test_one_person_alternating_between_two_servers(
    servers: tuple[list[str], str, Path],
) -> None:
    (server_a, server_b), database_url, logs = servers
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
    code = re.search(r'<p class="code">(\d{4} \d{4} \d{4})</p>', results.html)
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


def test_wrong_code_limit_is_shared_between_servers(
    servers: tuple[list[str], str, Path],
) -> None:
    (server_a, server_b), _database_url, _logs = servers
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
