"""The two job journeys on the site: fitted to the results, steps marked as done."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.assessment.bank import DONT_KNOW
from app.extensions import db
from app.journeys import REASONS, WAY_LABELS, Reason, Way
from app.models import StepDone

from .conftest import make_test_app
from .flow import csrf_token, path_of, right_answer, take_test
from .html_checks import h1_of, main_text, read


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def way_headings(html: str) -> list[str]:
    return [" ".join("".join(h.itertext()).split()) for h in read(html).iter("h2")][:3]


def test_without_results_every_step_offers_all_three_ways(client: FlaskClient) -> None:
    page = client.get("/parcours/recherche-emploi").get_data(as_text=True)
    assert h1_of(page) == "Je recherche un emploi"
    assert "Faites d'abord le test" in main_text(page)
    assert "Apprendre les bases du numérique" not in main_text(page)
    step = client.get("/parcours/recherche-emploi/cv").get_data(as_text=True)
    assert way_headings(step) == [f"{n}. {WAY_LABELS[way]}" for n, way in enumerate(Way, start=1)]
    assert REASONS[Reason.NO_RESULT] in main_text(step)


def test_someone_who_needs_the_basics_starts_with_them(fresh: Flask) -> None:
    client = fresh.test_client()
    take_test(client, fresh.extensions["bank"], lambda _item: DONT_KNOW)
    results = client.get("/resultats").get_data(as_text=True)
    assert 'href="/pass-numerique"' in results
    assert 'href="/parcours/recherche-emploi"' in results
    page = client.get("/parcours/recherche-emploi").get_data(as_text=True)
    steps = [" ".join("".join(h.itertext()).split()) for h in read(page).iter("h2")]
    assert steps[0] == "Apprendre les bases du numérique"
    step = client.get("/parcours/recherche-emploi/cv").get_data(as_text=True)
    assert way_headings(step)[0] == f"1. {WAY_LABELS[Way.MEDIATOR]}"


def test_someone_at_ease_is_offered_to_do_it_alone_first(fresh: Flask) -> None:
    client = fresh.test_client()
    take_test(client, fresh.extensions["bank"], right_answer)
    step = client.get("/parcours/recherche-emploi/cv").get_data(as_text=True)
    assert way_headings(step)[0] == f"1. {WAY_LABELS[Way.ALONE]}"
    assert REASONS[Reason.LEVEL_OK] in main_text(step)
    page = client.get("/parcours/futur-metier").get_data(as_text=True)
    assert "Apprendre les bases du numérique" not in main_text(page)


def test_a_step_marked_done_stays_done(fresh: Flask) -> None:
    client = fresh.test_client()
    step_url = "/parcours/recherche-emploi/cv"
    token = csrf_token(client.get(step_url).get_data(as_text=True))
    for _ in range(2):  # a double tap changes nothing
        response = client.post(f"{step_url}/fait", data={"csrf_token": token, "fait": "oui"})
        assert response.status_code == 303
        assert path_of(response.headers["Location"]) == "/parcours/recherche-emploi"
    with fresh.app_context():
        assert db.session.scalar(select(func.count()).select_from(StepDone)) == 1
    page = client.get("/parcours/recherche-emploi").get_data(as_text=True)
    done = read(page).find(".//li[@id='cv']//span[@class='tag']")
    assert done is not None and done.text == "Fait"
    assert "Vous avez fait cette étape." in main_text(client.get(step_url).get_data(as_text=True))
    # Done in one journey is not done in the other.
    other = client.get("/parcours/futur-metier").get_data(as_text=True)
    assert read(other).find(".//span[@class='tag']") is None
    token = csrf_token(client.get(step_url).get_data(as_text=True))
    client.post(f"{step_url}/fait", data={"csrf_token": token, "fait": "non"})
    with fresh.app_context():
        assert db.session.scalar(select(func.count()).select_from(StepDone)) == 0


def test_marking_a_step_needs_a_valid_form(client: FlaskClient) -> None:
    assert (
        client.post("/parcours/recherche-emploi/cv/fait", data={"fait": "oui"}).status_code == 400
    )


@pytest.mark.parametrize(
    "url", ["/parcours/inconnu", "/parcours/recherche-emploi/inconnue", "/parcours/x/cv"]
)
def test_unknown_journeys_and_steps_are_not_found(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_the_basics_step_exists_in_every_journey(client: FlaskClient) -> None:
    for journey in ("futur-metier", "recherche-emploi"):
        page = client.get(f"/parcours/{journey}/apprendre-bases")
        assert page.status_code == 200
        assert 'href="/pass-numerique"' in page.get_data(as_text=True)


def test_the_pass_numerique_page_says_what_it_is_and_who_gives_it(client: FlaskClient) -> None:
    text = main_text(client.get("/pass-numerique").get_data(as_text=True))
    for words in [
        "10 €",
        "1 atelier",
        "France Travail",
        "mairie",
        "Caisse d'allocations",
        "Mission locale",
        "date écrite",
    ]:
        assert words in text


def filled_buttons(html: str) -> list[str]:
    """The words of each filled (main) button of the page."""
    return [
        " ".join("".join(e.itertext()).split())
        for e in read(html).iter()
        if "button" in (e.get("class") or "").split()
        and "button-secondary" not in (e.get("class") or "").split()
    ]


def repeated_sentences(html: str) -> list[str]:
    """Sentences of the page's main content said more than once."""
    root = read(html)
    main = next(root.iter("main"))
    blocks = ("p", "li", "h2")
    texts = [
        " ".join("".join(e.itertext()).split())
        for e in main.iter()
        if e.tag in blocks and not any(child.tag in blocks for child in e.iter() if child is not e)
    ]
    sentences = [s.strip() for text in texts for s in text.split(". ") if len(s.split()) >= 3]
    return sorted({s for s in sentences if sentences.count(s) > 1})


@pytest.mark.parametrize("how", ["none", "right", "dont-know"])
def test_the_way_that_fits_is_the_one_filled_button_and_nothing_is_said_twice(
    fresh: Flask, how: str
) -> None:
    client = fresh.test_client()
    if how != "none":
        strategy = right_answer if how == "right" else (lambda _item: DONT_KNOW)
        take_test(client, fresh.extensions["bank"], strategy)
    for journey_id in ("recherche-emploi", "futur-metier"):
        page = client.get(f"/parcours/{journey_id}").get_data(as_text=True)
        assert len(filled_buttons(page)) == 1, filled_buttons(page)
        assert not repeated_sentences(page), repeated_sentences(page)
        assert main_text(page).count("Nous vous proposons") <= 1
        for step_id in ("cv", "apprendre-bases", "adresse-mail", "mes-atouts", "bilan-conseiller"):
            response = client.get(f"/parcours/{journey_id}/{step_id}")
            if response.status_code == 404:
                continue
            step = response.get_data(as_text=True)
            buttons = filled_buttons(step)
            assert len(buttons) == 1, (step_id, buttons)
            first_section = next(read(step).iter("section"))
            assert buttons[0] in " ".join("".join(first_section.itertext()).split())
            assert not repeated_sentences(step), (step_id, repeated_sentences(step))
            assert main_text(step).count("médiateur ou une médiatrice") <= 1, step_id


def test_one_word_per_idea_the_glossary_words_are_used() -> None:
    """The words the content guide asks to avoid are not on the person's pages' templates."""
    root = Path(__file__).resolve().parent.parent
    person_templates = [
        *root.glob("templates/assessment/*.html"),
        *root.glob("templates/journeys/*.html"),
        *root.glob("templates/public/*.html"),
        *root.glob("templates/sharing/*.html"),
        *root.glob("templates/places/*.html"),
        root / "templates/staff/slip.html",  # the slip the person takes home
    ]
    avoided = ("démarche", "En autonomie", "seul ou seule", "diagnostic", "positionnement")
    found = [
        (path.name, word)
        for path in person_templates
        for word in avoided
        if word in path.read_text()
    ]
    assert not found, found
