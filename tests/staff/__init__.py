"""Helpers for the staff tests: a fresh SQLite database and small objects to fill it."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.models import Base, Organisation, Person, Place, Result, StaffUser

from ..databases import throwaway_postgres as postgres_database  # noqa: F401 (for the tests)

#: The tests' "now": a Friday, in the middle of a month.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

_numbers = itertools.count(1)


def new_session() -> Session:
    database = create_engine("sqlite://")
    Base.metadata.create_all(database)
    return Session(database, expire_on_commit=False)


def add_journey(
    db: Session,
    *,
    assisted: bool = False,
    band: int | None = None,
    domain_bands: dict[str, int] | None = None,
) -> Person:
    """A person; with ``band``, a result of that overall band (and these domain bands)."""
    n = next(_numbers)
    person = Person(
        seed=n,
        code_salt=f"salt{n}",
        code_lookup=f"lookup{n}",
        bank_version="test",
        assisted=assisted,
    )
    db.add(person)
    db.flush()
    if band is not None:
        domains = {
            name: {"theta": float(b) - 1.5, "sd": 0.5, "band": b, "items": 2}
            for name, b in (domain_bands or {}).items()
        }
        db.add(
            Result(
                person_id=person.id,
                overall_theta=float(band) - 1.5,
                overall_band=band,
                needs_basics=band == 0,
                details={"domains": domains, "can_do": []},
                engine_version="test",
                bank_version="test",
            )
        )
    db.commit()
    return person


def add_organisation(
    db: Session, name: str = "France Services Bondy", **values: Any
) -> Organisation:
    n = next(_numbers)
    values.setdefault("kind", "france-services")
    values.setdefault("postcode", "93140")
    values.setdefault("share_code", f"C{n:05d}")
    organisation = Organisation(name=name, **values)
    db.add(organisation)
    db.commit()
    return organisation


def add_staff(
    db: Session,
    organisation: Organisation | None,
    *,
    name: str = "Awa Diallo",
    role: str = "mediator",
    active: bool = True,
) -> StaffUser:
    """A staff account without the slow hash (accounts.create_staff is tested on its own)."""
    n = next(_numbers)
    staff = StaffUser(
        email=f"staff{n}@example.fr",
        name=name,
        password_hash="not-a-hash",
        role=role,
        organisation_id=None if organisation is None else organisation.id,
        failed_sign_ins=0,
        active=active,
    )
    db.add(staff)
    db.commit()
    return staff


def add_place(db: Session, place_id: str = "lieu-1", name: str = "EPN de Bondy") -> Place:
    place = Place(
        id=place_id,
        name=name,
        address="1 rue de la Paix",
        postcode="93140",
        commune="Bondy",
        commune_key="bondy",
        departement="93",
        date_maj=date(2026, 1, 1),
    )
    db.add(place)
    db.commit()
    return place
