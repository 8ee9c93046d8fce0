"""The journal of who opened a person's data: append-only.

Each line copies the names of the staff member and their organisation, so that the person
can read it even after the account or the organisation is gone. There is no function to
change or delete a line; on PostgreSQL a trigger (migration 0005) refuses it as well.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AccessRecord, Organisation, StaffUser
from . import utc

__all__ = ["WHAT", "accesses_to", "record_access"]

#: What was opened: a person's page, a request, the records about them.
WHAT = ("person", "request", "records")


def record_access(
    db: Session, *, staff: StaffUser, journey_id: int, what: str, now: datetime
) -> None:
    """Write one line of the journal: this staff member opened this person's ``what``."""
    if what not in WHAT:
        raise ValueError(f"what: one of {WHAT}, not {what!r}")
    if staff.organisation_id is None:
        raise ValueError("staff without an organisation see no one's data")
    organisation = staff.organisation or db.get(Organisation, staff.organisation_id)
    assert organisation is not None
    db.add(
        AccessRecord(
            journey_id=journey_id,
            staff_id=staff.id,
            staff_name=staff.name,
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            what=what,
            at=utc(now),
        )
    )
    db.commit()


def accesses_to(db: Session, journey_id: int) -> list[AccessRecord]:
    """Every line about this person, newest first."""
    return list(
        db.scalars(
            select(AccessRecord)
            .where(AccessRecord.journey_id == journey_id)
            .order_by(AccessRecord.at.desc(), AccessRecord.id.desc())
        )
    )
