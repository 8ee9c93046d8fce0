"""Taking the test in the browser: one question per page, nothing lost, come back later."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.assessment.bank import DONT_KNOW
from app.extensions import db
from app.models import Answer, Person

from .conftest import make_test_app
from .flow import (
    csrf_token,
    item_on_page,
    path_of,
    post_answer,
    right_answer,
    start_test,
    take_test,
    wrong_answer,
)
from .html_checks import h1_of, main_text, read, title_of


def answers_stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer)) or 0


def code_on(html: str) -> str:
    match = re.search(r'<p class="code">(\d{4} \d{4} \d{4} \d{4})</p>', html)
    assert match, "no code on the page"
    return match.group(1)


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def test_home_leads_to_the_test(client: FlaskClient) -> None:
    home = client.get("/").get_data(as_text=True)
    assert 'href="/test">Mesurer mes compétences numériques</a>' in home
    intro = client.get("/test").get_data(as_text=True)
    assert "10 minutes" in main_text(intro)


def test_a_whole_test_then_results(fresh: Flask) -> None:
    client = fresh.test_client()
    bank = fresh.extensions["bank"]
    asked = take_test(client, bank, right_answer)
    assert 5 <= len(asked) <= 20 and len(set(asked)) == len(asked)
    assert answers_stored(fresh) == len(asked)
    html = client.get("/resultats").get_data(as_text=True)
    text = main_text(html)
    assert h1_of(html) == "Vos résultats"
    assert "Votre niveau : À l'aise" in text or "Votre niveau : Autonome" in text
    first_can_do = bank.get(asked[0]).can_do
    assert first_can_do in text
    assert code_on(html)
    # The print version holds the same on one page.
    printed = client.get("/resultats/imprimer").get_data(as_text=True)
    assert first_can_do in main_text(printed) and code_on(printed) == code_on(html)
    # The test is closed: questions lead to the results.
    assert path_of(client.get("/test/question/1").headers["Location"]) == "/resultats"


def test_the_page_shows_the_question_as_h1_with_progress(client: FlaskClient) -> None:
    path = start_test(client)
    assert path == "/test/question/1"
    html = client.get(path).get_data(as_text=True)
    root = read(html)
    in_legend, in_label = root.find(".//legend/h1"), root.find(".//h1/label")
    assert in_legend is not None or in_label is not None
    assert re.search(r"Question 1 sur \d+ au plus", main_text(html))
    assert "Je ne sais pas" in main_text(html)
    assert root.find(".//a[@href='/test']") is not None  # back link


ANNOUNCED = re.compile(r"Question (\d+) sur (\d+) au plus")


@pytest.mark.parametrize("strategy", ["right", "wrong", "dont-know", "mixed"])
def test_the_announced_length_never_grows_and_is_never_passed(fresh: Flask, strategy: str) -> None:
    """From the first question to the last, the number announced is one the test keeps."""
    client = fresh.test_client()
    bank = fresh.extensions["bank"]
    answer = {
        "right": right_answer,
        "wrong": wrong_answer,
        "dont-know": lambda _item: DONT_KNOW,
        "mixed": lambda item: DONT_KNOW if len(item.id) % 2 else right_answer(item),
    }[strategy]
    path, announced, asked = start_test(client), [], 0
    while path.startswith("/test/"):
        html = client.get(path).get_data(as_text=True)
        if path == "/test/pause":
            path = re.search(r'href="(/test/question/\d+)"', html).group(1)  # type: ignore[union-attr]
            continue
        found = ANNOUNCED.search(main_text(html))
        assert found, f"no length announced on {path}"
        assert int(found.group(1)) == asked + 1
        announced.append(int(found.group(2)))
        _, path, _ = post_answer(client, path, answer(bank.get(item_on_page(html))))
        asked += 1
    assert path == "/resultats"
    assert announced == sorted(announced, reverse=True), announced  # never grows
    assert asked <= min(announced)


def test_an_empty_answer_is_explained_and_changes_nothing(fresh: Flask) -> None:
    client = fresh.test_client()
    path = start_test(client)
    html = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "item_id": item_on_page(html)}
    response = client.post(path, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert title_of(page).startswith("Erreur : ")
    assert "ou appuyez sur « Je ne sais pas »" in main_text(page)
    assert answers_stored(fresh) == 0


def test_the_same_answer_posted_twice_is_kept_once(fresh: Flask) -> None:
    client = fresh.test_client()
    bank = fresh.extensions["bank"]
    path = start_test(client)
    html = client.get(path).get_data(as_text=True)
    item = bank.get(item_on_page(html))
    data = {"csrf_token": csrf_token(html), "item_id": item.id}
    response = right_answer(item)
    data["choices" if isinstance(response, list) else "choice"] = response
    data["text"] = response if isinstance(response, str) else ""
    first = client.post(path, data=data)
    again = client.post(path, data=data)  # double tap, or the network retried
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"] == "/test/question/2"
    assert answers_stored(fresh) == 1


def test_going_back_shows_the_answer_given(fresh: Flask) -> None:
    client = fresh.test_client()
    bank = fresh.extensions["bank"]
    path = start_test(client)
    item = bank.get(item_on_page(client.get(path).get_data(as_text=True)))
    post_answer(client, path, right_answer(item))
    back = client.get("/test/question/1").get_data(as_text=True)
    assert item_on_page(back) == item.id
    if item.kind == "text":
        assert f'value="{item.accepted[0]}"' in back
    else:
        checked = read(back).findall(".//input[@checked]")
        assert sorted(i.get("value") for i in checked) == sorted(str(n) for n in item.answer)
    # Changing it keeps one answer for the item, and the test goes on.
    status, where, _ = post_answer(client, "/test/question/1", wrong_answer(item))
    assert status == 303 and where == "/test/question/2"
    assert answers_stored(fresh) == 1


def test_a_stale_page_changes_nothing(fresh: Flask) -> None:
    client = fresh.test_client()
    path = start_test(client)
    html = client.get(path).get_data(as_text=True)
    current = item_on_page(html)
    other = next(i for i in fresh.extensions["bank"].items if i.id != current)
    data = {"csrf_token": csrf_token(html), "item_id": other.id, "je_ne_sais_pas": "1"}
    response = client.post("/test/question/1", data=data)
    assert response.status_code == 303 and path_of(response.headers["Location"]) == path
    assert answers_stored(fresh) == 0


def test_struggling_from_the_start_offers_help(fresh: Flask) -> None:
    client = fresh.test_client()
    path = start_test(client)
    _, path, _ = post_answer(client, path, DONT_KNOW)
    status, path, _ = post_answer(client, path, DONT_KNOW)
    assert status == 303 and path == "/test/pause"
    pause = client.get(path).get_data(as_text=True)
    assert "Continuer le test" in main_text(pause)
    assert code_on(pause)
    # A way to a mediator near the person, and to be contacted; the code written on paper.
    words = main_text(pause)
    assert 'action="/lieux"' in pause and 'name="q"' in pause
    assert 'href="/etre-contacte?origine=pause"' in pause
    assert "Écrivez ce code sur un papier" in words and "photo" not in words
    assert "allez sur le site localhost" in words
    later = main_text(client.get("/test/plus-tard").get_data(as_text=True))
    assert "Écrivez ce code sur un papier" in later and "photo" not in later
    assert "allez sur le site localhost" in later
    finished = client.post("/test/fin", data={"csrf_token": csrf_token(pause)})
    assert path_of(finished.headers["Location"]) == "/resultats"
    results = main_text(client.get("/resultats").get_data(as_text=True))
    assert "Vous avez répondu à 2 questions" in results
    assert "apprendre les bases du numérique" in results


def test_coming_back_with_the_code_resumes_where_one_stopped(
    fresh: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first_visit = fresh.test_client()
    bank = fresh.extensions["bank"]
    path = start_test(first_visit)
    for _ in range(3):
        item = bank.get(item_on_page(first_visit.get(path).get_data(as_text=True)))
        _, path, _ = post_answer(first_visit, path, right_answer(item))
    later = first_visit.get("/test/plus-tard").get_data(as_text=True)
    code = code_on(later)
    waiting = item_on_page(first_visit.get(path).get_data(as_text=True))

    # Days later, on another phone.
    other_phone = fresh.test_client()
    token = csrf_token(other_phone.get("/revenir").get_data(as_text=True))
    response = other_phone.post("/revenir", data={"code": code, "csrf_token": token})
    assert response.status_code == 303
    assert path_of(response.headers["Location"]) == path == "/test/question/4"
    assert item_on_page(other_phone.get(path).get_data(as_text=True)) == waiting
    # The code is never stored as such, nor written to the logs or a URL.
    digits = code.replace(" ", "")
    with fresh.app_context():
        person = db.session.scalars(select(Person)).one()
        assert digits not in (person.code_lookup + person.code_salt)
    assert digits not in caplog.text and code not in caplog.text
    assert digits not in response.headers["Location"]


def test_wrong_codes_are_limited_per_client(fresh: Flask) -> None:
    client = fresh.test_client()
    token = csrf_token(client.get("/revenir").get_data(as_text=True))
    statuses = [
        client.post("/revenir", data={"code": f"{n:012d}", "csrf_token": token}).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    page = client.post("/revenir", data={"code": "1" * 12, "csrf_token": token})
    assert page.status_code == 429
    assert h1_of(page.get_data(as_text=True)) == "Trop d'essais"


def test_other_peoples_wrong_codes_never_stop_a_right_code(tmp_path: Path) -> None:
    """60 addresses sending 10 wrong codes each (what once locked everybody out for an
    hour): a person with a right code, from any other address, comes back at once."""
    app = make_test_app(tmp_path)
    owner = app.test_client()
    start_test(owner)
    code = code_on(owner.get("/test/plus-tard").get_data(as_text=True))
    for n in range(60):
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.0.{n // 250}.{n % 250}"}
        token = csrf_token(client.get("/revenir", environ_base=address).get_data(as_text=True))
        for attempt in range(11):
            wrong = {"code": f"{n:08d}{attempt:08d}", "csrf_token": token}
            status = client.post("/revenir", data=wrong, environ_base=address).status_code
            assert status == (200 if attempt < 10 else 429)
    person = app.test_client()
    address = {"REMOTE_ADDR": "10.9.9.9"}
    token = csrf_token(person.get("/revenir", environ_base=address).get_data(as_text=True))
    data = {"code": code, "csrf_token": token}
    assert person.post("/revenir", data=data, environ_base=address).status_code == 303


def test_an_ipv6_client_is_counted_by_its_64_block(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    statuses = []
    for n in range(11):
        client = app.test_client()
        address = {"REMOTE_ADDR": f"2001:db8:1:2::{n + 1:x}"}
        html = client.get("/revenir", environ_base=address).get_data(as_text=True)
        data = {"code": f"{n:016d}", "csrf_token": csrf_token(html)}
        statuses.append(client.post("/revenir", data=data, environ_base=address).status_code)
    assert statuses == [200] * 10 + [429]


def test_wrong_twelve_digit_codes_are_limited_for_everyone_together(tmp_path: Path) -> None:
    """Codes from before 16 digits are easier to guess: wrong ones are limited for everyone
    together; a 16-digit code is never held back by them."""
    app = make_test_app(tmp_path, RETURN_CODE_LIMIT_LEGACY="5/day")
    statuses = []
    for n in range(7):
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.0.0.{n}"}
        html = client.get("/revenir", environ_base=address).get_data(as_text=True)
        data = {"code": f"{n:012d}", "csrf_token": csrf_token(html)}
        statuses.append(client.post("/revenir", data=data, environ_base=address).status_code)
    assert statuses == [200] * 5 + [429] * 2
    client = app.test_client()
    html = client.get("/revenir").get_data(as_text=True)
    data = {"code": "1" * 16, "csrf_token": csrf_token(html)}
    assert client.post("/revenir", data=data).status_code == 200


def test_a_right_code_does_not_count_against_the_limit(fresh: Flask) -> None:
    owner = fresh.test_client()
    start_test(owner)
    code = code_on(owner.get("/test/plus-tard").get_data(as_text=True))
    client = fresh.test_client()
    token = csrf_token(client.get("/revenir").get_data(as_text=True))
    for _ in range(15):
        response = client.post("/revenir", data={"code": code, "csrf_token": token})
        assert response.status_code == 303
        client.get("/revenir")  # same browser, new visit to the form
        token = csrf_token(client.get("/revenir").get_data(as_text=True))


def test_without_a_test_the_test_pages_lead_to_the_start(client: FlaskClient) -> None:
    for url in ["/test/question/1", "/test/pause", "/test/plus-tard", "/resultats"]:
        response = client.get(url)
        assert response.status_code == 302 and path_of(response.headers["Location"]) == "/test"


def test_a_broken_rate_limit_store_does_not_break_the_form(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = app.test_client()
    token = csrf_token(client.get("/revenir").get_data(as_text=True))
    response = client.post("/revenir", data={"code": "1" * 12, "csrf_token": token})
    assert response.status_code == 200
    assert "Nous ne trouvons pas ce code." in main_text(response.get_data(as_text=True))


def test_once_the_routing_is_decided_one_may_stop_and_see_sure_and_unsure_bands(
    fresh: Flask,
) -> None:
    """Routing first: after the routing is decided the question page offers the results at
    once; the domain bands that rest on too few answers then say « à confirmer »."""
    client = fresh.test_client()
    bank = fresh.extensions["bank"]
    path = start_test(client)
    for _ in range(20):
        html = client.get(path).get_data(as_text=True)
        if "Voir mes résultats maintenant" in html:
            break
        assert path.startswith("/test/question/"), path
        assert "Voir mes résultats maintenant" not in html
        _, path, _ = post_answer(client, path, right_answer(bank.get(item_on_page(html))))
    else:
        raise AssertionError("the routing was never decided")
    asked = int(path.rsplit("/", 1)[1]) - 1
    assert 7 <= asked <= 12
    finished = client.post("/test/fin", data={"csrf_token": csrf_token(html)})
    assert path_of(finished.headers["Location"]) == "/resultats"
    results = main_text(client.get("/resultats").get_data(as_text=True))
    assert f"Vous avez répondu à {asked} questions" in results
    assert "apprendre les bases du numérique" not in results
    assert "À confirmer, car vous avez répondu à trop peu de questions :" in results
    with fresh.app_context():
        person = db.session.scalar(select(Person))
        assert person.result.details["routing_decided"]
        sure = [d["sure"] for d in person.result.details["domains"].values()]
        assert not all(sure)
    sure_lines, unsure_lines = domain_lines(client.get("/resultats").get_data(as_text=True))
    assert len(unsure_lines) == sure.count(False)
    assert len(sure_lines) == sure.count(True)


def domain_lines(html: str) -> tuple[list[str], list[str]]:
    """The domains shown with a level, and those shown « à confirmer » (names only)."""
    root = read(html)
    parents = {child: parent for parent in root.iter() for child in parent}
    heading = next(h for h in root.iter("h2") if h.text == "Votre niveau pour chaque domaine")
    sure: list[str] = []
    unsure: list[str] = []
    after_confirm = False
    siblings = list(parents[heading])
    for element in siblings[siblings.index(heading) + 1 :]:
        if element.tag == "h2":
            break
        if element.tag == "p" and "À confirmer" in "".join(element.itertext()):
            after_confirm = True
        if element.tag == "ul":
            lines = [" ".join("".join(li.itertext()).split()) for li in element.iter("li")]
            (unsure if after_confirm else sure).extend(lines)
    return sure, unsure


def test_a_beginner_sees_one_level_on_its_scale_and_one_way_forward(fresh: Flask) -> None:
    """Answering « Je ne sais pas » to everything: no five identical verdicts, the level on
    its scale in words, one filled button, and it leads to help near the person."""
    client = fresh.test_client()
    take_test(client, fresh.extensions["bank"], lambda _item: DONT_KNOW)
    html = client.get("/resultats").get_data(as_text=True)
    text = main_text(html)
    assert "Votre niveau : Découverte (niveau 1 sur 4)" in text
    sure, unsure = domain_lines(html)
    assert not any(line.endswith("Découverte") for line in sure + unsure)
    assert all(":" not in line for line in unsure)  # a name, no verdict
    assert len(sure) + len(unsure) == 5
    buttons = re.findall(r'class="button(?: button-start)?"[^>]*>([^<]+)<', html)
    assert buttons == ["Trouver de l'aide près de chez vous"]
    assert re.search(r'class="button button-start" href="/lieux\?', html)
    for jargon in ("démarche", "diagnostic", "positionnement"):
        assert jargon not in text.lower()
    assert "Écrivez ce code sur un papier" in text
    assert "allez sur le site localhost" in text


def test_the_site_address_set_for_the_deployment_is_the_one_written(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, SITE_ADDRESS="repere.example")
    client = app.test_client()
    start_test(client)
    later = main_text(client.get("/test/plus-tard").get_data(as_text=True))
    assert "allez sur le site repere.example" in later


def test_no_question_says_the_same_thing_twice(client: FlaskClient) -> None:
    """The question, its hint and its answers: no sentence of the page said twice (the
    « Cochez toutes les bonnes réponses » said in the question and again as a hint)."""
    from .conftest import ITEM_CASES

    for case in ITEM_CASES:
        text = main_text(client.get(case.url).get_data(as_text=True))
        sentences = [s.strip() for s in re.split(r"(?<=[.?!:])\s+", text) if len(s.split()) >= 3]
        repeated = {s for s in sentences if sentences.count(s) > 1}
        assert not repeated, (case.url, repeated)
