"""No input to any route gives a server error.

Every route of the app (read from ``app.url_map``, not listed here) is called with hostile
values in each of its path arguments — NUL, CR/LF, invalid UTF-8, numbers out of range,
very long text — and with the same values in every query parameter the app reads (found in
its source code and its page examples), by GET and by POST, as a new visitor, a person with
results, and a signed-in mediator and administrator. None may answer 500. Run it on
PostgreSQL too (TEST_DATABASE_URL), which refuses NUL characters that SQLite accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from .conftest import enter_state, make_test_app

APP_SOURCE = Path(__file__).resolve().parent.parent / "app"

#: Raw (already percent-encoded where needed) values for path segments and query values.
HOSTILE = (
    "%00",
    "a%00b",
    "%0d%0aSet-Cookie:%20x=1",
    "%0a",
    "%ff%fe%c3%28",  # not UTF-8
    "%ed%a0%80",  # a lone surrogate, encoded
    "9" * 30,  # out of any integer column
    "2147483648",
    "0",
    "-1",
    "1e309",
    "nan",
    "%E2%80%AE%E2%80%8Fabc",  # bidi controls
    "%3Cscript%3E",
    "..%2F..%2Fetc%2Fpasswd",
    "x" * 3000,
    "%25",
    "",
)

#: What an int argument can hold and still match its route (the converter refuses the rest).
HOSTILE_INT = ("0", "2147483647", "2147483648", "9" * 30, "00000000001")


def query_parameters(app: Flask) -> set[str]:
    """Every query parameter the app reads: ``request.args.get("…")`` in its code, and
    the query arguments of its page examples."""
    names: set[str] = set()
    pattern = re.compile(r"request\.args(?:\.get|\.getlist|\.get_all)?[\[(]\s*[\"']([^\"']+)[\"']")
    for path in APP_SOURCE.rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for example in getattr(view, "page_examples", ()) or ():
            names.update(name for name in example if name not in rule.arguments)
    return names


def path_variants(rule: Rule) -> Iterator[str]:
    """The rule's path with one hostile value at a time in each of its arguments, the other
    arguments holding a plain one."""
    arguments = sorted(rule.arguments)
    converters = rule._converters  # the converter of each argument

    def plain(name: str) -> str:
        return "1" if type(converters[name]).__name__.endswith("IntegerConverter") else "a"

    def build(values: dict[str, str]) -> str:
        path = rule.rule
        for name in arguments:
            path = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + r">", values[name], path)
        return path

    if not arguments:
        yield rule.rule
        return
    for name in arguments:
        is_int = plain(name) == "1"
        for value in HOSTILE_INT if is_int else HOSTILE:
            if not value:
                continue
            yield build({other: plain(other) for other in arguments} | {name: value})


def requests_for(app: Flask) -> list[tuple[str, str]]:
    """(method, URL) for every route: hostile path arguments, and hostile query values."""
    names = sorted(query_parameters(app))
    found: list[tuple[str, str]] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static" or rule.rule.startswith("/_test/"):
            continue
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        for method in methods:
            for path in path_variants(rule):
                found.append((method, path))
            first = next(path_variants(rule))
            for value in HOSTILE:
                query = "&".join(f"{quote(name)}={value}" for name in names)
                found.append((method, f"{first}?{query}"))
    return found


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_test_app(
        tmp_path_factory.mktemp("every-route"),
        RATELIMIT_ENABLED=False,
        RETURN_CODE_LIMIT_PER_CLIENT="100000/minute",
    )


def test_the_routes_and_parameters_are_found(fuzz_app: Flask) -> None:
    names = query_parameters(fuzz_app)
    assert {"suite", "page", "q", "cp", "statut"} <= names, names
    endpoints = {rule.endpoint for rule in fuzz_app.url_map.iter_rules()}
    assert {"places.place", "staff.sign_in", "staff.person", "public.resume"} <= endpoints


@pytest.mark.parametrize("state", [None, "finished", "mediator", "admin"])
def test_no_input_to_any_route_gives_a_server_error(fuzz_app: Flask, state: str | None) -> None:
    client: FlaskClient = fuzz_app.test_client()
    enter_state(client, state)
    failures = []
    for method, url in requests_for(fuzz_app):
        response = client.open(url, method=method)
        if url.startswith("/sante") and response.status_code == 503 and response.is_json:
            continue  # the health check's own answer when the database is slow (busy tests)
        if response.status_code >= 500:
            failures.append(f"{method} {url[:120]} -> {response.status_code}")
    assert failures == []


def test_a_nul_in_a_path_argument_is_a_bad_request(fuzz_app: Flask) -> None:
    client = fuzz_app.test_client()
    assert client.get("/lieux/%00").status_code in (400, 404)
    assert client.get("/lieux/a%00b").status_code in (400, 404)


def test_cr_lf_in_the_sign_in_target_does_not_break_the_redirect(fuzz_app: Flask) -> None:
    from .flow import STAFF_PASSWORD, csrf_token, make_organisation, make_staff

    organisation = make_organisation(fuzz_app)
    email = make_staff(fuzz_app, organisation.id)
    client = fuzz_app.test_client()
    url = "/pro/connexion?suite=/pro/%0d%0aSet-Cookie:%20x=1"
    html = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "email": email, "password": STAFF_PASSWORD}
    response = client.post(url, data=data)
    assert response.status_code == 303
    assert "\n" not in response.headers["Location"] and "\r" not in response.headers["Location"]
    assert "Set-Cookie: x" not in str(response.headers)
