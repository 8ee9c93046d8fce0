"""The staff side on the site: consent decides who sees what, nothing twice, nothing cached."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import AccessRecord, ContactRequest, Person, StaffRecord

from .conftest import make_test_app
from .flow import (
    ask_to_be_contacted,
    csrf_token,
    make_organisation,
    make_staff,
    path_of,
    right_answer,
    share_results,
    sign_in,
    staff_signed_in,
    take_test,
)
from .html_checks import h1_of, main_text


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def post_form(client: FlaskClient, page: str, action: str, **data: object) -> int:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data}).status_code


def test_staff_pages_are_never_stored_and_need_signing_in(fresh: Flask) -> None:
    client = fresh.test_client()
    response = client.get("/pro/personnes")
    assert response.status_code == 302 and path_of(response.headers["Location"]) == "/pro/connexion"
    ids = staff_signed_in(client)
    page = client.get(f"/pro/personnes/{ids['person']}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/pro/connexion").headers["Cache-Control"] == "no-store"
    # After signing out, the same address shows nothing of the person.
    assert post_form(client, "/pro/", "/pro/deconnexion") == 303
    assert client.get(f"/pro/personnes/{ids['person']}").status_code == 302


def test_another_organisation_sees_nothing(fresh: Flask) -> None:
    ours = fresh.test_client()
    ids = staff_signed_in(ours)
    theirs = fresh.test_client()
    other = make_organisation(fresh, "Association d'à côté")
    assert sign_in(theirs, make_staff(fresh, other.id)) == 303
    person, asked = ids["person"], ids["request"]
    for url in [
        f"/pro/personnes/{person}",
        f"/pro/personnes/{person}/fiche",
        f"/pro/demandes/{asked}",
    ]:
        assert theirs.get(url).status_code == 404, url
        assert ours.get(url).status_code == 200, url
    for action, data in [
        (f"/pro/personnes/{person}/note", {"note": "x", "form_key": "k1"}),
        (
            f"/pro/personnes/{person}/cheques",
            {"booklet_number": "A1", "count": "2", "expires_on": "2030-01-01", "form_key": "k2"},
        ),
        (
            f"/pro/personnes/{person}/orientation",
            {"place_id": "repere-demo-93-001", "form_key": "k3"},
        ),
        (f"/pro/demandes/{asked}/statut", {"statut": "done"}),
    ]:
        assert post_form(theirs, "/pro/", action, **data) == 404, action
    assert count(fresh, StaffRecord) == 0
    listing = main_text(theirs.get("/pro/personnes").get_data(as_text=True))
    assert f"n° {person}" not in listing
    assert f"n° {asked}" not in main_text(theirs.get("/pro/demandes").get_data(as_text=True))


def test_withdrawing_consent_hides_the_person_at_once(fresh: Flask) -> None:
    person = fresh.test_client()
    take_test(person, fresh.extensions["bank"], right_answer)
    organisation = make_organisation(fresh)
    person_id = share_results(person, organisation)
    staff = fresh.test_client()
    assert sign_in(staff, make_staff(fresh, organisation.id)) == 303
    assert staff.get(f"/pro/personnes/{person_id}").status_code == 200
    space = person.get("/mon-espace").get_data(as_text=True)
    withdraw = re.search(r'action="(/mon-espace/accords/\d+/retirer)"', space).group(1)
    assert post_form(person, "/mon-espace", withdraw) == 303
    assert staff.get(f"/pro/personnes/{person_id}").status_code == 404
    assert "Accord retiré" in main_text(person.get("/mon-espace").get_data(as_text=True))


def test_records_are_kept_once_even_when_posted_twice(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = staff_signed_in(client)
    page = f"/pro/personnes/{ids['person']}"
    html = client.get(page).get_data(as_text=True)

    def form_key(action: str) -> str:
        form = re.search(rf'<form action="{page}/{action}".*?</form>', html, re.S).group(0)
        return re.search(r'name="form_key" type="hidden" value="([^"]+)"', form).group(1)

    key = form_key("note")
    for _ in range(2):
        data = {"csrf_token": csrf_token(html), "note": "Rendez-vous mardi.", "form_key": key}
        assert client.post(f"{page}/note", data=data).status_code == 303
    key = form_key("cheques")
    expires = (datetime.now(UTC) + timedelta(days=200)).date().isoformat()
    for _ in range(2):
        data = {
            "csrf_token": csrf_token(html),
            "booklet_number": "B-77",
            "count": "5",
            "expires_on": expires,
            "form_key": key,
        }
        assert client.post(f"{page}/cheques", data=data).status_code == 303
    assert count(fresh, StaffRecord) == 2
    text = main_text(client.get(page).get_data(as_text=True))
    assert "Rendez-vous mardi." in text and "5 chèques Pass numérique" in text
    # Bad input is explained and changes nothing.
    data = {
        "csrf_token": csrf_token(html),
        "booklet_number": "B",
        "count": "zéro",
        "expires_on": "",
        "form_key": "new",
    }
    response = client.post(f"{page}/cheques", data=data)
    assert response.status_code == 200 and "Erreur" in response.get_data(as_text=True)
    assert count(fresh, StaffRecord) == 2


def test_every_look_at_a_person_is_journaled(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = staff_signed_in(client)
    client.get(f"/pro/personnes/{ids['person']}")
    client.get(f"/pro/demandes/{ids['request']}")
    with fresh.app_context():
        seen = db.session.scalars(select(AccessRecord.what).order_by(AccessRecord.id)).all()
    assert seen == ["person", "request"]


def test_a_request_to_be_contacted_goes_through_the_queue(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = staff_signed_in(client)
    queue = main_text(client.get("/pro/demandes").get_data(as_text=True))
    assert f"Demande n° {ids['request']}" in queue
    detail = client.get(f"/pro/demandes/{ids['request']}").get_data(as_text=True)
    assert "06 12 34 56 78" in main_text(detail)
    action = f"/pro/demandes/{ids['request']}/statut"
    assert post_form(client, f"/pro/demandes/{ids['request']}", action, statut="in-progress") == 303
    assert post_form(client, f"/pro/demandes/{ids['request']}", action, statut="done") == 303
    with fresh.app_context():
        done = db.session.get(ContactRequest, ids["request"])
        assert done.status == "done" and done.answered_at is not None
    assert f"Demande n° {ids['request']}" in main_text(
        client.get("/pro/demandes?statut=done").get_data(as_text=True)
    )


def test_the_person_sees_their_request_and_can_cancel_it(fresh: Flask) -> None:
    person = fresh.test_client()
    organisation = make_organisation(fresh)
    ask_to_be_contacted(person, organisation)
    ask_to_be_contacted(person, organisation)
    assert count(fresh, ContactRequest) == 2  # two forms, two requests
    space = person.get("/mon-espace").get_data(as_text=True)
    cancel = re.search(r'action="(/mon-espace/demandes/\d+/annuler)"', space).group(1)
    assert post_form(person, "/mon-espace", cancel) == 303
    assert post_form(person, "/mon-espace", cancel) == 303  # twice: harmless
    assert "Annulée" in main_text(person.get("/mon-espace").get_data(as_text=True))


def test_a_contact_form_posted_twice_makes_one_request(fresh: Flask) -> None:
    person = fresh.test_client()
    organisation = make_organisation(fresh)
    ask_to_be_contacted(person, organisation, channel="in-person", until="/etre-contacte/verifier")
    html = person.get("/etre-contacte/verifier").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "form_key": re.search(r'name="form_key" type="hidden" value="([^"]+)"', html).group(1),
    }
    assert person.post("/etre-contacte/verifier", data=data).status_code == 303
    assert person.post("/etre-contacte/verifier", data=data).status_code == 303
    assert count(fresh, ContactRequest) == 1
    with fresh.app_context():
        kept = db.session.scalars(select(ContactRequest)).one()
        assert kept.phone is None  # coming in person needs no phone number


def test_contact_form_errors_are_explained(fresh: Flask) -> None:
    person = fresh.test_client()
    html = person.get("/etre-contacte").get_data(as_text=True)
    response = person.post(
        "/etre-contacte", data={"csrf_token": csrf_token(html), "channel": "phone"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert h1_of(page) and "Erreur" in page and 'href="#organisation"' in page
    assert count(fresh, ContactRequest) == 0


def test_a_test_run_with_a_mediator(fresh: Flask) -> None:
    organisation = make_organisation(fresh)
    client = fresh.test_client()
    assert sign_in(client, make_staff(fresh, organisation.id)) == 303
    assert post_form(client, "/pro/accompagnement", "/pro/accompagnement") == 200  # no duration
    assert post_form(client, "/pro/accompagnement", "/pro/accompagnement", months="1") == 303
    with fresh.app_context():
        person = db.session.scalars(select(Person)).one()
        assert person.assisted
        person_id = person.id
    # During the test run on this computer, the person's slip has their code; once the
    # mediator is done with them (« Terminer avec cette personne »), it does not.
    slip = client.get(f"/pro/personnes/{person_id}/fiche").get_data(as_text=True)
    assert re.search(r'<p class="code">\d{4} \d{4} \d{4} \d{4}</p>', slip)
    assert post_form(client, "/pro/", "/pro/accompagnement/fin") == 303
    later = client.get(f"/pro/personnes/{person_id}/fiche").get_data(as_text=True)
    assert not re.search(r"\d{4} \d{4} \d{4}", later)


def test_sign_in_is_limited_per_account(fresh: Flask) -> None:
    organisation = make_organisation(fresh)
    email = make_staff(fresh, organisation.id)
    for number in range(5):
        client = fresh.test_client()  # as if from five different computers
        client.environ_base["REMOTE_ADDR"] = f"10.1.0.{number}"
        assert sign_in(client, email, "mauvais mot de passe") == 200
    assert sign_in(fresh.test_client(), email) == 200  # locked, even with the right one
    html = fresh.test_client().get("/pro/connexion").get_data(as_text=True)
    assert "Me connecter" in html


def test_idle_and_old_sessions_end(fresh: Flask) -> None:
    client = fresh.test_client()
    staff_signed_in(client)
    assert client.get("/pro/").status_code == 200
    with client.session_transaction() as session:
        session["staff"] = {**session["staff"], "seen": session["staff"]["seen"] - 31 * 60}
    assert client.get("/pro/").status_code == 302
    staff_signed_in(client)
    with client.session_transaction() as session:
        session["staff"] = {**session["staff"], "since": session["staff"]["since"] - 12 * 3600 - 1}
    assert client.get("/pro/").status_code == 302


def test_figures_and_csv_have_no_personal_data(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = staff_signed_in(client)
    page = main_text(client.get("/pro/chiffres").get_data(as_text=True))
    assert "Tests seuls" in page
    csv = client.get("/pro/chiffres.csv")
    assert csv.mimetype == "text/csv" and csv.headers["Cache-Control"] == "no-store"
    header, *rows = csv.get_data(as_text=True).strip().splitlines()
    assert header.startswith("\ufeffmois;")
    assert rows and ids["request"]
    for row in rows:  # a month, then numbers only: nobody can be recognised
        month, *numbers = row.split(";")
        assert re.fullmatch(r"\d{4}-\d{2}", month)
        assert all(re.fullmatch(r"\d+(,\d+)?|", value) for value in numbers), row
    ods = client.get("/pro/chiffres.ods")
    assert ods.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    assert ods.headers["Cache-Control"] == "no-store"
    assert ods.get_data().startswith(b"PK") and b"opendocument.spreadsheet" in ods.get_data()[:120]
    assert "chiffres.ods" in client.get("/pro/chiffres").get_data(as_text=True)


def test_only_administrators_manage_accounts(fresh: Flask) -> None:
    mediator = fresh.test_client()
    staff_signed_in(mediator)
    assert mediator.get("/pro/admin").status_code == 404
    admin = fresh.test_client()
    assert sign_in(admin, make_staff(fresh, None, role="admin")) == 303
    assert (
        post_form(
            admin,
            "/pro/admin",
            "/pro/admin/organismes",
            name="Mairie de Lille",
            kind="mairie",
            postcode="59000",
        )
        == 303
    )
    assert "Mairie de Lille" in main_text(admin.get("/pro/admin").get_data(as_text=True))


def test_cli_creates_organisations_and_staff(fresh: Flask) -> None:
    runner = fresh.test_cli_runner()
    made = runner.invoke(
        args=[
            "create-organisation",
            "--name",
            "Agence de Roubaix",
            "--kind",
            "france-travail",
            "--postcode",
            "59100",
        ]
    )
    assert made.exit_code == 0 and "code de partage" in made.output
    number = int(re.search(r"n° (\d+)", made.output).group(1))
    staff = runner.invoke(
        args=[
            "create-staff",
            "--email",
            "Lou@Example.org",
            "--name",
            "Lou",
            "--role",
            "counsellor",
            "--organisation-id",
            str(number),
            "--password",
            "un mot de passe long",
        ]
    )
    assert staff.exit_code == 0, staff.output
    again = runner.invoke(
        args=[
            "create-staff",
            "--email",
            "lou@example.org",
            "--name",
            "Lou",
            "--role",
            "counsellor",
            "--organisation-id",
            str(number),
            "--password",
            "un mot de passe long",
        ]
    )
    assert again.exit_code != 0
    expired = runner.invoke(args=["expire-requests"])
    assert expired.exit_code == 0 and "expirée" in expired.output
