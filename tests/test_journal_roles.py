"""The access journal cannot be rewritten by the app, nor changed outside the purge.

On PostgreSQL, set up as docs/deploy.md says (an owner role runs the migrations, the app runs
as its own role), the app's role can only read and add lines of the journal: not UPDATE,
DELETE, TRUNCATE, ALTER, or disable its trigger. On SQLite, triggers refuse UPDATE and
DELETE of lines younger than the retention period. ``flask purge`` is one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app import migrate, mydata
from app.assessment.bank import load_bank
from app.extensions import db
from app.models import AccessRecord, Person

from .conftest import make_test_app
from .databases import POSTGRES_URL, admin_engine, render, throwaway_postgres
from .flow import take_test

NOW = datetime.now(UTC)


def insert_line(connection, at: datetime) -> None:  # type: ignore[no-untyped-def]
    connection.execute(
        text(
            "INSERT INTO access_record (journey_ref, staff_id, staff_name, organisation_id,"
            " organisation_name, what, at) VALUES ('r', 1, 'Awa', 1, 'FS', 'person', :at)"
        ),
        {"at": at},
    )


# --------------------------------------------------------------------------------------------
# PostgreSQL: two roles


@pytest.fixture()
def two_roles() -> Iterator[tuple[str, str]]:
    """A database made as docs/deploy.md says: (owner's URL, app's URL)."""
    suffix = uuid.uuid4().hex[:8]
    owner, app_role = f"repere_owner_{suffix}", f"repere_app_{suffix}"
    try:
        with throwaway_postgres("repere_roles") as url:
            database = make_url(url).database
            admin = admin_engine(POSTGRES_URL)
            with admin.connect() as connection:
                connection.execute(text(f"CREATE ROLE {owner} LOGIN"))
                connection.execute(text(f"CREATE ROLE {app_role} LOGIN"))
                connection.execute(text(f'ALTER DATABASE "{database}" OWNER TO {owner}'))
            admin.dispose()
            setup = admin_engine(url)
            with setup.connect() as connection:
                for statement in (
                    f"ALTER SCHEMA public OWNER TO {owner}",
                    f"GRANT USAGE ON SCHEMA public TO {app_role}",
                    f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_role}",
                    f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
                    f"GRANT USAGE, SELECT ON SEQUENCES TO {app_role}",
                ):
                    connection.execute(text(statement))
            setup.dispose()
            yield (
                render(make_url(url).set(username=owner)),
                render(make_url(url).set(username=app_role)),
            )
    finally:
        admin = admin_engine(POSTGRES_URL)
        with admin.connect() as connection:
            for role in (app_role, owner):
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_the_apps_role_can_only_read_and_add_journal_lines(two_roles: tuple[str, str]) -> None:
    owner_url, app_url = two_roles
    migrate.upgrade(owner_url)
    engine = create_engine(app_url)
    try:
        with engine.begin() as connection:  # the app works: it adds and reads lines
            insert_line(connection, NOW)
            insert_line(connection, NOW - timedelta(days=4 * 366))
            assert connection.execute(text("SELECT count(*) FROM access_record")).scalar() == 2
            connection.execute(text("UPDATE organisation SET name = name"))  # other tables: yes
        for statement in (
            "UPDATE access_record SET staff_name = 'X'",
            "DELETE FROM access_record",
            "TRUNCATE access_record",
            "ALTER TABLE access_record DISABLE TRIGGER ALL",
            "ALTER TABLE access_record DISABLE TRIGGER access_record_no_change",
            "ALTER TABLE access_record ADD COLUMN x integer",
            "DROP TRIGGER access_record_no_change ON access_record",
            "DROP TABLE access_record",
            "ALTER TABLE access_record OWNER TO CURRENT_USER",
        ):
            with pytest.raises(DBAPIError) as refused, engine.begin() as connection:
                connection.execute(text(statement))
            assert "permission denied" in str(refused.value) or "must be owner" in str(
                refused.value
            ), statement
        # Only the purge's function deletes, and only lines past the retention period.
        with engine.begin() as connection:
            removed = connection.execute(
                text("SELECT purge_access_records(:before)"), {"before": NOW + timedelta(days=1)}
            ).scalar()
            assert removed == 1
            assert connection.execute(text("SELECT count(*) FROM access_record")).scalar() == 1
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------
# SQLite: triggers


def test_sqlite_refuses_to_change_the_journal_outside_the_purge(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        insert_line(connection, NOW)
        insert_line(connection, NOW - timedelta(days=4 * 366))
    for statement in (
        "UPDATE access_record SET staff_name = 'X'",
        "DELETE FROM access_record",
        "DELETE FROM access_record WHERE staff_name = 'Awa' AND at > '2000'",
    ):
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM access_record")).scalar() == 2
        # An old line may go (what `flask purge` does).
        connection.execute(
            text("DELETE FROM access_record WHERE at < :before"),
            {"before": NOW - timedelta(days=3 * 366)},
        )
        assert connection.execute(text("SELECT count(*) FROM access_record")).scalar() == 1
    engine.dispose()


# --------------------------------------------------------------------------------------------
# `flask purge`: all or nothing


def test_purge_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app: Flask = make_test_app(tmp_path)
    take_test(app.test_client(), load_bank())

    def failing(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("the journal could not be purged")

    monkeypatch.setattr(mydata, "delete_old_access_records", failing)
    later = NOW + timedelta(days=2 * 366)
    result = app.test_cli_runner().invoke(args=["purge", "--now", later.isoformat()])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["purge", "--now", later.isoformat()])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person)) == 0
        assert db.session.scalar(select(func.count()).select_from(AccessRecord)) == 0
