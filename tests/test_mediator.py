"""A mediator's day: the demo, assisted tests one person after another, names, dates,
referrals, requests."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.assessment.bank import Bank
from app.extensions import db
from app.models import Person, StaffRecord
from app.times import parse_date

from .conftest import make_test_app
from .flow import (
    Strategy,
    csrf_token,
    demo_signed_in,
    make_organisation,
    make_staff,
    path_of,
    person_id_in,
    right_answer,
    sign_in,
    take_test,
    wrong_answer,
)
from .html_checks import h1_of, main_text


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def post_form(client: FlaskClient, page: str, action: str, **data: object):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


# --------------------------------------------------------------------------------------------
# Assisted tests, one person after another


def assisted_test(mediator: FlaskClient, name: str | None, answer: Strategy) -> int:
    """Start with someone, take the test, see the results; return the person's id."""
    response = post_form(
        mediator,
        "/pro/accompagnement",
        "/pro/accompagnement",
        months="6",
        display_name=name or "",
    )
    assert response.status_code == 303
    assert path_of(response.headers["Location"]) == "/test/question/1"
    person_id = person_id_in(mediator)
    # The person is in the test already: /test offers to go on with it.
    assert "Continuer mon test" in mediator.get("/test").get_data(as_text=True)
    _continue_test(mediator, mediator.application.extensions["bank"], answer)
    return person_id


def _continue_test(client: FlaskClient, bank: Bank, answer: Strategy) -> None:
    from .flow import item_on_page, post_answer

    path = "/test/question/1"
    for _step in range(40):
        if path == "/resultats":
            return
        if path == "/test/pause":
            page = client.get(path).get_data(as_text=True)
            path = re.search(r'href="(/test/question/\d+)"', page).group(1)
            continue
        item = bank.get(item_on_page(client.get(path).get_data(as_text=True)))
        status, path, _ = post_answer(client, path, answer(item))
        assert status == 303
    raise AssertionError("the test did not end")


def test_three_assisted_tests_in_a_row_leave_no_trace(fresh: Flask) -> None:
    organisation = make_organisation(fresh)
    mediator = fresh.test_client()
    assert sign_in(mediator, make_staff(fresh, organisation.id)) == 303
    seen: list[int] = []
    for name, answer in [("A. B.", right_answer), (None, wrong_answer), ("Karim", right_answer)]:
        person_id = assisted_test(mediator, name, answer)
        assert person_id not in seen
        response = mediator.get("/resultats")
        assert response.headers["Cache-Control"] == "no-store"  # the back button shows nothing
        results = response.get_data(as_text=True)
        assert h1_of(results) == "Vos résultats"
        # The staff side is one tap away, with the slip and « Terminer avec cette personne ».
        assert 'href="/pro/"' in results
        assert f'href="/pro/personnes/{person_id}/fiche"' in results
        assert "Terminer avec cette personne" in results
        with fresh.app_context():
            shown = db.session.get(Person, person_id)
            label = shown.display_name or shown.reference
        assert label in results  # in the staff bar, above the person's page
        slip = mediator.get(f"/pro/personnes/{person_id}/fiche").get_data(as_text=True)
        assert re.search(r'<p class="code">\d{4} \d{4} \d{4} \d{4}</p>', slip)
        finished = post_form(mediator, "/resultats", "/pro/accompagnement/fin")
        assert finished.status_code == 303 and path_of(finished.headers["Location"]) == "/pro/"
        dashboard = mediator.get("/pro/").get_data(as_text=True)
        assert "Rien d'elle ne reste" in main_text(dashboard)
        # Nothing of the person stays in this browser.
        with mediator.session_transaction() as session:
            assert "person" not in session and "assisted" not in session
            assert "staff" in session
        intro = main_text(mediator.get("/test").get_data(as_text=True))
        assert "Voir mes résultats" not in intro and "Continuer mon test" not in intro
        assert path_of(mediator.get("/resultats").headers["Location"]) == "/test"
        mine = main_text(mediator.get("/mes-donnees").get_data(as_text=True))
        assert "code pour revenir" in mine.lower() and label not in mine
        assert "Terminer avec cette personne" not in mediator.get("/test").get_data(as_text=True)
        seen.append(person_id)
    # The three are the organisation's, each under their name or reference.
    people = main_text(mediator.get("/pro/personnes").get_data(as_text=True))
    assert "A. B." in people and "Karim" in people
    with fresh.app_context():
        second = db.session.get(Person, seen[1])
        assert second.reference in people


def test_the_staff_side_is_one_tap_away_and_sign_in_leads_to_it(fresh: Flask) -> None:
    client = fresh.test_client()
    assert 'href="/pro/"' not in client.get("/").get_data(as_text=True)
    demo_signed_in(client)
    for page in ("/", "/test", "/lieux", "/plan-du-site"):
        assert 'href="/pro/"' in client.get(page).get_data(as_text=True), page
    again = client.get("/pro/connexion")
    assert again.status_code == 303 and path_of(again.headers["Location"]) == "/pro/"


def test_a_mediator_who_walks_away_leaves_no_one_on_the_computer(fresh: Flask) -> None:
    client = fresh.test_client()
    demo_signed_in(client)
    post_form(client, "/pro/accompagnement", "/pro/accompagnement", months="1")
    assert "Continuer mon test" in client.get("/test").get_data(as_text=True)
    with client.session_transaction() as session:
        session["staff"] = {**session["staff"], "seen": session["staff"]["seen"] - 31 * 60}
    intro = main_text(client.get("/test").get_data(as_text=True))
    assert "Continuer mon test" not in intro and "Commencer le test" in intro
    with client.session_transaction() as session:
        assert "person" not in session and "staff" not in session


def test_the_code_to_come_back_is_on_the_slip_only_during_the_assisted_test(
    fresh: Flask,
) -> None:
    client = fresh.test_client()
    ids = demo_signed_in(client)
    followed = client.get(f"/pro/personnes/{ids['person']}/fiche").get_data(as_text=True)
    assert not re.search(r"\d{4} \d{4} \d{4}", followed)
    assert "/fiche" not in client.get(f"/pro/personnes/{ids['person']}").get_data(as_text=True)
    person_id = assisted_test(client, "E. F.", right_answer)
    slip = client.get(f"/pro/personnes/{person_id}/fiche").get_data(as_text=True)
    assert re.search(r'<p class="code">\d{4} \d{4} \d{4} \d{4}</p>', slip)
    post_form(client, "/resultats", "/pro/accompagnement/fin")
    after = client.get(f"/pro/personnes/{person_id}/fiche").get_data(as_text=True)
    assert after and not re.search(r"\d{4} \d{4} \d{4}", after)


def test_finishing_needs_the_form_token(fresh: Flask) -> None:
    client = fresh.test_client()
    demo_signed_in(client)
    post_form(client, "/pro/accompagnement", "/pro/accompagnement", months="1")
    assert client.post("/pro/accompagnement/fin").status_code == 400  # no CSRF token
    with client.session_transaction() as session:
        assert "person" in session


# --------------------------------------------------------------------------------------------
# Names, references, what the person page shows


def test_the_person_page_shows_what_the_consent_text_says(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = demo_signed_in(client)
    with fresh.app_context():
        person = db.session.get(Person, ids["person"])
        can_do = person.result.details["can_do"]
        steps = len(person.steps_done)
        name = person.display_name
    page = main_text(client.get(f"/pro/personnes/{ids['person']}").get_data(as_text=True))
    assert name and name in page
    assert "Ce que la personne sait déjà faire" in page and can_do
    assert "Étapes faites" in page and steps
    consent_text = main_text(client.get("/pro/accompagnement").get_data(as_text=True))
    assert "ce que vous savez déjà faire" in consent_text
    assert "étapes que vous avez faites" in consent_text and "initiales" in consent_text
    # Nothing more: not the answers given, not the code to come back.
    html = client.get(f"/pro/personnes/{ids['person']}").get_data(as_text=True)
    assert not re.search(r"\d{4} \d{4} \d{4}", main_text(html))
    assert "Je ne sais pas" not in page


def test_the_person_removes_their_name_and_keeps_a_reference(fresh: Flask) -> None:
    # A name found nowhere in the bank (« Mes données » shows the questions answered).
    person = fresh.test_client()
    take_test(person, fresh.extensions["bank"])
    organisation = make_organisation(fresh)
    html = person.get("/partager").get_data(as_text=True)
    response = person.post(
        "/partager",
        data={
            "csrf_token": csrf_token(html),
            "code": organisation.share_code,
            "months": "1",
            "display_name": "  Zélie\u202e  D. ",
        },
    )
    assert response.status_code == 303
    staff = fresh.test_client()
    assert sign_in(staff, make_staff(fresh, organisation.id)) == 303
    assert "Zélie D." in main_text(staff.get("/pro/personnes").get_data(as_text=True))
    mine = person.get("/mes-donnees").get_data(as_text=True)
    assert "Zélie D." in main_text(mine)
    reference = re.search(r'<strong class="code">([A-Z0-9]{3}-[A-Z0-9]{3})</strong>', mine)
    assert reference
    assert post_form(person, "/mes-donnees", "/mes-donnees/nom/retirer").status_code == 303
    listing = main_text(staff.get("/pro/personnes").get_data(as_text=True))
    assert "Zélie" not in listing and reference.group(1) in listing
    assert "Zélie" not in main_text(person.get("/mes-donnees").get_data(as_text=True))


def test_a_name_too_long_is_explained_and_nothing_starts(fresh: Flask) -> None:
    client = fresh.test_client()
    demo_signed_in(client)
    people = count(fresh, Person)
    response = post_form(
        client, "/pro/accompagnement", "/pro/accompagnement", months="6", display_name="x" * 41
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "40 caractères au plus" in page and 'href="#display_name"' in page
    assert 'value="' + "x" * 41 + '"' in page
    assert count(fresh, Person) == people


# --------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    "typed", ["31/12/2027", "31-12-2027", "31 12 2027", "2027-12-31", " 31.12.2027 ", "٣١/١٢/٢٠٢٧"]
)
def test_dates_are_read_the_french_way(typed: str) -> None:
    assert parse_date(typed) == date(2027, 12, 31)


@pytest.mark.parametrize("typed", ["", "12/31/2027", "31/12/27", "2027-31-12", "demain", "1" * 50])
def test_what_is_not_a_date_is_none(typed: str) -> None:
    assert parse_date(typed) is None


def record_vouchers(client: FlaskClient, person_id: int, **data: str):
    page = f"/pro/personnes/{person_id}"
    html = client.get(page).get_data(as_text=True)
    key = re.search(r'cheques".*?name="form_key" type="hidden" value="([^"]+)"', html, re.S).group(
        1
    )
    return client.post(
        f"{page}/cheques", data={"csrf_token": csrf_token(html), "form_key": key, **data}
    )


def test_vouchers_take_a_date_typed_the_french_way(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = demo_signed_in(client)
    before = count(fresh, StaffRecord)
    page = client.get(f"/pro/personnes/{ids['person']}").get_data(as_text=True)
    assert 'type="date"' in page and "par exemple 31/12/2027" in page
    response = record_vouchers(
        client, ids["person"], booklet_number="ZX-9", count="3", expires_on="31/12/2099"
    )
    assert response.status_code == 303
    with fresh.app_context():
        kept = db.session.scalars(select(StaffRecord).order_by(StaffRecord.id.desc())).first()
        assert kept.vouchers_expire_on == date(2099, 12, 31) and kept.voucher_count == 3
    assert count(fresh, StaffRecord) == before + 1


def test_a_vouchers_form_with_an_error_keeps_every_value(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = demo_signed_in(client)
    before = count(fresh, StaffRecord)
    response = record_vouchers(
        client, ids["person"], booklet_number="ZX-9", count="3", expires_on="31/13/2099"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = "Écrivez la date avec le jour, le mois et l'année : par exemple 31/12/2027."
    assert error in main_text(page) and "Jour, mois, année : par exemple 31/12/2027." in page
    assert 'value="ZX-9"' in page and 'value="3"' in page and 'value="31/13/2099"' in page
    assert count(fresh, StaffRecord) == before
    # A good date with a bad count: the date comes back as the date field reads it.
    response = record_vouchers(
        client, ids["person"], booklet_number="ZX-9", count="trois", expires_on="31/12/2099"
    )
    page = response.get_data(as_text=True)
    assert 'value="trois"' in page and 'value="2099-12-31"' in page


# --------------------------------------------------------------------------------------------
# Referrals, requests, the queue


def test_a_referral_shows_the_place(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = demo_signed_in(client)
    page = main_text(client.get(f"/pro/personnes/{ids['person']}").get_data(as_text=True))
    assert "Orientation vers un lieu" in page  # the form's heading
    with fresh.app_context():
        from app.models import Place

        record = db.session.scalars(
            select(StaffRecord).where(
                StaffRecord.person_id == ids["person"], StaffRecord.kind == "orientation"
            )
        ).one()
        place = db.session.get(Place, record.place_id)
        assert f"Orientation vers {place.name}, {place.address}" in page


def test_a_request_shows_its_status_and_history(fresh: Flask) -> None:
    client = fresh.test_client()
    ids = demo_signed_in(client)
    url = f"/pro/demandes/{ids['request']}"
    page = main_text(client.get(url).get_data(as_text=True))
    assert "État : Nouvelle" in page and "Demande envoyée par la personne" in page
    assert post_form(client, url, f"{url}/statut", statut="in-progress").status_code == 303
    page = main_text(client.get(url).get_data(as_text=True))
    assert "État : En cours" in page and "Prise en charge par Awa Diallo (démo)" in page
    assert post_form(client, url, f"{url}/statut", statut="done").status_code == 303
    page = main_text(client.get(url).get_data(as_text=True))
    assert "État : Terminée" in page and "Terminée par Awa Diallo (démo)" in page
    assert page.index("Prise en charge") < page.index("Terminée par")
    cancelled = client.get(f"/pro/demandes/{ids['request-cancelled']}")
    assert "Annulée par Julien Martin (démo)" in main_text(cancelled.get_data(as_text=True))
    expired = main_text(
        client.get(f"/pro/demandes/{ids['request-expired']}").get_data(as_text=True)
    )
    assert "Fermée sans réponse après 30 jours" in expired


def test_the_queue_shows_how_and_when_to_call_and_counts_in_words(fresh: Flask) -> None:
    client = fresh.test_client()
    demo_signed_in(client)
    queue = main_text(client.get("/pro/demandes").get_data(as_text=True))
    assert "2 demandes ouvertes." in queue
    assert "Par téléphone" in queue and "Lundi matin, Jeudi après-midi" in queue
    assert "06 12 34 56 78" in queue and "+336" not in queue
    assert "En vidéo" in queue and "plus de 10 jours" in queue
    new = main_text(client.get("/pro/demandes?statut=new").get_data(as_text=True))
    assert "1 nouvelle demande." in new and "Nouvelles\n" not in new
    assert "Nouvelle" in new
    done = main_text(client.get("/pro/demandes?statut=done").get_data(as_text=True))
    assert "1 demande terminée." in done
