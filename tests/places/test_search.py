"""Search: by postcode or commune, near to far, filters, pages; no online service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.models import Place
from app.places import search
from app.places.communes import communes
from app.places.importer import import_places
from app.places.schema import V1_COLUMNS, Mode
from app.places.search import (
    Area,
    CommuneChoice,
    Problem,
    SearchFilters,
    WhereKind,
    distance_km,
    search_places,
)

from . import DEMO_FILE, PASS_VALUE, sqlite_session, to_csv, v1_row

JOB = "Insertion professionnelle via le numérique"
ADMIN = "Aide aux démarches administratives"

#: id: commune, postcode, latitude, longitude, fees, services, modes, accepts the Pass
PLACES = {
    "sd1": (
        "Saint-Denis",
        "93200",
        "48.9360",
        "2.3570",
        "Gratuit",
        JOB,
        "Accompagnement individuel",
        False,
    ),
    "sd2": (
        "Saint-Denis",
        "93200",
        "48.9380",
        "2.3600",
        "Gratuit sous condition",
        ADMIN,
        "Dans un atelier collectif",
        True,
    ),
    "sd3": ("Saint-Denis", "93200", "48.9300", "2.3500", "Payant", JOB, "En autonomie", False),
    "sd-sans-position": (
        "Saint-Denis",
        "93200",
        "",
        "",
        "Gratuit",
        JOB,
        "Accompagnement individuel",
        False,
    ),
    "sd-reunion": (
        "Saint-Denis",
        "97400",
        "-20.8823",
        "55.4504",
        "Gratuit",
        JOB,
        "Accompagnement individuel",
        False,
    ),
    "au1": (
        "Aubervilliers",
        "93300",
        "48.9140",
        "2.3830",
        "Gratuit|Payant",
        f"{ADMIN}|{JOB}",
        "À distance",
        False,
    ),
    "au2": (
        "Aubervilliers",
        "93300",
        "48.9150",
        "2.3850",
        "Gratuit",
        JOB,
        "Accompagnement individuel",
        True,
    ),
    "mo1": ("Montreuil", "93100", "48.8610", "2.4430", "Gratuit", ADMIN, "En autonomie", False),
    "so1": (
        "Saint-Ouen-sur-Seine",
        "93400",
        "48.9120",
        "2.3340",
        "Gratuit",
        ADMIN,
        "En autonomie",
        False,
    ),
    "p11": (
        "Paris",
        "75011",
        "48.8590",
        "2.3790",
        "Gratuit",
        JOB,
        "Accompagnement individuel",
        False,
    ),
    "ve1": ("Vénissieux", "69200", "45.6970", "4.8860", "Gratuit", JOB, "En autonomie", False),
    "gueret": ("Guéret", "23000", "", "", "Gratuit", ADMIN, "En autonomie", False),
    "ve2": ("Vénissieux", "69200", "45.6990", "4.8900", "Payant", ADMIN, "En autonomie", False),
    "cf1": (
        "Clermont-Ferrand",
        "63000",
        "45.7772",
        "3.0870",
        "Gratuit",
        JOB,
        "En autonomie",
        False,
    ),
}
NEAR_SAINT_DENIS = {"sd1", "sd2", "sd3", "au1", "au2", "mo1", "so1", "p11"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    rows = []
    for pid, (commune, postcode, lat, lon, fees, services, modes, accepts) in PLACES.items():
        rows.append(
            v1_row(
                id=pid,
                nom=f"Lieu {pid}",
                commune=commune,
                code_postal=postcode,
                code_insee="",
                latitude=lat,
                longitude=lon,
                frais_a_charge=fees,
                services=services,
                modalites_accompagnement=modes,
                conditions_acces=PASS_VALUE if accepts else "",
            )
        )
    with sqlite_session(tmp_path_factory.mktemp("search")) as session:
        import_places(session, to_csv(rows, (*V1_COLUMNS, "conditions_acces")))
        yield session


def ids(result: search.SearchResult) -> list[str]:
    return [hit.place.id for hit in result.places]


def all_ids(db: Session, query: str, **options: object) -> list[str]:
    return ids(search_places(db, query, per_page=50, **options))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Where


SAINT_DENIS = (48.9356, 2.3539)  # the commune's position in the official list


def test_a_postcode_finds_its_commune_first_then_its_intercommunality(db: Session) -> None:
    result = search_places(db, "93200", per_page=50)
    assert result.where.kind is WhereKind.POSTCODE
    assert (result.where.postcode, result.where.commune) == ("93200", "Saint-Denis")
    found = ids(result)
    assert found[:4] == ["sd1", "sd2", "sd3", "sd-sans-position"]
    assert set(found[4:]) == {"au1", "au2", "mo1", "so1", "p11"}
    assert [hit.area for hit in result.places] == [Area.COMMUNE] * 4 + [Area.EPCI] * 5
    epci = [hit.distance_km for hit in result.places[4:]]
    assert epci == sorted(epci)
    assert result.total == 9 and result.nearby == 9


def test_distances_are_measured_from_the_commune(db: Session) -> None:
    result = search_places(db, "Saint-Denis 93")
    where = result.where
    assert (where.latitude, where.longitude, where.approximate) == (*SAINT_DENIS, False)
    first = result.places[0]
    assert first.place.id == "sd1"
    assert first.distance_km == pytest.approx(distance_km(*SAINT_DENIS, 48.9360, 2.3570), abs=0.001)
    # Saint-Denis to Montreuil is about 9 km.
    assert 8 < distance_km(48.9360, 2.3570, 48.8610, 2.4430) < 11


def test_a_place_without_coordinates_comes_last_of_its_area_without_distance(
    db: Session,
) -> None:
    result = search_places(db, "93200", per_page=50)
    hit = result.places[3]
    assert (hit.place.id, hit.distance_km, hit.area) == ("sd-sans-position", None, Area.COMMUNE)


@pytest.mark.parametrize("query", ["Vénissieux", "venissieux", "VÉNISSIEUX", "  vénissieux  "])
def test_a_commune_is_found_with_or_without_accents_and_capitals(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.kind is WhereKind.COMMUNE
    assert (result.where.commune, result.where.departement, result.where.code) == (
        "Vénissieux",
        "69",
        "69259",
    )
    assert set(ids(result)) == {"ve1", "ve2"}


@pytest.mark.parametrize(
    "query", ["Saint-Ouen-sur-Seine", "st ouen sur seine", "SAINT OUEN SUR SEINE"]
)
def test_hyphens_and_saint_abbreviations_do_not_matter(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.commune == "Saint-Ouen-sur-Seine"
    assert ids(result)[0] == "so1"


def test_the_start_of_a_name_is_enough(db: Session) -> None:
    result = search_places(db, "aubervil")
    assert result.where.commune == "Aubervilliers"
    assert set(ids(result)[:2]) == {"au1", "au2"}


def test_homonyms_pick_the_largest_and_offer_the_others(db: Session) -> None:
    result = search_places(db, "Saint-Denis")
    assert (result.where.commune, result.where.departement) == ("Saint-Denis", "974")
    assert ids(result) == ["sd-reunion"]
    assert CommuneChoice("Saint-Denis", "93", "93066") in result.where.alternatives
    assert result.where.alternatives[0].query == "Saint-Denis 93"


@pytest.mark.parametrize("query", ["Saint-Denis 93", "saint denis (93)", "Saint-Denis, 93"])
def test_a_departement_after_the_name_chooses_among_homonyms(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.departement == "93"
    assert ids(result)[:3] == ["sd1", "sd2", "sd3"]


def test_the_name_of_a_former_commune_finds_the_new_one(db: Session) -> None:
    result = search_places(db, "Bellegarde-sur-Valserine")
    assert (result.where.commune, result.where.departement) == ("Valserhône", "01")


def test_a_real_postcode_with_no_place_near_is_still_understood(db: Session) -> None:
    # Moulins (03000): nothing in the commune, its intercommunality or the Allier; the
    # neighbouring Puy-de-Dôme and Creuse have one each (the Creuse one has no position).
    result = search_places(db, "03000")
    assert result.where.found and result.where.kind is WhereKind.POSTCODE
    assert (result.where.commune, result.where.departement_name) == ("Moulins", "Allier")
    assert result.where.epci_name == "CA Moulins Communauté"
    assert result.reached is Area.NEIGHBOURS
    assert [(hit.place.id, hit.area) for hit in result.places] == [
        ("cf1", Area.NEIGHBOURS),
        ("gueret", Area.NEIGHBOURS),
    ]
    assert 80 < (result.places[0].distance_km or 0) < 100
    assert result.nearby == 0


def test_a_real_town_with_nothing_anywhere_near_is_found_with_no_place(db: Session) -> None:
    result = search_places(db, "Bastia")
    assert result.where.found and result.where.commune == "Bastia"
    assert (result.total, result.places, result.reached) == (0, [], Area.NEIGHBOURS)


def test_an_unknown_postcode_is_not_found_and_says_its_departement(db: Session) -> None:
    result = search_places(db, "93999")
    assert result.where.kind is WhereKind.NOT_FOUND
    assert result.where.problem is Problem.POSTCODE_UNKNOWN
    assert (result.where.departement, result.where.departement_name) == (
        "93",
        "Seine-Saint-Denis",
    )


def test_a_misspelt_town_gets_the_closest_names(db: Session) -> None:
    result = search_places(db, "Venisieux")
    assert result.where.problem is Problem.NAME_UNKNOWN
    assert result.where.suggestions[0] == CommuneChoice("Vénissieux", "69", "69259")


def test_a_departement_number_searches_the_departement_then_its_neighbours(
    db: Session,
) -> None:
    result = search_places(db, "69")
    assert result.where.kind is WhereKind.DEPARTEMENT
    assert result.where.departement_name == "Rhône"
    assert set(ids(result)) == {"ve1", "ve2"}
    assert {hit.area for hit in result.places} == {Area.DEPARTEMENT}


@pytest.mark.parametrize(
    "query", ["Paris 11e", "paris 11", "paris11", "75011 Paris", "75 011", "75.011", "Paris 75 011"]
)
def test_paris_arrondissements_are_postcodes(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.kind is WhereKind.POSTCODE
    assert result.where.postcode == "75011"
    assert result.where.commune == "Paris 11e Arrondissement"
    assert (ids(result)[0], result.places[0].area) == ("p11", Area.COMMUNE)


def test_places_without_position_are_still_found_in_their_commune(db: Session) -> None:
    result = search_places(db, "23000")
    assert result.where.kind is WhereKind.POSTCODE
    first = result.places[0]
    assert (first.place.id, first.distance_km, first.area) == ("gueret", None, Area.COMMUNE)
    assert ids(search_places(db, "Gueret"))[0] == "gueret"


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", Problem.EMPTY),
        ("   ", Problem.EMPTY),
        ("!!", Problem.EMPTY),
        ("7500", Problem.POSTCODE_FORMAT),
        ("750 11", Problem.POSTCODE_FORMAT),
        ("06 12 34 56 78", Problem.POSTCODE_FORMAT),
        ("Tombouctou", Problem.NAME_UNKNOWN),
        ("00000", Problem.POSTCODE_UNKNOWN),
    ],
)
def test_nothing_found(db: Session, query: str, problem: Problem) -> None:
    result = search_places(db, query)
    assert result.where.kind is WhereKind.NOT_FOUND
    assert result.where.problem is problem
    assert (result.places, result.total, result.reached) == ([], 0, None)


def test_every_postcode_and_commune_of_the_list_is_understood(db: Session) -> None:
    known = communes()
    for postcode in list(known.by_postcode)[::250]:
        assert search_places(db, postcode).where.kind is WhereKind.POSTCODE, postcode
    for commune in list(known.by_code.values())[::500]:
        where = search_places(db, f"{commune.name} {commune.departement}").where
        assert where.found and where.code == commune.code, commune


# --------------------------------------------------------------------------------------------
# Filters


def test_filter_pass_numerique(db: Session) -> None:
    assert set(all_ids(db, "93200", filters=SearchFilters(pass_numerique=True))) == {"sd2", "au2"}


def test_filter_free_means_gratuit_not_gratuit_sous_condition(db: Session) -> None:
    found = set(all_ids(db, "93200", filters=SearchFilters(free=True)))
    assert found == {"sd1", "sd-sans-position", "au1", "au2", "mo1", "so1", "p11"}


def test_filter_job_search(db: Session) -> None:
    found = set(all_ids(db, "93200", filters=SearchFilters(job_search=True)))
    assert found == {"sd1", "sd3", "sd-sans-position", "au1", "au2", "p11"}


def test_filter_modes_any_of(db: Session) -> None:
    group_or_remote = SearchFilters(modes=frozenset({Mode.GROUP, Mode.REMOTE}))
    assert set(all_ids(db, "93200", filters=group_or_remote)) == {"sd2", "au1"}
    alone = SearchFilters(modes=frozenset({Mode.ALONE}))
    assert set(all_ids(db, "93200", filters=alone)) == {"sd3", "mo1", "so1"}


def test_filters_combine(db: Session) -> None:
    filters = SearchFilters(free=True, job_search=True, modes=frozenset({Mode.INDIVIDUAL}))
    assert all_ids(db, "93200", filters=filters)[:1] == ["sd1"]
    assert set(all_ids(db, "93200", filters=filters)) == {
        "sd1",
        "sd-sans-position",
        "au2",
        "p11",
    }


# --------------------------------------------------------------------------------------------
# Pages and radius


def test_pages_cover_every_place_once(db: Session) -> None:
    everything = all_ids(db, "93200")
    seen: list[str] = []
    page = 1
    while True:
        result = search_places(db, "93200", page=page, per_page=2)
        assert result.total == len(everything)
        assert result.pages == 5
        assert result.has_previous == (page > 1)
        seen += ids(result)
        if not result.has_next:
            break
        page += 1
    assert seen == everything
    assert page == 5
    beyond = search_places(db, "93200", page=9, per_page=2)
    assert beyond.places == [] and beyond.total == len(everything)


def test_the_search_goes_further_only_until_enough_places(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "ENOUGH", 3)
    result = search_places(db, "93200", per_page=50)
    assert result.reached is Area.COMMUNE
    assert ids(result) == ["sd1", "sd2", "sd3", "sd-sans-position"]
    monkeypatch.setattr(search, "ENOUGH", 5)
    result = search_places(db, "93200", per_page=50)
    assert result.reached is Area.EPCI
    assert result.by_area == {Area.COMMUNE: 4, Area.EPCI: 5}


def test_a_retired_place_is_not_found(db: Session) -> None:
    place = db.get(Place, "sd2")
    assert place is not None
    place.retired_at = datetime(2026, 11, 1, tzinfo=UTC)
    db.commit()
    try:
        assert "sd2" not in all_ids(db, "93200")
    finally:
        place.retired_at = None
        db.commit()


def test_the_demo_file_can_be_searched(tmp_path: Path) -> None:
    with sqlite_session(tmp_path) as db:
        import_places(db, DEMO_FILE.read_text(encoding="utf-8"))
        for query in ("93200", "Lille", "Marseille", "69200", "Paris 18e"):
            result = search_places(db, query, filters=SearchFilters(job_search=True))
            assert result.where.found, query
            assert result.places, query
            assert all(JOB in hit.place.values("services") for hit in result.places)
        passes = search_places(db, "13001", filters=SearchFilters(pass_numerique=True))
        assert passes.places and all(h.place.accepts_pass_numerique for h in passes.places)
