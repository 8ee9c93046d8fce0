"""Requests to be contacted: made once, answered, flagged, expired, then erased."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.contact_details import normalise_phone
from app.models import Consent, ContactRequest, Organisation, Person
from app.staff.consent import NotVisible, visible_person
from app.staff.requests import (
    SLOTS,
    RequestError,
    cancel_by_person,
    create_request,
    expire_and_erase,
    is_flagged,
    queue,
    requests_of,
    set_status,
)
from app.times import add_months, as_utc

from . import NOW, add_journey, add_organisation, add_staff, new_session

DAY = timedelta(days=1)


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


@pytest.fixture()
def org(db: Session) -> Organisation:
    return add_organisation(db, "France Travail Bondy", kind="france-travail")


@pytest.fixture()
def person(db: Session) -> Person:
    return add_journey(db, band=0)


_keys = iter(range(10**6))


def make(db: Session, person: Person, org: Organisation, **values: Any) -> ContactRequest:
    arguments: dict[str, Any] = {
        "channel": "phone",
        "slots": ["tue-pm", "mon-am"],
        "phone": "06 12 34 56 78",
        "email": "Awa@Example.FR",
        "origin": "recherche-emploi/cv",
        "form_key": f"key-{next(_keys)}",
        "now": NOW,
        **values,
    }
    return create_request(db, person=person, organisation=org, **arguments)


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


# --------------------------------------------------------------------------------------------
# Making a request


def test_a_phone_request_keeps_the_phone_only_and_grants_a_contact_consent(
    db: Session, person: Person, org: Organisation
) -> None:
    request = make(db, person, org)
    assert request.status == "new"
    assert request.phone == "+33612345678"
    assert request.email is None
    assert request.slots == "mon-am|tue-pm"
    assert request.origin == "recherche-emploi/cv"
    assert request.created_at == NOW and request.answered_at is None
    consent = db.get(Consent, request.consent_id)
    assert consent is not None
    assert (consent.person_id, consent.organisation_id) == (person.id, org.id)
    assert consent.purpose == "contact"
    assert as_utc(consent.expires_at) == add_months(NOW, 1)
    staff = add_staff(db, org, role="counsellor")
    assert visible_person(db, staff=staff, person_id=person.id, now=NOW).id == person.id


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033 1 99 00 12 34", "+33199001234"),
        ("٠٦١٢٣٤٥٦٧٨", "+33612345678"),  # Arabic-Indic digits
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("+590 690 12 34 56", "+590690123456"),  # Guadeloupe
    ],
)
def test_french_phone_numbers_are_stored_in_international_format(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "06 12 34 56", "06 12 34 56 78 9", "00 12 34 56 78", "+44 20 7946 0958", "abc"]
)
def test_other_numbers_are_refused(typed: str) -> None:
    assert normalise_phone(typed) is None


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"phone": ""}, "phone", "Écrivez un numéro de téléphone."),
        ({"phone": None}, "phone", "Écrivez un numéro de téléphone."),
        ({"phone": "12 34"}, "phone", None),
        ({"channel": "pigeon"}, "channel", None),
        ({"slots": []}, "slots", None),
        ({"slots": ["sun-am"]}, "slots", None),
        ({"channel": "video", "phone": "", "email": " "}, "email", None),
        ({"channel": "video", "phone": "", "email": "awa@"}, "email", None),
        ({"channel": "video", "phone": "123", "email": "awa@example.fr"}, "phone", None),
    ],
)
def test_a_request_must_say_what_to_fix(
    db: Session,
    person: Person,
    org: Organisation,
    values: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    with pytest.raises(RequestError) as error:
        make(db, person, org, **values)
    assert error.value.field == field
    if message is not None:
        assert str(error.value) == message
    assert count(db, ContactRequest) == 0
    assert count(db, Consent) == 0


@pytest.mark.parametrize(
    ("phone", "email", "kept"),
    [
        ("", "Awa@Example.FR", (None, "Awa@example.fr")),
        ("06 12 34 56 78", None, ("+33612345678", None)),
        ("06 12 34 56 78", "awa@example.fr", ("+33612345678", "awa@example.fr")),
    ],
)
def test_a_video_call_keeps_what_was_given(
    db: Session,
    person: Person,
    org: Organisation,
    phone: str,
    email: str | None,
    kept: tuple[str | None, str | None],
) -> None:
    request = make(db, person, org, channel="video", phone=phone, email=email)
    assert (request.phone, request.email) == kept


def test_a_meeting_in_person_keeps_no_contact_detail(
    db: Session, person: Person, org: Organisation
) -> None:
    request = make(db, person, org, channel="in-person", phone="not even a number")
    assert (request.phone, request.email) == (None, None)


def test_slots_may_come_joined_and_come_out_in_week_order(
    db: Session, person: Person, org: Organisation
) -> None:
    request = make(db, person, org, slots="sat-pm|mon-pm|mon-pm|wed-am")
    assert request.slots == "mon-pm|wed-am|sat-pm"
    assert len(SLOTS) == 12


def test_the_same_form_posted_twice_makes_one_request(
    db: Session, person: Person, org: Organisation
) -> None:
    first = make(db, person, org, form_key="form-a")
    again = make(db, person, org, form_key="form-a", channel="video", now=NOW + DAY)
    assert again.id == first.id
    assert again.channel == "phone"
    assert count(db, ContactRequest) == 1 and count(db, Consent) == 1
    with pytest.raises(RequestError):  # another person cannot reuse a form's key
        make(db, add_journey(db), org, form_key="form-a")
    assert count(db, ContactRequest) == 1


def test_two_requests_to_the_same_organisation_share_one_consent(
    db: Session, person: Person, org: Organisation
) -> None:
    first = make(db, person, org)
    second = make(db, person, org, now=NOW + 5 * DAY)
    assert first.id != second.id and first.consent_id == second.consent_id
    consent = db.get(Consent, first.consent_id)
    assert consent is not None and as_utc(consent.expires_at) == add_months(NOW + 5 * DAY, 1)


# --------------------------------------------------------------------------------------------
# Answering a request


def test_staff_move_a_request_on(db: Session, person: Person, org: Organisation) -> None:
    staff = add_staff(db, org, role="counsellor")
    request = make(db, person, org)
    moved = set_status(db, staff=staff, request_id=request.id, status="in-progress", now=NOW + DAY)
    assert moved.status == "in-progress"
    assert moved.answered_at == NOW + DAY and moved.closed_at is None
    same = set_status(
        db, staff=staff, request_id=request.id, status="in-progress", now=NOW + 2 * DAY
    )
    assert same.answered_at == NOW + DAY  # the same status again changes nothing
    done = set_status(db, staff=staff, request_id=request.id, status="done", now=NOW + 3 * DAY)
    assert done.status == "done"
    assert done.answered_at == NOW + DAY and done.closed_at == NOW + 3 * DAY
    assert set_status(db, staff=staff, request_id=request.id, status="done", now=NOW + 4 * DAY)
    assert done.closed_at == NOW + 3 * DAY
    for status in ("new", "in-progress", "cancelled", "expired"):
        with pytest.raises(RequestError):
            set_status(db, staff=staff, request_id=request.id, status=status, now=NOW + 4 * DAY)
    assert request.status == "done"


def test_a_new_request_may_be_done_at_once_or_cancelled_by_staff(
    db: Session, person: Person, org: Organisation
) -> None:
    staff = add_staff(db, org, role="counsellor")
    done = set_status(
        db, staff=staff, request_id=make(db, person, org).id, status="done", now=NOW + DAY
    )
    assert (done.status, done.answered_at, done.closed_at) == ("done", NOW + DAY, NOW + DAY)
    cancelled = set_status(
        db, staff=staff, request_id=make(db, person, org).id, status="cancelled", now=NOW + DAY
    )
    assert cancelled.status == "cancelled" and cancelled.closed_at == NOW + DAY
    fresh = make(db, person, org)
    assert (
        set_status(db, staff=staff, request_id=fresh.id, status="new", now=NOW).answered_at is None
    )
    for status in ("expired", "unknown"):
        with pytest.raises(RequestError):
            set_status(db, staff=staff, request_id=make(db, person, org).id, status=status, now=NOW)


def test_staff_of_another_organisation_cannot_touch_a_request(
    db: Session, person: Person, org: Organisation
) -> None:
    request = make(db, person, org)
    other = add_staff(db, add_organisation(db, "Autre"), role="counsellor")
    with pytest.raises(NotVisible):
        set_status(db, staff=other, request_id=request.id, status="done", now=NOW)
    with pytest.raises(NotVisible):
        set_status(
            db,
            staff=add_staff(db, None, role="admin"),
            request_id=request.id,
            status="done",
            now=NOW,
        )
    with pytest.raises(NotVisible):
        set_status(db, staff=add_staff(db, org), request_id=request.id + 99, status="done", now=NOW)
    db.refresh(request)
    assert request.status == "new"


def test_the_person_cancels_their_own_open_request(
    db: Session, person: Person, org: Organisation
) -> None:
    request = make(db, person, org)
    with pytest.raises(NotVisible):
        cancel_by_person(db, person=add_journey(db), request_id=request.id, now=NOW)
    cancelled = cancel_by_person(db, person=person, request_id=request.id, now=NOW + DAY)
    assert cancelled.status == "cancelled"
    assert cancelled.closed_at == NOW + DAY and cancelled.answered_at is None
    again = cancel_by_person(db, person=person, request_id=request.id, now=NOW + 2 * DAY)
    assert again.closed_at == NOW + DAY
    done = make(db, person, org)
    set_status(db, staff=add_staff(db, org), request_id=done.id, status="done", now=NOW)
    unchanged = cancel_by_person(db, person=person, request_id=done.id, now=NOW + DAY)
    assert unchanged.status == "done" and as_utc(unchanged.closed_at) == NOW  # type: ignore[arg-type]


def test_a_request_is_flagged_after_ten_days_without_an_answer(
    db: Session, person: Person, org: Organisation
) -> None:
    request = make(db, person, org)
    assert not is_flagged(request, NOW + 10 * DAY)
    assert is_flagged(request, NOW + 10 * DAY + timedelta(seconds=1))
    db.expire_all()  # also when read back from the database
    assert is_flagged(db.get(ContactRequest, request.id), NOW + 11 * DAY)  # type: ignore[arg-type]
    set_status(
        db,
        staff=add_staff(db, org),
        request_id=request.id,
        status="in-progress",
        now=NOW + 11 * DAY,
    )
    assert not is_flagged(request, NOW + 12 * DAY)
    cancelled = make(db, person, org)
    cancel_by_person(db, person=person, request_id=cancelled.id, now=NOW)
    assert not is_flagged(cancelled, NOW + 12 * DAY)


# --------------------------------------------------------------------------------------------
# Expiry and erasure


def test_open_requests_expire_after_thirty_days(
    db: Session, person: Person, org: Organisation
) -> None:
    waiting = make(db, person, org)
    started = make(db, person, org)
    set_status(
        db, staff=add_staff(db, org), request_id=started.id, status="in-progress", now=NOW + DAY
    )
    young = make(db, person, org, now=NOW + DAY)
    assert expire_and_erase(db, now=NOW + 30 * DAY) == (0, 0)
    later = NOW + 30 * DAY + timedelta(seconds=1)
    assert expire_and_erase(db, now=later) == (2, 0)
    assert expire_and_erase(db, now=later) == (0, 0)
    for request in (waiting, started, young):
        db.refresh(request)
    assert (waiting.status, started.status, young.status) == ("expired", "expired", "new")
    assert waiting.closed_at is not None and as_utc(waiting.closed_at) == later
    assert waiting.phone == "+33612345678"  # kept until 30 days after closing


def test_contact_details_are_erased_thirty_days_after_closing(
    db: Session, person: Person, org: Organisation
) -> None:
    staff = add_staff(db, org)
    done = make(db, person, org, channel="video", email="awa@example.fr")
    set_status(db, staff=staff, request_id=done.id, status="done", now=NOW + DAY)
    cancelled = make(db, person, org)
    cancel_by_person(db, person=person, request_id=cancelled.id, now=NOW + 2 * DAY)
    open_one = make(db, person, org, now=NOW + 20 * DAY)

    assert expire_and_erase(db, now=NOW + 31 * DAY) == (0, 0)
    assert expire_and_erase(db, now=NOW + 31 * DAY + timedelta(seconds=1)) == (0, 1)
    db.refresh(done)
    assert (done.phone, done.email) == (None, None)
    assert done.status == "done" and done.channel == "video"  # the rest stays, for the figures
    assert expire_and_erase(db, now=NOW + 33 * DAY) == (0, 1)
    assert expire_and_erase(db, now=NOW + 33 * DAY) == (0, 0)
    db.refresh(cancelled)
    db.refresh(open_one)
    assert cancelled.phone is None
    assert open_one.phone == "+33612345678" and open_one.status == "new"


# --------------------------------------------------------------------------------------------
# The organisation's queue, the person's list


def test_the_queue_shows_open_requests_oldest_first(
    db: Session, person: Person, org: Organisation
) -> None:
    staff = add_staff(db, org, role="counsellor")
    requests = [make(db, person, org, now=NOW + i * DAY) for i in range(5)]
    make(db, person, add_organisation(db, "Autre"))  # another organisation's
    set_status(db, staff=staff, request_id=requests[1].id, status="in-progress", now=NOW + 6 * DAY)
    set_status(db, staff=staff, request_id=requests[2].id, status="done", now=NOW + 7 * DAY)
    set_status(db, staff=staff, request_id=requests[0].id, status="done", now=NOW + 8 * DAY)

    listed, total = queue(db, staff=staff, status=None, now=NOW)
    assert [r.id for r in listed] == [requests[i].id for i in (1, 3, 4)] and total == 3
    listed, total = queue(db, staff=staff, status="done", now=NOW)
    assert [r.id for r in listed] == [requests[0].id, requests[2].id] and total == 2
    listed, total = queue(db, staff=staff, status="new", now=NOW)
    assert [r.id for r in listed] == [requests[3].id, requests[4].id] and total == 2
    page, total = queue(db, staff=staff, status=None, now=NOW, page=2, per_page=2)
    assert [r.id for r in page] == [requests[4].id] and total == 3
    with pytest.raises(RequestError):
        queue(db, staff=staff, status="lost", now=NOW)
    assert queue(db, staff=add_staff(db, None, role="admin"), status=None, now=NOW) == ([], 0)


def test_the_queue_loads_people_and_results_without_a_query_each(
    db: Session, org: Organisation
) -> None:
    staff = add_staff(db, org, role="counsellor")
    for band in range(4):
        make(db, add_journey(db, band=band), org, now=NOW + band * DAY)
    db.expire_all()
    assert staff.organisation_id == org.id
    statements: list[str] = []
    engine = db.get_bind()

    def listener(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        listed, total = queue(db, staff=staff, status=None, now=NOW)
        bands = [r.person.result.overall_band for r in listed if r.person.result]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert bands == [0, 1, 2, 3] and total == 4
    assert len(statements) == 2  # the page, and the count


def test_the_person_sees_their_requests_newest_first(
    db: Session, person: Person, org: Organisation
) -> None:
    old = make(db, person, org, now=NOW - DAY)
    new = make(db, person, org)
    make(db, add_journey(db), org)
    listed = requests_of(db, person)
    assert [r.id for r in listed] == [new.id, old.id]
    assert listed[0].organisation.name == "France Travail Bondy"
