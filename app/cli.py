"""Command-line tools: ``flask --app wsgi db upgrade`` and friends."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from . import migrate

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Bring the database up to REVISION (default: the newest)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Take the database back to REVISION."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
def revision(message: str) -> None:
    """Write a new migration from the models (review it before committing)."""
    migrate.revision(current_app.config["DATABASE_URL"], message)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
