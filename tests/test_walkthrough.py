"""A beginner's way to real help, counted in taps, in French, English and Arabic.

The walker reads each page as a person does: it taps a link or a button by the words on it
(in the person's language), or the filled button, types a postcode where a field asks for
one, and counts every tap. From the home page, from a beginner's results and from the pause
page, a place near the person must be at most four taps away, plus typing the postcode.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _

from app.assessment.bank import DONT_KNOW
from app.i18n import LOCALE_COOKIE

from .conftest import LOCALES, make_test_app
from .flow import post_answer, start_test, take_test
from .html_checks import read, text_of

MAX_TAPS = 4
POSTCODE = "93200"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_test_app(tmp_path_factory.mktemp("walk"))


class Walker:
    """A person on the site: where they are, and how many taps it took."""

    def __init__(self, app: Flask, client: FlaskClient, locale: str, path: str) -> None:
        self.app, self.client, self.locale = app, client, locale
        self.taps = 0
        self.typed: dict[str, str] = {}
        self.go(path)

    def words(self, french: str) -> str:
        with self.app.test_request_context(), force_locale(self.locale):
            return _(french)

    def go(self, path: str) -> None:
        response = self.client.get(path)
        while response.status_code in (301, 302, 303):
            target = urlsplit(urljoin(path, response.headers["Location"]))
            path = target.path + (f"?{target.query}" if target.query else "")
            response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        self.path, self.page = path, read(response.get_data(as_text=True))
        self.main = next(self.page.iter("main"))

    def type_postcode(self) -> None:
        """Type the postcode in the field that asks for it (no tap counted)."""
        field = next(
            (
                e
                for e in self.main.iter("input")
                if e.get("autocomplete") == "postal-code" or e.get("name") in ("q", "cp")
            ),
            None,
        )
        assert field is not None, f"{self.path}: no field for a postcode"
        self.typed[field.get("name", "")] = POSTCODE

    def tap(self, french: str | None = None, first_place: bool = False) -> None:
        """Tap the link or button with these words (None: the filled button)."""
        self.taps += 1
        parents = {child: parent for parent in self.main.iter() for child in parent}
        target = self._find(french, first_place)
        assert target is not None, f"{self.path} [{self.locale}]: nothing says {french!r}"
        if target.tag == "a":
            self.go(urljoin(self.path, target.get("href", "")))
            return
        form = target
        while form.tag != "form":
            form = parents[form]
        self._submit(form, target)

    def _find(self, french: str | None, first_place: bool) -> ET.Element | None:
        if first_place:
            return self.main.find(".//ol[@class='places']/li//a")
        for element in self.main.iter():
            if element.tag not in ("a", "button"):
                continue
            classes = (element.get("class") or "").split()
            if french is None:
                if "button" in classes and "button-secondary" not in classes:
                    return element
            elif " ".join(text_of(element).split()) == self.words(french):
                return element
        return None

    def _submit(self, form: ET.Element, button: ET.Element) -> None:
        data: list[tuple[str, str]] = []
        for field in form.iter("input"):
            name, kind = field.get("name"), field.get("type", "text")
            if not name:
                continue
            if kind in ("checkbox", "radio"):
                if field.get("checked") is not None:
                    data.append((name, field.get("value", "")))
            else:
                data.append((name, self.typed.get(name, field.get("value", ""))))
        if button.get("name"):
            data.append((button.get("name", ""), button.get("value", "")))
        action = urljoin(self.path, form.get("action") or self.path)
        if (form.get("method") or "get").lower() == "get":
            self.go(f"{urlsplit(action).path}?{urlencode(data)}")
            return
        response = self.client.post(action, data=data)
        assert response.status_code == 303, (action, response.status_code)
        self.go(response.headers["Location"])


def beginner(app: Flask, locale: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie(LOCALE_COOKIE, locale)
    return client


def arrived_at_a_place(walker: Walker) -> None:
    assert walker.path.startswith("/lieux/"), walker.path
    assert walker.taps <= MAX_TAPS, f"{walker.taps} taps to a place [{walker.locale}]"


@pytest.mark.parametrize("locale", LOCALES)
def test_from_the_home_page_to_a_place(app: Flask, locale: str) -> None:
    walker = Walker(app, beginner(app, locale), locale, "/")
    walker.tap("Trouver de l'aide près de chez vous")
    walker.type_postcode()
    walker.tap()  # « Chercher »
    walker.tap(first_place=True)
    arrived_at_a_place(walker)


@pytest.mark.parametrize("locale", LOCALES)
def test_from_a_beginner_s_results_to_a_place(app: Flask, locale: str) -> None:
    client = beginner(app, locale)
    take_test(client, app.extensions["bank"], lambda _item: DONT_KNOW)
    walker = Walker(app, client, locale, "/resultats")
    walker.tap()  # the one filled button: help near you
    walker.type_postcode()
    walker.tap()  # « Chercher »
    walker.tap(first_place=True)
    arrived_at_a_place(walker)


@pytest.mark.parametrize("locale", LOCALES)
def test_from_the_pause_page_to_a_place(app: Flask, locale: str) -> None:
    client = beginner(app, locale)
    path = start_test(client)
    _, path, _ = post_answer(client, path, DONT_KNOW)
    _, path, _ = post_answer(client, path, DONT_KNOW)
    assert path == "/test/pause"
    walker = Walker(app, client, locale, path)
    walker.type_postcode()
    walker.tap("Trouver de l'aide près de chez vous")
    walker.tap(first_place=True)
    arrived_at_a_place(walker)


def test_the_walker_counts_every_tap(tmp_path: Path) -> None:
    """A way that grows past four taps fails: searching twice more on the way is a fifth."""
    app = make_test_app(tmp_path)
    walker = Walker(app, beginner(app, "fr"), "fr", "/")
    walker.tap("Trouver de l'aide près de chez vous")
    walker.type_postcode()
    for _search in range(3):
        walker.tap("Chercher")
    walker.tap(first_place=True)
    assert walker.taps == 5
    with pytest.raises(AssertionError, match="5 taps"):
        arrived_at_a_place(walker)
