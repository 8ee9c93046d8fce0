"""The "J'ai un code pour revenir" form: validation and error summary."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from app.return_code import normalise as normalise_return_code

from .html_checks import main_text, title_of


def csrf_token(client: FlaskClient, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def post_code(client: FlaskClient, code: str) -> str:
    token = csrf_token(client, "/revenir")
    response = client.post("/revenir", data={"code": code, "csrf_token": token})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_empty_code_shows_the_error_summary(client: FlaskClient) -> None:
    html = post_code(client, "")
    assert title_of(html) == "Erreur : J'ai un code pour revenir – Repère"
    assert '<a href="#code">Écrivez votre code pour revenir.</a>' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="code-hint code-error"' in html
    # The summary comes first in <main>.
    assert (
        html.split('<main id="contenu" tabindex="-1">')[1]
        .lstrip()
        .startswith('<div class="error-summary"')
    )


@pytest.mark.parametrize("code", ["1234", "1234 5678 901a", "١٢٣٤", "1" * 13])
def test_malformed_code_is_explained(client: FlaskClient, code: str) -> None:
    html = post_code(client, code)
    assert "Le code a 16 chiffres." in main_text(html)


def test_well_formed_unknown_code_is_not_found(client: FlaskClient) -> None:
    html = post_code(client, "1234 5678 9012")
    assert "Nous ne trouvons pas ce code." in main_text(html)
    assert 'value="123456789012"' in html


def test_typed_separators_are_ignored() -> None:
    assert normalise_return_code(" 1234-5678 9012 ") == "123456789012"
    assert normalise_return_code("1234.5678.9012") == "123456789012"


def test_arabic_keyboard_digits_are_read() -> None:
    assert normalise_return_code("١٢٣٤ ٥٦٧٨ ٩٠١٢") == "123456789012"
    assert normalise_return_code("۱۲۳۴۵۶۷۸۹۰۱۲") == "123456789012"


def test_a_code_can_lead_back_only_to_a_page_of_the_site(client: FlaskClient) -> None:
    from .flow import start_test

    owner = client.application.test_client()
    start_test(owner)
    later = owner.get("/test/plus-tard").get_data(as_text=True)
    code = re.search(r'<p class="code">([\d ]+)</p>', later).group(1)
    for suite, expected in [("/mes-donnees", "/mes-donnees"), ("https://evil.example/", "/")]:
        token = csrf_token(client, "/revenir")
        response = client.post("/revenir", data={"code": code, "csrf_token": token, "suite": suite})
        assert response.status_code == 303 and response.headers["Location"] == expected
