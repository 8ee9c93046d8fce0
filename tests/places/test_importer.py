"""Import of the national standard: every row that can serve, the rest reported, idempotent."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Place
from app.places.importer import ImportFailed, Kind, import_places, write_report
from app.places.schema import V1_COLUMNS, Format

from . import DEMO_FILE, PASS_VALUE, sqlite_session, to_csv, v0_csv, v0_row, v1_row

T1 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Session]:
    with sqlite_session(tmp_path) as session:
        yield session


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Place)) or 0


def three_places(**changes: str) -> str:
    rows = [
        v1_row(id="a", nom="Lieu A"),
        v1_row(
            id="b",
            nom="Lieu B",
            code_postal="93300",
            commune="Aubervilliers",
            code_insee="93001",
            latitude="48.9150",
            longitude="2.3850",
        ),
        v1_row(
            id="c",
            nom="Lieu C",
            code_postal="75011",
            commune="Paris",
            code_insee="75111",
            latitude="48.859",
            longitude="2.379",
        ),
    ]
    rows[1].update(changes)
    return to_csv(rows)


# --------------------------------------------------------------------------------------------
# A valid file


def test_the_demo_file_imports_cleanly(db: Session) -> None:
    report = import_places(db, DEMO_FILE.read_text(encoding="utf-8"), now=T1)
    assert report.format is Format.V1
    assert report.warnings == ()
    assert report.created == count(db) >= 45
    assert (report.updated, report.unchanged, report.older) == (0, 0, 0)
    places = db.scalars(select(Place)).all()
    departements = {place.departement for place in places}
    assert {"75", "93", "59", "13", "69"} <= departements
    postcodes = [place.postcode for place in places]
    assert max(postcodes.count(p) for p in set(postcodes)) >= 2
    assert sum(place.accepts_pass_numerique for place in places) >= 5
    assert all(place.latitude is not None for place in places)
    assert all(place.phone and place.phone.startswith("+33") for place in places)


def test_a_row_is_stored_with_the_standard_values(db: Session) -> None:
    row = v1_row(
        commune="Saint-Ouen-sur-Seine",
        code_postal="93400",
        complement_adresse="2e étage",
        telephone="01 99 00 12 34|+33199005678",
        site_web="www.lieu.example",
        fiche_acces_libre="https://acceslibre.example/erp/lieu-1/",
        prise_en_charge_specifique="illettrisme|Surdité",
        publics_specifiquement_adresses="Jeunes",
    )
    import_places(db, to_csv([row]), now=T1)
    place = db.get(Place, "lieu-1")
    assert place is not None
    assert place.name == "Espace numérique de test"
    assert place.address_details == "2e étage"
    assert (place.postcode, place.departement) == ("93400", "93")
    assert place.commune_key == "saint ouen sur seine"
    assert (place.latitude, place.longitude) == (48.936, 2.357)
    assert place.phone == "+33199001234|+33199005678"
    assert place.website == "https://www.lieu.example"
    assert place.accessibilite == "https://acceslibre.example/erp/lieu-1/"
    assert place.values("services") == [
        "Aide aux démarches administratives",
        "Insertion professionnelle via le numérique",
    ]
    # Vocabulary values are stored as the standard spells them.
    assert place.values("specific_support") == ["Illettrisme", "Surdité"]
    assert place.date_maj == date(2026, 1, 15)
    assert place.accepts_pass_numerique is False
    assert place.updated_at is not None


# --------------------------------------------------------------------------------------------
# A bad optional value costs that value, not the place


DROPPED = [
    pytest.param({"courriels": "mfs@ville-louvres"}, "courriels", "email", None, id="email-no-dot"),
    pytest.param(
        {"courriels": "contact@lieu.example|maisondes services@lieu.example"},
        "courriels",
        "email",
        "contact@lieu.example",
        id="email-with-space",
    ),
    pytest.param({"telephone": "12345"}, "telephone", "phone", None, id="short-phone"),
    pytest.param({"telephone": "+44 20 7946 0958"}, "telephone", "phone", None, id="foreign"),
    pytest.param(
        {"telephone": "01 99 00 12 34 (accueil)"},
        "telephone",
        "phone",
        "+33199001234",
        id="phone-in-words",
    ),
    pytest.param({"site_web": "javascript:alert(1)"}, "site_web", "website", None, id="bad-url"),
    pytest.param({"prise_rdv": "rdv"}, "prise_rdv", "prise_rdv", None, id="bad-rdv-url"),
    pytest.param({"frais_a_charge": "Gratos"}, "frais_a_charge", "frais_a_charge", "", id="fee"),
    pytest.param(
        {"services": "Aide aux démarches administratives|Cuisine"},
        "services",
        "services",
        "Aide aux démarches administratives",
        id="one-bad-service",
    ),
    pytest.param(
        {"modalites_accompagnement": "Seul"},
        "modalites_accompagnement",
        "modalites_accompagnement",
        "",
        id="legacy-mode-in-v1",
    ),
    pytest.param({"latitude": "quarante-huit"}, "latitude", "latitude", None, id="nan-latitude"),
    pytest.param({"latitude": "95"}, "latitude", "latitude", None, id="latitude-range"),
    pytest.param({"longitude": ""}, "longitude", "latitude", None, id="half-coordinates"),
    pytest.param(
        {"latitude": "40.7", "longitude": "-74.0"},
        "latitude",
        "latitude",
        None,
        id="outside-france",
    ),
    pytest.param(
        {"latitude": "2.3850", "longitude": "48.9150"},
        "latitude",
        "latitude",
        48.915,
        id="swapped-coordinates",
    ),
    pytest.param({"code_insee": "7511"}, "code_insee", "insee_code", "93001", id="bad-insee"),
    pytest.param({"code_insee": "93999"}, "code_insee", "insee_code", "93001", id="unknown-insee"),
    pytest.param({"code_postal": "9330"}, "code_postal", "postcode", "93300", id="short-postcode"),
    pytest.param({"commune": ""}, "commune", "commune", "Aubervilliers", id="no-commune-name"),
    pytest.param({"date_maj": "15/01/2026"}, "date_maj", "date_maj", None, id="french-date"),
    pytest.param({"date_maj": ""}, "date_maj", "date_maj", None, id="no-date"),
    pytest.param({"adresse": ""}, "adresse", "address", "", id="no-address-but-position"),
]


@pytest.mark.parametrize(("changes", "field", "attribute", "stored"), DROPPED)
def test_a_bad_value_is_dropped_with_a_warning_and_the_place_kept(
    db: Session, changes: dict[str, str], field: str, attribute: str, stored: object
) -> None:
    report = import_places(db, three_places(**changes), now=T1)
    assert (report.created, report.skipped) == (3, ())
    assert [(w.line, w.field, w.kind) for w in report.warnings] == [(3, field, Kind.DROPPED)]
    assert report.warnings[0].place_id == "b"
    place = db.get(Place, "b")
    assert place is not None and place.name == "Lieu B"
    assert getattr(place, attribute) == stored


def test_the_ten_thousand_phone_and_email_spellings_are_stored_one_way(db: Session) -> None:
    row = v1_row(
        telephone="01.99.00.12.34|0692 12 34 56|+33 (0)6 12 34 56 78",
        courriels="Accueil@Mairie-Exemple.FR|mailto:contact@lieu.example",
    )
    report = import_places(db, to_csv([row]))
    assert report.warnings == ()
    place = db.get(Place, "lieu-1")
    assert place is not None
    assert place.phone == "+33199001234|+262692123456|+33612345678"
    assert place.email == "Accueil@mairie-exemple.fr|contact@lieu.example"


def test_the_message_names_line_field_and_value_in_plain_french(db: Session) -> None:
    report = import_places(db, three_places(courriels="mfs@ville-louvres"))
    assert str(report.warnings[0]) == (
        "ligne 3, champ « courriels » : "
        "« mfs@ville-louvres » n'est pas une adresse e-mail : retirée"
    )


def test_missing_postcode_and_insee_code_come_from_the_official_list(db: Session) -> None:
    rows = [
        v1_row(id="a", code_postal="", code_insee="03190", commune="Moulins"),
        v1_row(
            id="b",
            code_postal="",
            code_insee="",
            commune="Moulins",
            latitude="46.565",
            longitude="3.333",
        ),
        v1_row(id="c", code_postal="03000", code_insee="", commune="MOULINS"),
        v1_row(
            id="d",
            code_postal="",
            code_insee="",
            commune="",
            latitude="46.5646",
            longitude="3.3324",
        ),
    ]
    report = import_places(db, to_csv(rows))
    assert report.created == 4
    for place_id in "abcd":
        place = db.get(Place, place_id)
        assert place is not None
        assert (place.postcode, place.insee_code, place.departement) == ("03000", "03190", "03"), (
            place_id
        )
    place = db.get(Place, "d")
    assert place is not None and place.commune == "Moulins"


def test_a_postcode_of_overseas_or_corsica_finds_its_departement(db: Session) -> None:
    rows = [
        v1_row(
            id="a",
            code_postal="97400",
            code_insee="",
            commune="Saint-Denis",
            latitude="-20.88",
            longitude="55.45",
        ),
        v1_row(
            id="b",
            code_postal="20000",
            code_insee="",
            commune="Ajaccio",
            latitude="41.92",
            longitude="8.74",
        ),
    ]
    report = import_places(db, to_csv(rows))
    assert report.warnings == ()
    a, b = db.get(Place, "a"), db.get(Place, "b")
    assert a is not None and b is not None
    assert (a.departement, a.insee_code, b.departement, b.insee_code) == (
        "974",
        "97411",
        "2A",
        "2A004",
    )


# --------------------------------------------------------------------------------------------
# Rows that cannot serve are skipped, with the reason; the others are imported


SKIPPED = [
    pytest.param({"nom": ""}, "nom", "pas de nom", id="no-name"),
    pytest.param({"id": ""}, "id", "pas d'identifiant", id="no-id"),
    pytest.param({"id": "x" * 129}, "id", "128 caractères", id="long-id"),
    pytest.param(
        {"adresse": "", "latitude": "", "longitude": ""},
        "adresse",
        "pas d'adresse ni de coordonnées",
        id="no-address-no-position",
    ),
    pytest.param(
        {"code_postal": "", "code_insee": "", "commune": "", "latitude": "", "longitude": ""},
        "adresse",
        "ni adresse utilisable",
        id="nowhere",
    ),
]


@pytest.mark.parametrize(("changes", "field", "fragment"), SKIPPED)
def test_a_row_that_cannot_serve_is_skipped_with_the_reason(
    db: Session, changes: dict[str, str], field: str, fragment: str
) -> None:
    report = import_places(db, three_places(**changes), now=T1)
    assert report.created == 2 and count(db) == 2
    [skipped] = report.skipped
    assert (skipped.line, skipped.field, skipped.kind) == (3, field, Kind.SKIPPED)
    assert fragment in skipped.message
    assert "1 ligne écartée" in report.summary()


def test_a_duplicate_id_keeps_the_first_row_and_points_to_it(db: Session) -> None:
    csv_text = to_csv([v1_row(id="x"), v1_row(id="y"), v1_row(id="x", nom="Autre")])
    report = import_places(db, csv_text)
    assert report.created == 2
    [skipped] = report.skipped
    assert (skipped.line, skipped.field, skipped.place_id) == (4, "id", "x")
    assert "ligne 2" in skipped.message
    place = db.get(Place, "x")
    assert place is not None and place.name == "Espace numérique de test"


def test_a_row_with_too_many_cells_is_skipped(db: Session) -> None:
    csv_text = to_csv([v1_row(id="a")]) + to_csv([v1_row(id="b")]).split("\n", 1)[1].replace(
        "\n", ",en trop\n"
    )
    report = import_places(db, csv_text)
    assert report.created == 1
    [skipped] = report.skipped
    assert skipped.line == 3 and "colonnes" in skipped.message


def test_line_numbers_count_line_breaks_inside_cells(db: Session) -> None:
    rows = [
        v1_row(id="a", presentation_detail="Première ligne\nDeuxième ligne\nTroisième"),
        v1_row(id="b", courriels="pas-une-adresse"),
    ]
    report = import_places(db, to_csv(rows))
    assert [(w.line, w.field) for w in report.warnings] == [(5, "courriels")]


# --------------------------------------------------------------------------------------------
# Strict: today's all or nothing


STRICT = [
    pytest.param({"nom": ""}, "nom", "pas de nom", id="missing-name"),
    pytest.param({"code_postal": "ABCDE"}, "code_postal", "5 chiffres", id="letters-postcode"),
    pytest.param({"code_postal": "00100"}, "code_postal", "aucun département", id="no-dept"),
    pytest.param({"latitude": "95"}, "latitude", "entre -90 et 90", id="latitude-range"),
    pytest.param({"frais_a_charge": "Gratos"}, "frais_a_charge", "« Gratos »", id="bad-fee"),
    pytest.param({"date_maj": "2026-02-30"}, "date_maj", "AAAA-MM-JJ", id="impossible-date"),
    pytest.param({"telephone": "12345"}, "telephone", "numéro de téléphone", id="bad-phone"),
    pytest.param({"courriels": "contact-at-lieu"}, "courriels", "adresse e-mail", id="bad-email"),
]


@pytest.mark.parametrize(("changes", "field", "fragment"), STRICT)
def test_strict_refuses_the_whole_file_for_one_problem(
    db: Session, changes: dict[str, str], field: str, fragment: str
) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_places(db, three_places(**changes), now=T1, strict=True)
    errors = failure.value.errors
    assert (errors[0].line, errors[0].field) == (3, field), errors
    assert fragment in errors[0].message
    assert "rien n'a été importé" in str(failure.value)
    assert count(db) == 0


def test_strict_accepts_what_is_only_worth_a_note(db: Session) -> None:
    report = import_places(db, three_places(horaires="du lundi au vendredi, 9h-12h"), strict=True)
    assert report.created == 3
    assert [(w.field, w.kind) for w in report.warnings] == [("horaires", Kind.NOTE)]


def test_a_strict_failure_leaves_the_stored_places_alone(db: Session) -> None:
    import_places(db, three_places(), now=T1)
    newer = three_places(nom="Nouveau nom", date_maj="2026-06-01", code_insee="bad")
    with pytest.raises(ImportFailed):
        import_places(db, newer, now=T2, strict=True)
    db.expire_all()
    place = db.get(Place, "b")
    assert place is not None and place.name == "Lieu B"


# --------------------------------------------------------------------------------------------
# Reading the file


def test_a_missing_id_or_name_column_refuses_the_file(db: Session) -> None:
    columns = [c for c in V1_COLUMNS if c != "nom"]
    row = v1_row()
    del row["nom"]
    with pytest.raises(ImportFailed) as failure:
        import_places(db, to_csv([row], columns))
    assert [(e.line, e.field) for e in failure.value.errors] == [(1, "nom")]


def test_columns_of_a_newer_version_are_ignored_and_named(db: Session) -> None:
    columns = (*V1_COLUMNS, "structure_porteuse", "labels_nationaux_2027")
    row = v1_row(structure_porteuse="Commune", labels_nationaux_2027="France Services")
    report = import_places(db, to_csv([row], columns))
    assert report.created == 1
    [note] = report.warnings
    assert (note.line, note.kind) == (1, Kind.NOTE)
    assert "structure_porteuse, labels_nationaux_2027" in note.message


def test_a_file_that_is_not_utf8_is_refused(db: Session) -> None:
    data = to_csv([v1_row(commune="Vénissieux", code_postal="69200")]).encode("latin-1")
    with pytest.raises(ImportFailed) as failure:
        import_places(db, data)
    assert "UTF-8" in failure.value.errors[0].message
    assert count(db) == 0


def test_the_json_of_the_standard_is_read(db: Session) -> None:
    places = [
        {
            **v1_row(id="a"),
            "latitude": 48.936,
            "longitude": 2.357,
            "services": [
                "Aide aux démarches administratives",
                "Insertion professionnelle via le numérique",
            ],
        },
        {**v1_row(id="b", courriels="mfs@ville-louvres"), "latitude": None, "longitude": None},
    ]
    text = "[\n" + ",\n".join(json.dumps(p, ensure_ascii=False) for p in places) + "\n]\n"
    report = import_places(db, text.encode("utf-8"))
    assert report.created == 2
    assert [(w.line, w.field) for w in report.warnings] == [(3, "courriels")]
    a = db.get(Place, "a")
    assert a is not None
    assert (a.latitude, a.longitude) == (48.936, 2.357)
    assert a.values("services") == [
        "Aide aux démarches administratives",
        "Insertion professionnelle via le numérique",
    ]


def test_geojson_features_are_read(db: Session) -> None:
    row = v1_row(id="g")
    del row["latitude"], row["longitude"]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [2.357, 48.936]},
                "properties": row,
            }
        ],
    }
    report = import_places(db, json.dumps(document))
    assert report.created == 1
    place = db.get(Place, "g")
    assert place is not None and (place.latitude, place.longitude) == (48.936, 2.357)


# --------------------------------------------------------------------------------------------
# Tolerance kept from the standard


def test_unreadable_hours_are_kept_raw_with_a_note(db: Session) -> None:
    report = import_places(db, to_csv([v1_row(horaires="du lundi au vendredi, 9h-12h")]))
    assert report.created == 1
    [warning] = report.warnings
    assert (warning.line, warning.field, warning.kind) == (2, "horaires", Kind.NOTE)
    place = db.get(Place, "lieu-1")
    assert place is not None and place.horaires == "du lundi au vendredi, 9h-12h"


def test_zero_coordinates_mean_no_position(db: Session) -> None:
    report = import_places(db, to_csv([v1_row(latitude="0", longitude="0")]))
    assert [w.field for w in report.warnings] == ["latitude"]
    place = db.get(Place, "lieu-1")
    assert place is not None and place.latitude is None and place.longitude is None


def test_a_spreadsheet_export_with_titles_semicolons_and_bom_is_read(db: Session) -> None:
    titles = [
        "Identifiant unique local du lieu",
        "Nom",
        "Commune",
        "Code postal",
        "Adresse",
        "Latitude",
        "Longitude",
        "Date de mise à jour",
        "Services",
        "Frais à charge",
    ]
    line = [
        "lieu-9",
        "Médiathèque",
        "Vénissieux",
        "69200",
        "2 avenue du Parc",
        "45.697",
        "4.886",
        "2026-03-01",
        "Accès internet et matériel informatique",
        "Gratuit",
    ]
    data = ("\ufeff" + ";".join(titles) + "\r\n" + ";".join(line) + "\r\n").encode("utf-8")
    report = import_places(db, data)
    assert report.created == 1
    place = db.get(Place, "lieu-9")
    assert place is not None
    assert (place.commune, place.commune_key, place.frais_a_charge, place.insee_code) == (
        "Vénissieux",
        "venissieux",
        "Gratuit",
        "69259",
    )


# --------------------------------------------------------------------------------------------
# The report


def test_the_summary_counts_by_outcome_and_warnings_by_field(db: Session) -> None:
    rows = [
        v1_row(id="a", courriels="x@y|contact@lieu.example", telephone="12"),
        v1_row(id="b", courriels="a b@lieu.example"),
        v1_row(id="c", nom=""),
        v1_row(id="a", nom="Doublon"),
    ]
    report = import_places(db, to_csv(rows), now=T1)
    assert report.warnings_by_field() == [("courriels", 2), ("telephone", 1)]
    assert report.summary() == (
        "2 créés, 0 mis à jour, 0 inchangé, 0 retiré, 2 lignes écartées ; "
        "3 avertissements (courriels 2, telephone 1)"
    )
    out = io.StringIO()
    write_report(report, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "ligne,identifiant,champ,suite,message"
    assert lines[1].startswith("2,a,courriels,valeur retirée,« x@y »")
    assert [line.split(",")[:4] for line in lines[3:]] == [
        ["3", "b", "courriels", "valeur retirée"],
        ["4", "c", "nom", "ligne écartée"],
        ["5", "a", "id", "ligne écartée"],
    ]


def test_a_dry_run_changes_nothing(db: Session) -> None:
    import_places(db, three_places(), now=T1)
    report = import_places(
        db, three_places(nom="Nouveau", date_maj="2026-06-01"), now=T2, dry_run=True
    )
    assert (report.updated, report.unchanged, report.dry_run) == (1, 2, True)
    assert report.summary().endswith("essai : rien n'a été enregistré")
    db.expire_all()
    place = db.get(Place, "b")
    assert place is not None and place.name == "Lieu B"
    first = import_places(db, to_csv([v1_row(id="z")]), dry_run=True)
    assert first.created == 1 and db.get(Place, "z") is None


# --------------------------------------------------------------------------------------------
# Re-imports


def test_importing_the_same_file_again_changes_nothing(db: Session) -> None:
    text = DEMO_FILE.read_text(encoding="utf-8")
    first = import_places(db, text, now=T1)
    second = import_places(db, text, now=T2)
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    assert second.summary() == (
        f"0 créé, 0 mis à jour, {first.created} inchangés, 0 retiré, 0 ligne écartée"
    )
    stamps = set(db.scalars(select(Place.updated_at)))
    assert {stamp.replace(tzinfo=UTC) for stamp in stamps} == {T1}


def test_a_newer_file_updates_places_by_id(db: Session) -> None:
    import_places(db, three_places(), now=T1)
    report = import_places(
        db,
        three_places(nom="Lieu B rénové", date_maj="2026-05-01", horaires="Mo 10:00-12:00"),
        now=T2,
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    place = db.get(Place, "b")
    assert place is not None
    assert (place.name, place.horaires, place.date_maj) == (
        "Lieu B rénové",
        "Mo 10:00-12:00",
        date(2026, 5, 1),
    )
    assert place.updated_at.replace(tzinfo=UTC) == T2
    other = db.get(Place, "a")
    assert other is not None and other.updated_at.replace(tzinfo=UTC) == T1


def test_an_older_row_does_not_overwrite_a_newer_place(db: Session) -> None:
    import_places(db, three_places(date_maj="2026-05-01"), now=T1)
    report = import_places(db, three_places(nom="Ancien nom", date_maj="2025-01-01"), now=T2)
    assert (report.updated, report.older) == (0, 1)
    place = db.get(Place, "b")
    assert place is not None and place.name == "Lieu B"


def test_without_a_source_places_absent_from_a_new_file_are_kept(db: Session) -> None:
    import_places(db, three_places(), now=T1)
    report = import_places(db, to_csv([v1_row(id="a", nom="Lieu A")]), now=T2)
    assert (report.created, report.updated, report.unchanged, report.retired) == (0, 0, 1, 0)
    assert count(db) == 3


# --------------------------------------------------------------------------------------------
# A full file is a snapshot of its source


def retired(db: Session) -> set[str]:
    return set(db.scalars(select(Place.id).where(Place.retired_at.is_not(None))))


def test_places_missing_from_a_newer_file_of_the_source_are_retired_not_deleted(
    db: Session,
) -> None:
    import_places(db, three_places(), source="national", now=T1)
    import_places(db, to_csv([v1_row(id="other")]), source="region", now=T1)
    rows = [
        v1_row(id="a", nom="Lieu A"),
        v1_row(
            id="c",
            nom="Lieu C",
            code_postal="75011",
            commune="Paris",
            latitude="48.859",
            longitude="2.379",
        ),
    ]
    report = import_places(db, to_csv(rows), source="national", now=T2)
    assert (report.retired, report.unchanged) == (1, 2)
    assert retired(db) == {"b"}  # the other source's place stays
    assert count(db) == 4
    place = db.get(Place, "b")
    assert place is not None and place.retired_at.replace(tzinfo=UTC) == T2
    # Listed again: back.
    again = import_places(db, three_places(), source="national", now=T2)
    assert (again.updated, again.retired) == (1, 0)
    assert retired(db) == set()


def test_a_partial_file_retires_nothing(db: Session) -> None:
    import_places(db, three_places(), source="national", now=T1)
    report = import_places(
        db, to_csv([v1_row(id="a", nom="Lieu A")]), source="national", partial=True, now=T2
    )
    assert report.retired == 0 and retired(db) == set()


def test_a_file_that_would_retire_most_places_is_refused(db: Session) -> None:
    rows = [v1_row(id=f"p{n}") for n in range(30)]
    import_places(db, to_csv(rows), source="national", now=T1)
    with pytest.raises(ImportFailed) as failure:
        import_places(db, to_csv(rows[:5]), source="national", now=T2)
    assert "25 des 30" in str(failure.value)
    assert retired(db) == set()
    report = import_places(
        db, to_csv(rows[:5]), source="national", now=T2, allow_mass_retirement=True
    )
    assert report.retired == 25


def test_a_skipped_row_does_not_retire_its_place(db: Session) -> None:
    import_places(db, three_places(), source="national", now=T1)
    report = import_places(db, three_places(nom=""), source="national", now=T2)
    assert (report.retired, len(report.skipped)) == (0, 1)
    place = db.get(Place, "b")
    assert place is not None and place.name == "Lieu B" and place.retired_at is None


# --------------------------------------------------------------------------------------------
# Legacy files and the Pass numérique


def legacy_file() -> str:
    return v0_csv(
        [
            v0_row(
                id="a",
                conditions_acces=f"Payant : L'accès au lieu et/ou à ses services est "
                f"payant;{PASS_VALUE}",
            ),
            v0_row(id="b", nom="Sans pass", code_postal="93300", commune="Aubervilliers"),
        ]
    )


def test_a_legacy_file_is_read_and_sets_the_pass_numerique_flag(db: Session) -> None:
    report = import_places(db, legacy_file(), now=T1)
    assert report.format is Format.V0
    assert report.created == 2
    a, b = db.get(Place, "a"), db.get(Place, "b")
    assert a is not None and b is not None
    assert (a.accepts_pass_numerique, b.accepts_pass_numerique) == (True, False)
    # Legacy values become version 1 values.
    assert a.values("services") == [
        "Insertion professionnelle via le numérique",
        "Maîtrise des outils numériques du quotidien",
    ]
    assert a.values("frais_a_charge") == ["Payant", "Gratuit sous condition"]
    assert b.values("frais_a_charge") == ["Gratuit"]
    assert a.values("modalites_accompagnement") == [
        "Accompagnement individuel",
        "Dans un atelier collectif",
    ]
    assert a.values("specific_support") == ["Illettrisme"]
    assert a.values("publics") == []
    assert a.email == "contact@lieu.example"
    assert a.accessibilite == "https://acceslibre.example/erp/lieu-1/"


def test_a_legacy_file_is_checked_too(db: Session) -> None:
    report = import_places(db, v0_csv([v0_row(conditions_acces="Gratuit;Pass Culture")]))
    [warning] = report.warnings
    assert (warning.line, warning.field) == (2, "conditions_acces")
    assert "« Pass Culture »" in warning.message
    place = db.get(Place, "lieu-1")
    assert place is not None and place.values("frais_a_charge") == ["Gratuit"]


def test_the_flag_is_kept_when_a_v1_file_replaces_the_legacy_one(db: Session) -> None:
    import_places(db, legacy_file(), now=T1)
    newer = to_csv([v1_row(id="a", nom="Lieu A", date_maj="2026-09-01")])
    report = import_places(db, newer, now=T2)
    assert report.updated == 1
    place = db.get(Place, "a")
    assert place is not None
    assert place.name == "Lieu A"
    assert place.values("frais_a_charge") == ["Gratuit"]
    assert place.accepts_pass_numerique is True


def test_an_import_never_resets_a_flag_set_by_staff(db: Session) -> None:
    text = three_places()
    import_places(db, text, now=T1)
    place = db.get(Place, "c")
    assert place is not None
    place.accepts_pass_numerique = True
    db.commit()
    report = import_places(db, text, now=T2)
    assert report.unchanged == 3
    db.expire_all()
    place = db.get(Place, "c")
    assert place is not None and place.accepts_pass_numerique is True


def test_a_v1_file_may_carry_the_legacy_pass_numerique_column(db: Session) -> None:
    columns = (*V1_COLUMNS, "conditions_acces")
    rows = [v1_row(id="a", conditions_acces=PASS_VALUE), v1_row(id="b")]
    report = import_places(db, to_csv(rows, columns))
    assert report.format is Format.V1
    a, b = db.get(Place, "a"), db.get(Place, "b")
    assert a is not None and b is not None
    assert (a.accepts_pass_numerique, b.accepts_pass_numerique) == (True, False)
    # In a v1 file, the fees come from frais_a_charge only.
    assert a.values("frais_a_charge") == ["Gratuit"]


def test_an_older_legacy_row_still_raises_the_flag(db: Session) -> None:
    import_places(db, to_csv([v1_row(id="a", date_maj="2026-09-01")]), now=T1)
    report = import_places(db, legacy_file(), now=T2)
    assert (report.created, report.updated, report.older) == (1, 1, 0)
    place = db.get(Place, "a")
    assert place is not None
    assert place.accepts_pass_numerique is True
    assert place.date_maj == date(2026, 9, 1)  # the newer data stays
