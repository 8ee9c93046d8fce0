"""Import of the national standard: every row checked, all or nothing, idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Place
from app.places.importer import ImportFailed, import_places
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
        v1_row(id="b", nom="Lieu B", code_postal="93300", commune="Aubervilliers"),
        v1_row(
            id="c",
            nom="Lieu C",
            code_postal="75011",
            commune="Paris",
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
# Invalid rows: reported with their line and field, nothing imported


INVALID = [
    pytest.param({"nom": ""}, "nom", "obligatoire", id="missing-required"),
    pytest.param({"adresse": "   "}, "adresse", "obligatoire", id="blank-required"),
    pytest.param({"code_postal": "7500"}, "code_postal", "5 chiffres", id="short-postcode"),
    pytest.param({"code_postal": "ABCDE"}, "code_postal", "5 chiffres", id="letters-postcode"),
    pytest.param({"code_postal": "00100"}, "code_postal", "aucun département", id="no-dept"),
    pytest.param({"latitude": "quarante-huit"}, "latitude", "pas un nombre", id="nan-latitude"),
    pytest.param({"latitude": "95"}, "latitude", "entre -90 et 90", id="latitude-range"),
    pytest.param({"longitude": "200"}, "longitude", "entre -180 et 180", id="longitude-range"),
    pytest.param({"longitude": ""}, "longitude", "vont ensemble", id="half-coordinates"),
    pytest.param(
        {"latitude": "2.357", "longitude": "48.936"},
        "latitude",
        "inversées",
        id="swapped-coordinates",
    ),
    pytest.param(
        {"latitude": "40.7", "longitude": "-74.0"},
        "latitude",
        "hors de France",
        id="outside-france",
    ),
    pytest.param({"frais_a_charge": "Gratos"}, "frais_a_charge", "« Gratos »", id="bad-fee"),
    pytest.param(
        {"services": "Aide aux démarches administratives|Cuisine"},
        "services",
        "« Cuisine »",
        id="bad-service",
    ),
    pytest.param(
        {"modalites_accompagnement": "Seul"},
        "modalites_accompagnement",
        "« Seul »",
        id="legacy-mode-in-v1",
    ),
    pytest.param(
        {
            "services": "Aide aux démarches administratives;Insertion professionnelle "
            "via le numérique"
        },
        "services",
        "n'est pas une valeur permise",
        id="v0-separator-in-v1",
    ),
    pytest.param({"date_maj": "15/01/2026"}, "date_maj", "AAAA-MM-JJ", id="french-date"),
    pytest.param({"date_maj": "2026-02-30"}, "date_maj", "AAAA-MM-JJ", id="impossible-date"),
    pytest.param({"telephone": "12345"}, "telephone", "numéro de téléphone", id="bad-phone"),
    pytest.param({"courriels": "contact-at-lieu"}, "courriels", "adresse e-mail", id="bad-email"),
    pytest.param({"site_web": "javascript:alert(1)"}, "site_web", "adresse web", id="bad-url"),
    pytest.param({"prise_rdv": "rdv"}, "prise_rdv", "adresse web", id="bad-rdv-url"),
    pytest.param({"code_insee": "7511"}, "code_insee", "code INSEE", id="bad-insee"),
]


@pytest.mark.parametrize(("changes", "field", "fragment"), INVALID)
def test_an_invalid_row_is_reported_and_nothing_is_imported(
    db: Session, changes: dict[str, str], field: str, fragment: str
) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_places(db, three_places(**changes), now=T1)
    errors = failure.value.errors
    assert [(e.line, e.field) for e in errors] == [(3, field)], errors
    assert fragment in errors[0].message
    assert count(db) == 0


def test_the_message_names_line_field_and_value_in_plain_french(db: Session) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_places(db, three_places(code_postal="7500"))
    assert str(failure.value.errors[0]) == (
        "ligne 3, champ « code_postal » : « 7500 » n'est pas un code postal à 5 chiffres"
    )
    assert "rien n'a été importé" in str(failure.value)


def test_a_duplicate_id_points_to_the_first_line(db: Session) -> None:
    csv_text = to_csv([v1_row(id="x"), v1_row(id="y"), v1_row(id="x", nom="Autre")])
    with pytest.raises(ImportFailed) as failure:
        import_places(db, csv_text)
    [error] = failure.value.errors
    assert (error.line, error.field) == (4, "id")
    assert "ligne 2" in error.message
    assert count(db) == 0


def test_every_error_of_every_row_is_listed(db: Session) -> None:
    rows = [
        v1_row(id="a"),
        v1_row(id="b", code_postal="9320", frais_a_charge="Gratos"),
        v1_row(id="c"),
        v1_row(id="d", nom="", latitude="x"),
    ]
    with pytest.raises(ImportFailed) as failure:
        import_places(db, to_csv(rows))
    found = {(e.line, e.field) for e in failure.value.errors}
    assert found == {(3, "code_postal"), (3, "frais_a_charge"), (5, "nom"), (5, "latitude")}


def test_a_failed_import_leaves_the_stored_places_alone(db: Session) -> None:
    import_places(db, three_places(), now=T1)
    newer = three_places(nom="Nouveau nom", date_maj="2026-06-01", code_insee="bad")
    with pytest.raises(ImportFailed):
        import_places(db, newer, now=T2)
    db.expire_all()
    place = db.get(Place, "b")
    assert place is not None and place.name == "Lieu B"
    assert count(db) == 3


def test_a_missing_required_column_is_reported_on_the_header(db: Session) -> None:
    columns = [c for c in V1_COLUMNS if c != "code_postal"]
    row = v1_row()
    del row["code_postal"]
    with pytest.raises(ImportFailed) as failure:
        import_places(db, to_csv([row], columns))
    assert [(e.line, e.field) for e in failure.value.errors] == [(1, "code_postal")]


def test_a_row_with_too_many_cells_is_reported(db: Session) -> None:
    csv_text = to_csv([v1_row(id="a")]) + to_csv([v1_row(id="b")]).split("\n", 1)[1].replace(
        "\n", ",en trop\n"
    )
    with pytest.raises(ImportFailed) as failure:
        import_places(db, csv_text)
    [error] = failure.value.errors
    assert error.line == 3
    assert "colonnes" in error.message


def test_line_numbers_count_line_breaks_inside_cells(db: Session) -> None:
    rows = [
        v1_row(id="a", presentation_detail="Première ligne\nDeuxième ligne\nTroisième"),
        v1_row(id="b", code_postal="123"),
    ]
    with pytest.raises(ImportFailed) as failure:
        import_places(db, to_csv(rows))
    assert [(e.line, e.field) for e in failure.value.errors] == [(5, "code_postal")]


def test_a_file_that_is_not_utf8_is_refused(db: Session) -> None:
    data = to_csv([v1_row(commune="Vénissieux", code_postal="69200")]).encode("latin-1")
    with pytest.raises(ImportFailed) as failure:
        import_places(db, data)
    assert "UTF-8" in failure.value.errors[0].message
    assert count(db) == 0


# --------------------------------------------------------------------------------------------
# Tolerance


def test_unreadable_hours_are_kept_raw_with_a_warning(db: Session) -> None:
    report = import_places(db, to_csv([v1_row(horaires="du lundi au vendredi, 9h-12h")]))
    assert report.created == 1
    [warning] = report.warnings
    assert (warning.line, warning.field) == (2, "horaires")
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
    assert (place.commune, place.commune_key, place.frais_a_charge) == (
        "Vénissieux",
        "venissieux",
        "Gratuit",
    )


# --------------------------------------------------------------------------------------------
# Re-imports


def test_importing_the_same_file_again_changes_nothing(db: Session) -> None:
    text = DEMO_FILE.read_text(encoding="utf-8")
    first = import_places(db, text, now=T1)
    second = import_places(db, text, now=T2)
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    assert second.summary() == f"0 créé, 0 mis à jour, {first.created} inchangés"
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


def test_places_absent_from_a_new_file_are_kept(db: Session) -> None:
    import_places(db, three_places(), now=T1)
    report = import_places(db, to_csv([v1_row(id="a", nom="Lieu A")]), now=T2)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert count(db) == 3


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
    with pytest.raises(ImportFailed) as failure:
        import_places(db, v0_csv([v0_row(conditions_acces="Gratuit;Pass Culture")]))
    [error] = failure.value.errors
    assert (error.line, error.field) == (2, "conditions_acces")
    assert "« Pass Culture »" in error.message


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
