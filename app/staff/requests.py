"""Requests to be contacted: made by a person, answered by an organisation, then forgotten.

A request keeps only the contact detail its channel needs: a phone number for a call, an
e-mail or a phone number for a video call, nothing for a meeting in person (the person
comes to the agency at one of the times they chose). Making a request grants the
organisation a "contact" consent for one month, which also lets its staff see the person.

Life of a request: "new" → "in-progress" → "done"; staff may also go from "new" straight
to "done", and cancel an open request; the person may cancel their own open request.
A request not answered within ``FLAG_AFTER_DAYS`` is flagged in the queue; one still open
after ``EXPIRE_AFTER_DAYS`` expires; the phone number and e-mail of a request closed more
than ``ERASE_CONTACT_AFTER_DAYS`` ago are erased (``expire_and_erase``, run daily by the
purge command).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..contact_details import normalise_email, normalise_phone
from ..models import (
    OPEN_REQUEST_STATUSES,
    Consent,
    ContactRequest,
    Organisation,
    Person,
    RequestEvent,
    StaffUser,
)
from ..times import as_utc, utc
from . import N_, FormError, clean_form_key
from .consent import MAX_PER_PAGE, NotVisible, grant_pending

__all__ = [
    "CHANNELS",
    "CLOSED_STATUSES",
    "DAYS",
    "ERASE_CONTACT_AFTER_DAYS",
    "EXPIRE_AFTER_DAYS",
    "FLAG_AFTER_DAYS",
    "HALVES",
    "SLOTS",
    "STATUSES",
    "HistoryLine",
    "RequestError",
    "cancel_by_person",
    "check_contact",
    "create_request",
    "expire_and_erase",
    "history",
    "is_flagged",
    "queue",
    "requests_of",
    "set_status",
]

CHANNELS = ("in-person", "phone", "video")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat")
HALVES = ("am", "pm")
SLOTS = tuple(f"{day}-{half}" for day in DAYS for half in HALVES)
STATUSES = ("new", "in-progress", "done", "cancelled", "expired")
CLOSED_STATUSES = ("done", "cancelled", "expired")
FLAG_AFTER_DAYS = 10
EXPIRE_AFTER_DAYS = 30
ERASE_CONTACT_AFTER_DAYS = 30
#: How long the consent to be contacted lasts, in months.
CONTACT_CONSENT_MONTHS = 1
MAX_ORIGIN_LENGTH = 100

#: The moves staff may make (the same status again changes nothing).
_STAFF_MOVES = {
    "new": ("in-progress", "done", "cancelled"),
    "in-progress": ("done", "cancelled"),
}
FORM_NOT_VALID = N_("Ce formulaire n'est pas valable. Recommencez, s'il vous plaît.")


class RequestError(FormError):
    """What to fix, in plain French (see ``app.staff.FormError``)."""


# --------------------------------------------------------------------------------------------
# Checking what the person typed


def _clean_slots(slots: Iterable[str] | str) -> str:
    chosen = set(slots.split("|") if isinstance(slots, str) else slots)
    chosen.discard("")
    if not chosen:
        raise RequestError(N_("Choisissez au moins un moment où vous êtes disponible."), "slots")
    if not chosen <= set(SLOTS):
        raise RequestError(N_("Choisissez des moments dans la liste."), "slots")
    return "|".join(slot for slot in SLOTS if slot in chosen)


def _clean_phone(phone: str | None) -> str:
    if not phone or not str(phone).strip():
        raise RequestError(N_("Écrivez un numéro de téléphone."), "phone")
    number = normalise_phone(phone)
    if number is None:
        raise RequestError(
            N_("Écrivez un numéro de téléphone à 10 chiffres, par exemple 06 12 34 56 78."),
            "phone",
        )
    return number


def _clean_email(email: str) -> str:
    address = normalise_email(email)
    if address is None:
        raise RequestError(
            N_("Écrivez une adresse e-mail complète, par exemple nom@exemple.fr."), "email"
        )
    return address


def _contact_details(
    channel: str, phone: str | None, email: str | None
) -> tuple[str | None, str | None]:
    """(phone, email) kept for this channel: only what it needs."""
    if channel == "phone":
        return _clean_phone(phone), None
    if channel == "video":
        has_phone = bool(phone and str(phone).strip())
        has_email = bool(email and str(email).strip())
        if not has_phone and not has_email:
            raise RequestError(N_("Écrivez une adresse e-mail ou un numéro de téléphone."), "email")
        return (
            _clean_phone(phone) if has_phone else None,
            _clean_email(email or "") if has_email else None,
        )
    return None, None  # in person: the person comes at one of the times chosen


def check_contact(
    *, channel: str, slots: Iterable[str] | str, phone: str | None, email: str | None
) -> tuple[str, str | None, str | None]:
    """Check how and when the person wants to be contacted, before anything is saved.

    Returns the slots as stored and the phone and e-mail kept for this channel (only what
    it needs); raises ``RequestError`` on the field to fix.
    """
    if channel not in CHANNELS:
        raise RequestError(
            N_("Choisissez comment vous voulez être contacté ou contactée."), "channel"
        )
    slot_text = _clean_slots(slots)
    kept_phone, kept_email = _contact_details(channel, phone, email)
    return slot_text, kept_phone, kept_email


# --------------------------------------------------------------------------------------------
# The person


def _by_form_key(db: Session, form_key: str) -> ContactRequest | None:
    return db.scalar(select(ContactRequest).where(ContactRequest.form_key == form_key))


def _same_form(existing: ContactRequest, person: Person) -> ContactRequest:
    if existing.person_id != person.id:
        raise RequestError(N_("Ce formulaire a déjà servi. Recommencez, s'il vous plaît."))
    return existing


def create_request(
    db: Session,
    *,
    person: Person,
    organisation: Organisation,
    channel: str,
    slots: Iterable[str] | str,
    phone: str | None,
    email: str | None,
    origin: str,
    form_key: str,
    now: datetime,
    assisted: bool = False,
) -> ContactRequest:
    """A new request to be contacted, and the one-month "contact" consent it rests on.

    The same form posted again (same ``form_key``) returns the first request.
    """
    now = utc(now)
    try:
        form_key = clean_form_key(form_key)
    except ValueError:
        raise RequestError(FORM_NOT_VALID) from None
    existing = _by_form_key(db, form_key)
    if existing is not None:
        return _same_form(existing, person)
    slot_text, kept_phone, kept_email = check_contact(
        channel=channel, slots=slots, phone=phone, email=email
    )
    consent = grant_pending(
        db,
        person=person,
        organisation=organisation,
        purpose="contact",
        months=CONTACT_CONSENT_MONTHS,
        now=now,
        assisted=assisted,
    )
    request = ContactRequest(
        person_id=person.id,
        organisation_id=organisation.id,
        consent_id=consent.id,
        channel=channel,
        slots=slot_text,
        phone=kept_phone,
        email=kept_email,
        origin=" ".join(str(origin or "").split())[:MAX_ORIGIN_LENGTH],
        status="new",
        form_key=form_key,
        created_at=now,
    )
    db.add(request)
    try:
        db.commit()
    except IntegrityError:  # the same form arrived twice at once: keep the first
        db.rollback()
        existing = _by_form_key(db, form_key)
        if existing is None:
            raise
        return _same_form(existing, person)
    return request


def cancel_by_person(
    db: Session, *, person: Person, request_id: int, now: datetime
) -> ContactRequest:
    """The person cancels their own open request. A request already closed (cancelled, done,
    expired: a second tap, an old page) is given back unchanged."""
    now = utc(now)
    request = db.scalar(
        select(ContactRequest).where(
            ContactRequest.id == request_id, ContactRequest.person_id == person.id
        )
    )
    if request is None:
        raise NotVisible(request_id)
    if request.status not in OPEN_REQUEST_STATUSES:
        return request
    request.status = "cancelled"
    request.closed_at = now
    # The consent given with the request ends with it, unless another open request rests on
    # it: the organisation then sees the person only if another consent still holds.
    others = db.scalar(
        select(ContactRequest.id).where(
            ContactRequest.consent_id == request.consent_id,
            ContactRequest.id != request.id,
            ContactRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
    )
    consent = db.get(Consent, request.consent_id)
    if others is None and consent is not None and consent.withdrawn_at is None:
        consent.withdrawn_at = now
    db.commit()
    return request


def requests_of(db: Session, person: Person) -> list[ContactRequest]:
    """All the person's requests, newest first, with their organisation."""
    return list(
        db.scalars(
            select(ContactRequest)
            .options(joinedload(ContactRequest.organisation))
            .where(ContactRequest.person_id == person.id)
            .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
        )
    )


# --------------------------------------------------------------------------------------------
# The organisation


def is_flagged(request: ContactRequest, now: datetime) -> bool:
    """Open, not answered yet, and made more than ``FLAG_AFTER_DAYS`` ago."""
    return (
        request.status in OPEN_REQUEST_STATUSES
        and request.answered_at is None
        and utc(now) - as_utc(request.created_at) > timedelta(days=FLAG_AFTER_DAYS)
    )


def set_status(
    db: Session, *, staff: StaffUser, request_id: int, status: str, now: datetime
) -> ContactRequest:
    """Staff move a request of their organisation on; the same status again changes nothing."""
    now = utc(now)
    if not staff.active or staff.organisation_id is None:
        raise NotVisible(request_id)
    request = db.scalar(
        select(ContactRequest).where(
            ContactRequest.id == request_id,
            ContactRequest.organisation_id == staff.organisation_id,
        )
    )
    if request is None:
        raise NotVisible(request_id)
    if status == request.status:
        return request
    if status not in _STAFF_MOVES.get(request.status, ()):
        if request.status in CLOSED_STATUSES:
            raise RequestError(N_("Cette demande est déjà terminée."), "status")
        raise RequestError(N_("Choisissez un autre état pour cette demande."), "status")
    if request.answered_at is None:
        request.answered_at = now
    request.status = status
    if status in CLOSED_STATUSES:
        request.closed_at = now
    db.add(
        RequestEvent(
            request_id=request.id, status=status, staff_id=staff.id, staff_name=staff.name, at=now
        )
    )
    db.commit()
    return request


@dataclass(frozen=True)
class HistoryLine:
    """One line of a request's history: ``status`` it moved to ("new" when it was made),
    by whom (a staff member's name; None: the person, or Repère for an expiry), when."""

    status: str
    staff_name: str | None
    at: datetime


def history(db: Session, request: ContactRequest) -> list[HistoryLine]:
    """What happened to the request, oldest first: made by the person, each move by staff,
    then its cancellation by the person or its expiry."""
    lines = [HistoryLine("new", None, as_utc(request.created_at))]
    events = db.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == request.id)
        .order_by(RequestEvent.at, RequestEvent.id)
    ).all()
    lines += [HistoryLine(e.status, e.staff_name, as_utc(e.at)) for e in events]
    closed_by_staff = any(e.status == request.status for e in events)
    if request.status in CLOSED_STATUSES and not closed_by_staff and request.closed_at:
        lines.append(HistoryLine(request.status, None, as_utc(request.closed_at)))
    return lines


def expire_and_erase(db: Session, *, now: datetime, commit: bool = True) -> tuple[int, int]:
    """Expire the requests left open too long, erase old contact details: (expired, erased).
    ``commit=False``: the caller commits (``flask purge``: one transaction)."""
    now = utc(now)
    expired = db.execute(
        update(ContactRequest)
        .where(
            ContactRequest.status.in_(OPEN_REQUEST_STATUSES),
            ContactRequest.created_at < now - timedelta(days=EXPIRE_AFTER_DAYS),
        )
        .values(status="expired", closed_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    erased = db.execute(
        update(ContactRequest)
        .where(
            ContactRequest.closed_at < now - timedelta(days=ERASE_CONTACT_AFTER_DAYS),
            or_(ContactRequest.phone.is_not(None), ContactRequest.email.is_not(None)),
        )
        .values(phone=None, email=None)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if commit:
        db.commit()
    return expired, erased


def queue(
    db: Session,
    *,
    staff: StaffUser,
    status: str | None,
    now: datetime,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[ContactRequest], int]:
    """The organisation's requests: open ones (``status`` None) oldest first, or those of
    one status (closed ones newest closed first); a page of them, and how many in all.
    Each request comes with its person and the person's result."""
    utc(now)  # the queue does not depend on the time, but the views pass it for is_flagged
    if status is not None and status not in STATUSES:
        raise RequestError(N_("Choisissez un état dans la liste."), "status")
    if not staff.active or staff.organisation_id is None:
        return [], 0
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    statuses = OPEN_REQUEST_STATUSES if status is None else (status,)
    where = (
        ContactRequest.organisation_id == staff.organisation_id,
        ContactRequest.status.in_(statuses),
    )
    if status in CLOSED_STATUSES:
        order = (ContactRequest.closed_at.desc(), ContactRequest.id.desc())
    else:
        order = (ContactRequest.created_at.asc(), ContactRequest.id.asc())
    requests = list(
        db.scalars(
            select(ContactRequest)
            .options(joinedload(ContactRequest.person).joinedload(Person.result))
            .where(*where)
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    total = db.scalar(select(func.count()).select_from(ContactRequest).where(*where)) or 0
    return requests, int(total)
