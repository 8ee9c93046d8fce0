"""Finding a place near you, and each place's page."""

from __future__ import annotations

import csv
import re
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
from app.places.communes import communes
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


WAY_FORWARD = ("tel:3949", "/etre-contacte?origine=lieux", "cartographie.societenumerique.gouv.fr")


def links(html: str) -> list[str]:
    return [a.get("href", "") for a in read(html).iter("a")]


def test_an_unknown_town_is_explained_with_what_to_type(client: FlaskClient) -> None:
    html = client.get("/lieux?q=Xyzville").get_data(as_text=True)
    text = main_text(html)
    assert "Nous ne trouvons pas de ville qui s'appelle « Xyzville »" in text
    assert "code postal, par exemple 93200" in text
    assert all(any(way in href for href in links(html)) for way in WAY_FORWARD)


def test_a_misspelt_town_offers_the_right_one(client: FlaskClient) -> None:
    html = client.get("/lieux?q=Moullins").get_data(as_text=True)
    assert "/lieux?q=Moulins+03#resultats" in links(html)


def test_a_postcode_that_does_not_exist_says_so_and_what_to_type(client: FlaskClient) -> None:
    text = main_text(client.get("/lieux?q=03999").get_data(as_text=True))
    assert "Le code postal 03999 n'existe pas" in text
    assert "Voir les lieux du département Allier (03)" in text
    text = main_text(client.get("/lieux?q=7500").get_data(as_text=True))
    assert "Un code postal a 5 chiffres" in text


@pytest.mark.parametrize(
    "query", ["03000", "Moulins", "moulins 03", "97600", "20000", "Bastia", "St Malo", "98800"]
)
def test_a_real_place_far_from_any_known_one_is_never_blamed(
    client: FlaskClient, query: str
) -> None:
    html = client.get("/lieux", query_string={"q": query}).get_data(as_text=True)
    text = main_text(html).lower()
    assert "vérifiez" not in text and "nous ne trouvons pas" not in text
    assert "nous ne connaissons pas encore de lieu pour" in text or "trouvé" in text
    assert all(any(way in href for href in links(html)) for way in WAY_FORWARD)


@pytest.mark.parametrize("query", ["Ajaccio", "Amiens", "Évry-Courcouronnes", "Le Havre"])
def test_the_town_understood_is_named_in_correct_french(client: FlaskClient, query: str) -> None:
    """No « près de Ajaccio »: the sentence does not depend on the name's first letter."""
    text = main_text(client.get("/lieux", query_string={"q": query}).get_data(as_text=True))
    assert re.search(r"pour (Ajaccio|Amiens|Évry-Courcouronnes|Le Havre) \(\d", text), text
    assert not re.search(r"\bde [AEIOUÉÈ]", text), text


def test_every_postcode_and_town_in_a_sample_of_the_country_is_understood(
    client: FlaskClient,
) -> None:
    known = communes()
    sample = list(known.by_postcode)[7::400] + [
        c.name for c in list(known.by_code.values())[::2500]
    ]
    for query in sample:
        text = main_text(client.get("/lieux", query_string={"q": query}).get_data(as_text=True))
        assert "vérifiez" not in text.lower() and "nous ne trouvons pas" not in text.lower(), query


def test_results_say_where_and_how_far(client: FlaskClient) -> None:
    html = client.get("/lieux?q=93200").get_data(as_text=True)
    text = main_text(html)
    assert "pour Saint-Denis (93200), du plus proche au plus loin" in text
    assert " km" in text
    departement = main_text(client.get("/lieux?q=69").get_data(as_text=True))
    assert "lieux trouvés dans le département Rhône (69) et autour" in departement
    homonyms = client.get("/lieux?q=Saint-Denis").get_data(as_text=True)
    assert "/lieux?q=Saint-Denis+93#resultats" in links(homonyms)


def test_the_place_typed_once_fills_every_field_that_asks_for_it(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/pass-numerique").status_code == 200
    assert read(client.get("/lieux").get_data(as_text=True)).find(".//input[@id='q']").get(
        "value"
    ) in ("", None)
    client.get("/lieux?q=St+Denis+93")
    for url in ("/lieux", "/lieux?pass=1", "/pass-numerique", "/parcours/recherche-emploi/cv"):
        page = read(client.get(url).get_data(as_text=True))
        found = page.find(".//form[@action='/lieux']//input[@name='q']")
        assert found is not None and found.get("value") == "Saint-Denis 93", url
    contact = read(client.get("/etre-contacte").get_data(as_text=True))
    assert contact.find(".//input[@id='cp']").get("value") == "93200"
    # A postcode typed to find organisations is remembered too.
    client.get("/etre-contacte?cp=03000")
    page = read(client.get("/lieux").get_data(as_text=True))
    assert page.find(".//input[@id='q']").get("value") == "03000"


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
    rows = list(csv.DictReader(DEMO_PLACES.read_text(encoding="utf-8").splitlines()))
    rows[0]["courriels"] = "mfs@ville-louvres"
    rows[1]["nom"] = ""
    rows[3]["horaires"] = "du lundi au vendredi, 9h-12h"
    rows[3]["date_maj"] = "2026-12-01"
    written_hours_id = rows[3]["id"]
    del rows[2]  # the third place is no longer listed
    newer = tmp_path / "lieux-demo-2026-12-01.csv"
    with newer.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Place))

    strict = runner.invoke(args=["import-places", "--strict", str(newer)])
    assert strict.exit_code != 0 and "rien n'a été importé" in strict.output
    dry = runner.invoke(args=["import-places", "--dry-run", str(newer)])
    assert dry.exit_code == 0 and "essai : rien n'a été enregistré" in dry.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Place.retired_at))) == 0

    report = tmp_path / "rapport.csv"
    result = runner.invoke(args=["import-places", str(newer), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "2 mis à jour" in result.output and "1 retiré" in result.output
    assert "1 ligne écartée" in result.output
    assert "(courriels 1, horaires 1)" in result.output
    assert "ligne 3, champ « nom »" in result.output
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ligne,identifiant,champ,suite,message" and len(lines) == 4
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
    written = main_text(client.get(f"/lieux/{written_hours_id}").get_data(as_text=True))
    assert "Le lieu les écrit ainsi : « du lundi au vendredi, 9h-12h »" in written


def test_a_page_past_the_last_shows_the_last_page(client: FlaskClient) -> None:
    """An old link to « page 2 » of a search that has one page now never shows nothing."""
    first = client.get("/lieux?q=Lille").get_data(as_text=True)
    past = client.get("/lieux?q=Lille&page=9").get_data(as_text=True)
    assert result_names(first) and result_names(past) == result_names(first)


def test_phone_numbers_read_left_to_right_in_arabic(client: FlaskClient) -> None:
    """In a right-to-left page, « 01 99 00 74 94 » would be drawn « 94 74 00 99 01 »: the
    groups of a number are kept together, left to right."""
    client.set_cookie("repere_langue", "ar")
    place = client.get("/lieux/repere-demo-93-001").get_data(as_text=True)
    assert re.search(r'href="tel:[^"]+" dir="ltr">\d\d( \d\d){4}</a>', place)
    counsellor = client.get("/conseiller").get_data(as_text=True)
    assert "39 49" not in counsellor and "39\u00a049" in counsellor


@pytest.mark.parametrize(("locale", "expected"), [("en", "14:00"), ("ar", "14:00")])
def test_hours_are_on_the_24_hour_clock_in_every_language(
    app: Flask, locale: str, expected: str
) -> None:
    """The places keep French hours: never « 2:00 PM » nor « 2:00 م »."""
    place = Place(horaires="Mo-Fr 09:00-12:00,14:00-17:30", departement="75")
    moment = datetime(2026, 11, 23, 12, 30, tzinfo=PARIS)
    with app.test_request_context(headers={"Cookie": f"repere_langue={locale}"}):
        words = status_words(place, moment)
    assert expected in words and "PM" not in words and "م" not in words.split()
