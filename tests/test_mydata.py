"""« Mes données »: see everything, download it, withdraw, erase everything."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.assessment.bank import load_bank
from app.extensions import db
from app.models import Answer, Base, DetachedAnswer, Person

from .conftest import make_test_app
from .flow import a_person_with_everything, csrf_token, take_test
from .html_checks import main_text


def test_without_a_session_the_page_asks_for_the_code(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/mes-donnees").get_data(as_text=True)
    assert 'name="code"' in page and 'action="/revenir"' in page
    suite = {"suite": "/mes-donnees"}
    person = app.test_client()
    take_test(person, load_bank())
    code = re.search(r'class="code">([\d ]+)<', person.get("/resultats").get_data(as_text=True))
    assert code
    wrong = client.post(
        "/revenir", data={"csrf_token": csrf_token(page), "code": "1234 5678 9012", **suite}
    )
    assert wrong.status_code == 200 and "Nous ne trouvons pas ce code" in wrong.get_data(
        as_text=True
    )
    right = client.post(
        "/revenir", data={"csrf_token": csrf_token(page), "code": code.group(1), **suite}
    )
    assert right.status_code == 303 and right.headers["Location"].endswith("/mes-donnees")
    assert "Vos réponses au test" in client.get("/mes-donnees").get_data(as_text=True)
    assert app.test_client().get("/mes-donnees.json").status_code == 302


def test_the_page_shows_everything_held(app: Flask) -> None:
    found = a_person_with_everything(app)
    page = found["person"].get("/mes-donnees").get_data(as_text=True)
    for words in (
        "Vos réponses au test",
        "Bonne réponse",
        "France Services de Saint-Denis",
        "Accord donné le",
        "06 12 34 56 78",  # shown the French way
        "4 chèques Pass numérique",
        found["note"],
        "Camille (mediator)",
        "a regardé votre demande de contact",
        "/mon-espace/accords/",
    ):
        assert words in page, words
    assert found["person"].get("/mes-donnees/imprimer").status_code == 200
    assert "/mes-donnees" in found["person"].get("/mon-espace").get_data(as_text=True)


def test_the_download_holds_everything_and_no_secret(app: Flask) -> None:
    found = a_person_with_everything(app)
    response = found["person"].get("/mes-donnees.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert set(data) == {
        "person",
        "answers",
        "result",
        "steps_done",
        "consents",
        "contact_requests",
        "staff_records",
        "accesses",
        "stored",
    }
    assert data["answers"] and data["result"] and data["steps_done"]
    assert {c["purpose"] for c in data["consents"]} == {"share-results", "contact"}
    assert data["contact_requests"][0]["phone"] == "+33612345678"
    assert {r["kind"] for r in data["staff_records"]} == {"vouchers", "orientation", "note"}
    assert {a["what"] for a in data["accesses"]} >= {"person", "request"}
    with app.app_context():
        person = db.session.get(Person, found["person_id"])
        secrets_ = (person.code_salt, person.code_lookup, person.ref)
    body = response.get_data(as_text=True)
    for secret in secrets_:
        assert secret not in body


def test_the_download_holds_every_stored_column(app: Flask) -> None:
    """Compared with the models: every column of every table that points to a person (and
    the access journal) is in the copy, but the few named in ``NOT_EXPORTED``, each with why.
    A new column is in the copy unless someone decides otherwise."""
    from app.models import Base
    from app.mydata import NOT_EXPORTED

    found = a_person_with_everything(app)
    data = json.loads(found["person"].get("/mes-donnees.json").get_data(as_text=True))
    about = {
        table.name
        for table in Base.metadata.sorted_tables
        if table.name == "journey"
        or any(key.column.table.name == "journey" for c in table.columns for key in c.foreign_keys)
    } | {"access_record"}
    assert {"answer", "result", "step_done", "consent", "contact_request"} <= about
    assert set(data["stored"]) == about
    for (table, column), why in NOT_EXPORTED.items():
        assert column in Base.metadata.tables[table].columns and why
    for name in about:
        rows = data["stored"][name]
        assert rows, f"the person has no {name}: the test cannot see its columns"
        expected = {c.name for c in Base.metadata.tables[name].columns} - {
            column for table, column in NOT_EXPORTED if table == name
        }
        for row in rows:
            assert set(row) == expected, name
    result = data["stored"]["result"][0]
    assert "overall_theta" in result and "sd" in json.dumps(result["details"])


def _rows_naming(app: Flask, person_id: int, needles: list[str]) -> list[tuple[str, str, Any]]:
    """Every (table, column, value) in the database that points to or names the person.

    The append-only access journal keeps its lines; they hold the person's random ``ref``,
    which, once the person is erased, is stored nowhere else: it is checked apart."""
    hits = []
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            person_fks = {
                fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "journey"
            }
            for row in db.session.execute(select(table)).mappings():
                for column, value in row.items():
                    if column in person_fks and value == person_id:
                        hits.append((table.name, column, value))
                    elif table.name == "journey" and column == "id" and value == person_id:
                        hits.append((table.name, column, value))
                    elif (table.name, column) == ("access_record", "journey_ref"):
                        continue
                    elif isinstance(value, str) and any(n in value for n in needles):
                        hits.append((table.name, column, value))
    return hits


def test_erasing_leaves_nothing_that_names_the_person(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)  # its own database: no one else's phone or note
    found = a_person_with_everything(app)
    browser, person_id = found["person"], found["person_id"]
    with app.app_context():
        person = db.session.get(Person, person_id)
        needles = [
            person.ref,
            person.code_lookup,
            person.code_salt,
            "+33612345678",
            found["note"],
        ]
        answers = db.session.scalar(
            select(func.count()).select_from(Answer).where(Answer.person_id == person_id)
        )
        detached_before = db.session.scalar(select(func.count()).select_from(DetachedAnswer))
    assert answers and _rows_naming(app, person_id, needles)

    page = browser.get("/mes-donnees/supprimer").get_data(as_text=True)
    assert "Vous ne pourrez pas revenir en arrière" in page
    assert browser.post("/mes-donnees/supprimer", data={}).status_code == 400
    response = browser.post("/mes-donnees/supprimer", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/mes-donnees/supprimees")
    assert browser.get("/mes-donnees/supprimees").status_code == 200
    with browser.session_transaction() as session:
        assert "person" not in session

    assert _rows_naming(app, person_id, needles) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DetachedAnswer)) == (
            detached_before + answers
        )
        # The journal is still there, naming no one; a new person never gets its lines.
        journal = Base.metadata.tables["access_record"]
        refs = set(db.session.scalars(select(journal.c.journey_ref)))
        assert needles[0] in refs
        assert db.session.scalars(select(Person).where(Person.ref == needles[0])).all() == []
    again = app.test_client()
    take_test(again, load_bank())
    assert "Personne." in again.get("/mes-donnees").get_data(as_text=True)


def test_withdrawing_from_my_data_takes_effect_at_once(app: Flask) -> None:
    found = a_person_with_everything(app)
    person = found["person"]
    page = person.get("/mes-donnees").get_data(as_text=True)
    action = re.search(r'action="(/mon-espace/accords/\d+/retirer)"', page)
    assert action
    response = person.post(action.group(1), data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert "Accord retiré le" in person.get("/mes-donnees").get_data(as_text=True)
    assert "Mes demandes de contact" in person.get("/mes-donnees").get_data(as_text=True)


def test_the_pages_ask_for_no_skill_the_test_measured_and_speak_in_french_time(
    app: Flask,
) -> None:
    """No file format, version or browser menu on the person's data pages; the times of who
    looked at the data are French times on the 24-hour clock, in every language."""
    found = a_person_with_everything(app)
    client = found["person"]
    for url in ("/mes-donnees", "/mes-donnees/imprimer", "/mon-espace"):
        for locale in ("fr", "en", "ar"):
            client.set_cookie("repere_langue", locale)
            text = main_text(client.get(url).get_data(as_text=True))
            for jargon in ("JSON", "Versions", "version", "navigateur", " AM", " PM"):
                assert jargon not in text, (url, locale, jargon)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "3 décembre 2026, 14 h 05"), ("en", "14:05"), ("ar", "14:05")],
)
def test_a_moment_is_said_in_french_time_on_the_24_hour_clock(
    app: Flask, locale: str, expected: str
) -> None:
    from datetime import UTC, datetime

    from app.i18n import date_time_words

    with app.test_request_context(headers={"Cookie": f"repere_langue={locale}"}):
        words = date_time_words(datetime(2026, 12, 3, 13, 5, tzinfo=UTC))
    assert expected in words
    assert "PM" not in words and not words.endswith(("ص", "م"))
