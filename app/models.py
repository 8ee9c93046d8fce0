"""Database models (SQLAlchemy 2, typed).

Every table is created by the Alembic migrations in ``migrations/``; a test checks
that the migrations and these models agree, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .times import utcnow

# Stable constraint names, so that migrations work the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Base, "instrument_class", propagate=True)
def _never_reuse_ids(mapper: Any, _cls: type) -> None:
    """On SQLite, a table with a numeric id never gives an id again once its row is deleted
    (``AUTOINCREMENT``; migration 0009s): an old reference never names a new row."""
    mapper.local_table.dialect_options["sqlite"]["autoincrement"] = True


#: Requests to be contacted still waiting for their organisation's answer (the life of a
#: request: app/staff/requests.py).
OPEN_REQUEST_STATUSES = ("new", "in-progress")
_OPEN_REQUEST = text(
    "status IN (" + ", ".join(f"'{status}'" for status in OPEN_REQUEST_STATUSES) + ")"
)


#: Longest name or initials a person may give (Person.display_name).
DISPLAY_NAME_LENGTH = 40
#: The characters of a short reference: no 0/O, 1/I/L (as the organisations' share codes).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_ref() -> str:
    """A random opaque token: names a person in the access journal, and nothing else."""
    return secrets.token_hex(16)


class Person(Base):
    """One anonymous person who uses Repère: their test, results and progress.

    No name, no e-mail: the person is known only by the signed session cookie that holds
    their ``ref`` and ``session_version``, or by their code to come back (of which only an
    HMAC is kept).
    The table keeps its first name, ``journey``, and the foreign keys ``journey_id``.
    """

    __tablename__ = "journey"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random token naming the person in the access journal (AccessRecord.person_ref) and
    #: in their browser's session. Never reused: once the person is erased, the journal
    #: and every old session name no one.
    ref: Mapped[str] = mapped_column(String(32), unique=True, default=new_ref)
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    #: Seeds the engine's random choice among the best items, so that the same
    #: answers always lead to the same next question.
    seed: Mapped[int] = mapped_column(Integer)
    #: Random salt from which the code to come back is derived (see app/return_code.py).
    code_salt: Mapped[str] = mapped_column(String(32))
    #: HMAC of the code to come back, to find the person from the code.
    code_lookup: Mapped[str] = mapped_column(String(64), unique=True)
    bank_version: Mapped[str] = mapped_column(String(32))
    #: When the person was offered to continue with help or see their results.
    help_offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: True when the test was run with a mediator ("Nouvelle personne accompagnée").
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A browser session holds the person by ``ref`` and this version: a new code, « Quitter
    #: cet appareil » and erasure advance it (or remove the row), so every browser that
    #: held the person loses them at once (app/views/current.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: A name or initials the person chose to show the organisations they share with, so
    #: that staff can find them in a list; None: staff see the short reference instead.
    #: The person removes it from « Mes données ».
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_LENGTH))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="person", order_by="Answer.position", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        """A short reference (``K7Q-MX4``) that staff and the person both see, when the
        person gave no name. Drawn from ``ref``, random: it tells nothing about the person."""
        number = int(self.ref, 16)
        letters = []
        for _ in range(6):
            number, digit = divmod(number, len(_REFERENCE_ALPHABET))
            letters.append(_REFERENCE_ALPHABET[digit])
        return f"{''.join(letters[:3])}-{''.join(letters[3:])}"

    result: Mapped[Result | None] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    steps_done: Mapped[list[StepDone]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class Answer(Base):
    """One answer to one item. A person answers an item once; changing it updates the row."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("journey_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        "journey_id", ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(64))
    #: What was chosen or typed: "2", "1,3", the typed text, or "dont-know".
    response: Mapped[str] = mapped_column(String(200))
    #: True right, False wrong, None "Je ne sais pas".
    correct: Mapped[bool | None] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="answers")


class Result(Base):
    """The measured levels, kept with the engine and bank versions that produced them."""

    __tablename__ = "result"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        "journey_id", ForeignKey("journey.id", ondelete="CASCADE"), unique=True
    )
    overall_theta: Mapped[float] = mapped_column(Float)
    overall_band: Mapped[int] = mapped_column(Integer)
    needs_basics: Mapped[bool] = mapped_column(Boolean)
    #: Per domain: theta, sd, band, number of items; and the can-do statements earned.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    engine_version: Mapped[str] = mapped_column(String(16))
    bank_version: Mapped[str] = mapped_column(String(32))
    #: True when the person chose to see results before the test's end.
    stopped_early: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="result")


# --------------------------------------------------------------------------------------------
# Places (app/places). These imports can move up to the block above.


class StepDone(Base):
    """A step of a job journey that the person marked as done."""

    __tablename__ = "step_done"
    __table_args__ = (UniqueConstraint("journey_id", "job_journey", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        "journey_id", ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    #: The job journey's id: "futur-metier" or "recherche-emploi".
    job_journey: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="steps_done")


class Place(Base):
    """A place of free digital help, imported from the national open data standard.

    Fields follow « Lieux de médiation numérique » v1.0.2 (see app/places/schema.py); the
    multi-valued ones keep the standard's values joined by ``|``. ``accepts_pass_numerique``
    is Repère's own: set by a legacy file or by staff, never reset by an import.

    A place missing from a newer full file of the same source is retired (``retired_at``),
    not deleted: search no longer shows it, but what a person's record says about it stays.
    """

    __tablename__ = "place"
    __table_args__ = (Index("ix_place_latitude_longitude", "latitude", "longitude"),)

    #: The standard's ``id``, unique in the national file.
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    #: ``complement_adresse``: floor, building, "Le patio du bois de l'Aulne".
    address_details: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(5), index=True)
    commune: Mapped[str] = mapped_column(String(200))
    #: The commune as searched: no accents, case or hyphens (schema.commune_key).
    commune_key: Mapped[str] = mapped_column(String(200), index=True)
    #: The commune's INSEE code, from the file or found in the official list at import.
    insee_code: Mapped[str | None] = mapped_column(String(5), index=True)
    #: From the postcode: "93", "2A", "974".
    departement: Mapped[str] = mapped_column(String(3), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: International format (+33…), several joined by ``|``.
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    #: Raw OpenStreetMap ``opening_hours``, read by app/places/hours.py.
    horaires: Mapped[str | None] = mapped_column(Text)
    services: Mapped[str] = mapped_column(Text, default="")
    #: ``publics_specifiquement_adresses``.
    publics: Mapped[str] = mapped_column(Text, default="")
    #: ``prise_en_charge_specifique``: deafness, illiteracy, foreign languages…
    specific_support: Mapped[str] = mapped_column(Text, default="")
    modalites_accompagnement: Mapped[str] = mapped_column(Text, default="")
    frais_a_charge: Mapped[str] = mapped_column(Text, default="")
    modalites_acces: Mapped[str] = mapped_column(Text, default="")
    prise_rdv: Mapped[str | None] = mapped_column(Text)
    #: ``fiche_acces_libre``: URL of the place's accessibility sheet.
    accessibilite: Mapped[str | None] = mapped_column(Text)
    #: ``presentation_resume``.
    presentation: Mapped[str | None] = mapped_column(Text)
    presentation_detail: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    #: When the source last updated the place; None when its file did not say (or not as
    #: a date): a newer file then always applies.
    date_maj: Mapped[date | None] = mapped_column(Date)
    accepts_pass_numerique: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The file this place last came from (``flask import-places --source``): a newer full
    #: file of the same source retires the places it no longer lists.
    imported_from: Mapped[str | None] = mapped_column(String(100), index=True)
    #: When a newer file of its source stopped listing it: hidden from search since then.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Last time an import or a person changed this row.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def values(self, column: str) -> list[str]:
        """The values of a multi-valued column: ``place.values("services")``."""
        raw = getattr(self, column) or ""
        return [value for value in raw.split("|") if value]


class Organisation(Base):
    """A France Travail agency, a France Services, an association: where staff work."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: "france-travail", "france-services", "association", "mairie", "other".
    kind: Mapped[str] = mapped_column(String(32))
    postcode: Mapped[str] = mapped_column(String(5), index=True)
    #: The short code a mediator gives a person, to share results with this organisation.
    share_code: Mapped[str] = mapped_column(String(8), unique=True)
    place_id: Mapped[str | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffUser(Base):
    """A mediator, a counsellor, or an administrator of the whole site."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: A slow, salted hash (scrypt), never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: "mediator", "counsellor" or "admin".
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Each browser session carries the generation it was opened in; raising it (sign-out,
    #: a new password, deactivation) ends every session of the account at once.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: After a reset the password is a one-time code: it must be replaced at the next
    #: sign-in, and stops working at ``password_expires_at``.
    must_set_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation | None] = relationship()


class Consent(Base):
    """A person's consent to share with one organisation, for one purpose, for a time."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_organisation_expires", "organisation_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        "journey_id", ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    #: "share-results" or "contact".
    purpose: Mapped[str] = mapped_column(String(32))
    #: The version of the text the person read and accepted.
    text_version: Mapped[str] = mapped_column(String(32))
    #: True when given during a test run with a mediator.
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person] = relationship()
    organisation: Mapped[Organisation] = relationship()


class ContactRequest(Base):
    """A person's request to be contacted by an organisation."""

    __tablename__ = "contact_request"
    __table_args__ = (
        # The open requests of an organisation, oldest first: the staff queue. Open requests
        # expire after a month, so this index stays small however many requests are kept.
        Index(
            "ix_contact_request_open",
            "organisation_id",
            "created_at",
            "id",
            postgresql_where=_OPEN_REQUEST,
            sqlite_where=_OPEN_REQUEST,
        ),
        # The requests of one status, last closed first (done, cancelled, expired), and how
        # many there are of each.
        Index("ix_contact_request_status", "organisation_id", "status", "closed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        "journey_id", ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consent.id", ondelete="CASCADE"))
    #: "in-person", "phone" or "video".
    channel: Mapped[str] = mapped_column(String(16))
    #: When it suits the person: "mon-am|mon-pm|…" (days and half-days).
    slots: Mapped[str] = mapped_column(String(200))
    #: Only the detail the channel needs; erased after the request is closed.
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    #: Which journey step or page it came from ("recherche-emploi/cv", "results").
    origin: Mapped[str] = mapped_column(String(100), default="")
    #: "new", "in-progress", "done", "cancelled", "expired".
    status: Mapped[str] = mapped_column(String(16), default="new")
    #: The form's one-time key: the same form posted twice makes one request.
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person] = relationship()
    organisation: Mapped[Organisation] = relationship()


class RequestEvent(Base):
    """A move of a request to be contacted made by staff: who, what, when.

    The request itself says when the person made it and when it was cancelled by the person
    or expired (``closed_at``); staff moves are written here, with the staff member's name
    copied, so that the history outlives the account.
    """

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("contact_request.id", ondelete="CASCADE"), index=True
    )
    #: The status the request moved to: "in-progress", "done", "cancelled".
    status: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    staff_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffRecord(Base):
    """What staff did for a person: chèques handed over, an orientation, a note."""

    __tablename__ = "staff_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        "journey_id", ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    #: "vouchers", "orientation" or "note".
    kind: Mapped[str] = mapped_column(String(16))
    booklet_number: Mapped[str | None] = mapped_column(String(40))
    voucher_count: Mapped[int | None] = mapped_column(Integer)
    vouchers_expire_on: Mapped[date | None] = mapped_column(Date)
    place_id: Mapped[str | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessRecord(Base):
    """Who opened a person's data, when, and what: append-only.

    No code path updates these rows; only ``flask purge`` deletes those older than the
    period stated in the privacy notice (app/mydata.py). On PostgreSQL a trigger refuses
    any other change (migration 0006).
    """

    __tablename__ = "access_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The person's random ``ref``, not their id: once the person is erased, the journal
    #: points to nothing that exists, and never to a new person.
    person_ref: Mapped[str] = mapped_column("journey_ref", String(32), index=True)
    #: Kept as plain numbers (no foreign key), so that the journal outlives what it names.
    staff_id: Mapped[int] = mapped_column(Integer)
    staff_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(Integer)
    organisation_name: Mapped[str] = mapped_column(String(200))
    #: What was opened: "person", "request", "records".
    what: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccountEvent(Base):
    """What was done to a staff account, by whom and when: append-only, like the journal of
    accesses. Names are copied, so that a line outlives the accounts it names."""

    __tablename__ = "account_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Kept as a plain number (no foreign key), with a copy of the address.
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    account_email: Mapped[str] = mapped_column(String(254))
    #: The administrator who did it, or None for the command line.
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str] = mapped_column(String(200))
    #: "created", "deactivated", "reactivated", "password-reset" or "password-set".
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DetachedAnswer(Base):
    """An answer kept after its person was erased, for statistics and calibration only.

    Nothing here names the person: no id, no ref, no time finer than the month, no
    typed text. ``respondent`` is a fresh random token drawn at erasure, shared by the
    answers of one erased person (calibration needs each respondent's answers together);
    it is stored nowhere else.
    """

    __tablename__ = "detached_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent: Mapped[str] = mapped_column(String(32), index=True)
    item_id: Mapped[str] = mapped_column(String(64), index=True)
    #: True right, False wrong, None "Je ne sais pas".
    correct: Mapped[bool | None] = mapped_column(Boolean)
    #: The first day of the month of the answer.
    answered_month: Mapped[date] = mapped_column(Date)
