"""The person alone holds the key: their code, their sessions, leaving a shared computer.

Tried as an attacker would: a staff member of an organisation the person shared with, the
next user of a shared computer, a browser holding a copy of an old session.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.assessment import service
from app.assessment.bank import load_bank
from app.extensions import db
from app.models import Consent, Person
from app.return_code import grouped

from .conftest import make_test_app
from .flow import (
    a_person_with_everything,
    assisted_test,
    csrf_token,
    make_organisation,
    make_staff,
    person_id_in,
    share_results,
    sign_in,
    staff_signed_in,
    take_test,
)


def code_of(app: Flask, person_id: int) -> str:
    with app.app_context():
        person = db.session.get(Person, person_id)
        return service.code_of(person, app.config["SECRET_KEY"])


def come_back(client: FlaskClient, code: str) -> int:
    page = client.get("/revenir").get_data(as_text=True)
    return client.post("/revenir", data={"csrf_token": csrf_token(page), "code": code}).status_code


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    other = app.test_client()
    other.set_cookie(name, client.get_cookie(name).value)
    return other


def holds_the_person(client: FlaskClient) -> bool:
    """Whether « Mes données » opens the person's data, rather than asking for a code."""
    return "Voici tout ce que Repère garde sur vous." in client.get("/mes-donnees").get_data(
        as_text=True
    )


def variants(code: str) -> list[str]:
    return [code, grouped(code)]


# --------------------------------------------------------------------------------------------
# The code is the person's secret


def test_no_staff_page_shows_the_code(app: Flask) -> None:
    staff = app.test_client()
    ids = staff_signed_in(staff)
    code = code_of(app, ids["person"])
    for path in (
        f"/pro/personnes/{ids['person']}",
        f"/pro/personnes/{ids['person']}/fiche",
        f"/pro/demandes/{ids['request']}",
        "/pro/personnes",
        "/pro/demandes",
    ):
        response = staff.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert not any(v in page for v in variants(code)), path


def test_the_slip_of_an_assisted_test_shows_the_code_once_journaled(app: Flask) -> None:
    staff = app.test_client()
    staff_signed_in(staff)
    person_id = assisted_test(staff)
    code = code_of(app, person_id)
    # During the test, on the mediator's computer, the code is not on the results.
    results = staff.get("/resultats").get_data(as_text=True)
    assert not any(v in results for v in variants(code))
    assert f"/pro/personnes/{person_id}/fiche" in results
    slip = staff.get(f"/pro/personnes/{person_id}/fiche")
    assert slip.status_code == 200 and grouped(code) in slip.get_data(as_text=True)
    # The person sees, in « Mes données », that staff saw their code.
    person = app.test_client()
    assert come_back(person, code) == 303
    page = person.get("/mes-donnees").get_data(as_text=True)
    assert "a regardé votre code pour revenir, pour l" in page
    # Another staff member, or a browser holding no assisted person: not found.
    other = app.test_client()
    staff_signed_in(other)
    assert other.get(f"/pro/personnes/{person_id}/fiche").status_code == 404


def test_the_person_changes_their_code_and_the_old_one_stops_at_once(app: Flask) -> None:
    person = app.test_client()
    take_test(person, load_bank())
    person_id = person_id_in(person)
    old = code_of(app, person_id)
    elsewhere = app.test_client()  # a browser that opened the person with the old code
    assert come_back(elsewhere, old) == 303 and holds_the_person(elsewhere)

    assert "/mes-donnees/code" in person.get("/mes-donnees").get_data(as_text=True)
    page = person.get("/mes-donnees/code").get_data(as_text=True)
    response = person.post("/mes-donnees/code", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    new = code_of(app, person_id)
    assert new != old and len(new) == 16
    assert grouped(new) in person.get(response.headers["Location"]).get_data(as_text=True)
    assert holds_the_person(person)  # this browser keeps the person
    assert not holds_the_person(elsewhere)  # every other one loses them at once
    assert come_back(app.test_client(), old) == 200  # refused
    assert come_back(app.test_client(), new) == 303


def test_withdrawing_a_consent_offers_a_new_code(app: Flask) -> None:
    found = a_person_with_everything(app)
    person = found["person"]
    page = person.get("/mon-espace").get_data(as_text=True)
    action = re.search(r'action="(/mon-espace/accords/\d+/retirer)"', page)
    assert action
    response = person.post(action.group(1), data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    offer = person.get(response.headers["Location"]).get_data(as_text=True)
    assert "Me donner un nouveau code" in offer
    assert "connaît votre code" in offer


def test_a_code_has_sixteen_digits_and_old_twelve_digit_codes_still_open(app: Flask) -> None:
    from app import return_code

    person = app.test_client()
    take_test(person, load_bank())
    person_id = person_id_in(person)
    assert len(code_of(app, person_id)) == 16
    secret = app.config["SECRET_KEY"]
    with app.app_context():  # a person from before 16 digits
        found = db.session.get(Person, person_id)
        legacy = return_code.derive(secret, found.code_salt, return_code.LEGACY_DIGITS)
        found.code_lookup = return_code.lookup_key(secret, legacy)
        db.session.commit()
    assert code_of(app, person_id) == legacy
    browser = app.test_client()
    page = browser.get("/revenir").get_data(as_text=True)
    response = browser.post("/revenir", data={"csrf_token": csrf_token(page), "code": legacy})
    # It opens, once: the person gets a 16-digit code at once, shown on their screen.
    assert response.status_code == 303
    new = code_of(app, person_id)
    assert len(new) == 16
    assert grouped(new) in browser.get(response.headers["Location"]).get_data(as_text=True)
    assert come_back(app.test_client(), legacy) == 200


# --------------------------------------------------------------------------------------------
# Sessions that end


def test_an_erased_persons_session_never_opens_the_next_person(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)  # SQLite by default: ids were reused there
    first = app.test_client()
    take_test(first, load_bank())
    stale = copy_of(app, first)
    page = first.get("/mes-donnees/supprimer").get_data(as_text=True)
    assert (
        first.post("/mes-donnees/supprimer", data={"csrf_token": csrf_token(page)}).status_code
        == 303
    )
    nxt = app.test_client()
    take_test(nxt, load_bank())
    share_results(nxt)
    assert holds_the_person(nxt)
    assert not holds_the_person(stale)
    assert stale.get("/resultats").status_code == 302


def test_ids_are_never_reused(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    with app.app_context():
        engine = db.session.get_bind()
        if engine.dialect.name == "sqlite":
            from sqlalchemy import text

            with engine.connect() as connection:
                tables = connection.execute(
                    text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
                ).all()
            for name, sql in tables:
                if name in ("alembic_version", "place", "sqlite_sequence"):
                    continue
                assert "AUTOINCREMENT" in sql, name
    people = []
    for _ in range(2):
        client = app.test_client()
        take_test(client, load_bank())
        people.append(client)
    last_id = person_id_in(people[-1])
    page = people[-1].get("/mes-donnees/supprimer").get_data(as_text=True)
    people[-1].post("/mes-donnees/supprimer", data={"csrf_token": csrf_token(page)})
    again = app.test_client()
    take_test(again, load_bank())
    assert person_id_in(again) > last_id


def test_withdrawing_ends_the_session_on_the_mediators_computer(app: Flask) -> None:
    staff = app.test_client()
    staff_signed_in(staff)
    person_id = assisted_test(staff)
    assert staff.get("/resultats").status_code == 200
    person = app.test_client()  # the person, at home, with the code of their slip
    assert come_back(person, code_of(app, person_id)) == 303
    with app.app_context():
        assisted = db.session.scalars(
            select(Consent.id).where(Consent.person_id == person_id, Consent.assisted.is_(True))
        ).one()
    page = person.get("/mon-espace").get_data(as_text=True)
    response = person.post(
        f"/mon-espace/accords/{assisted}/retirer", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    assert staff.get("/resultats").status_code == 302
    assert not holds_the_person(staff)
    assert staff.get(f"/pro/personnes/{person_id}").status_code == 404
    assert staff.get(f"/pro/personnes/{person_id}/fiche").status_code == 404
    assert holds_the_person(person)  # the person's own browser keeps them


def test_another_organisations_staff_cannot_use_an_assisted_session(app: Flask) -> None:
    staff = app.test_client()
    staff_signed_in(staff)
    person_id = assisted_test(staff)
    # Someone of another organisation signs in on the same computer, after the first one
    # signed out.
    token = csrf_token(staff.get("/pro/").get_data(as_text=True))
    assert staff.post("/pro/deconnexion", data={"csrf_token": token}).status_code == 303
    other = make_organisation(app, "Association du quartier")
    assert sign_in(staff, make_staff(app, other.id)) == 303
    assert staff.get(f"/pro/personnes/{person_id}/fiche").status_code == 404
    assert not holds_the_person(staff)


# --------------------------------------------------------------------------------------------
# Leaving a shared computer


def test_leaving_the_device_forgets_the_person_everywhere(app: Flask) -> None:
    person = app.test_client()
    take_test(person, load_bank())
    code = code_of(app, person_id_in(person))
    copy = copy_of(app, person)
    for path in ("/resultats", "/mes-donnees", "/mon-espace", "/parcours"):
        response = person.get(path, follow_redirects=True)
        page = response.get_data(as_text=True)
        assert 'action="/quitter"' in page, path
        assert response.headers["Cache-Control"] == "no-store", path
    page = person.get("/resultats").get_data(as_text=True)
    response = person.post("/quitter", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    left = person.get(response.headers["Location"]).get_data(as_text=True)
    assert "ne garde plus rien de vous" in left
    assert 'action="/quitter"' not in left
    assert not holds_the_person(person)
    assert not holds_the_person(copy)
    assert person.get("/resultats").status_code == 302
    assert come_back(person, code) == 303 and holds_the_person(person)  # the code still opens


def test_pages_without_a_person_are_not_no_store(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["Cache-Control"] != "no-store"
    assert 'action="/quitter"' not in response.get_data(as_text=True)


# --------------------------------------------------------------------------------------------
# Cancelling a request; names shown to people


def test_cancelling_a_request_ends_that_organisations_view(app: Flask) -> None:
    from .flow import ask_to_be_contacted

    organisation = make_organisation(app, "Agence du canal")
    person = app.test_client()
    take_test(person, load_bank())
    ask_to_be_contacted(person, organisation)
    person_id = person_id_in(person)
    staff = app.test_client()
    assert sign_in(staff, make_staff(app, organisation.id)) == 303
    assert staff.get(f"/pro/personnes/{person_id}").status_code == 200
    page = person.get("/mon-espace").get_data(as_text=True)
    action = re.search(r'action="(/mon-espace/demandes/\d+/annuler)"', page)
    assert action
    assert person.post(action.group(1), data={"csrf_token": csrf_token(page)}).status_code == 303
    assert staff.get(f"/pro/personnes/{person_id}").status_code == 404


def test_cancelling_a_request_keeps_another_consent(app: Flask) -> None:
    from .flow import ask_to_be_contacted

    organisation = make_organisation(app, "Agence du port")
    person = app.test_client()
    take_test(person, load_bank())
    person_id = share_results(person, organisation)
    ask_to_be_contacted(person, organisation)
    staff = app.test_client()
    assert sign_in(staff, make_staff(app, organisation.id)) == 303
    page = person.get("/mon-espace").get_data(as_text=True)
    action = re.search(r'action="(/mon-espace/demandes/\d+/annuler)"', page)
    assert action
    assert person.post(action.group(1), data={"csrf_token": csrf_token(page)}).status_code == 303
    assert staff.get(f"/pro/personnes/{person_id}").status_code == 200


def test_names_lose_bidi_controls(app: Flask) -> None:
    from app.models import Organisation, StaffUser
    from app.staff import accounts

    with app.app_context():
        organisation = accounts.create_organisation(
            db.session,
            name="Mairie\u202e edcba\u200f\u2066",
            kind="mairie",
            postcode="93200",
        )
        staff = accounts.create_staff(
            db.session,
            email="bidi@repere.example",
            name="Ca\u202emille\u200b",
            password="un mot de passe assez long",
            role="mediator",
            organisation_id=organisation.id,
        )
        assert db.session.get(Organisation, organisation.id).name == "Mairie edcba"
        assert db.session.get(StaffUser, staff.id).name == "Camille"
