"""Languages: how the site picks one, switches, and that every catalogue is complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from app import rgaa
from app.forms import EmptyForm
from app.i18n import LOCALE_COOKIE, safe_next

from .conftest import get_page
from .html_checks import h1_of

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = ("en", "ar")


def html_tag(client: FlaskClient, **headers: str) -> str:
    return client.get("/", headers=headers).get_data(as_text=True).split("\n")[1]


def test_french_by_default(client: FlaskClient) -> None:
    assert html_tag(client) == '<html lang="fr" dir="ltr">'


def test_accept_language_is_followed(client: FlaskClient) -> None:
    assert html_tag(client, **{"Accept-Language": "en-GB,en;q=0.9"}) == '<html lang="en" dir="ltr">'
    assert html_tag(client, **{"Accept-Language": "ar-MA,ar;q=0.8"}) == '<html lang="ar" dir="rtl">'
    assert html_tag(client, **{"Accept-Language": "de-DE"}) == '<html lang="fr" dir="ltr">'


def test_an_explicit_choice_wins_over_the_browser(client: FlaskClient) -> None:
    response = client.get("/langue/ar?suite=/plan-du-site")
    assert response.status_code == 303
    assert response.headers["Location"] == "/plan-du-site"
    cookie = response.headers["Set-Cookie"]
    assert f"{LOCALE_COOKIE}=ar" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/plan-du-site", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert h1_of(page) and h1_of(page) != "Plan du site"


def test_pages_are_translated(client: FlaskClient) -> None:
    english = get_page(client, "/", "en").get_data(as_text=True)
    arabic = get_page(client, "/", "ar").get_data(as_text=True)
    assert "Mesurer mes compétences numériques" not in english
    assert "Mesurer mes compétences numériques" not in arabic
    status = {"non conforme": "not", "partiellement conforme": "partially"}.get(
        rgaa.grid().conformity, "fully"
    )
    assert f"Accessibility: {status} compliant" in english


def test_the_language_switch_marks_the_current_language(client: FlaskClient) -> None:
    page = get_page(client, "/mentions-legales", "en").get_data(as_text=True)
    assert 'href="/langue/fr?suite=/mentions-legales" lang="fr" hreflang="fr"' in page
    assert 'lang="en" hreflang="en" dir="ltr" aria-current="true">English' in page
    assert 'lang="ar" hreflang="ar" dir="rtl">العربية' in page


def test_unknown_language_is_not_found(client: FlaskClient) -> None:
    assert client.get("/langue/xx?suite=/").status_code == 404


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
        "/a\r\nSet-Cookie: x=y",
    ],
)
def test_the_switch_never_leaves_the_site(target: str | None, client: FlaskClient) -> None:
    assert safe_next(target) == "/"
    if target is not None:
        response = client.get("/langue/en", query_string={"suite": target})
        assert response.headers["Location"] == "/"


def _source_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None, N_=None)
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete(language: str) -> None:
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as po:
        catalogue = read_po(po)

    def forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
        return value if isinstance(value, tuple) else (value,)

    missing = [m.id for m in catalogue if m.id and not all(forms(m.string or ""))]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert not missing, f"{language}: untranslated {missing}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy}"
    not_extracted = _source_messages() - {forms(message.id)[0] for message in catalogue}
    assert not not_extracted, (
        f"{language}: run `make translations-update` and translate {sorted(not_extracted)}"
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_test_items_are_shown_in_the_persons_language(client: FlaskClient, locale: str) -> None:
    from app.assessment.bank import load_bank

    for item in load_bank():
        page = get_page(client, f"/_test/question/{item.id}", locale).get_data(as_text=True)
        assert h1_of(page) and h1_of(page) != " ".join(item.text.split()), item.id


@pytest.mark.parametrize(
    ("locale", "message"),
    [("fr", "Ce champ est requis."), ("en", "This field is required."), ("ar", "هذا الحقل مطلوب.")],
)
def test_form_library_messages_are_in_the_page_language(
    app: Flask, locale: str, message: str
) -> None:
    """WTForms' own messages come from a catalogue kept in memory: each language its own,
    whichever language asked first."""
    for first in (*TRANSLATED, "fr"):
        with app.test_request_context("/", headers={"Accept-Language": first}):
            EmptyForm().meta.get_translations(EmptyForm()).gettext("This field is required.")
    with app.test_request_context("/", headers={"Accept-Language": locale}):
        form = EmptyForm()
        assert form.meta.get_translations(form).gettext("This field is required.") == message


@pytest.mark.parametrize(
    ("locale", "marked"),
    [("fr", None), ("en", '<span lang="fr">'), ("ar", '<span lang="fr" dir="ltr">')],
)
def test_a_place_from_the_national_file_stays_in_french_and_says_so(
    client: FlaskClient, locale: str, marked: str | None
) -> None:
    """Its name, address and description are French in every language: a screen reader set
    to English or Arabic must be told (RGAA 8.7), and Arabic must not reorder them (8.10)."""
    html = get_page(client, "/lieux/repere-demo-93-001", locale).get_data(as_text=True)
    name = h1_of(html)
    if marked is None:
        assert '<span lang="fr"' not in html
        return
    assert f"<h1>{marked}{escape(name)}</span></h1>" in html
    assert f"{marked}Créer son CV, répondre à une offre" in html
    results = get_page(client, "/lieux?q=Saint-Denis", locale).get_data(as_text=True)
    assert f"{marked}Saint-Denis (11)</span></a>" in results
