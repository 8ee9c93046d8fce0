"""Settings: safe defaults in development, refusal of unsafe production settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, load_config


def test_development_default_is_a_sqlite_file_in_instance(tmp_path: Path) -> None:
    config = load_config({"REPERE_INSTANCE_PATH": str(tmp_path)})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'repere.sqlite3'}"
    assert config["AUTO_MIGRATE"] is True
    # A random key is made once and kept, so sessions survive a restart.
    key = config["SECRET_KEY"]
    assert len(key) >= 32 and (tmp_path / "secret_key").read_text() == key
    assert load_config({"REPERE_INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_first_run_creates_and_migrates_the_database(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, inspect

    create_app(load_config({"REPERE_INSTANCE_PATH": str(tmp_path)}))
    database = tmp_path / "repere.sqlite3"
    assert database.exists()
    assert "alembic_version" in inspect(create_engine(f"sqlite:///{database}")).get_table_names()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "SECRET_KEY is required"),
        ({"SECRET_KEY": "short"}, "at least 32"),
        ({"REPERE_ENV": "staging"}, "REPERE_ENV"),
    ],
)
def test_production_refuses_unsafe_settings(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    environ = {"REPERE_ENV": "production", "REPERE_INSTANCE_PATH": str(tmp_path)} | environ
    with pytest.raises(ConfigError, match=message):
        load_config(environ)


def test_production_refuses_the_development_key(tmp_path: Path) -> None:
    dev_key = load_config({"REPERE_INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    with pytest.raises(ConfigError, match="development key"):
        load_config(
            {
                "REPERE_ENV": "production",
                "REPERE_INSTANCE_PATH": str(tmp_path),
                "SECRET_KEY": dev_key,
            }
        )


def test_production_with_a_real_key_is_secure_by_default(tmp_path: Path) -> None:
    config = load_config(
        {
            "REPERE_ENV": "production",
            "REPERE_INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "k" * 48,
            "DATABASE_URL": "postgresql+psycopg://repere@db/repere",
        }
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["AUTO_MIGRATE"] is False
    assert config["DATABASE_URL"].startswith("postgresql+psycopg://")
