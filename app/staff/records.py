"""What staff did for a person: Pass numérique chèques handed over, an orientation, a note.

Staff record only about a person their organisation may see (``consent.visible_person``),
and see only their own organisation's records. The person sees every record about them.
Each form carries a one-time key: the same form posted twice makes one record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Organisation, Person, Place, StaffRecord, StaffUser
from ..times import local_today, utc
from . import N_, FormError, clean_form_key
from .consent import visible_person

__all__ = [
    "MAX_NOTE_LENGTH",
    "MAX_VOUCHERS",
    "RECORD_KINDS",
    "VOUCHER_VALUE_EUROS",
    "RecordError",
    "clean_note",
    "names_for",
    "places_for",
    "record_note",
    "record_orientation",
    "record_vouchers",
    "records_about",
    "records_for",
]

RECORD_KINDS = ("vouchers", "orientation", "note")
VOUCHER_VALUE_EUROS = 10
MAX_NOTE_LENGTH = 1000
MAX_VOUCHERS = 50
_BOOKLET = re.compile(r"^[A-Za-z0-9-]{1,40}$")
#: Characters that reorder the text around them: a note could show what it does not say.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


class RecordError(FormError):
    """What to fix, in plain French (see ``app.staff.FormError``)."""


def clean_note(note: str) -> str:
    """The note without control characters (new lines kept, tabs made spaces)."""
    text = str(note or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    kept = (
        char
        for char in text
        if char == "\n" or (unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS)
    )
    return "".join(kept).strip()


def _save(
    db: Session,
    *,
    staff: StaffUser,
    person_id: int,
    kind: str,
    form_key: str,
    now: datetime,
    **values: object,
) -> StaffRecord:
    """Insert the record, or give back the one this form already made."""
    try:
        form_key = clean_form_key(form_key)
    except ValueError:
        raise RecordError(
            N_("Ce formulaire n'est pas valable. Recommencez, s'il vous plaît.")
        ) from None
    existing = _by_form_key(db, form_key)
    if existing is not None:
        return _same_form(existing, staff, person_id, kind)
    record = StaffRecord(
        person_id=person_id,
        organisation_id=staff.organisation_id,
        staff_id=staff.id,
        kind=kind,
        form_key=form_key,
        created_at=utc(now),
        **values,
    )
    db.add(record)
    try:
        db.commit()
    except IntegrityError:  # the same form arrived twice at once: keep the first
        db.rollback()
        existing = _by_form_key(db, form_key)
        if existing is None:
            raise
        return _same_form(existing, staff, person_id, kind)
    return record


def _by_form_key(db: Session, form_key: str) -> StaffRecord | None:
    return db.scalar(select(StaffRecord).where(StaffRecord.form_key == form_key))


def _same_form(existing: StaffRecord, staff: StaffUser, person_id: int, kind: str) -> StaffRecord:
    if (
        existing.organisation_id != staff.organisation_id
        or existing.person_id != person_id
        or existing.kind != kind
    ):
        raise RecordError(N_("Ce formulaire a déjà servi. Recommencez, s'il vous plaît."))
    return existing


def record_vouchers(
    db: Session,
    *,
    staff: StaffUser,
    person_id: int,
    booklet_number: str,
    count: int,
    expires_on: date,
    form_key: str,
    now: datetime,
) -> StaffRecord:
    """Pass numérique chèques handed to the person: the booklet, how many, until when."""
    visible_person(db, staff=staff, person_id=person_id, now=now)
    booklet = str(booklet_number or "").strip().upper()
    if not booklet:
        raise RecordError(N_("Écrivez le numéro du carnet."), "booklet_number")
    if not _BOOKLET.match(booklet):
        raise RecordError(
            N_(
                "Écrivez le numéro du carnet avec des lettres, des chiffres et des tirets "
                "(%(max)s au plus)."
            ),
            "booklet_number",
            max=40,
        )
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_VOUCHERS:
        raise RecordError(
            N_("Écrivez un nombre de chèques entre 1 et %(max)s."), "count", max=MAX_VOUCHERS
        )
    if not isinstance(expires_on, date) or isinstance(expires_on, datetime):
        raise RecordError(N_("Écrivez la date de fin de validité des chèques."), "expires_on")
    if expires_on < local_today(now):
        raise RecordError(
            N_("Ces chèques ne sont plus valables : vérifiez la date de fin de validité."),
            "expires_on",
        )
    return _save(
        db,
        staff=staff,
        person_id=person_id,
        kind="vouchers",
        form_key=form_key,
        now=now,
        booklet_number=booklet,
        voucher_count=count,
        vouchers_expire_on=expires_on,
    )


def record_orientation(
    db: Session, *, staff: StaffUser, person_id: int, place_id: str, form_key: str, now: datetime
) -> StaffRecord:
    """The person was sent to a place of digital help."""
    visible_person(db, staff=staff, person_id=person_id, now=now)
    if not place_id or db.get(Place, place_id) is None:
        raise RecordError(N_("Choisissez un lieu dans la liste."), "place_id")
    return _save(
        db,
        staff=staff,
        person_id=person_id,
        kind="orientation",
        form_key=form_key,
        now=now,
        place_id=place_id,
    )


def record_note(
    db: Session, *, staff: StaffUser, person_id: int, note: str, form_key: str, now: datetime
) -> StaffRecord:
    """A short note. The person can read it: write it for them."""
    visible_person(db, staff=staff, person_id=person_id, now=now)
    text = clean_note(note)
    if not text:
        raise RecordError(N_("Écrivez une note."), "note")
    if len(text) > MAX_NOTE_LENGTH:
        raise RecordError(
            N_("Écrivez une note de %(max)s caractères au plus (elle en a %(length)s)."),
            "note",
            max=MAX_NOTE_LENGTH,
            length=len(text),
        )
    return _save(
        db, staff=staff, person_id=person_id, kind="note", form_key=form_key, now=now, note=text
    )


def records_for(
    db: Session, *, staff: StaffUser, person_id: int, now: datetime
) -> list[StaffRecord]:
    """The staff member's organisation's records about a person it may see, newest first."""
    visible_person(db, staff=staff, person_id=person_id, now=now)
    return list(
        db.scalars(
            select(StaffRecord)
            .where(
                StaffRecord.person_id == person_id,
                StaffRecord.organisation_id == staff.organisation_id,
            )
            .order_by(StaffRecord.created_at.desc(), StaffRecord.id.desc())
        )
    )


def records_about(db: Session, person: Person) -> list[StaffRecord]:
    """Every record about the person, whatever the organisation, newest first."""
    return list(
        db.scalars(
            select(StaffRecord)
            .where(StaffRecord.person_id == person.id)
            .order_by(StaffRecord.created_at.desc(), StaffRecord.id.desc())
        )
    )


def places_for(db: Session, records: Iterable[StaffRecord]) -> dict[str, Place]:
    """The places the records send people to, by id, in one query (retired ones too: the
    record still says where the person was sent)."""
    place_ids = {r.place_id for r in records if r.place_id}
    if not place_ids:
        return {}
    return {place.id: place for place in db.scalars(select(Place).where(Place.id.in_(place_ids)))}


def names_for(db: Session, records: Iterable[StaffRecord]) -> tuple[dict[int, str], dict[str, str]]:
    """The names of the organisations and places the records mention, in two queries:
    ``(organisation id → name, place id → name)``. StaffRecord has no relationships."""
    records = list(records)
    organisation_ids = {r.organisation_id for r in records}
    place_ids = {r.place_id for r in records if r.place_id}
    organisations: dict[int, str] = {}
    places: dict[str, str] = {}
    if organisation_ids:
        organisations = {
            oid: name
            for oid, name in db.execute(
                select(Organisation.id, Organisation.name).where(
                    Organisation.id.in_(organisation_ids)
                )
            ).all()
        }
    if place_ids:
        places = {
            pid: name
            for pid, name in db.execute(
                select(Place.id, Place.name).where(Place.id.in_(place_ids))
            ).all()
        }
    return organisations, places
