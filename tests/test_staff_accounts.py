"""Staff accounts managed from the administrator's page and the command line: sessions end on
the server, a one-time code leads to a password of one's own, every action is journaled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import make_test_app
from .flow import STAFF_PASSWORD, csrf_token, make_organisation, make_staff, sign_in
from .html_checks import main_text


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def signed_in(app: Flask, email: str, password: str = STAFF_PASSWORD) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, email, password) == 303
    return client


def press(client: FlaskClient, page: str, action: str) -> str:
    """Press the button that posts to ``action`` on ``page``; the page then shown."""
    html = client.get(page).get_data(as_text=True)
    assert f'action="{action}"' in html, action
    response = client.post(action, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def account_id(html: str, email: str) -> str:
    found = re.search(
        rf'action="/pro/admin/comptes/(\d+)/[\w-]+".{{0,400}}?'
        rf'<span class="visually-hidden"> {re.escape(email)}</span>',
        html,
        re.S,
    )
    assert found, email
    return found.group(1)


def test_signing_out_ends_every_session_of_the_account(fresh: Flask) -> None:
    email = make_staff(fresh, make_organisation(fresh).id)
    client = signed_in(fresh, email)
    copied = copy_of(fresh, client)
    elsewhere = signed_in(fresh, email)
    assert copied.get("/pro/").status_code == 200
    html = client.get("/pro/").get_data(as_text=True)
    assert client.post("/pro/deconnexion", data={"csrf_token": csrf_token(html)}).status_code == 303
    for other in (client, copied, elsewhere):
        assert other.get("/pro/").status_code == 302


def test_an_administrator_deactivates_and_reactivates_an_account(fresh: Flask) -> None:
    email = make_staff(fresh, make_organisation(fresh).id)
    mediator = signed_in(fresh, email)
    admin = signed_in(fresh, make_staff(fresh, None, "admin"))
    page = admin.get("/pro/admin").get_data(as_text=True)
    number = account_id(page, email)

    after = main_text(press(admin, "/pro/admin", f"/pro/admin/comptes/{number}/desactiver"))
    assert f"Compte désactivé : {email} ne peut plus se connecter." in after
    assert mediator.get("/pro/").status_code == 302  # at once, not at the idle timeout
    assert sign_in(fresh.test_client(), email) == 200
    assert f"{email}, compte désactivé par Camille (admin)" in after

    after = main_text(press(admin, "/pro/admin", f"/pro/admin/comptes/{number}/reactiver"))
    assert f"Compte réactivé : {email} peut se connecter." in after
    assert sign_in(fresh.test_client(), email) == 303


def test_a_reset_password_is_replaced_by_the_holder_at_first_sign_in(fresh: Flask) -> None:
    email = make_staff(fresh, make_organisation(fresh).id)
    before = signed_in(fresh, email)
    admin = signed_in(fresh, make_staff(fresh, None, "admin"))
    number = account_id(admin.get("/pro/admin").get_data(as_text=True), email)
    after = main_text(press(admin, "/pro/admin", f"/pro/admin/comptes/{number}/mot-de-passe"))
    code = re.search(r"Code à usage unique pour \S+ : ([a-z0-9-]{14})\.", after)
    assert code, after
    assert before.get("/pro/").status_code == 302  # the old session ends
    assert sign_in(fresh.test_client(), email) == 200  # and the old password

    holder = fresh.test_client()
    assert sign_in(holder, email, code.group(1)) == 303
    assert holder.get("/pro/personnes").headers["Location"].endswith("/pro/nouveau-mot-de-passe")
    html = holder.get("/pro/nouveau-mot-de-passe").get_data(as_text=True)
    token = csrf_token(html)
    typed = {"csrf_token": token, "password": "une phrase à moi", "confirmation": "autre"}
    refused = holder.post("/pro/nouveau-mot-de-passe", data=typed)
    assert refused.status_code == 200
    assert "Les deux mots de passe ne sont pas les mêmes" in main_text(
        refused.get_data(as_text=True)
    )
    typed["confirmation"] = typed["password"]
    response = holder.post("/pro/nouveau-mot-de-passe", data=typed)
    assert response.status_code == 303 and response.headers["Location"].endswith("/pro/")
    assert holder.get("/pro/personnes").status_code == 200
    assert sign_in(fresh.test_client(), email, code.group(1)) == 200  # used once
    assert sign_in(fresh.test_client(), email, "une phrase à moi") == 303
    journal = main_text(admin.get("/pro/admin").get_data(as_text=True))
    assert f"{email}, code à usage unique donné par Camille (admin)" in journal
    assert f"{email}, mot de passe choisi par Camille (mediator)" in journal


def test_the_command_line_lists_deactivates_reactivates_and_resets(fresh: Flask) -> None:
    email = make_staff(fresh, make_organisation(fresh).id)
    cli = fresh.test_cli_runner()
    listed = cli.invoke(args=["list-staff"])
    assert listed.exit_code == 0 and re.search(
        rf"{re.escape(email)}\tmediator\t.*\tactif", listed.output
    )
    assert "désactivé" in cli.invoke(args=["deactivate-staff", email]).output
    assert sign_in(fresh.test_client(), email) == 200
    assert "réactivé" in cli.invoke(args=["reactivate-staff", email]).output
    reset = cli.invoke(args=["reset-staff-password", email])
    code = re.search(r": ([a-z0-9-]{14}) ", reset.output)
    assert reset.exit_code == 0 and code
    assert sign_in(fresh.test_client(), email, code.group(1)) == 303
    unknown = cli.invoke(args=["deactivate-staff", "nobody@repere.example"])
    assert unknown.exit_code == 1 and "Ce compte n'existe pas." in unknown.output
