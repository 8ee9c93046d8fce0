"""Error pages: right status, same layout, the person's language, never a bare 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from .conftest import get_page, make_test_app
from .html_checks import h1_of, main_text


def test_unknown_page_is_404_in_the_layout(client: FlaskClient) -> None:
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert h1_of(html) == "Page introuvable"
    assert 'href="#contenu"' in html and "Plan du site" in html


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.post("/plan-du-site")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert h1_of(response.get_data(as_text=True)) == "Cette action n'est pas possible ici"


def test_missing_csrf_token_says_the_page_expired(client: FlaskClient) -> None:
    response = client.post("/revenir", data={"code": "123456789012"})
    assert response.status_code == 400
    assert "Votre page a expiré, recommencez." in main_text(response.get_data(as_text=True))


def test_wrong_csrf_token_says_the_page_expired(client: FlaskClient) -> None:
    client.get("/revenir")
    response = client.post("/revenir", data={"code": "123456789012", "csrf_token": "faux"})
    assert response.status_code == 400
    assert h1_of(response.get_data(as_text=True)) == "Votre page a expiré"


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_error_pages_speak_the_persons_language(client: FlaskClient, locale: str) -> None:
    french = client.get("/introuvable").get_data(as_text=True)
    response = get_page(client, "/introuvable", locale)
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f'<html lang="{locale}"' in html
    assert h1_of(html) and h1_of(html) != h1_of(french)


def test_a_bug_gives_a_kind_500_page(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    response = get_page(app.test_client(), "/_test/erreur/500", "fr")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert h1_of(html) == "Désolé, le site a un problème"
    assert "RuntimeError" not in html and "Traceback" not in html
