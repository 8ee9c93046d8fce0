"""A person's name or initials, their short reference, and the history of a request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app.staff import consent, requests

from . import NOW, add_journey, add_organisation, add_staff, new_session


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  M.   K. ", "M. K."),
        ("Awa\u202e D.", "Awa D."),  # a direction change could make it read otherwise
        ("A\tB\nC", "A B C"),
        ("", None),
        ("   ", None),
        (None, None),
        ("كريم", "كريم"),
    ],
)
def test_a_name_is_kept_clean(typed: str | None, kept: str | None) -> None:
    assert consent.clean_display_name(typed) == kept


def test_a_name_has_40_characters_at_most() -> None:
    assert consent.clean_display_name("x" * 40) == "x" * 40
    with pytest.raises(ValueError):
        consent.clean_display_name("x" * 41)


def test_a_reference_is_short_readable_and_fixed(db: Session) -> None:
    first, second = add_journey(db), add_journey(db)
    reference = first.reference
    assert len(reference) == 7 and reference[3] == "-"
    assert not set(reference.replace("-", "")) & set("01OIL")
    assert first.reference == reference and second.reference != reference


def test_the_name_is_given_then_removed(db: Session) -> None:
    person = add_journey(db)
    consent.set_display_name(db, person, " Karim ")
    assert person.display_name == "Karim"
    consent.set_display_name(db, person, None)
    assert person.display_name is None


def test_a_request_tells_who_did_what_and_when(db: Session) -> None:
    organisation = add_organisation(db)
    mediator = add_staff(db, organisation, name="Awa Diallo")
    counsellor = add_staff(db, organisation, name="Julien Martin")
    person = add_journey(db)
    asked = requests.create_request(
        db,
        person=person,
        organisation=organisation,
        channel="in-person",
        slots="mon-am",
        phone=None,
        email=None,
        origin="resultats",
        form_key="k-1",
        now=NOW,
    )
    requests.set_status(
        db, staff=mediator, request_id=asked.id, status="in-progress", now=NOW + timedelta(hours=1)
    )
    requests.set_status(  # the same again changes nothing, and writes nothing
        db, staff=mediator, request_id=asked.id, status="in-progress", now=NOW + timedelta(hours=2)
    )
    requests.set_status(
        db, staff=counsellor, request_id=asked.id, status="done", now=NOW + timedelta(hours=3)
    )
    lines = requests.history(db, asked)
    assert [(line.status, line.staff_name) for line in lines] == [
        ("new", None),
        ("in-progress", "Awa Diallo"),
        ("done", "Julien Martin"),
    ]
    assert [line.at for line in lines] == [NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=3)]


def test_a_request_cancelled_by_the_person_or_expired_says_so(db: Session) -> None:
    organisation = add_organisation(db)
    person = add_journey(db)

    def make(key: str) -> object:
        return requests.create_request(
            db,
            person=person,
            organisation=organisation,
            channel="in-person",
            slots="mon-am",
            phone=None,
            email=None,
            origin="resultats",
            form_key=key,
            now=NOW,
        )

    cancelled, expired = make("k-2"), make("k-3")
    requests.cancel_by_person(db, person=person, request_id=cancelled.id, now=NOW)
    requests.expire_and_erase(db, now=NOW + timedelta(days=31))
    db.refresh(expired)
    assert [(x.status, x.staff_name) for x in requests.history(db, cancelled)] == [
        ("new", None),
        ("cancelled", None),
    ]
    assert [(x.status, x.staff_name) for x in requests.history(db, expired)] == [
        ("new", None),
        ("expired", None),
    ]
