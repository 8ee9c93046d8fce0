"""One set of Alembic migrations, on SQLite and on PostgreSQL, matching the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app import migrate
from app.models import Base

from .databases import throwaway_postgres


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    with throwaway_postgres("repere_migrations") as url:
        yield url


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
