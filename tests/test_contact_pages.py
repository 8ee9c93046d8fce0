"""Asking to be contacted, as the person does it: one question per page, every answer to
check, all errors at once, then a confirmation that says what happens next."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import ContactRequest

from .conftest import make_test_app
from .flow import ask_to_be_contacted, make_organisation, post_form
from .html_checks import h1_of, main_text, read, title_of


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def requests_stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ContactRequest)) or 0


def filled_buttons(html: str) -> list[str]:
    return re.findall(r'<button class="button" type="submit"[^>]*>([^<]+)</button>', html)


def questions(html: str) -> int:
    """Fields the person fills on this page (radio groups and checkbox groups count once)."""
    names = set(re.findall(r'<input id="[^"]+" name="([^"]+)" type="(?!hidden)', html))
    return len(names - {"cp", "code"})


def test_one_question_per_page_then_check_then_sent(fresh: Flask) -> None:
    client = fresh.test_client()
    organisation = make_organisation(fresh, place_id="repere-demo-93-001")
    seen = []
    path = "/etre-contacte?origine=resultats"
    answers = {
        "/etre-contacte": {"code": organisation.share_code},
        "/etre-contacte/comment": {"channel": "phone"},
        "/etre-contacte/quand": {"slots": ["mon-am", "thu-pm"]},
        "/etre-contacte/coordonnees": {"phone": "06 12 34 56 78"},
    }
    while path != "/etre-contacte/verifier":
        html = client.get(path).get_data(as_text=True)
        seen.append(path.split("?")[0])
        assert len(filled_buttons(html)) == 1 and questions(html) <= 1, path
        _status, path = post_form(client, path, answers[path.split("?")[0]])
    assert seen == list(answers)
    assert requests_stored(fresh) == 0  # nothing kept before the person sends it
    check = client.get(path).get_data(as_text=True)
    text = main_text(check)
    assert h1_of(check) == "Vérifiez votre demande"
    for shown in (organisation.name, "Par téléphone", "Lundi matin, Jeudi après-midi", "06"):
        assert shown in text, shown
    assert text.count("Modifier") == 4
    assert filled_buttons(check) == ["Envoyer ma demande"]
    status, sent = post_form(client, path, {})
    assert (status, sent) == (303, "/etre-contacte/envoyee")
    page = client.get(sent).get_data(as_text=True)
    words = main_text(page)
    reference = re.search(r"Votre numéro de demande : (\d+)", words)
    assert reference, words
    with fresh.app_context():
        assert int(reference.group(1)) == db.session.scalars(select(ContactRequest.id)).one()
    assert "vous contacte par téléphone avant le" in words
    assert "Écrivez votre numéro de demande sur un papier" in words
    assert "sur le site localhost" in words
    space = main_text(client.get("/mon-espace").get_data(as_text=True))
    assert f"Numéro de demande : {reference.group(1)}" in space
    with fresh.app_context():
        kept = db.session.scalars(select(ContactRequest)).one()
        assert (kept.origin, kept.slots) == ("resultats", "mon-am|thu-pm")
    # Pressing « Envoyer » again, or going back, changes nothing.
    assert client.get(path).headers["Location"].endswith("/etre-contacte/envoyee")
    assert requests_stored(fresh) == 1


def test_coming_in_person_gives_the_address_today_hours_and_the_reference(fresh: Flask) -> None:
    client = fresh.test_client()
    organisation = make_organisation(fresh, place_id="repere-demo-93-001")
    ask_to_be_contacted(client, organisation, channel="in-person")
    page = client.get("/etre-contacte/envoyee").get_data(as_text=True)
    words = main_text(page)
    assert "Adresse" in words and "93200" in words
    assert "Aujourd'hui :" in words
    assert re.search(r"Votre numéro de demande : \d+", words)
    assert "Donnez votre numéro de demande à l'accueil" in words
    # Printable: the links that make no sense on paper are not printed.
    assert read(page).find(".//p[@class='no-print']") is not None
    # No phone was asked for.
    with fresh.app_context():
        assert db.session.scalars(select(ContactRequest)).one().phone is None


def test_errors_are_all_shown_at_once_in_the_summary(fresh: Flask) -> None:
    client = fresh.test_client()
    ask_to_be_contacted(
        client, make_organisation(fresh), channel="video", until="/etre-contacte/coordonnees"
    )
    html = client.get("/etre-contacte/coordonnees").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/etre-contacte/coordonnees",
        data={"csrf_token": token, "phone": "12", "email": "pas-une-adresse"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and title_of(page).startswith("Erreur : ")
    summary = read(page).find(".//div[@class='error-summary']")
    assert summary is not None
    links = [a.get("href") for a in summary.iter("a")]
    assert links == ["#phone", "#email"]
    assert requests_stored(fresh) == 0


def test_a_page_further_on_leads_back_to_the_first_question_not_answered(
    fresh: Flask,
) -> None:
    client = fresh.test_client()
    for path in ("/etre-contacte/quand", "/etre-contacte/verifier", "/etre-contacte/envoyee"):
        assert client.get(path).status_code in (302, 303)
    ask_to_be_contacted(client, make_organisation(fresh), until="/etre-contacte/comment")
    location = client.get("/etre-contacte/verifier").headers["Location"]
    assert location.endswith("/etre-contacte/comment")


def test_the_answers_belong_to_this_person_only(fresh: Flask) -> None:
    """Once the person is forgotten in this browser (the next user of a shared computer),
    their answers are not shown."""
    client = fresh.test_client()
    ask_to_be_contacted(client, make_organisation(fresh), until="/etre-contacte/verifier")
    assert client.get("/etre-contacte/verifier").status_code == 200
    with client.session_transaction() as session:
        session.pop("person")
    assert client.get("/etre-contacte/verifier").status_code in (302, 303)


def test_back_from_the_first_question_goes_only_to_a_page_of_this_site(fresh: Flask) -> None:
    client = fresh.test_client()
    here = client.get("/etre-contacte", headers={"Referer": "http://localhost/resultats"})
    assert '<p class="back"><a href="/resultats">' in here.get_data(as_text=True)
    away = client.get("/etre-contacte", headers={"Referer": "https://ailleurs.example/x"})
    assert '<p class="back"><a href="/">' in away.get_data(as_text=True)
