"""The extensions every part of the app shares: database, translations, CSRF."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker


class Database:
    """One engine per app and one SQLAlchemy session per app context.

    Views use ``db.session``; the session is removed at the end of every request,
    so no state survives between requests (any process can serve any request).
    """

    def __init__(self) -> None:
        self._factory = sessionmaker(expire_on_commit=False)
        self.session: scoped_session[Session] = scoped_session(self._factory)
        self.engine: Engine | None = None

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self._factory.configure(bind=self.engine)
        app.extensions["database"] = self

        @app.teardown_appcontext
        def remove_session(_exc: BaseException | None) -> None:
            self.session.remove()


def make_engine(url: str) -> Engine:
    """An engine with the settings Repère needs on SQLite and PostgreSQL."""
    options: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        options["pool_pre_ping"] = True
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


db = Database()
babel = Babel()
csrf = CSRFProtect()
