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


def partial_indexes(url: str) -> dict[str, str]:
    """Each partial index of the database at ``url``, with its definition as the database
    keeps it (``CREATE INDEX … WHERE …``)."""
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    with engine.connect() as connection:
        definitions = {name: sql for name, sql in connection.execute(text(query))}
    engine.dispose()
    return {name: sql for name, sql in definitions.items() if " WHERE " in sql.upper()}


def check_partial_indexes(url: str, models_url: str) -> None:
    """Alembic's comparison leaves out the WHERE of partial indexes: the migrations must
    make the same ones as the models (``create_all`` on an empty database)."""
    engine = create_engine(models_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    expected = partial_indexes(models_url)
    assert expected, "the models declare partial indexes: none found"
    assert partial_indexes(url) == expected


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
    url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    check_round_trip(url)
    check_partial_indexes(url, f"sqlite:///{tmp_path / 'models.sqlite3'}")


def test_migrations_on_postgresql(postgres_url: str) -> None:
    check_round_trip(postgres_url)
    with throwaway_postgres("repere_models") as models_url:
        check_partial_indexes(postgres_url, models_url)
