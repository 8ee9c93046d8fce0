"""What the operations team relies on: the health endpoint, the request log, error tracking."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine

from app.assessment.bank import load_bank
from app.extensions import limiter
from app.logs import REQUEST_LOGGER, JsonFormatter, make_handler, redact
from app.pages import iter_pages
from app.tracking import scrub

from .conftest import make_test_app
from .flow import (
    ask_to_be_contacted,
    csrf_token,
    make_organisation,
    make_staff,
    share_results,
    sign_in,
    take_test,
)

PHONE = "06 12 34 56 78"
EMAIL = "personne.test@example.fr"
CODE = "123456789012"
HEALTH_KEYS = {"status", "database", "rate_limit_store", "rate_limit_shared"}


# --------------------------------------------------------------------------------------------
# Health


def test_health_says_the_database_and_the_store_answer(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, HEALTH_TIMEOUT_MS=5000)
    client = app.test_client()
    response = client.get("/sante")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "rate_limit_store": "ok",
        "rate_limit_shared": False,
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    # Not an HTML page: the page gates skip it.
    assert "health" not in {page.endpoint for page in iter_pages(app)}
    # Never limited, however often a load balancer asks.
    assert {client.get("/sante").status_code for _ in range(150)} == {200}


def test_health_without_redis_is_degraded_but_up(tmp_path: Path) -> None:
    app = make_test_app(
        tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", HEALTH_TIMEOUT_MS=5000
    )
    response = app.test_client().get("/sante")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "rate_limit_store": "error",
        "rate_limit_shared": True,
    }


def test_health_without_the_database_is_down(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, HEALTH_TIMEOUT_MS=5000)
    app.extensions["database_engine"] = create_engine(f"sqlite:///{tmp_path}/missing/no.sqlite3")
    response = app.test_client().get("/sante")
    assert response.status_code == 503
    assert response.get_json()["status"] == "down"
    assert response.get_json()["database"] == "error"


def test_health_answers_within_its_budget_when_a_check_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_test_app(tmp_path)  # the default budget, 40 ms
    client = app.test_client()
    client.get("/sante")
    hang = 2.0

    def hanging_check() -> bool:
        time.sleep(hang)
        return True

    monkeypatch.setattr(limiter.storage, "check", hanging_check)
    started = time.perf_counter()
    response = client.get("/sante")
    took = time.perf_counter() - started
    assert response.status_code == 200
    assert response.get_json()["rate_limit_store"] == "timeout"
    assert response.get_json()["status"] == "degraded"
    assert took < hang / 2, f"the health endpoint waited for the hanging check ({took:.2f} s)"
    assert set(response.get_json()) == HEALTH_KEYS


# --------------------------------------------------------------------------------------------
# Request log


def test_one_log_line_per_request_with_no_personal_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A person shares, asks to be called back, comes back with their code; staff open their
    page. Each request gives one line: method, route pattern, status, duration; never the
    code, the phone, the e-mail or the person's number."""
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    app = make_test_app(tmp_path)
    organisation = make_organisation(app)
    person = app.test_client()
    take_test(person, load_bank())
    person_id = share_results(person, organisation)
    ask_to_be_contacted(person, organisation)
    code = re.search(r'<p class="code">([\d ]+)</p>', person.get("/resultats").get_data(True))
    assert code
    other = app.test_client()
    token = csrf_token(other.get("/revenir").get_data(as_text=True))
    caplog.clear()
    back = other.post("/revenir", data={"code": code.group(1), "csrf_token": token})
    assert back.status_code == 303
    staff = app.test_client()
    assert sign_in(staff, make_staff(app, organisation.id)) == 303
    staff.get(f"/pro/personnes/{person_id}")
    staff.get("/une/adresse/inconnue/0612345678")

    lines = [r for r in caplog.records if r.name == REQUEST_LOGGER]
    routes = [(r.method, r.route, r.status) for r in lines]  # type: ignore[attr-defined]
    assert ("POST", "/revenir", 303) in routes
    assert ("GET", "/pro/personnes/<int:person_id>", 200) in routes
    assert ("GET", "-", 404) in routes
    assert all(isinstance(r.duration_ms, float) for r in lines)  # type: ignore[attr-defined]
    formatter = JsonFormatter()
    written = "\n".join(formatter.format(r) for r in lines)
    for secret in (code.group(1), code.group(1).replace(" ", ""), PHONE, EMAIL, "0612345678"):
        assert secret not in written
    assert not re.search(rf"/{person_id}\b", written), "a person's number is in the log"


def test_request_lines_keep_their_status_and_duration() -> None:
    """Status and duration side by side look like a phone number to ``redact``: the request
    lines, made of safe fields only, are written as they are."""
    handler = make_handler("text")
    record = logging.getLogger(REQUEST_LOGGER).makeRecord(
        REQUEST_LOGGER, logging.INFO, __file__, 0, "%s %s %s %s ms",
        ("GET", "/test/question/<int:position>", 200, 123.4), None,
    )  # fmt: skip
    assert handler.filter(record)
    line = handler.format(record)
    assert line.endswith("GET /test/question/<int:position> 200 123.4 ms"), line


def test_json_log_lines_are_one_object_each() -> None:
    stream = io.StringIO()
    handler = make_handler("json")
    handler.setStream(stream)  # type: ignore[attr-defined]
    log = logging.getLogger("repere.test-json")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("GET %s 200", "/", extra={"method": "GET", "status": 200, "duration_ms": 1.5})
        log.warning("limit exceeded (%s) for %s", "203.0.113.9", EMAIL)
        try:
            raise ValueError("boom\non two lines")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    first, cleaned, second = (json.loads(line) for line in lines)
    assert cleaned["message"] == "limit exceeded ([retiré]) for [retiré]"
    assert first["message"] == "GET / 200" and first["status"] == 200
    assert first["duration_ms"] == 1.5 and first["level"] == "WARNING"
    assert "ValueError" in second["exception"]


# --------------------------------------------------------------------------------------------
# Error tracking


def test_no_error_tracker_unless_configured(tmp_path: Path) -> None:
    import sentry_sdk

    make_test_app(tmp_path)
    assert not sentry_sdk.get_client().is_active()


def test_errors_reach_the_tracker_without_personal_data(tmp_path: Path) -> None:
    import sentry_sdk
    from sentry_sdk.envelope import Envelope
    from sentry_sdk.transport import Transport

    sent: list[dict[str, Any]] = []

    class Keep(Transport):
        """Keeps the events instead of sending them."""

        def capture_envelope(self, envelope: Envelope) -> None:
            event = envelope.get_event()
            if event is not None:
                sent.append(dict(event))

    app = make_test_app(
        tmp_path, SENTRY_DSN="https://public@errors.repere.example/1", SENTRY_TRANSPORT=Keep
    )
    try:
        assert sentry_sdk.get_client().is_active()
        _a_bug_with_personal_data(app)
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: off again for the other tests
    assert sent, "the error was not sent to the tracker"
    event = json.dumps(sent, ensure_ascii=False, default=str)
    assert "LookupError" in event and "/_test/panne/<int:number>" in event
    for secret in (PHONE, EMAIL, CODE, "4242", "repere_session"):
        assert secret not in event, f"{secret!r} was sent to the error tracker"


def _a_bug_with_personal_data(app: Flask) -> None:
    @app.route("/_test/panne/<int:number>", methods=["POST"])
    def broken(number: int) -> str:
        from flask import request

        phone = request.form["phone"]  # a local variable holding personal data
        raise LookupError(f"no request for {phone} / {request.form['email']} / {CODE}")

    client = app.test_client()
    token = csrf_token(client.get("/revenir").get_data(as_text=True))
    response = client.post(
        "/_test/panne/4242?code=" + CODE,
        data={"csrf_token": token, "phone": PHONE, "email": EMAIL},
    )
    assert response.status_code == 500


def test_scrub_keeps_only_safe_parts() -> None:
    event = {
        "event_id": "abc",
        "level": "error",
        "user": {"ip_address": "203.0.113.9"},
        "request": {"url": "http://x/pro/personnes/77", "data": {"phone": PHONE}},
        "breadcrumbs": {"values": [{"message": EMAIL}]},
        "extra": {"code": CODE},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"duplicate [parameters: ('{PHONE}', '{EMAIL}')] for {CODE}",
                    "stacktrace": {
                        "frames": [{"function": "view", "lineno": 3, "vars": {"p": PHONE}}]
                    },
                }
            ]
        },
    }
    safe = json.dumps(scrub(event), default=str)
    for secret in (PHONE, EMAIL, CODE, "203.0.113.9", "/77"):
        assert secret not in safe
    assert "IntegrityError" in safe and '"function": "view"' in safe
    assert redact("code 1234 5678 9012, tel +33 6 12 34 56 78") == "code [retiré], tel [retiré]"
