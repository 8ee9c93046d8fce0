"""Monthly figures: counted right, on a small known dataset, and without personal data."""

from __future__ import annotations

import copy
import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from app import migrate
from app.models import Organisation
from app.staff.consent import grant, withdraw
from app.staff.figures import (
    CSV_HEADER,
    MonthFigures,
    figures_csv,
    figures_ods,
    monthly_figures,
)
from app.staff.records import record_note, record_vouchers
from app.staff.requests import create_request, set_status

from . import NOW, add_journey, add_organisation, add_staff, new_session, postgres_database

ORG_NAME = "France Services Bondy"
STAFF_NAME = "Awa Diallo"
PHONE = "06 12 34 56 78"
EMAIL = "personne@example.fr"
BOOKLET = "PN-BOOKLET-777"


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def domains(**bands: int) -> dict[str, int]:
    every = dict.fromkeys(
        ("information", "communication", "creation", "protection", "environment"), 3
    )
    return {**every, **bands}


def build(db: Session) -> Organisation:
    """The dataset the expected figures below are counted from, by hand."""
    org = add_organisation(db, ORG_NAME)
    other = add_organisation(db, "Autre structure")
    staff = add_staff(db, org, name=STAFF_NAME)
    outsider = add_staff(db, other, name="Marc Martin")

    def share(
        person: Any, organisation: Organisation, when: datetime, purpose: str = "share-results"
    ) -> Any:
        return grant(
            db, person=person, organisation=organisation, purpose=purpose, months=6, now=when
        )

    # November: A alone (band 0, weakest information), B assisted (band 2, weakest protection,
    # two consents: counted once).
    a = add_journey(db, band=0, domain_bands=domains(information=0, communication=1))
    share(a, org, at(11, 5))
    b = add_journey(db, assisted=True, band=2, domain_bands=domains(protection=1))
    share(b, org, at(11, 10))
    share(b, org, at(11, 12), "contact")
    # October: C assisted (band 1; creation and environment both band 0, environment lower),
    # withdrawn since (still counted); E alone (band 3), whose consent came at 00:30 on
    # 1 October in Paris (still 30 September in UTC).
    c = add_journey(db, assisted=True, band=1, domain_bands=domains(creation=0, environment=0))
    assert c.result is not None
    details = copy.deepcopy(c.result.details)
    details["domains"]["environment"]["theta"] = -2.0
    c.result.details = details
    db.commit()
    consent_c = share(c, org, at(10, 3))
    e = add_journey(db, band=3, domain_bands=domains())
    share(e, org, datetime(2026, 9, 30, 22, 30, tzinfo=UTC))
    # Not counted: no result; another organisation's; first consent before the window.
    share(add_journey(db), org, at(11, 6))
    share(add_journey(db, band=2, domain_bands=domains()), other, at(11, 6))
    g = add_journey(db, band=1, domain_bands=domains())
    share(g, org, datetime(2026, 3, 1, tzinfo=UTC))
    share(g, org, at(11, 1))

    # Chèques: 5 + 3 in November, 10 in October; another organisation's; a note.
    for count, when in ((5, at(11, 6)), (3, at(11, 18)), (10, at(10, 10))):
        record_vouchers(
            db,
            staff=staff,
            person_id=(a if when.month == 11 else c).id,
            booklet_number=BOOKLET,
            count=count,
            expires_on=date(2027, 12, 31),
            form_key=f"v-{count}",
            now=when,
        )
    share(a, other, at(11, 1))
    record_vouchers(
        db,
        staff=outsider,
        person_id=a.id,
        booklet_number="X1",
        count=7,
        expires_on=date(2027, 12, 31),
        form_key="v-other",
        now=at(11, 7),
    )
    record_note(db, staff=staff, person_id=a.id, note="Une note", form_key="n", now=at(11, 8))
    withdraw(db, person=c, consent_id=consent_c.id, now=at(10, 20))

    # Requests (people without a result): received 30 Oct, answered 1 Nov (48 h); received
    # 2 Nov, answered after 2 h; received 3 Nov, answered after 24 h; received 15 Nov, waiting;
    # another organisation's.
    def request(organisation: Organisation, created: datetime, answered: datetime | None) -> None:
        made = create_request(
            db,
            person=add_journey(db),
            organisation=organisation,
            channel="phone",
            slots=["mon-am"],
            phone=PHONE,
            email=EMAIL,
            origin="results",
            form_key=f"r-{organisation.id}-{created.isoformat()}",
            now=created,
        )
        if answered is not None:
            who = staff if organisation is org else outsider
            set_status(db, staff=who, request_id=made.id, status="in-progress", now=answered)

    request(org, at(10, 30), at(11, 1))
    request(org, at(11, 2), at(11, 2, 12))
    request(org, at(11, 3), at(11, 4))
    request(org, at(11, 15), None)
    request(other, at(11, 15), at(11, 16))
    return org


EXPECTED = [
    MonthFigures(
        month=date(2026, 11, 1),
        tests_alone=1,
        tests_assisted=1,
        bands={0: 1, 1: 0, 2: 1, 3: 0},
        weakest_domains={
            "information": 1,
            "communication": 0,
            "creation": 0,
            "protection": 1,
            "environment": 0,
        },
        vouchers_handed=8,
        voucher_records=2,
        requests_received=3,
        requests_answered=3,
        median_hours_to_answer=24.0,
    ),
    MonthFigures(
        month=date(2026, 10, 1),
        tests_alone=1,
        tests_assisted=1,
        bands={0: 0, 1: 1, 2: 0, 3: 1},
        weakest_domains={
            "information": 1,  # E: every band equal, the first domain
            "communication": 0,
            "creation": 0,
            "protection": 0,
            "environment": 1,
        },
        vouchers_handed=10,
        voucher_records=1,
        requests_received=1,
        requests_answered=0,
        median_hours_to_answer=None,
    ),
    MonthFigures(month=date(2026, 9, 1)),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Session]:
    if request.param == "sqlite":
        with new_session() as session:
            yield session
        return
    with postgres_database("repere_figures") as url:
        migrate.upgrade(url)
        engine = create_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                yield session
        finally:
            engine.dispose()


def test_figures_count_right(db: Session) -> None:
    org = build(db)
    figures = monthly_figures(db, organisation=org, months=3, now=NOW)
    assert figures == EXPECTED
    assert figures[0].tests == 2


def test_figures_cover_twelve_months_newest_first_and_take_few_queries(db: Session) -> None:
    org = build(db)
    statements: list[str] = []
    engine = db.get_bind()

    def listener(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        figures = monthly_figures(db, organisation=org, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert [f.month for f in figures][:3] == [
        date(2026, 11, 1),
        date(2026, 10, 1),
        date(2026, 9, 1),
    ]
    assert figures[-1].month == date(2025, 12, 1) and len(figures) == 12
    assert figures[:2] == EXPECTED[:2]
    assert len(statements) == 5  # however many people: one query per kind of figure


def test_a_month_starts_at_midnight_in_paris(db: Session) -> None:
    org = build(db)
    # At 23:30 UTC on 31 October it is already November in Paris.
    figures = monthly_figures(
        db, organisation=org, months=1, now=datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    )
    assert figures[0].month == date(2026, 11, 1)


def test_the_csv_has_a_french_header_one_row_per_month_and_no_personal_data() -> None:
    with new_session() as db:
        org = build(db)
        figures = monthly_figures(db, organisation=org, months=3, now=NOW)
        text = figures_csv(figures)
        share_code = org.share_code
    # French spreadsheets: a byte-order mark (Excel then reads UTF-8), ";" between fields.
    assert text.startswith("\ufeffmois;")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == list(CSV_HEADER)
    assert rows[0][:3] == ["mois", "tests_seuls", "tests_accompagnes"]
    assert [row[0] for row in rows[1:]] == ["2026-11", "2026-10", "2026-09"]
    november = dict(zip(rows[0], rows[1], strict=True))
    assert november["tests_seuls"] == "1" and november["tests_accompagnes"] == "1"
    assert november["cheques_remis"] == "8" and november["delai_median_reponse_heures"] == "24,0"
    assert dict(zip(rows[0], rows[2], strict=True))["delai_median_reponse_heures"] == ""
    for secret in (
        ORG_NAME,
        STAFF_NAME,
        "Marc",
        "@",
        EMAIL,
        PHONE,
        "+33",
        "612345678",
        BOOKLET,
        share_code,
        "Une note",
    ):
        assert secret not in text
    assert all(
        cell.replace(",", "").replace("-", "").isdigit() or cell == ""
        for row in rows[1:]
        for cell in row
    )


def test_figures_need_at_least_one_month() -> None:
    with new_session() as db, pytest.raises(ValueError):
        monthly_figures(db, organisation=add_organisation(db), months=0, now=NOW)


def test_an_organisation_without_activity_has_zeros() -> None:
    with new_session() as db:
        figures = monthly_figures(db, organisation=add_organisation(db), months=2, now=NOW)
    assert figures == [MonthFigures(month=date(2026, 11, 1)), MonthFigures(month=date(2026, 10, 1))]
    assert figures[0].bands == {0: 0, 1: 0, 2: 0, 3: 0}
    assert sum(figures[0].weakest_domains.values()) == 0


def test_the_ods_holds_the_same_table_with_typed_numbers() -> None:
    with new_session() as db:
        org = build(db)
        figures = monthly_figures(db, organisation=org, months=3, now=NOW)
        data = figures_ods(figures)
    archive = zipfile.ZipFile(io.BytesIO(data))
    first = archive.infolist()[0]
    # What makes it an OpenDocument file: "mimetype" first, not compressed.
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    assert b'manifest:full-path="content.xml"' in archive.read("META-INF/manifest.xml")
    ns = {
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    }
    content = ET.fromstring(archive.read("content.xml"))
    value = f"{{{ns['office']}}}value"
    kind = f"{{{ns['office']}}}value-type"
    rows = [
        [(cell.get(kind), cell.get(value), "".join(cell.itertext())) for cell in row]
        for row in content.iterfind(".//table:table-row", ns)
    ]
    assert [text for _kind, _value, text in rows[0]] == list(CSV_HEADER)
    november = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert november["mois"] == ("string", None, "2026-11")
    assert november["tests_seuls"] == ("float", "1", "1")
    assert november["delai_median_reponse_heures"] == ("float", "24.0", "24,0")
    assert dict(zip(CSV_HEADER, rows[2], strict=True))["delai_median_reponse_heures"] == (
        None,
        None,
        "",
    )
    assert len(rows) == 4
    for secret in (ORG_NAME, STAFF_NAME, EMAIL, PHONE, BOOKLET):
        assert secret.encode() not in archive.read("content.xml")
