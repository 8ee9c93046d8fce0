"""Database models (SQLAlchemy 2, typed).

Every table is created by the Alembic migrations in ``migrations/``; a test checks
that the migrations and these models agree, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


def utcnow() -> datetime:
    return datetime.now(UTC)


class Journey(Base):
    """One anonymous person's path through Repère: their test, results and progress.

    No name, no e-mail: the person is known only by the signed session cookie that
    holds this id, or by their code to come back (of which only an HMAC is kept).
    """

    __tablename__ = "journey"

    id: Mapped[int] = mapped_column(primary_key=True)
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
    #: HMAC of the code to come back, to find the journey from the code.
    code_lookup: Mapped[str] = mapped_column(String(64), unique=True)
    bank_version: Mapped[str] = mapped_column(String(32))
    #: When the person was offered to continue with help or see their results.
    help_offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="journey", order_by="Answer.position", cascade="all, delete-orphan"
    )
    result: Mapped[Result | None] = relationship(
        back_populates="journey", cascade="all, delete-orphan"
    )
    steps_done: Mapped[list[StepDone]] = relationship(
        back_populates="journey", cascade="all, delete-orphan"
    )


class Answer(Base):
    """One answer to one item. A person answers an item once; changing it updates the row."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("journey_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(64))
    #: What was chosen or typed: "2", "1,3", the typed text, or "dont-know".
    response: Mapped[str] = mapped_column(String(200))
    #: True right, False wrong, None "Je ne sais pas".
    correct: Mapped[bool | None] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    journey: Mapped[Journey] = relationship(back_populates="answers")


class Result(Base):
    """The measured levels, kept with the engine and bank versions that produced them."""

    __tablename__ = "result"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), unique=True
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

    journey: Mapped[Journey] = relationship(back_populates="result")


# --------------------------------------------------------------------------------------------
# Places (app/places). These imports can move up to the block above.


class StepDone(Base):
    """A step of a job journey that the person marked as done."""

    __tablename__ = "step_done"
    __table_args__ = (UniqueConstraint("journey_id", "job_journey", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    #: The job journey's id: "futur-metier" or "recherche-emploi".
    job_journey: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    journey: Mapped[Journey] = relationship(back_populates="steps_done")


class Place(Base):
    """A place of free digital help, imported from the national open data standard.

    Fields follow « Lieux de médiation numérique » v1.0.2 (see app/places/schema.py); the
    multi-valued ones keep the standard's values joined by ``|``. ``accepts_pass_numerique``
    is Repère's own: set by a legacy file or by staff, never reset by an import.
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
    insee_code: Mapped[str | None] = mapped_column(String(5))
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
    date_maj: Mapped[date] = mapped_column(Date)
    accepts_pass_numerique: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Last time an import or a person changed this row.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def values(self, column: str) -> list[str]:
        """The values of a multi-valued column: ``place.values("services")``."""
        raw = getattr(self, column) or ""
        return [value for value in raw.split("|") if value]
