"""Staff sign-in as a stranger would try it: telling accounts apart, keeping one locked,
and passwords that are easy to guess or that one place accepts and another cannot use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.staff import accounts
from app.staff.accounts import (
    MAX_FAILED_SIGN_INS,
    MAX_PASSWORD_LENGTH,
    AccountError,
    SignInRefused,
    create_organisation,
    create_staff,
    sign_in,
)

from .conftest import make_test_app
from .flow import STAFF_PASSWORD, csrf_token, make_organisation, make_staff
from .staff import NOW, new_session


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_test_app(tmp_path_factory.mktemp("sign-in"), RATELIMIT_ENABLED=False)


def post_sign_in(client: FlaskClient, email: str, password: str) -> tuple[int, str]:
    html = client.get("/pro/connexion").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "email": email, "password": password}
    response = client.post("/pro/connexion", data=data)
    return response.status_code, response.get_data(as_text=True)


def error_of(html: str) -> str:
    import re

    match = re.search(r'<p class="error" id="[^"]+">(.*?)</p>', html, re.S)
    assert match, "no error message on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --------------------------------------------------------------------------------------------
# Passwords


@pytest.mark.parametrize(
    "password",
    ["password1234", "azertyuiopqs", "motdepasse123", "soleil123456", "123456789012"],
)
def test_common_or_guessable_passwords_are_refused(db: Session, password: str) -> None:
    with pytest.raises(AccountError) as error:
        accounts.check_new_password(password)
    assert error.value.field == "password"


def test_a_password_made_of_the_holders_name_is_refused(db: Session) -> None:
    with pytest.raises(AccountError):
        accounts.check_new_password("awadiallo2026", about=("awa.diallo@example.fr", "Awa Diallo"))


def test_a_long_unusual_password_is_accepted(db: Session) -> None:
    assert accounts.check_new_password("un mot de passe assez long") == "un mot de passe assez long"


def test_the_same_longest_password_everywhere(tmp_path: Path) -> None:
    """The command line refuses what the web form could not sign in with; the longest it
    accepts signs in on the web."""
    app = make_test_app(tmp_path)
    organisation = make_organisation(app)
    runner = app.test_cli_runner()
    base = ["create-staff", "--name", "Awa", "--role", "mediator"]
    base += ["--organisation-id", str(organisation.id)]
    too_long = "tulipe verte " * 100
    result = runner.invoke(args=[*base, "--email", "a@example.fr", "--password", too_long])
    assert result.exit_code != 0
    longest = ("tulipe verte bateau " * 10)[:MAX_PASSWORD_LENGTH]
    result = runner.invoke(args=[*base, "--email", "b@example.fr", "--password", longest])
    assert result.exit_code == 0, result.output
    status, _html = post_sign_in(app.test_client(), "b@example.fr", longest)
    assert status == 303


# --------------------------------------------------------------------------------------------
# Signing in tells no stranger which accounts exist, and a stranger cannot lock one out


def test_every_refusal_costs_one_hash(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    organisation = create_organisation(
        db, name="France Services Bondy", kind="france-services", postcode="93140"
    )
    create_staff(
        db,
        email="awa@example.fr",
        name="Awa",
        password=STAFF_PASSWORD,
        role="mediator",
        organisation_id=organisation.id,
    )
    checked: list[str] = []
    real = accounts.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    cases = [("nobody@example.fr", "mauvais mot de passe")]
    cases += [("awa@example.fr", "mauvais mot de passe")] * (MAX_FAILED_SIGN_INS + 2)
    for email, password in cases:
        checked.clear()
        with pytest.raises(SignInRefused):
            sign_in(db, email=email, password=password, now=NOW)
        assert len(checked) == 1, (email, len(checked))  # unknown, wrong, locked: one each


def test_a_locked_account_answers_as_an_unknown_one(fresh: Flask) -> None:
    organisation = make_organisation(fresh)
    email = make_staff(fresh, organisation.id)
    stranger = fresh.test_client()
    answers = set()
    for _ in range(MAX_FAILED_SIGN_INS + 1):
        status, html = post_sign_in(stranger, email, "mauvais mot de passe")
        assert status == 200
        answers.add(error_of(html))
    status, html = post_sign_in(stranger, "personne@example.fr", "mauvais mot de passe")
    answers.add(error_of(html))
    assert len(answers) == 1, answers


def test_a_stranger_cannot_keep_the_holder_out(fresh: Flask) -> None:
    organisation = make_organisation(fresh)
    email = make_staff(fresh, organisation.id)
    holder = fresh.test_client()
    assert post_sign_in(holder, email, STAFF_PASSWORD)[0] == 303
    holder.post(
        "/pro/deconnexion",
        data={"csrf_token": csrf_token(holder.get("/pro/").get_data(as_text=True))},
    )
    stranger = fresh.test_client()
    for _ in range(MAX_FAILED_SIGN_INS + 1):
        post_sign_in(stranger, email, "mauvais mot de passe")
    # The account is locked for strangers, even with the right password…
    assert post_sign_in(fresh.test_client(), email, STAFF_PASSWORD)[0] == 200
    # …but not on the computer where its holder signed in before.
    assert post_sign_in(holder, email, STAFF_PASSWORD)[0] == 303
    # A forged proof does not help.
    forged = fresh.test_client()
    forged.set_cookie("repere_appareil", "0" * 32, path="/pro")
    assert post_sign_in(forged, email, STAFF_PASSWORD)[0] == 200
