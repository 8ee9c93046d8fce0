"""Repère: measure your digital skills, then find the way and the help that fit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets, cli, errors, health, http, i18n, logs, migrate, tracking
from .assessment.bank import load_bank
from .config import PROJECT_ROOT, load_config
from .extensions import csrf, db, limiter


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from environment variables, then ``config`` on top (tests use it)."""
    settings = load_config()
    settings.update(config or {})
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=None,
        instance_path=settings["INSTANCE_PATH"],
    )
    app.config.update(settings)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.do")
    # First: its timer starts before, and its line is written after, every other hook.
    logs.init_app(app)
    tracking.init_app(app)

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # A mistake in the item bank stops the start, with the file and item named.
    app.extensions["bank"] = load_bank()
    i18n.init_app(app)
    assets.init_app(app, PROJECT_ROOT / "static")
    http.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    health.init_app(app)

    from .views import assessment, audio, journeys, mydata, places, public, sharing, staff, visit

    audio.init_app(app, app.extensions["bank"])
    app.register_blueprint(public.bp)
    app.register_blueprint(assessment.bp)
    app.register_blueprint(journeys.bp)
    app.register_blueprint(places.bp)
    app.register_blueprint(sharing.bp)
    app.register_blueprint(mydata.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(visit.bp)

    if app.config["AUTO_MIGRATE"]:
        migrate.upgrade(app.config["DATABASE_URL"])
    return app
