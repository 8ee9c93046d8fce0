"""A person's consents: to share their results with an organisation, or to be contacted.

A consent names one person, one organisation and one purpose, the version of the text
the person accepted, and lasts 1, 6 or 12 calendar months unless the person withdraws it
first. Staff see a person only while their organisation holds an active consent for that
person (``visible_person``); everything else answers ``NotVisible``, which the views turn
into "not found", so that staff cannot even tell whether a person exists.

Withdrawing a "contact" consent also cancels the open requests to be contacted that rest on
it and erases their phone number and e-mail at once: without the consent, nobody may call.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload

from ..models import (
    DISPLAY_NAME_LENGTH,
    OPEN_REQUEST_STATUSES,
    Consent,
    ContactRequest,
    Organisation,
    Person,
    StaffUser,
)
from ..times import add_months, as_utc, utc
from .accounts import clean_name

__all__ = [
    "CONSENT_TEXT_VERSION",
    "DURATIONS_MONTHS",
    "MAX_PER_PAGE",
    "PURPOSES",
    "NotVisible",
    "active_consents",
    "clean_display_name",
    "consents_of",
    "grant",
    "is_active",
    "people",
    "set_display_name",
    "visible_person",
    "withdraw",
]

#: The consent text (templates/sharing/consent_text.html) names what staff see: results,
#: what the person can do, steps done, and the name or initials given, else the reference.
CONSENT_TEXT_VERSION = "2026-12-1"
PURPOSES = ("share-results", "contact")
DURATIONS_MONTHS = (1, 6, 12)
MAX_PER_PAGE = 100


def clean_display_name(text: str | None) -> str | None:
    """The name or initials a person chose, as kept: spaces collapsed, no control or
    direction-changing characters (a name could show what it does not say); None when
    empty. Raises ``ValueError`` past ``DISPLAY_NAME_LENGTH`` characters."""
    value = clean_name(text)
    if not value:
        return None
    if len(value) > DISPLAY_NAME_LENGTH:
        raise ValueError(f"a name of {DISPLAY_NAME_LENGTH} characters at most")
    return value


def set_display_name(db: Session, person: Person, name: str | None) -> None:
    """Show this name or these initials to the organisations the person shares with;
    None: remove it (staff then see the person's short reference)."""
    person.display_name = clean_display_name(name)
    db.commit()


class NotVisible(LookupError):
    """The person (or the thing asked for) does not exist for this staff member or person."""


def _active(now: datetime) -> ColumnElement[bool]:
    return and_(Consent.withdrawn_at.is_(None), Consent.expires_at > now)


def is_active(consent: Consent, now: datetime) -> bool:
    return consent.withdrawn_at is None and as_utc(consent.expires_at) > utc(now)


def _find_active(
    db: Session, person_id: int, organisation_id: int, purpose: str, now: datetime
) -> Consent | None:
    return db.scalar(
        select(Consent)
        .where(
            Consent.person_id == person_id,
            Consent.organisation_id == organisation_id,
            Consent.purpose == purpose,
            _active(now),
        )
        .order_by(Consent.expires_at.desc(), Consent.id.desc())
        .limit(1)
    )


def grant_pending(
    db: Session,
    *,
    person: Person,
    organisation: Organisation,
    purpose: str,
    months: int,
    now: datetime,
    assisted: bool = False,
    text_version: str = CONSENT_TEXT_VERSION,
) -> Consent:
    """``grant`` without the commit, for callers that write more in the same transaction."""
    now = utc(now)
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if isinstance(months, bool) or months not in DURATIONS_MONTHS:
        raise ValueError(f"a consent lasts {DURATIONS_MONTHS} months, not {months!r}")
    if not text_version or len(text_version) > 32:
        raise ValueError("text_version: 1 to 32 characters")
    expires_at = add_months(now, months)
    existing = _find_active(db, person.id, organisation.id, purpose, now)
    if existing is not None:
        if as_utc(existing.expires_at) < expires_at:
            existing.expires_at = expires_at
            # The longer time was granted under the text just read.
            existing.text_version = text_version
        db.flush()
        return existing
    consent = Consent(
        person_id=person.id,
        organisation_id=organisation.id,
        purpose=purpose,
        text_version=text_version,
        assisted=assisted,
        granted_at=now,
        expires_at=expires_at,
    )
    db.add(consent)
    db.flush()
    return consent


def grant(
    db: Session,
    *,
    person: Person,
    organisation: Organisation,
    purpose: str,
    months: int,
    now: datetime,
    assisted: bool = False,
    text_version: str = CONSENT_TEXT_VERSION,
) -> Consent:
    """Record a consent; an active one for the same person, organisation and purpose is
    extended (to the later expiry) instead of duplicated."""
    consent = grant_pending(
        db,
        person=person,
        organisation=organisation,
        purpose=purpose,
        months=months,
        now=now,
        assisted=assisted,
        text_version=text_version,
    )
    db.commit()
    return consent


def withdraw(db: Session, *, person: Person, consent_id: int, now: datetime) -> Consent:
    """The person withdraws one of their own consents, at once. Withdrawing twice is harmless."""
    now = utc(now)
    consent = db.scalar(
        select(Consent).where(Consent.id == consent_id, Consent.person_id == person.id)
    )
    if consent is None:
        raise NotVisible(consent_id)
    if consent.withdrawn_at is not None:
        return consent
    consent.withdrawn_at = now
    if consent.purpose == "contact":
        db.execute(
            update(ContactRequest)
            .where(
                ContactRequest.consent_id == consent.id,
                ContactRequest.status.in_(OPEN_REQUEST_STATUSES),
            )
            .values(status="cancelled", closed_at=now)
        )
        db.execute(
            update(ContactRequest)
            .where(ContactRequest.consent_id == consent.id)
            .values(phone=None, email=None)
        )
    db.commit()
    return consent


def active_consents(db: Session, person: Person, now: datetime) -> list[Consent]:
    """The person's active consents, newest first, with their organisation."""
    return list(
        db.scalars(
            select(Consent)
            .options(joinedload(Consent.organisation))
            .where(Consent.person_id == person.id, _active(utc(now)))
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    )


def consents_of(db: Session, person: Person) -> list[Consent]:
    """All the person's consents, newest first, with their organisation (for the person)."""
    return list(
        db.scalars(
            select(Consent)
            .options(joinedload(Consent.organisation))
            .where(Consent.person_id == person.id)
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    )


def visible_person(db: Session, *, staff: StaffUser, person_id: int, now: datetime) -> Person:
    """The person, if the staff member's organisation holds an active consent for it."""
    now = utc(now)
    if not staff.active or staff.organisation_id is None:
        raise NotVisible(person_id)
    person = db.scalar(
        select(Person)
        .options(joinedload(Person.result))
        .where(
            Person.id == person_id,
            select(Consent.id)
            .where(
                Consent.person_id == Person.id,
                Consent.organisation_id == staff.organisation_id,
                Consent.purpose.in_(PURPOSES),
                _active(now),
            )
            .exists(),
        )
    )
    if person is None:
        raise NotVisible(person_id)
    return person


def people(
    db: Session, *, staff: StaffUser, now: datetime, page: int = 1, per_page: int = 20
) -> tuple[list[tuple[Person, Consent]], int]:
    """The people the staff member's organisation may see, newest consent first, a page of
    them, and how many there are in all. Each person comes once, with their newest active
    consent; their result is loaded in the same query."""
    now = utc(now)
    if not staff.active or staff.organisation_id is None:
        return [], 0
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    ranked = (
        select(
            Consent.id.label("consent_id"),
            func.row_number()
            .over(
                partition_by=Consent.person_id,
                order_by=(Consent.granted_at.desc(), Consent.id.desc()),
            )
            .label("rank"),
        )
        .where(
            Consent.organisation_id == staff.organisation_id,
            Consent.purpose.in_(PURPOSES),
            _active(now),
        )
        .subquery()
    )
    total_column = func.count().over().label("total")
    rows = db.execute(
        select(Person, Consent, total_column)
        .select_from(ranked)
        .join(Consent, Consent.id == ranked.c.consent_id)
        .join(Person, Person.id == Consent.person_id)
        .options(contains_eager(Consent.person), joinedload(Person.result))
        .where(ranked.c.rank == 1)
        .order_by(Consent.granted_at.desc(), Consent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        total = int(rows[0].total)
    else:  # past the last page: count them all the same
        total = int(
            db.scalar(
                select(func.count(func.distinct(Consent.person_id))).where(
                    Consent.organisation_id == staff.organisation_id,
                    Consent.purpose.in_(PURPOSES),
                    _active(now),
                )
            )
            or 0
        )
    return [(row.Person, row.Consent) for row in rows], total
