"""Consents: grant, extend, withdraw, expire; who may see whom."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.models import Consent, Organisation, Person
from app.staff.consent import (
    CONSENT_TEXT_VERSION,
    NotVisible,
    active_consents,
    consents_of,
    grant,
    is_active,
    people,
    visible_person,
    withdraw,
)
from app.staff.requests import create_request
from app.times import PARIS, add_months

from . import NOW, add_journey, add_organisation, add_staff, new_session


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


@pytest.fixture()
def org(db: Session) -> Organisation:
    return add_organisation(db, "France Services Bondy")


@pytest.fixture()
def other_org(db: Session) -> Organisation:
    return add_organisation(db, "France Travail Montreuil", kind="france-travail")


@pytest.fixture()
def person(db: Session) -> Person:
    return add_journey(db, band=1, domain_bands={"information": 1})


def count_consents(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Consent)) or 0


def share(db: Session, person: Person, org: Organisation, months: int = 6, **kw: object) -> Consent:
    return grant(
        db,
        person=person,
        organisation=org,
        purpose="share-results",
        months=months,
        now=kw.pop("now", NOW),
        **kw,
    )  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Grant, extend, withdraw, expire


@pytest.mark.parametrize("months", [1, 6, 12])
def test_a_consent_lasts_calendar_months(
    db: Session, person: Person, org: Organisation, months: int
) -> None:
    consent = share(db, person, org, months)
    expected_local = datetime(2026, 11, 20, 11, 0, tzinfo=PARIS)  # NOW in Paris
    year_month = (2026 * 12 + 10 + months) // 12, (10 + months) % 12 + 1
    expected = expected_local.replace(year=year_month[0], month=year_month[1])
    assert consent.expires_at == expected.astimezone(UTC)
    assert consent.granted_at == NOW
    assert consent.text_version == CONSENT_TEXT_VERSION
    assert consent.purpose == "share-results" and consent.withdrawn_at is None


def test_a_month_from_the_31st_ends_on_the_last_day_of_the_next_month() -> None:
    end_of_january = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    assert add_months(end_of_january, 1) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, 9, 0, tzinfo=UTC), 1).day == 29  # leap year
    assert add_months(datetime(2026, 12, 15, 9, 0, tzinfo=UTC), 1).month == 1


@pytest.mark.parametrize(("purpose", "months"), [("share-results", 3), ("advertising", 1)])
def test_only_known_purposes_and_durations(
    db: Session, person: Person, org: Organisation, purpose: str, months: int
) -> None:
    with pytest.raises(ValueError):
        grant(db, person=person, organisation=org, purpose=purpose, months=months, now=NOW)
    assert count_consents(db) == 0


def test_granting_again_extends_instead_of_duplicating(
    db: Session, person: Person, org: Organisation
) -> None:
    first = share(db, person, org, 6)
    six_months = first.expires_at
    again = share(db, person, org, 1, now=NOW + timedelta(days=3))
    assert again.id == first.id
    assert again.expires_at == six_months  # the later expiry is kept
    longer = share(db, person, org, 12, now=NOW + timedelta(days=3), text_version="2027-01-1")
    assert longer.id == first.id
    assert longer.expires_at == add_months(NOW + timedelta(days=3), 12)
    assert longer.text_version == "2027-01-1"
    assert longer.granted_at == NOW
    assert count_consents(db) == 1


def test_each_purpose_and_organisation_has_its_own_consent(
    db: Session, person: Person, org: Organisation, other_org: Organisation
) -> None:
    a = share(db, person, org)
    b = share(db, person, other_org)
    c = grant(db, person=person, organisation=org, purpose="contact", months=1, now=NOW)
    assert len({a.id, b.id, c.id}) == 3
    assert count_consents(db) == 3


def test_after_a_withdrawal_or_an_expiry_a_new_consent_is_recorded(
    db: Session, person: Person, org: Organisation
) -> None:
    first = share(db, person, org, 1)
    withdraw(db, person=person, consent_id=first.id, now=NOW + timedelta(days=1))
    second = share(db, person, org, 1, now=NOW + timedelta(days=2))
    assert second.id != first.id
    third = share(db, person, org, 1, now=second.expires_at)
    assert third.id != second.id
    assert count_consents(db) == 3


def test_a_withdrawal_is_immediate_and_idempotent(
    db: Session, person: Person, org: Organisation
) -> None:
    consent = share(db, person, org)
    when = NOW + timedelta(hours=1)
    assert is_active(consent, when)
    withdrawn = withdraw(db, person=person, consent_id=consent.id, now=when)
    assert withdrawn.withdrawn_at == when
    assert not is_active(withdrawn, when)
    again = withdraw(db, person=person, consent_id=consent.id, now=when + timedelta(days=1))
    assert again.withdrawn_at == when


def test_a_person_withdraws_only_their_own_consent(
    db: Session, person: Person, org: Organisation
) -> None:
    consent = share(db, person, org)
    stranger = add_journey(db)
    with pytest.raises(NotVisible):
        withdraw(db, person=stranger, consent_id=consent.id, now=NOW)
    with pytest.raises(NotVisible):
        withdraw(db, person=person, consent_id=consent.id + 100, now=NOW)
    assert is_active(consent, NOW)


def test_withdrawing_the_consent_to_be_contacted_cancels_the_request(
    db: Session, person: Person, org: Organisation
) -> None:
    request = create_request(
        db,
        person=person,
        organisation=org,
        channel="phone",
        slots=["mon-am"],
        phone="06 12 34 56 78",
        email=None,
        origin="results",
        form_key="form-1",
        now=NOW,
    )
    withdraw(db, person=person, consent_id=request.consent_id, now=NOW + timedelta(hours=2))
    db.refresh(request)
    assert request.status == "cancelled"
    assert request.closed_at is not None
    assert request.phone is None and request.email is None


def test_a_consent_ends_when_it_expires(db: Session, person: Person, org: Organisation) -> None:
    consent = share(db, person, org, 1)
    end = consent.expires_at
    assert is_active(consent, end - timedelta(seconds=1))
    assert not is_active(consent, end)
    # Read back from SQLite (naive datetimes): the same answer.
    db.expire_all()
    stored = db.get(Consent, consent.id)
    assert stored is not None
    assert is_active(stored, end - timedelta(seconds=1)) and not is_active(stored, end)
    assert active_consents(db, person, end - timedelta(seconds=1)) == [stored]
    assert active_consents(db, person, end) == []


def test_the_person_sees_all_their_consents_newest_first(
    db: Session, person: Person, org: Organisation, other_org: Organisation
) -> None:
    old = share(db, person, org, 1, now=NOW - timedelta(days=60))
    new = share(db, person, other_org, 6)
    withdrawn = grant(
        db,
        person=person,
        organisation=org,
        purpose="contact",
        months=1,
        now=NOW + timedelta(minutes=1),
    )
    withdraw(db, person=person, consent_id=withdrawn.id, now=NOW + timedelta(minutes=2))
    add_journey(db)  # someone else, with nothing
    assert [c.id for c in consents_of(db, person)] == [withdrawn.id, new.id, old.id]
    assert [c.id for c in active_consents(db, person, NOW + timedelta(minutes=3))] == [new.id]
    assert consents_of(db, person)[0].organisation.name == org.name


# --------------------------------------------------------------------------------------------
# Who may see whom


def test_staff_see_a_person_who_shared_with_their_organisation(
    db: Session, person: Person, org: Organisation
) -> None:
    share(db, person, org)
    staff = add_staff(db, org)
    seen = visible_person(db, staff=staff, person_id=person.id, now=NOW)
    assert seen.id == person.id
    assert seen.result is not None and seen.result.overall_band == 1


def test_a_request_to_be_contacted_makes_the_person_visible(
    db: Session, person: Person, org: Organisation
) -> None:
    grant(db, person=person, organisation=org, purpose="contact", months=1, now=NOW)
    staff = add_staff(db, org, role="counsellor")
    assert visible_person(db, staff=staff, person_id=person.id, now=NOW).id == person.id


def test_another_organisation_sees_nothing(
    db: Session, person: Person, org: Organisation, other_org: Organisation
) -> None:
    share(db, person, org)
    with pytest.raises(NotVisible):
        visible_person(db, staff=add_staff(db, other_org), person_id=person.id, now=NOW)


def test_nobody_sees_a_person_after_a_withdrawal_or_an_expiry(
    db: Session, person: Person, org: Organisation
) -> None:
    staff = add_staff(db, org)
    consent = share(db, person, org, 1)
    with pytest.raises(NotVisible):
        visible_person(db, staff=staff, person_id=person.id, now=consent.expires_at)
    withdraw(db, person=person, consent_id=consent.id, now=NOW + timedelta(days=1))
    with pytest.raises(NotVisible):
        visible_person(db, staff=staff, person_id=person.id, now=NOW + timedelta(days=1))


def test_unknown_people_are_not_visible(db: Session, person: Person, org: Organisation) -> None:
    share(db, person, org)
    staff = add_staff(db, org)
    with pytest.raises(NotVisible):
        visible_person(db, staff=staff, person_id=person.id + 1000, now=NOW)
    inactive = add_staff(db, org, active=False)
    with pytest.raises(NotVisible):
        visible_person(db, staff=inactive, person_id=person.id, now=NOW)


def test_administrators_see_only_what_their_organisation_holds(
    db: Session, person: Person, org: Organisation, other_org: Organisation
) -> None:
    share(db, person, org)
    with pytest.raises(NotVisible):
        visible_person(db, staff=add_staff(db, None, role="admin"), person_id=person.id, now=NOW)
    with pytest.raises(NotVisible):
        visible_person(
            db, staff=add_staff(db, other_org, role="admin"), person_id=person.id, now=NOW
        )
    admin_here = add_staff(db, org, role="admin")
    assert visible_person(db, staff=admin_here, person_id=person.id, now=NOW).id == person.id


def test_people_lists_each_visible_person_once_newest_consent_first(
    db: Session, org: Organisation, other_org: Organisation
) -> None:
    staff = add_staff(db, org)
    journeys = [add_journey(db, band=i % 4) for i in range(5)]
    for i, j in enumerate(journeys):
        share(db, j, org, now=NOW - timedelta(days=10 - i))
    # The third person also asked to be contacted, later: listed once, with that consent.
    contact = grant(db, person=journeys[2], organisation=org, purpose="contact", months=1, now=NOW)
    # Not listed: another organisation's, a withdrawn one, an expired one.
    share(db, add_journey(db), other_org)
    gone = add_journey(db)
    withdraw(db, person=gone, consent_id=share(db, gone, org).id, now=NOW)
    share(db, add_journey(db), org, 1, now=NOW - timedelta(days=40))

    listed, total = people(db, staff=staff, now=NOW + timedelta(minutes=1), per_page=10)
    assert total == 5
    assert [j.id for j, _ in listed] == [journeys[i].id for i in (2, 4, 3, 1, 0)]
    assert listed[0][1].id == contact.id

    first, total = people(db, staff=staff, now=NOW + timedelta(minutes=1), page=1, per_page=2)
    second, _ = people(db, staff=staff, now=NOW + timedelta(minutes=1), page=2, per_page=2)
    third, _ = people(db, staff=staff, now=NOW + timedelta(minutes=1), page=3, per_page=2)
    beyond, beyond_total = people(
        db, staff=staff, now=NOW + timedelta(minutes=1), page=9, per_page=2
    )
    assert total == 5 and beyond_total == 5 and beyond == []
    assert [j.id for j, _ in first + second + third] == [j.id for j, _ in listed]

    assert people(db, staff=add_staff(db, None, role="admin"), now=NOW) == ([], 0)


def test_people_loads_the_results_in_one_query(db: Session, org: Organisation) -> None:
    staff = add_staff(db, org)
    for i in range(4):
        share(db, add_journey(db, band=i), org, now=NOW - timedelta(hours=i))
    db.expire_all()
    assert staff.active and staff.organisation_id == org.id  # loaded again before counting
    statements: list[str] = []
    engine = db.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        listed, total = people(db, staff=staff, now=NOW)
        bands = [person.result.overall_band for person, _ in listed if person.result]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert total == 4 and bands == [0, 1, 2, 3]
    assert len(statements) == 1
