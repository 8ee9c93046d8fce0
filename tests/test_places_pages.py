"""Finding a place near you, and each place's page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.contact_details import phone_words
from app.extensions import db
from app.models import Place
from app.views.places import status_words

from .conftest import DEMO_PLACES, make_test_app
from .html_checks import h1_of, main_text, read

PARIS = ZoneInfo("Europe/Paris")


def result_names(html: str) -> list[str]:
    return ["".join(a.itertext()) for a in read(html).findall(".//ol[@class='places']/li/h3/a")]


def test_search_by_postcode_nearest_first(client: FlaskClient) -> None:
    html = client.get("/lieux?q=93200").get_data(as_text=True)
    names = result_names(html)
    assert 1 <= len(names) <= 10
    distances = [
        float(p.text.rsplit("à ", 1)[1].split(" km")[0].replace(",", "."))
        for p in read(html).findall(".//ol[@class='places']/li/p")
        if p.text and " km" in p.text
    ]
    assert distances == sorted(distances)
    assert "lieux trouvés" in main_text(html)


def test_filters_narrow_the_results(client: FlaskClient) -> None:
    everything = read(client.get("/lieux?q=Paris").get_data(as_text=True))
    with_pass = client.get("/lieux?q=Paris&pass=1").get_data(as_text=True)
    assert len(result_names(with_pass)) >= 1
    for item in read(with_pass).findall(".//ol[@class='places']/li"):
        assert "Accepte le Pass numérique" in "".join(item.itertext())
    assert read(with_pass).find(".//input[@id='pass'][@checked]") is not None
    assert everything is not None


def test_results_are_paginated(client: FlaskClient) -> None:
    first = client.get("/lieux?q=75").get_data(as_text=True)
    assert "Page 1 sur" in main_text(first)
    next_link = read(first).find(".//nav[@class='pagination']//a")
    assert next_link is not None and "page=2" in next_link.get("href")
    second = client.get(next_link.get("href")).get_data(as_text=True)
    assert set(result_names(second)).isdisjoint(result_names(first))


def test_an_unknown_place_name_is_explained(client: FlaskClient) -> None:
    html = client.get("/lieux?q=Xyzville").get_data(as_text=True)
    assert "Nous ne connaissons pas encore de lieu pour « Xyzville »" in main_text(html)


def test_a_place_page_gives_what_a_visitor_needs(client: FlaskClient) -> None:
    html = client.get("/lieux/repere-demo-93-001").get_data(as_text=True)
    root = read(html)
    assert h1_of(html)
    tel = [a for a in root.iter("a") if a.get("href", "").startswith("tel:+33")]
    assert tel and tel[0].text.count(" ") == 4
    text = main_text(html)
    assert ("Ouvert maintenant" in text) or ("Fermé" in text) or ("Horaires non connus" in text)
    assert "Horaires" in text and "lundi" in text.lower()


def test_an_unknown_place_is_not_found(client: FlaskClient) -> None:
    assert client.get("/lieux/nope").status_code == 404


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 23, 10, 0, tzinfo=PARIS), "Ouvert maintenant — ferme à 12 h"),
        (datetime(2026, 11, 23, 12, 30, tzinfo=PARIS), "Fermé — ouvre à 14 h"),
        (datetime(2026, 11, 23, 18, 0, tzinfo=PARIS), "Fermé — ouvre demain à 9 h"),
        (datetime(2026, 11, 28, 13, 0, tzinfo=PARIS), "Fermé — ouvre lundi à 9 h"),
    ],
)
def test_opening_hours_in_words(app: Flask, moment: datetime, expected: str) -> None:
    place = Place(horaires="Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00", departement="75")
    with app.test_request_context():
        assert status_words(place, moment) == expected


def test_unknown_hours_ask_to_call(app: Flask) -> None:
    place = Place(horaires=None, departement="75")
    with app.test_request_context():
        assert "appelez avant de venir" in status_words(place, datetime.now(PARIS))


def test_phone_numbers_are_shown_as_people_write_them() -> None:
    assert phone_words("+33199008385") == "01 99 00 83 85"
    assert phone_words("+262692123456") == "0692 12 34 56"


def test_import_places_keeps_what_can_serve_reports_the_rest_and_retires(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    runner = app.test_cli_runner()
    again = runner.invoke(args=["import-places", str(DEMO_PLACES)])
    assert again.exit_code == 0, again.output
    assert "Source « lieux-demo » : 0 créé, 0 mis à jour" in again.output
    lines = DEMO_PLACES.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("contact@repere-demo-75-001.example", "mfs@ville-louvres", 1)
    lines[2] = lines[2].replace("Médiathèque Parmentier – atelier numérique", "", 1)
    del lines[3]  # the third place is no longer listed
    newer = tmp_path / "lieux-demo-2026-12-01.csv"
    newer.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Place))

    strict = runner.invoke(args=["import-places", "--strict", str(newer)])
    assert strict.exit_code != 0 and "rien n'a été importé" in strict.output
    dry = runner.invoke(args=["import-places", "--dry-run", str(newer)])
    assert dry.exit_code == 0 and "essai : rien n'a été enregistré" in dry.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Place.retired_at)) == 0

    report = tmp_path / "rapport.csv"
    result = runner.invoke(args=["import-places", str(newer), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "1 mis à jour" in result.output and "1 retiré" in result.output
    assert "1 ligne écartée" in result.output and "(courriels 1)" in result.output
    assert "ligne 3, champ « nom »" in result.output
    rows = report.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "ligne,identifiant,champ,suite,message" and len(rows) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Place)) == before
        gone = db.session.scalar(select(Place).where(Place.retired_at.is_not(None)))
        assert gone is not None
        gone_id = gone.id
    # Hidden from search, still shown on its own page.
    client = app.test_client()
    assert gone_id not in client.get("/lieux?q=75011").get_data(as_text=True)
    page = client.get(f"/lieux/{gone_id}")
    assert page.status_code == 200
    assert "n'est plus dans la liste" in main_text(page.get_data(as_text=True))
