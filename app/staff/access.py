"""The journal of who opened a person's data: append-only.

Each line copies the names of the staff member and their organisation, so that the person
can read it even after the account or the organisation is gone. A line names the person
by their person's random ``ref``, never by its id: once the person is erased, the journal
points to no one. There is no function here to change or delete a line; only ``flask
purge`` (app/mydata.py) deletes lines older than the period of the privacy notice, and on
PostgreSQL a trigger (migration 0006) refuses anything else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AccessRecord, Organisation, Person, StaffUser
from ..times import utc

__all__ = ["WHAT", "accesses_to", "record_access"]

#: What was opened: a person's page, a request, the records about them, the person's code to
#: come back (on the slip printed at the end of an assisted test).
WHAT = ("person", "request", "records", "code")


def _ref(db: Session, person: Person | int | None) -> str | None:
    if isinstance(person, Person):
        return person.ref
    if person is None:
        return None
    return db.scalar(select(Person.ref).where(Person.id == person))


def record_access(
    db: Session,
    *,
    staff: StaffUser,
    person: Person | None = None,
    person_id: int | None = None,
    what: str,
    now: datetime,
) -> None:
    """Write one line of the journal: this staff member opened this person's ``what``.

    The person is ``person``, or the person of ``person_id``."""
    ref = _ref(db, person if person is not None else person_id)
    if ref is None:
        raise ValueError("no such person")
    if what not in WHAT:
        raise ValueError(f"what: one of {WHAT}, not {what!r}")
    if staff.organisation_id is None:
        raise ValueError("staff without an organisation see no one's data")
    organisation = staff.organisation or db.get(Organisation, staff.organisation_id)
    assert organisation is not None
    db.add(
        AccessRecord(
            person_ref=ref,
            staff_id=staff.id,
            staff_name=staff.name,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            what=what,
            at=utc(now),
        )
    )
    db.commit()


def accesses_to(db: Session, person: Person | int) -> list[AccessRecord]:
    """Every line about this person (a person, or its id), newest first."""
    ref = _ref(db, person)
    if ref is None:
        return []
    return list(
        db.scalars(
            select(AccessRecord)
            .where(AccessRecord.person_ref == ref)
            .order_by(AccessRecord.at.desc(), AccessRecord.id.desc())
        )
    )
