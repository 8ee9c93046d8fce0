"""Search: by postcode or commune, nearest first, filters, pages; no online service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.places import search
from app.places.importer import import_places
from app.places.schema import V1_COLUMNS, Mode
from app.places.search import CommuneChoice, SearchFilters, WhereKind, distance_km, search_places

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


def test_a_postcode_finds_its_places_first_nearest_first(db: Session) -> None:
    result = search_places(db, "93200", per_page=50)
    assert result.where.kind is WhereKind.POSTCODE
    assert result.where.postcode == "93200"
    found = ids(result)
    assert set(found[:3]) == {"sd1", "sd2", "sd3"}
    assert set(found) == NEAR_SAINT_DENIS | {"sd-sans-position"}
    distances = [hit.distance_km for hit in result.places if hit.distance_km is not None]
    assert distances == sorted(distances)
    assert result.total == len(found) == 9


def test_distances_are_measured_from_the_postcodes_centroid(db: Session) -> None:
    result = search_places(db, "93200")
    where = result.where
    assert where.latitude == pytest.approx((48.9360 + 48.9380 + 48.9300) / 3)
    assert where.longitude == pytest.approx((2.3570 + 2.3600 + 2.3500) / 3)
    first = result.places[0]
    assert first.place.id == "sd1"
    assert first.distance_km == pytest.approx(
        distance_km(where.latitude, where.longitude, 48.9360, 2.3570), abs=0.001
    )
    # Saint-Denis to Montreuil is about 9 km.
    assert 8 < distance_km(48.9360, 2.3570, 48.8610, 2.4430) < 11


def test_a_place_without_coordinates_comes_last_without_distance(db: Session) -> None:
    result = search_places(db, "93200", per_page=50)
    last = result.places[-1]
    assert last.place.id == "sd-sans-position"
    assert last.distance_km is None
    assert all(hit.distance_km is not None for hit in result.places[:-1])


@pytest.mark.parametrize("query", ["Vénissieux", "venissieux", "VÉNISSIEUX", "  vénissieux  "])
def test_a_commune_is_found_with_or_without_accents_and_capitals(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.kind is WhereKind.COMMUNE
    assert (result.where.commune, result.where.departement) == ("Vénissieux", "69")
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


def test_homonyms_pick_the_commune_with_most_places_and_list_the_others(db: Session) -> None:
    result = search_places(db, "Saint-Denis")
    assert (result.where.commune, result.where.departement) == ("Saint-Denis", "93")
    assert result.where.alternatives == (CommuneChoice("Saint-Denis", "974", 1),)
    assert "sd-reunion" not in all_ids(db, "Saint-Denis")


@pytest.mark.parametrize("query", ["Saint-Denis 974", "saint denis (974)"])
def test_a_departement_after_the_name_chooses_among_homonyms(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.departement == "974"
    assert ids(result) == ["sd-reunion"]


def test_an_unknown_postcode_falls_back_to_its_departement(db: Session) -> None:
    result = search_places(db, "93999")
    assert result.where.kind is WhereKind.DEPARTEMENT
    assert result.where.fell_back
    assert (result.where.postcode, result.where.departement) == ("93999", "93")
    assert set(ids(result)) <= NEAR_SAINT_DENIS
    assert result.total >= 6


def test_a_departement_number_searches_the_departement(db: Session) -> None:
    result = search_places(db, "69")
    assert result.where.kind is WhereKind.DEPARTEMENT
    assert not result.where.fell_back
    assert set(ids(result)) == {"ve1", "ve2"}


@pytest.mark.parametrize("query", ["Paris 11e", "paris 11", "75011 Paris"])
def test_paris_arrondissements_are_postcodes(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.kind is WhereKind.POSTCODE
    assert result.where.postcode == "75011"
    assert ids(result)[0] == "p11"


def test_places_without_position_are_still_found_by_their_postcode(db: Session) -> None:
    result = search_places(db, "23000")
    assert result.where.kind is WhereKind.POSTCODE
    assert result.where.latitude is None
    assert [(hit.place.id, hit.distance_km) for hit in result.places] == [("gueret", None)]
    assert result.radius_km is None
    assert ids(search_places(db, "Gueret")) == ["gueret"]


@pytest.mark.parametrize("query", ["Tombouctou", "", "   ", "24000", "!!"])
def test_nothing_found(db: Session, query: str) -> None:
    result = search_places(db, query)
    assert result.where.kind is WhereKind.NOT_FOUND
    assert not result.where.found
    assert (result.places, result.total, result.radius_km) == ([], 0, None)


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
    assert all_ids(db, "Saint-Denis", filters=filters)[:1] == ["sd1"]
    assert set(all_ids(db, "Saint-Denis", filters=filters)) == {
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


def test_the_radius_widens_only_until_enough_places(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "ENOUGH", 3)
    result = search_places(db, "93200", per_page=50)
    assert result.radius_km == 2
    assert ids(result) == ["sd1", "sd2", "sd3", "sd-sans-position"]
    monkeypatch.setattr(search, "ENOUGH", 5)
    result = search_places(db, "93200", per_page=50)
    assert result.radius_km == 5
    assert {"au1", "au2"} <= set(ids(result))
    assert all(h.distance_km is None or h.distance_km <= 5 for h in result.places)


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
