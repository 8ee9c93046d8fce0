"""Helpers shared by the benchmarks that run the real server: machine description, temporary
PostgreSQL databases, the app's production environment, gunicorn with the settings of
docs/deploy.md, and a small keep-alive HTTP client that walks through the site like a person.

Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_POSTGRES = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DEFAULT_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
DEMO_PLACES = ROOT / "app" / "content" / "places" / "lieux-demo.csv"
STAFF_PASSWORD = "un mot de passe assez long"

#: The settings of docs/deploy.md, for 2 cores: the same file the guide and the tests use.
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def log_to_stderr() -> callable:
    start = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr, flush=True)

    return log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_database(admin_url: str = DEFAULT_POSTGRES) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped at the end; yields its URL."""
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"repere_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def free_redis_db(base: str = DEFAULT_REDIS) -> Iterator[str]:
    """An empty Redis database number (1–15), emptied again at the end."""
    import redis

    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{base}/{number}")
        if client.dbsize() == 0:
            try:
                yield f"{base}/{number}"
            finally:
                client.flushdb()
                client.close()
            return
    raise RuntimeError("no empty Redis database between 1 and 15")


def production_env(database_url: str, redis_url: str = "memory://") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPERE_", "SECRET_KEY"))}
    env.update(
        {
            "REPERE_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "REPERE_HTTPS": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def flask_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def prepare_database(env: dict[str, str]) -> None:
    """Migrate and import the demo places, as a deployment does."""
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "import-places", str(DEMO_PLACES))


def create_staff(env: dict[str, str], postcode: str = "93200") -> tuple[int, str, str]:
    """An organisation and a mediator in it; returns (organisation id, share code, e-mail)."""
    out = flask_cli(
        env,
        "create-organisation",
        "--name", "France Services de Saint-Denis",
        "--kind", "france-services",
        "--postcode", postcode,
    )  # fmt: skip
    match = re.search(r"n° (\d+) créé, code de partage (\S+)\.", out)
    assert match, out
    email = f"mediateur-{secrets.token_hex(4)}@repere.example"
    flask_cli(
        env,
        "create-staff",
        "--email", email,
        "--name", "Camille Bench",
        "--role", "mediator",
        "--organisation-id", match.group(1),
        "--password", STAFF_PASSWORD,
    )  # fmt: skip
    return int(match.group(1)), match.group(2), email


@contextmanager
def gunicorn(
    env: dict[str, str],
    app: str = "wsgi:app",
    chdir: Path = ROOT,
    extra: Sequence[str] = (),
) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py (docs/deploy.md) on a free port; yields the port."""
    port = free_port()
    logfile = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-gunicorn-{port}.log", "w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            app,
            "--config",
            str(GUNICORN_CONFIG),
            "--chdir",
            str(chdir),
            "--bind",
            f"127.0.0.1:{port}",
            *extra,
        ],
        cwd=chdir,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped; see {logfile.name}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        time.sleep(1.0)  # both workers up
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        logfile.close()


class Visitor:
    """One person's browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int, accept_encoding: str = "identity") -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.accept_encoding = accept_encoding
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(
        self, method: str, path: str, form: dict[str, object] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept-Encoding": self.accept_encoding}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path: str) -> tuple[int, str]:
        status, _, data = self.request("GET", path)
        return status, data.decode("utf-8", "replace")

    def post(self, path: str, form: dict[str, object]) -> tuple[int, str]:
        status, headers, _ = self.request("POST", path, form)
        return status, urlsplit(headers.get("location", path)).path


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def item_on_page(html: str) -> str:
    match = re.search(r'name="item_id" type="hidden" value="([^"]+)"', html)
    assert match, "no question on the page"
    return match.group(1)


def answer_form(html: str, response: str | Sequence[str]) -> dict[str, object]:
    data: dict[str, object] = {"csrf_token": csrf_token(html), "item_id": item_on_page(html)}
    if isinstance(response, str):
        data["choice"] = response
        data["text"] = response
    else:
        data["choices"] = list(response)
    return data


def walk_test(visitor: Visitor, stop_after: int | None = None) -> tuple[str, list[str]]:
    """Start the test and answer rightly, up to ``stop_after`` questions (None: to the end).

    Returns the path where the person is and the paths of the questions answered.
    """
    from app.assessment.bank import load_bank
    from tests.flow import right_answer

    bank = load_bank()
    _, html = visitor.get("/test")
    status, path = visitor.post("/test", {"csrf_token": csrf_token(html)})
    assert status == 303, status
    answered: list[str] = []
    for _ in range(40):
        if path == "/resultats" or (stop_after is not None and len(answered) >= stop_after):
            return path, answered
        if path == "/test/pause":
            _, page = visitor.get(path)
            path = re.search(r'href="(/test/question/\d+)"', page).group(1)  # type: ignore[union-attr]
            continue
        _, html = visitor.get(path)
        item = bank.get(item_on_page(html))
        assert item is not None
        status, next_path = visitor.post(path, answer_form(html, right_answer(item)))
        assert status == 303, f"answering at {path} gave {status}"
        answered.append(path)
        path = next_path
    raise AssertionError("the test did not end after 40 questions")


def share_and_ask(visitor: Visitor, share_code: str) -> None:
    """The person shares their results with the organisation and asks to be contacted."""
    _, html = visitor.get("/partager")
    status, _ = visitor.post(
        "/partager", {"csrf_token": csrf_token(html), "code": share_code, "months": "6"}
    )
    assert status == 303, status
    # One question per page, then the page that shows every answer, whose button sends it.
    answers: dict[str, dict[str, object]] = {
        "/etre-contacte": {"code": share_code},
        "/etre-contacte/comment": {"channel": "phone"},
        "/etre-contacte/quand": {"slots": ["mon-am", "thu-pm"]},
        "/etre-contacte/coordonnees": {"phone": "06 12 34 56 78"},
    }
    path = "/etre-contacte"
    for _ in range(8):
        if path == "/etre-contacte/envoyee":
            return
        _, html = visitor.get(path)
        hidden = dict(re.findall(r'<input name="([^"]+)" type="hidden" value="([^"]*)"', html))
        status, next_path = visitor.post(path, {**hidden, **answers.get(path, {})})
        assert status == 303, f"{path}: {status}"
        path = next_path
    raise AssertionError("the request to be contacted was never sent")


def sign_in(visitor: Visitor, email: str) -> None:
    _, html = visitor.get("/pro/connexion")
    status, _ = visitor.post(
        "/pro/connexion",
        {"csrf_token": csrf_token(html), "email": email, "password": STAFF_PASSWORD},
    )
    assert status == 303, f"sign-in gave {status}"


def thousands(n: float) -> str:
    return f"{n:,.0f}".replace(",", "\u202f")
