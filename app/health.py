"""The health endpoint, ``GET /sante``: may this server take requests?

For a load balancer, a monitoring probe or a person on call. It answers in JSON within
``HEALTH_TIMEOUT_MS`` (40 ms by default) whatever happens: the database and the rate-limit
store are asked at the same time, in threads of their own, and one that has not answered
within the budget counts as not answering. It holds no personal data (nothing but the
states below), sets no cookie, is never cached and never rate-limited.

- ``database``: ``ok``, ``error`` (refused, or the query failed) or ``timeout``.
- ``rate_limit_store``: the same, for the store the limits are counted in
  (``RATELIMIT_STORAGE_URI``);
  ``rate_limit_shared``: whether that store is shared between processes (Redis) or not
  (``memory://``).
- ``status``: ``ok``; ``degraded`` when only the rate-limit store is down (every page still
  works, limits are counted per process); ``down`` when the database is not ``ok``.

The answer is 200 unless the database is not ``ok`` (503): a load balancer takes a server
out only when it cannot serve. Redis is shared by every server, so it must not take them all
out when Redis is down: watch ``degraded`` in monitoring instead.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from flask import Flask, Response, current_app, jsonify
from sqlalchemy import Engine, text

from .extensions import db, limiter
from .pages import not_a_page

#: Shared by every request of the process; a check that hangs holds one thread, not a request.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def _database(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _store(storage: Any) -> None:
    if not storage.check():
        raise ConnectionError("the rate-limit store did not answer")


def _state(future: Future[None], done: set[Future[None]]) -> str:
    if future not in done:
        return "timeout"
    return "ok" if future.exception() is None else "error"


def check(checks: dict[str, Callable[[], None]], budget_ms: float) -> dict[str, str]:
    """Run every check at once; each one's state after at most ``budget_ms``."""
    futures = {name: _checks.submit(function) for name, function in checks.items()}
    done, _pending = wait(futures.values(), timeout=budget_ms / 1000)
    return {name: _state(future, done) for name, future in futures.items()}


def health() -> tuple[Response, int]:
    storage, engine = limiter.storage, db.engine()  # the threads have no app context
    states = check(
        {
            "database": lambda: _database(engine),
            "rate_limit_store": lambda: _store(storage),
        },
        current_app.config["HEALTH_TIMEOUT_MS"],
    )
    if states["database"] != "ok":
        status = "down"
    elif states["rate_limit_store"] != "ok":
        status = "degraded"
    else:
        status = "ok"
    body = {
        "status": status,
        **states,
        "rate_limit_shared": not current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory"),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if status == "down" else 200


def init_app(app: Flask) -> None:
    view = limiter.exempt(not_a_page(health))
    app.add_url_rule("/sante", endpoint="health", view_func=view)
