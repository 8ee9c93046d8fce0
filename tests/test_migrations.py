"""One set of Alembic migrations, on SQLite and on PostgreSQL, matching the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text

from app import migrate
from app.models import Base

#: A PostgreSQL server to create throw-away databases on. CI sets REQUIRE_POSTGRES=1
#: so that a missing server fails the run instead of skipping these tests.
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    admin_url = make_url(POSTGRES_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        admin.connect().close()
    except Exception as error:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"no PostgreSQL server at {admin_url.host}: {error}")
    name = f"repere_migrations_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def check_round_trip(url: str) -> None:
    migrate.upgrade(url)
    migrate.upgrade(url)  # running it again is harmless
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    model_tables = set(Base.metadata.tables)
    assert model_tables <= set(inspect(engine).get_table_names())
    engine.dispose()
    migrate.downgrade(url, "base")
    engine = create_engine(url)
    assert not model_tables & set(inspect(engine).get_table_names())
    engine.dispose()
    migrate.upgrade(url)


def test_migrations_on_sqlite(tmp_path: Path) -> None:
    check_round_trip(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")


def test_migrations_on_postgresql(postgres_url: str) -> None:
    check_round_trip(postgres_url)
