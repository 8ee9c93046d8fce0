"""The extensions every part of the app shares: database, translations, CSRF, rate limits."""

from __future__ import annotations

import ipaddress
from typing import Any

from flask import Flask, current_app
from flask.globals import app_ctx
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session


class Database:
    """One engine per app and one SQLAlchemy session per app context.

    Views use ``db.session``; the session is removed at the end of every request,
    so no state survives between requests (any process can serve any request).
    Each app keeps its own engine, so several apps in one process (tests) never mix.
    """

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(
            self._new_session, scopefunc=_app_context_id
        )

    @staticmethod
    def _new_session() -> Session:
        return Session(bind=current_app.extensions["database_engine"], expire_on_commit=False)

    @staticmethod
    def engine() -> Engine:
        """The current app's engine."""
        return current_app.extensions["database_engine"]

    def init_app(self, app: Flask) -> None:
        app.extensions["database_engine"] = make_engine(app.config["DATABASE_URL"])

        @app.teardown_appcontext
        def remove_session(_exc: BaseException | None) -> None:
            self.session.remove()


def _app_context_id() -> int:
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


def make_engine(url: str) -> Engine:
    """An engine with the settings Repère needs on SQLite and PostgreSQL."""
    # hide_parameters: a database error never quotes the values (a phone, an e-mail) in
    # its message, so neither logs nor the error tracker receive them.
    options: dict[str, Any] = {"future": True, "hide_parameters": True}
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


def client_key() -> str:
    """Who is counted by the rate limits: the client's address, or for IPv6 its /64 (one
    subscriber usually holds a whole /64, so counting single addresses would multiply an
    attacker's tries by billions)."""
    address = get_remote_address() or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


#: Keyed by the client (``client_key``; behind a proxy, set TRUSTED_PROXIES). Storage is
#: in memory by default; RATELIMIT_STORAGE_URI (Redis) shares it between processes.
limiter = Limiter(key_func=client_key)
