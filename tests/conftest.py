"""Shared fixtures: an app on a fresh database, a client, and every page of the site."""

from __future__ import annotations

import itertools
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
from app.assessment.bank import DONT_KNOW, Item, load_bank  # noqa: E402
from app.forms import AnswerForm  # noqa: E402
from app.i18n import LOCALE_COOKIE  # noqa: E402
from app.pages import FromState, iter_pages, not_a_page  # noqa: E402
from app.staff import accounts  # noqa: E402

from .flow import (  # noqa: E402
    ask_to_be_contacted,
    assisted_started,
    demo_signed_in,
    make_organisation,
    share_results,
    signed_in_with_one_time_code,
    start_test,
    take_test,
)
from .recordings import audio_dir  # noqa: E402

# Staff passwords hashed with scrypt at 1/32 of the site's cost: the tests sign in thousands
# of times. The site's own cost is checked in a fresh process (tests/staff/test_accounts.py).
accounts.HASHING = "scrypt:1024:8:1"

LOCALES = ("fr", "en", "ar")


def database_url_for_tests(tmp_dir: Path) -> str:
    """The database the tests run on: TEST_DATABASE_URL, else a new SQLite file."""
    from . import databases  # a fresh database per app on PostgreSQL (tests/databases.py)

    return databases.database_url(tmp_dir)


@pytest.fixture(scope="session", autouse=True)
def drop_test_databases(request: pytest.FixtureRequest) -> None:
    """At the end of the session, drop the PostgreSQL databases the tests made."""
    from . import databases

    request.addfinalizer(databases.drop_all)


DEMO_PLACES = (
    Path(__file__).resolve().parent.parent / "app" / "content" / "places" / "lieux-demo.csv"
)

#: Error pages the gates check, each shown by a test-only URL (see make_test_app).
ERROR_STATUSES = ("400", "csrf", "404", "405", "413", "429", "500")


def make_test_app(tmp_dir: Path, **config: object) -> Flask:
    """The real app, plus test-only URLs that show each error page on GET."""
    settings: dict[str, object] = {
        "DATABASE_URL": database_url_for_tests(tmp_dir),
        "AUDIO_DIR": str(audio_dir()),
    }
    settings.update(config)
    app = create_app(settings)
    result = app.test_cli_runner().invoke(args=["import-places", str(DEMO_PLACES)])
    assert result.exit_code == 0, result.output

    @app.route("/_test/erreur/<status>")
    @not_a_page
    def show_error(status: str) -> str:
        if status == "csrf":
            raise CSRFError("The CSRF token is missing.")
        if status == "500":
            raise RuntimeError("a bug")
        abort(int(status))

    @app.route("/_test/question/<item_id>")
    @not_a_page
    def show_item(item_id: str) -> str:
        """Any item of the bank on the question page, to check every one of them."""
        item = app.extensions["bank"].get(item_id)
        if item is None:
            abort(404)
        form = AnswerForm(item, item_id=item.id)
        return question_page_for_tests(item, form)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def question_page_for_tests(item: Item, form: AnswerForm) -> str:
    from flask import render_template

    return render_template(
        "assessment/question.html",
        item=item,
        form=form,
        position=3,
        total=18,
        back_url="/test/question/2",
        said_dont_know=False,
    )


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_test_app(tmp_path_factory.mktemp("app"))


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class PageCase:
    """One page to check: a URL, the status it answers with, the state a visitor needs."""

    name: str
    url: str
    status: int = 200
    state: str | None = None


#: Stand-ins for the ids a state makes (FromState arguments), replaced once it exists.
STAND_INS = {"person": 900000001, "request": 900000002, "request-done": 900000003}


#: States on the way to be contacted: the page each one stops at.
CONTACT_STATES = {
    "contacting": "/etre-contacte/comment",
    "contacting-when": "/etre-contacte/quand",
    "contacting-by-phone": "/etre-contacte/coordonnees",
    "contact-ready": "/etre-contacte/verifier",
    "contact-sent": "/etre-contacte/envoyee",
}
_visitors = itertools.count()


def enter_state(client: FlaskClient, state: str | None) -> dict[str, int]:
    """Bring a new visitor to where a page expects them (see @page_examples(states=...)).

    Returns the ids the state made, for the pages' FromState arguments.
    """
    if state is None:
        return {}
    # Each visitor comes from an address of their own, as on the real site: the gates sign
    # in hundreds of staff members, which one address may not do (a limit per address).
    number = next(_visitors)
    client.environ_base["REMOTE_ADDR"] = f"10.200.{number // 250 % 250}.{number % 250 + 1}"
    if state == "in-test":
        start_test(client)
    elif state == "finished":
        take_test(client, load_bank())
    elif state == "needs-basics":
        take_test(client, load_bank(), lambda _item: DONT_KNOW)
    elif state == "shared":
        take_test(client, load_bank())
        return {"person": share_results(client)}
    elif state in CONTACT_STATES:
        ask_to_be_contacted(
            client,
            make_organisation(client.application, place_id="repere-demo-93-001"),
            until=CONTACT_STATES[state],
            channel="in-person" if state == "contact-sent" else "phone",
        )
    elif state in ("mediator", "admin"):
        # Every staff page is reached through the demo data of `flask demo`.
        return demo_signed_in(client, role=state)
    elif state == "assisted":
        return assisted_started(client)
    elif state == "one-time-code":
        return signed_in_with_one_time_code(client)
    else:
        raise AssertionError(f"tests/conftest.py does not know the page state {state!r}")
    return {}


def resolve(url: str, values: dict[str, int]) -> str:
    for name, stand_in in STAND_INS.items():
        if str(stand_in) in url:
            url = url.replace(str(stand_in), str(values[name]))
    return url


def page_cases(app: Flask) -> list[PageCase]:
    """Every page of the site, then every error page."""
    cases = []
    with app.test_request_context():
        from flask import url_for

        for page in iter_pages(app):
            arguments = {
                name: STAND_INS[value] if isinstance(value, FromState) else value
                for name, value in page.arguments.items()
            }
            url = url_for(page.endpoint, **arguments)
            name = f"{page.endpoint}{page.arguments or ''}{'-' + page.state if page.state else ''}"
            cases.append(PageCase(name, url, state=page.state))
    for status in ERROR_STATUSES:
        code = 400 if status == "csrf" else int(status)
        cases.append(PageCase(f"error-{status}", f"/_test/erreur/{status}", code))
    return cases


def item_cases() -> list[PageCase]:
    """Every item of the bank, shown on the question page."""
    return [PageCase(f"item-{item.id}", f"/_test/question/{item.id}") for item in load_bank()]


def item_sample() -> list[PageCase]:
    """One item of each kind, with and without a picture: for the slower browser checks."""
    seen: dict[tuple[str, bool], Item] = {}
    for item in load_bank():
        seen.setdefault((item.kind, item.picture is not None), item)
    return [PageCase(f"item-{i.id}", f"/_test/question/{i.id}") for i in seen.values()]


def _session_app() -> Flask:
    return make_test_app(Path(tempfile.mkdtemp(prefix="repere-pages-")))


#: Built once at collection time, so that each page is its own test.
PAGE_CASES = page_cases(_session_app())
ITEM_CASES = item_cases()


@pytest.fixture(
    params=[
        *PAGE_CASES,
        # A question shown by /_test/question/ reads the bank, not the database.
        *(pytest.param(case, marks=pytest.mark.no_database) for case in ITEM_CASES),
    ],
    ids=lambda case: case.name,
)
def page_case(request: pytest.FixtureRequest) -> PageCase:
    return request.param


@pytest.fixture(params=LOCALES)
def locale(request: pytest.FixtureRequest) -> str:
    return request.param


def get_page(
    client: FlaskClient, url: str, locale: str, state: str | None = None, **headers: str
) -> TestResponse:
    """GET a page as a person who chose ``locale`` and is in ``state``."""
    client.set_cookie(LOCALE_COOKIE, locale)
    values = enter_state(client, state)
    return client.get(resolve(url, values), headers=headers)


# --- The RGAA grid (app/rgaa/grid.toml): a failed test that a « conforme » criterion names
_failed_tests: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        path, _, name = report.nodeid.partition("::")
        _failed_tests.add(f"{path}::{name.split('[')[0]}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which RGAA criteria a failed test breaks: the grid and the code disagree."""
    if not _failed_tests:
        return
    from app.rgaa import grid

    broken = grid().broken_by(_failed_tests)
    if broken:
        terminalreporter.section("RGAA grid and code disagree")
        for criterion, test in broken:
            terminalreporter.write_line(
                f"criterion {criterion} is « conforme » in app/rgaa/grid.toml but {test} "
                "failed: fix the page, or mark the criterion « non conforme » with what the "
                "person can do instead"
            )
