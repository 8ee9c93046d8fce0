"""The databases the tests run on: a new SQLite file, or a new PostgreSQL database.

Every test app (``tests/conftest.py: make_test_app``) expects a fresh, empty database.

- ``TEST_DATABASE_URL`` unset: a new SQLite file in the test's temporary folder.
- ``TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test``: the URL names a
  server and a database to connect to for administration. Each test app gets its own
  database on that server, ``repere_test_<random>``, copied from a template database that
  is migrated once per test session (``CREATE DATABASE … TEMPLATE``, then the app's
  AUTO_MIGRATE finds nothing to do: about 0.1 s per app, where an empty database plus every
  migration takes about 0.17 s, and more as migrations are added). Every database made here
  is dropped ``WITH (FORCE)`` at the end of the session.
- any other URL (an SQLite file, say) is used as it is, shared by every app.

A server that cannot be reached stops the run with the reason: whoever sets
``TEST_DATABASE_URL`` wants the tests on that server. ``make test`` checks first with
``python -m tests.databases check URL`` and skips the PostgreSQL pass when there is no
server, unless ``REQUIRE_POSTGRES=1`` (CI), which makes it fail.

``python -m tests.databases clean URL`` drops databases left by a test run that was
killed (never while another run uses the same server).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, pool, text
from sqlalchemy.engine import URL

#: Names of the databases made here; ``clean`` drops what matches them.
DATABASE_PREFIX = "repere_test_"
TEMPLATE_PREFIX = "repere_template_"


def test_database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "")


def is_postgres(url: str | None = None) -> bool:
    url = test_database_url() if url is None else url
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


def render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def admin_engine(url: str) -> Engine:
    """An engine on the administration database; CREATE and DROP DATABASE need autocommit."""
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)


def server_problem(url: str) -> str | None:
    """Why the server at ``url`` cannot be used, or None when it can."""
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "no server to test on"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"{type(error).__name__}: {first_line}"
    finally:
        engine.dispose()
    return None


class PostgresDatabases:
    """Fresh databases on one PostgreSQL server, all dropped by ``drop_all``."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self._engine: Engine | None = None
        self._template: str | None = None
        self._made: list[str] = []
        self._lock = threading.Lock()

    def _admin(self) -> Engine:
        if self._engine is None:
            problem = server_problem(render(self.admin_url))
            if problem is not None:
                raise RuntimeError(
                    f"TEST_DATABASE_URL names a PostgreSQL server that cannot be used "
                    f"({self.admin_url.render_as_string()}): {problem}. Start it, or unset "
                    "TEST_DATABASE_URL to run the tests on SQLite (make test-sqlite)."
                )
            # One connection kept open: each CREATE DATABASE then costs no connection.
            self._engine = create_engine(
                self.admin_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0
            )
        return self._engine

    def _execute(self, sql: str) -> None:
        with self._admin().connect() as connection:
            connection.execute(text(sql))

    def url_of(self, name: str) -> str:
        return render(self.admin_url.set(database=name))

    def _ensure_template(self) -> str:
        if self._template is None:
            from app import migrate  # the app's own migrations, as AUTO_MIGRATE runs them

            name = f"{TEMPLATE_PREFIX}{uuid.uuid4().hex[:10]}"
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
            self._made.append(name)
            # Alembic uses a NullPool: no connection stays open on the template, which
            # CREATE DATABASE … TEMPLATE requires.
            migrate.upgrade(self.url_of(name))
            self._template = name
        return self._template

    def new_database(self) -> str:
        """The URL of a new database with every migration applied."""
        with self._lock:
            template = self._ensure_template()
            name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            self._made.append(name)
            return self.url_of(name)

    def empty_database(self) -> str:
        """The URL of a new database without any table (to run the migrations on)."""
        with self._lock:
            name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
            self._made.append(name)
            return self.url_of(name)

    def drop_all(self) -> None:
        """Drop every database made here, even with connections still open on them."""
        with self._lock:
            if self._engine is None:
                return
            problems = []
            # The template last: the others were copied from it.
            for name in reversed(self._made):
                try:
                    self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except Exception as error:
                    problems.append(f"{name}: {error}")
            self._made.clear()
            self._template = None
            self._engine.dispose()
            self._engine = None
            if problems:
                print("tests/databases.py: could not drop " + "; ".join(problems), file=sys.stderr)


_postgres: PostgresDatabases | None = None
_postgres_lock = threading.Lock()


def postgres() -> PostgresDatabases:
    """The session's PostgreSQL databases, on the server TEST_DATABASE_URL names."""
    global _postgres
    with _postgres_lock:
        if _postgres is None or render(_postgres.admin_url) != render(
            make_url(test_database_url())
        ):
            _postgres = PostgresDatabases(test_database_url())
            atexit.register(_postgres.drop_all)  # if the session ends without teardown
        return _postgres


def database_url(tmp_dir: Path) -> str:
    """A fresh database for one test app (see the module's docstring)."""
    url = test_database_url()
    if not url:
        return f"sqlite:///{tmp_dir / 'test.sqlite3'}"
    if is_postgres(url):
        return postgres().new_database()
    return url


def drop_all() -> None:
    """Drop every database this session made (session teardown)."""
    if _postgres is not None:
        _postgres.drop_all()


def clean(url: str) -> list[str]:
    """Drop every test database on the server, left by runs that were killed."""
    engine = admin_engine(url)
    try:
        with engine.connect() as connection:
            names = connection.execute(
                text(
                    "SELECT datname FROM pg_database WHERE datname LIKE :a OR datname LIKE :b "
                    "ORDER BY datname LIKE :b"
                ),
                {"a": DATABASE_PREFIX + "%", "b": TEMPLATE_PREFIX + "%"},
            ).scalars()
            names = list(names)
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
    return names


def main(argv: list[str]) -> int:
    usage = "usage: python -m tests.databases check|clean POSTGRES_URL"
    if len(argv) != 2 or argv[0] not in {"check", "clean"}:
        print(usage, file=sys.stderr)
        return 2
    command, url = argv
    if command == "check":
        problem = server_problem(url)
        if problem is not None:
            print(f"no PostgreSQL server at {make_url(url).render_as_string()}: {problem}")
            return 1
        return 0
    dropped = clean(url)
    print(
        f"dropped {len(dropped)} test database(s)" + (f": {', '.join(dropped)}" if dropped else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


#: The server for tests that need PostgreSQL whatever the pass (migrations, the journal's
#: trigger): CI sets REQUIRE_POSTGRES=1 so that a missing server fails instead of skipping.
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (its URL), dropped afterwards; skip without a server."""
    import pytest

    problem = server_problem(POSTGRES_URL)
    if problem is not None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            raise RuntimeError(f"REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(f"no PostgreSQL server at {make_url(POSTGRES_URL).host}: {problem}")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = admin_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield render(make_url(POSTGRES_URL).set(database=name))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
