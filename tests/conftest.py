"""Shared fixtures: an app on a fresh database, a client, and every page of the site."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFError
from werkzeug.test import TestResponse

# Set before the app reads its settings: never touch the developer's instance/ folder.
_INSTANCE = tempfile.mkdtemp(prefix="repere-test-")
os.environ["REPERE_ENV"] = "test"
os.environ["REPERE_INSTANCE_PATH"] = _INSTANCE
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 32)

from app import create_app  # noqa: E402
from app.i18n import LOCALE_COOKIE  # noqa: E402
from app.pages import iter_pages, not_a_page  # noqa: E402

LOCALES = ("fr", "en", "ar")


def database_url_for_tests(tmp_dir: Path) -> str:
    """The database the tests run on: TEST_DATABASE_URL, else a new SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


#: Error pages the gates check, each shown by a test-only URL (see make_test_app).
ERROR_STATUSES = ("400", "csrf", "404", "405", "413", "500")


def make_test_app(tmp_dir: Path, **config: object) -> Flask:
    """The real app, plus test-only URLs that show each error page on GET."""
    settings: dict[str, object] = {"DATABASE_URL": database_url_for_tests(tmp_dir)}
    settings.update(config)
    app = create_app(settings)

    @app.route("/_test/erreur/<status>")
    @not_a_page
    def show_error(status: str) -> str:
        if status == "csrf":
            raise CSRFError("The CSRF token is missing.")
        if status == "500":
            raise RuntimeError("a bug")
        abort(int(status))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_test_app(tmp_path_factory.mktemp("app"))


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class PageCase:
    """One page to check: a URL, the status it answers with, and a name for reports."""

    name: str
    url: str
    status: int = 200


def page_cases(app: Flask) -> list[PageCase]:
    """Every page of the site, then every error page."""
    cases = []
    with app.test_request_context():
        from flask import url_for

        for page in iter_pages(app):
            url = url_for(page.endpoint, **page.arguments)
            cases.append(PageCase(f"{page.endpoint}{page.arguments or ''}", url))
    for status in ERROR_STATUSES:
        code = 400 if status == "csrf" else int(status)
        cases.append(PageCase(f"error-{status}", f"/_test/erreur/{status}", code))
    return cases


def _session_app() -> Flask:
    return make_test_app(Path(tempfile.mkdtemp(prefix="repere-pages-")))


#: Built once at collection time, so that each page is its own test.
PAGE_CASES = page_cases(_session_app())


@pytest.fixture(params=PAGE_CASES, ids=lambda case: case.name)
def page_case(request: pytest.FixtureRequest) -> PageCase:
    return request.param


@pytest.fixture(params=LOCALES)
def locale(request: pytest.FixtureRequest) -> str:
    return request.param


def get_page(client: FlaskClient, url: str, locale: str, **headers: str) -> TestResponse:
    """GET a page as a person who chose ``locale``."""
    client.set_cookie(LOCALE_COOKIE, locale)
    return client.get(url, headers=headers)
