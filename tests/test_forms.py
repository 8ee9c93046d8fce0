"""One way to build a form: what was typed comes back with the error, codes are shown as words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from app import words
from app.forms import ContactSendForm
from app.staff import access, accounts, consent, requests
from app.staff.requests import RequestError

from .conftest import make_test_app
from .flow import (
    STAFF_PASSWORD,
    ask_to_be_contacted,
    csrf_token,
    make_organisation,
    make_staff,
    sign_in,
    staff_signed_in,
)
from .html_checks import main_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def value_of(html: str, field_id: str) -> str | None:
    found = re.search(rf'<input id="{field_id}"[^>]*? value="([^"]*)"', html)
    return found.group(1) if found else None


def post(client: FlaskClient, page: str, action: str, data: dict[str, object]) -> str:
    token = csrf_token(client.get(page).get_data(as_text=True))
    response = client.post(action, data={"csrf_token": token, **data})
    assert response.status_code == 200, (action, response.status_code)
    html = response.get_data(as_text=True)
    assert "<title>Erreur : " in html and 'class="error-summary"' in html
    return html


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        (words.CHANNELS, requests.CHANNELS),
        (words.CHANNELS_FOR_STAFF, requests.CHANNELS),
        (words.REQUEST_STATUSES, requests.STATUSES),
        (words.QUEUE_STATUSES, requests.STATUSES),
        (words.REQUEST_STATUSES_FOR_STAFF, requests.STATUSES),
        (words.DAYS, requests.DAYS),
        (words.HALVES, requests.HALVES),
        (words.PURPOSES, consent.PURPOSES),
        (words.ACCESS_WHAT, access.WHAT),
        (words.ORGANISATION_KINDS, accounts.KINDS),
        (words.ROLES, accounts.ROLES),
    ],
)
def test_every_code_has_its_words(table: dict[str, object], codes: tuple[str, ...]) -> None:
    assert tuple(table) == codes


def test_every_scored_domain_has_a_name() -> None:
    from app.assessment.bank import SCORED_DOMAINS

    assert tuple(words.DOMAIN_NAMES) == tuple(SCORED_DOMAINS)


def test_views_read_what_is_posted_only_through_forms() -> None:
    """``request.form`` read by hand is how typed values got lost and lengths cut."""
    for path in (ROOT / "app" / "views").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "form":
                assert not (isinstance(node.value, ast.Name) and node.value.id == "request"), (
                    f"{path.name}:{node.lineno} reads request.form: use a form class"
                )


def test_the_contact_request_keeps_what_was_typed(fresh: Flask) -> None:
    client = fresh.test_client()
    html = post(client, "/etre-contacte", "/etre-contacte", {"channel": "phone"})
    assert "Choisissez un organisme" in main_text(html)
    ask_to_be_contacted(client, make_organisation(fresh), until="/etre-contacte/coordonnees")
    html = post(
        client, "/etre-contacte/coordonnees", "/etre-contacte/coordonnees", {"phone": "06 12"}
    )
    assert "Écrivez un numéro de téléphone à 10 chiffres" in main_text(html)
    assert value_of(html, "phone") == "06 12"
    # Back one page: the times chosen are still ticked.
    slots = client.get("/etre-contacte/quand").get_data(as_text=True)
    assert len(re.findall(r'name="slots" type="checkbox" value="[^"]+" checked', slots)) == 2
    channel = client.get("/etre-contacte/comment").get_data(as_text=True)
    assert re.search(r'value="phone" checked', channel)


def test_a_refused_sign_in_keeps_the_address_but_never_the_password(fresh: Flask) -> None:
    client = fresh.test_client()
    email = make_staff(fresh, None, role="admin")
    html = post(
        client, "/pro/connexion", "/pro/connexion", {"email": email, "password": "pas le bon"}
    )
    assert "Adresse e-mail ou mot de passe incorrect." in main_text(html)
    assert value_of(html, "email") == email
    assert "pas le bon" not in html and STAFF_PASSWORD not in html


def test_a_refused_record_keeps_what_was_typed_in_its_own_form(fresh: Flask) -> None:
    client = fresh.test_client()
    person = staff_signed_in(client)["person"]
    page = f"/pro/personnes/{person}"
    html = post(
        client,
        page,
        f"{page}/cheques",
        {"booklet_number": "AB-12", "count": "3", "expires_on": "31 juin", "form_key": "k"},
    )
    assert value_of(html, "booklet_number") == "AB-12"
    assert value_of(html, "count") == "3"
    assert value_of(html, "expires_on") == "31 juin"
    assert '<a href="#expires_on">' in html


def test_a_refused_account_keeps_what_was_typed_but_the_password(fresh: Flask) -> None:
    client = fresh.test_client()
    assert sign_in(client, make_staff(fresh, None, role="admin")) == 303
    html = post(
        client,
        "/pro/admin",
        "/pro/admin/comptes",
        {"name": "Awa Diallo", "email": "awa@", "password": "court", "role": "mediator"},
    )
    assert value_of(html, "staff-name") == "Awa Diallo"
    assert value_of(html, "staff-email") == "awa@"
    assert "court" not in re.sub(r"<label.*?</label>|<p class=\"error\".*?</p>", "", html)
    assert '<option value="mediator" selected>' in html


def test_an_id_too_long_to_be_a_number_is_no_id() -> None:
    """Python refuses to read a number of more than 4 300 digits: such an id is simply none."""
    from app.http import MAX_ID, form_id

    assert form_id("9" * 5000) is None
    assert form_id(str(MAX_ID)) == MAX_ID
    assert form_id(str(MAX_ID + 1)) is None
    assert form_id("٣") is None


def test_a_form_of_buttons_only_shows_an_error_of_the_whole_form(fresh: Flask) -> None:
    """The check-your-answers page's form has no field one types in: an error of the whole
    form (its one-time key already used by someone else) is said, not a server error."""
    with fresh.test_request_context("/etre-contacte/verifier", method="POST"):
        form = ContactSendForm(formdata=None)
        form.fail(RequestError("Ce formulaire a déjà servi. Recommencez, s'il vous plaît."))
        html = render_template_string(
            '{% import "components/forms.html" as forms %}{{ forms.error_summary(form) }}',
            form=form,
        )
    assert "Ce formulaire a déjà servi." in html
    assert 'href="#form_key"' not in html  # nothing to go to: said, not linked
