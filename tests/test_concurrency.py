"""Many people answering at the same time, against a real threaded server.

Fifty people take the test at once over HTTP, on the test database (SQLite in the first
pass of ``make test``, PostgreSQL in the second). They behave like people on flaky phones:
some answers are posted twice in a row (double tap, network retry), some are posted from
two tabs at the same instant, some people go back and post an earlier answer again, some
stop early, some leave half-way. Afterwards:

- no request failed (no 500, nothing but 200 and 303);
- each visitor has exactly one person record, and each answer is stored exactly once, at
  positions 1..n without gaps, in the order and with the response the person gave;
- every finished person's stored result is what the engine computes from their stored
  answers.

All traffic goes to 127.0.0.1; every request, every person and the whole run are
time-limited, and every thread is joined.
"""

from __future__ import annotations

import random
import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from flask import Flask, got_request_exception
from sqlalchemy import event, func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from app.assessment import engine, service
from app.assessment.bank import DONT_KNOW, Bank, Item
from app.extensions import db
from app.models import Answer, Person

from .conftest import make_test_app
from .flow import csrf_token, item_on_page, path_of, person_id_of_ref, right_answer, wrong_answer

PEOPLE = 50
#: The whole run must end within this many seconds (it takes about 10 to 30).
RUN_LIMIT = 180
#: One request must be answered within this many seconds.
REQUEST_TIMEOUT = 60


# --------------------------------------------------------------------------------------------
# A browser without JavaScript: cookies, forms, no automatic redirects.


@dataclass(frozen=True)
class Page:
    status: int
    location: str
    html: str


class _NoRedirect(HTTPRedirectHandler):
    """Let the caller see each 303, as the tests check where a form leads."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class Browser:
    """One person's browser. Tabs share its cookie jar, as tabs of one browser do.

    Every response's status is written to ``log`` as (who, method, path, status).
    """

    def __init__(self, base_url: str, who: str, log: list[tuple[str, str, str, int]]) -> None:
        self.base_url = base_url
        self.who = who
        self.log = log
        self.jar = CookieJar()

    def tab(self) -> _Tab:
        return _Tab(self)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


class _Tab:
    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.opener = build_opener(HTTPCookieProcessor(browser.jar), _NoRedirect)
        #: Sent with every request of this tab (e.g. X-Forwarded-For, as a proxy would).
        self.headers: dict[str, str] = {}

    def request(
        self, method: str, path: str, data: dict[str, Any] | None = None, base_url: str = ""
    ) -> Page:
        url = (base_url or self.browser.base_url) + path
        body = urlencode(data, doseq=True).encode() if data is not None else None
        request = Request(url, data=body, method=method, headers=self.headers)
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except HTTPError as error:  # 303 and every error status arrive here
            status, headers, raw = error.code, error.headers, error.read()
        self.browser.log.append((self.browser.who, method, path, status))
        return Page(status, path_of(headers.get("Location", "")), raw.decode("utf-8", "replace"))

    def get(self, path: str, base_url: str = "") -> Page:
        return self.request("GET", path, base_url=base_url)

    def post(self, path: str, data: dict[str, Any], base_url: str = "") -> Page:
        return self.request("POST", path, data, base_url=base_url)


def answer_form(html: str, response: str | Sequence[str]) -> dict[str, Any]:
    """The question form filled as a person would (see tests/flow.py: post_answer)."""
    data: dict[str, Any] = {"csrf_token": csrf_token(html), "item_id": item_on_page(html)}
    if response == DONT_KNOW:
        data["je_ne_sais_pas"] = "1"
    elif isinstance(response, str):
        data["choice"] = response
        data["text"] = response
    else:
        data["choices"] = list(response)
    return data


def continue_link(pause_html: str) -> str:
    match = re.search(r'href="(/test/question/\d+)"', pause_html)
    assert match, "no way to continue on the pause page"
    return match.group(1)


# --------------------------------------------------------------------------------------------
# A real threaded server.


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *_args: Any, **_kwargs: Any) -> None:
        pass


@contextmanager
def threaded_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 with a thread per request; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the test server did not stop"


# --------------------------------------------------------------------------------------------
# One person.


@dataclass
class Visitor:
    number: int
    browser: Browser
    bank: Bank
    deadline: float
    rng: random.Random = field(init=False)
    #: How the test ends: "finish" (to the end), "early" ("Voir mes résultats"), "leave".
    ending: str = field(init=False)
    stop_after: int = field(init=False)
    #: (item id, stored response) in the order answered, as the person saw them.
    answered: list[tuple[str, str]] = field(default_factory=list)
    forms: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    done: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.number)
        self.ending = {0: "early", 1: "leave"}.get(self.number % 10, "finish")
        self.stop_after = 3 + self.number % 3

    def choose(self, item: Item) -> str | Sequence[str]:
        pick = self.rng.random()
        if pick < 0.5:
            return right_answer(item)
        if pick < 0.8:
            return wrong_answer(item)
        return DONT_KNOW

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeoutError(f"person {self.number} ran out of time")

    def post_from_two_tabs(self, path: str, data: dict[str, Any]) -> Page:
        """Two tabs of this browser post the same form at the same instant."""
        tabs = [self.browser.tab(), self.browser.tab()]
        together = threading.Barrier(2, timeout=REQUEST_TIMEOUT)
        pages: list[Page | BaseException] = [RuntimeError("no response")] * 2

        def post(index: int) -> None:
            try:
                together.wait()
                pages[index] = tabs[index].post(path, data)
            except BaseException as error:
                pages[index] = error

        other = threading.Thread(target=post, args=(1,), daemon=True)
        other.start()
        post(0)
        other.join(timeout=REQUEST_TIMEOUT + 5)
        assert not other.is_alive(), "the second tab got no answer"
        for page in pages:
            if isinstance(page, BaseException):
                raise page
        first, second = pages
        assert isinstance(first, Page) and isinstance(second, Page)
        self.done["two tabs"] += 1
        return second

    def take_the_test(self, start_together: threading.Barrier) -> None:
        tab = self.browser.tab()
        intro = tab.get("/test")
        start_together.wait()
        started = tab.post("/test", {"csrf_token": csrf_token(intro.html)})
        assert started.status == 303, f"starting gave {started.status}"
        path = started.location
        for _step in range(60):
            self.check_time()
            if path == "/resultats":
                results = tab.get(path)
                assert results.status == 200, f"results gave {results.status}"
                self.finished = True
                return
            if path == "/test/pause":
                pause = tab.get(path)
                if self.ending == "early":
                    return self.stop_early(tab, pause.html)
                path = continue_link(pause.html)
                continue
            if self.ending != "finish" and len(self.answered) >= self.stop_after:
                if self.ending == "leave":
                    self.done["left"] += 1
                    return None
                return self.stop_early(tab, tab.get("/test/pause").html)
            page = tab.get(path)
            assert page.status == 200, f"GET {path} gave {page.status}"
            item = self.bank.get(item_on_page(page.html))
            assert item is not None
            response = self.choose(item)
            data = answer_form(page.html, response)
            how = self.rng.random()
            if how < 0.15:
                posted = self.post_from_two_tabs(path, data)
            else:
                posted = tab.post(path, data)
                # Double tap, or the network sent it again: everyone does it at least once.
                if how < 0.45 or not self.done["double post"]:
                    posted = tab.post(path, data)
                    self.done["double post"] += 1
            assert posted.status == 303, f"POST {path} gave {posted.status}"
            self.answered.append((item.id, service.encode_response(item, response)))
            self.forms.append(data)
            if (
                len(self.answered) >= 2
                and self.rng.random() < 0.2
                and posted.location != "/resultats"
            ):
                self.post_an_earlier_answer_again(tab)
            path = posted.location
        raise AssertionError(f"person {self.number}: the test did not end after 60 pages")

    def post_an_earlier_answer_again(self, tab: _Tab) -> None:
        """Back to an earlier question, which shows the stored answer; post it again."""
        position = self.rng.randrange(1, len(self.answered) + 1)
        path = f"/test/question/{position}"
        page = tab.get(path)
        assert page.status == 200, f"going back to {path} gave {page.status}"
        assert item_on_page(page.html) == self.answered[position - 1][0]
        data = dict(self.forms[position - 1], csrf_token=csrf_token(page.html))
        again = tab.post(path, data)
        assert again.status == 303, f"posting {path} again gave {again.status}"
        self.done["earlier answer again"] += 1

    def stop_early(self, tab: _Tab, pause_html: str) -> None:
        """Press "Voir mes résultats" on the pause page."""
        stopped = tab.post("/test/fin", {"csrf_token": csrf_token(pause_html)})
        assert stopped.status == 303 and stopped.location == "/resultats", stopped
        assert tab.get("/resultats").status == 200
        self.finished = True
        self.done["stopped early"] += 1


def person_of(app: Flask, browser: Browser) -> int:
    """The person id in the browser's signed session cookie."""
    cookie = browser.cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie, f"{browser.who} has no session cookie"
    session = app.session_interface.get_signing_serializer(app).loads(cookie)  # type: ignore[attr-defined]
    return person_id_of_ref(app, session["person"]["ref"])


def expected_result(person: Person, bank: Bank) -> dict[str, Any]:
    """What the engine makes of the stored answers, in the terms the result is stored in."""
    outcome = engine.result(
        bank.items,
        [(a.item_id, a.correct) for a in person.answers],
        person.seed,
        population=service.population(bank),
    )
    return {
        "overall_theta": round(outcome.overall_theta, 3),
        "overall_band": outcome.overall_band,
        "needs_basics": outcome.needs_basics,
        "engine_version": outcome.engine_version,
        "answers": outcome.n_answers,
        "domains": {
            name: {
                "theta": round(d.theta, 3),
                "sd": round(d.sd, 3),
                "band": d.band,
                "band_probability": round(d.band_probability, 3),
                "sure": d.sure,
                "items": d.n_items,
            }
            for name, d in outcome.domains.items()
        },
    }


def stored_result(person: Person) -> dict[str, Any]:
    result = person.result
    assert result is not None
    return {
        "overall_theta": result.overall_theta,
        "overall_band": result.overall_band,
        "needs_basics": result.needs_basics,
        "engine_version": result.engine_version,
        "answers": result.details["answers"],
        "domains": result.details["domains"],
    }


# --------------------------------------------------------------------------------------------


@pytest.fixture()
def app(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def test_many_people_answering_at_once(app: Flask) -> None:
    bank: Bank = app.extensions["bank"]
    log: list[tuple[str, str, str, int]] = []
    server_errors: list[str] = []
    failures: list[str] = []

    def on_exception(_sender: Flask, exception: BaseException, **_extra: Any) -> None:
        server_errors.append("".join(traceback.format_exception(exception)))

    conflicts: Counter[str] = Counter()

    def on_database_error(context: Any) -> None:
        if "unique" in str(context.original_exception).lower():
            conflicts["answer" if "answer" in str(context.original_exception) else "other"] += 1

    database = app.extensions["database_engine"]
    event.listen(database, "handle_error", on_database_error)
    got_request_exception.connect(on_exception, app)
    started = time.monotonic()
    with threaded_server(app) as base_url:
        deadline = started + RUN_LIMIT
        people = [
            Visitor(n, Browser(base_url, f"person {n}", log), bank, deadline) for n in range(PEOPLE)
        ]
        start_together = threading.Barrier(PEOPLE, timeout=RUN_LIMIT)

        def run(person: Visitor) -> None:
            try:
                person.take_the_test(start_together)
            except BaseException:
                failures.append(f"person {person.number}:\n{traceback.format_exc()}")
                start_together.abort()  # no one waits for a person who failed to start

        threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.1, deadline + 10 - time.monotonic()))
        still_running = sum(thread.is_alive() for thread in threads)
    got_request_exception.disconnect(on_exception, app)
    event.remove(database, "handle_error", on_database_error)
    elapsed = time.monotonic() - started

    assert not still_running, f"{still_running} people did not finish within {RUN_LIMIT} s"
    assert not server_errors, f"{len(server_errors)} requests failed:\n" + server_errors[0]
    statuses = Counter(status for *_request, status in log)
    bad = [entry for entry in log if entry[3] not in (200, 303)]
    assert not bad, f"unexpected statuses {statuses}: first {bad[:5]}"
    assert not failures, f"{len(failures)} people failed; the first:\n{failures[0]}"

    done = sum((p.done for p in people), Counter())
    print(
        f"{PEOPLE} people, {len(log)} requests in {elapsed:.1f} s: {dict(done)}; "
        f"same row written at once, refused by a unique constraint: {dict(conflicts)}"
    )
    for behaviour in ("double post", "two tabs", "earlier answer again", "stopped early", "left"):
        assert done[behaviour] > 0, f"no one did {behaviour!r}: the test lost its point"
    # Two tabs posting at once must really have raced to insert the same answer.
    assert conflicts["answer"] > 0, "no two requests ever raced: the test lost its point"

    with app.app_context():
        people_stored = db.session.scalar(select(func.count()).select_from(Person))
        assert people_stored == PEOPLE, "each visitor has exactly one person record"
        duplicates = db.session.execute(
            select(Answer.person_id, Answer.item_id)
            .group_by(Answer.person_id, Answer.item_id)
            .having(func.count() > 1)
        ).all()
        assert not duplicates
        for visitor in people:
            person = db.session.get(Person, person_of(app, visitor.browser))
            assert person is not None
            positions = [a.position for a in person.answers]
            assert positions == list(range(1, len(positions) + 1)), (visitor.number, positions)
            stored = [(a.item_id, a.response) for a in person.answers]
            assert stored == visitor.answered, f"person {visitor.number}: stored {stored}"
            if visitor.finished:
                assert stored_result(person) == expected_result(person, bank), visitor.number
            else:
                assert person.result is None
