"""Which steps of a job journey a person marked as done.

A job journey ("futur-metier", "recherche-emploi") is content, named by its id.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Person, StepDone


def done_steps(person: Person | None, journey_id: str) -> set[str]:
    if person is None:
        return set()
    return {done.step_id for done in person.steps_done if done.job_journey == journey_id}


def mark(db: Session, person: Person, journey_id: str, step_id: str, *, done: bool) -> None:
    """Mark or unmark a step; doing it twice changes nothing."""
    existing = db.scalar(
        select(StepDone).where(
            StepDone.person_id == person.id,
            StepDone.job_journey == journey_id,
            StepDone.step_id == step_id,
        )
    )
    if done and existing is None:
        db.add(StepDone(person_id=person.id, job_journey=journey_id, step_id=step_id))
    elif not done and existing is not None:
        db.delete(existing)
    else:
        return
    try:
        db.commit()
    except IntegrityError:  # marked twice at the same moment: once is enough
        db.rollback()
