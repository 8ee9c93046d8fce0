"""What staff record for a person: only for people they may see, once per form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Organisation, Person, StaffRecord, StaffUser
from app.staff.consent import NotVisible, active_consents, grant, withdraw
from app.staff.records import (
    MAX_NOTE_LENGTH,
    RecordError,
    clean_note,
    names_for,
    record_note,
    record_orientation,
    record_vouchers,
    records_about,
    records_for,
)
from app.times import PARIS

from . import NOW, add_journey, add_organisation, add_place, add_staff, new_session


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


@pytest.fixture()
def org(db: Session) -> Organisation:
    return add_organisation(db, "France Services Bondy")


@pytest.fixture()
def other_org(db: Session) -> Organisation:
    return add_organisation(db, "Association Clic Montreuil", kind="association")


@pytest.fixture()
def staff(db: Session, org: Organisation) -> StaffUser:
    return add_staff(db, org)


@pytest.fixture()
def person(db: Session, org: Organisation) -> Person:
    person = add_journey(db, band=0)
    grant(db, person=person, organisation=org, purpose="share-results", months=6, now=NOW)
    return person


_keys = iter(range(10**6))


def vouchers(db: Session, staff: StaffUser, person_id: int, **values: Any) -> StaffRecord:
    arguments: dict[str, Any] = {
        "booklet_number": "pn-2026-000123",
        "count": 5,
        "expires_on": date(2027, 6, 30),
        "form_key": f"key-{next(_keys)}",
        "now": NOW,
        **values,
    }
    return record_vouchers(db, staff=staff, person_id=person_id, **arguments)


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(StaffRecord)) or 0


# --------------------------------------------------------------------------------------------
# Chèques


def test_handing_over_cheques_is_recorded(
    db: Session, staff: StaffUser, person: Person, org: Organisation
) -> None:
    record = vouchers(db, staff, person.id)
    assert record.kind == "vouchers"
    assert record.booklet_number == "PN-2026-000123"
    assert record.voucher_count == 5
    assert record.vouchers_expire_on == date(2027, 6, 30)
    assert (record.person_id, record.organisation_id, record.staff_id) == (
        person.id,
        org.id,
        staff.id,
    )
    assert record.created_at == NOW


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 51}, "count"),
        ({"count": True}, "count"),
        ({"count": "5"}, "count"),
        ({"booklet_number": ""}, "booklet_number"),
        ({"booklet_number": "PN 2026"}, "booklet_number"),
        ({"booklet_number": "PN/2026"}, "booklet_number"),
        ({"booklet_number": "A" * 41}, "booklet_number"),
        ({"expires_on": date(2026, 11, 19)}, "expires_on"),
    ],
)
def test_cheques_must_be_valid(
    db: Session, staff: StaffUser, person: Person, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(RecordError) as error:
        vouchers(db, staff, person.id, **values)
    assert error.value.field == field
    assert count(db) == 0


def test_cheques_valid_until_today_in_paris_are_accepted(
    db: Session, staff: StaffUser, person: Person
) -> None:
    # 23:30 UTC on 30 November is already 1 December in Paris.
    late_utc = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert late_utc.astimezone(PARIS).date() == date(2026, 12, 1)
    with pytest.raises(RecordError):
        vouchers(db, staff, person.id, expires_on=date(2026, 11, 30), now=late_utc)
    assert vouchers(db, staff, person.id, expires_on=date(2026, 12, 1), now=late_utc)
    assert vouchers(db, staff, person.id, expires_on=NOW.date(), now=NOW)
    assert vouchers(db, staff, person.id, count=50, booklet_number="A" * 40)


def test_the_same_form_twice_records_once(
    db: Session, staff: StaffUser, person: Person, org: Organisation
) -> None:
    first = vouchers(db, staff, person.id, form_key="form-1")
    again = vouchers(db, staff, person.id, form_key="form-1", count=7)
    assert again.id == first.id and again.voucher_count == 5
    assert count(db) == 1
    # The key of another kind of form, or of another organisation, is not taken for this one.
    with pytest.raises(RecordError):
        record_note(db, staff=staff, person_id=person.id, note="x", form_key="form-1", now=NOW)
    other_person = add_journey(db)
    grant(db, person=other_person, organisation=org, purpose="contact", months=1, now=NOW)
    with pytest.raises(RecordError):
        vouchers(db, staff, other_person.id, form_key="form-1")
    assert count(db) == 1


def test_nothing_is_recorded_about_someone_not_visible(
    db: Session, person: Person, other_org: Organisation, staff: StaffUser, org: Organisation
) -> None:
    stranger = add_staff(db, other_org)
    place = add_place(db)
    attempts = [
        lambda: vouchers(db, stranger, person.id),
        lambda: record_orientation(
            db, staff=stranger, person_id=person.id, place_id=place.id, form_key="o", now=NOW
        ),
        lambda: record_note(
            db, staff=stranger, person_id=person.id, note="Bonjour", form_key="n", now=NOW
        ),
        lambda: vouchers(db, staff, person.id + 100),  # nobody
        lambda: vouchers(db, add_staff(db, None, role="admin"), person.id),
    ]
    for attempt in attempts:
        with pytest.raises(NotVisible):
            attempt()
    assert count(db) == 0
    # Nor after the person withdrew their consent.
    (consent,) = active_consents(db, person, NOW)
    withdraw(db, person=person, consent_id=consent.id, now=NOW)
    with pytest.raises(NotVisible):
        vouchers(db, staff, person.id, now=NOW + timedelta(seconds=1))
    assert count(db) == 0


# --------------------------------------------------------------------------------------------
# Orientation and notes


def test_an_orientation_names_a_known_place(db: Session, staff: StaffUser, person: Person) -> None:
    place = add_place(db)
    with pytest.raises(RecordError) as error:
        record_orientation(
            db, staff=staff, person_id=person.id, place_id="nowhere", form_key="o1", now=NOW
        )
    assert error.value.field == "place_id"
    record = record_orientation(
        db, staff=staff, person_id=person.id, place_id=place.id, form_key="o2", now=NOW
    )
    assert (record.kind, record.place_id) == ("orientation", place.id)


def test_a_note_loses_its_control_characters_but_keeps_its_lines(
    db: Session, staff: StaffUser, person: Person
) -> None:
    record = record_note(
        db,
        staff=staff,
        person_id=person.id,
        note="  Atelier CV\r\nmardi\x00\x1b[31m\tmatin\u202e  \n",
        form_key="n1",
        now=NOW,
    )
    assert record.note == "Atelier CV\nmardi[31m matin"
    assert clean_note("é\u200bà\n\nfin") == "é\u200bà\n\nfin"


@pytest.mark.parametrize("note", ["", "   ", "\x00\x07", "x" * (MAX_NOTE_LENGTH + 1)])
def test_a_note_must_be_written_and_short(
    db: Session, staff: StaffUser, person: Person, note: str
) -> None:
    with pytest.raises(RecordError) as error:
        record_note(db, staff=staff, person_id=person.id, note=note, form_key="n", now=NOW)
    assert error.value.field == "note"
    assert count(db) == 0


def test_a_note_of_the_longest_length_is_kept(
    db: Session, staff: StaffUser, person: Person
) -> None:
    note = "x" * MAX_NOTE_LENGTH + "\x00"
    record = record_note(db, staff=staff, person_id=person.id, note=note, form_key="n", now=NOW)
    assert record.note == "x" * MAX_NOTE_LENGTH


# --------------------------------------------------------------------------------------------
# Reading records


def test_staff_read_only_their_organisation_records_newest_first(
    db: Session, staff: StaffUser, person: Person, org: Organisation, other_org: Organisation
) -> None:
    grant(db, person=person, organisation=other_org, purpose="share-results", months=1, now=NOW)
    colleague = add_staff(db, org, name="Léa")
    outsider = add_staff(db, other_org, name="Marc")
    older = vouchers(db, staff, person.id, now=NOW)
    theirs = record_note(
        db, staff=outsider, person_id=person.id, note="Leur note", form_key="t", now=NOW
    )
    newer = record_note(
        db,
        staff=colleague,
        person_id=person.id,
        note="Notre note",
        form_key="c",
        now=NOW + timedelta(hours=1),
    )
    someone_else = add_journey(db)
    grant(db, person=someone_else, organisation=org, purpose="contact", months=1, now=NOW)
    vouchers(db, staff, someone_else.id)

    later = NOW + timedelta(hours=2)
    assert [r.id for r in records_for(db, staff=staff, person_id=person.id, now=later)] == [
        newer.id,
        older.id,
    ]
    assert [r.id for r in records_for(db, staff=outsider, person_id=person.id, now=later)] == [
        theirs.id
    ]
    assert [r.id for r in records_about(db, person)] == [newer.id, theirs.id, older.id]
    with pytest.raises(NotVisible):
        records_for(db, staff=outsider, person_id=someone_else.id, now=later)

    organisations, places = names_for(db, records_about(db, person))
    assert organisations == {org.id: org.name, other_org.id: other_org.name}
    assert places == {}
