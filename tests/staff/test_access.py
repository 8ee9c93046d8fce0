"""The access journal: every opening is written, nothing can rewrite it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import migrate
from app.models import AccessRecord
from app.staff import access
from app.staff.access import accesses_to, record_access
from app.times import as_utc

from . import NOW, add_journey, add_organisation, add_staff, new_session, postgres_database


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


def test_each_opening_is_written_with_the_names_of_the_time(db: Session) -> None:
    org = add_organisation(db, "France Services Bondy")
    staff = add_staff(db, org, name="Awa Diallo")
    person, other = add_journey(db), add_journey(db)
    record_access(db, staff=staff, person_id=person.id, what="person", now=NOW)
    record_access(
        db, staff=staff, person_id=person.id, what="records", now=NOW + timedelta(minutes=1)
    )
    record_access(db, staff=staff, person_id=other.id, what="request", now=NOW)

    staff.name, org.name = "Awa D.", "Maison France Services"  # renamed later
    db.commit()

    lines = accesses_to(db, person.id)
    assert [(a.what, a.staff_name, a.organisation_name) for a in lines] == [
        ("records", "Awa Diallo", "France Services Bondy"),
        ("person", "Awa Diallo", "France Services Bondy"),
    ]
    assert lines[0].staff_id == staff.id and lines[0].organisation_id == org.id
    assert as_utc(lines[1].at) == NOW
    assert [a.what for a in accesses_to(db, other.id)] == ["request"]
    assert accesses_to(db, person.id + 100) == []


def test_only_known_openings_by_staff_of_an_organisation(db: Session) -> None:
    staff = add_staff(db, add_organisation(db))
    person = add_journey(db)
    with pytest.raises(ValueError):
        record_access(db, staff=staff, person_id=person.id, what="everything", now=NOW)
    with pytest.raises(ValueError):
        record_access(
            db,
            staff=add_staff(db, None, role="admin"),
            person_id=person.id,
            what="person",
            now=NOW,
        )
    assert db.scalars(select(AccessRecord)).all() == []


def test_the_module_offers_no_way_to_change_the_journal() -> None:
    public = {name for name in dir(access) if callable(getattr(access, name))}
    assert not {name for name in public if "update" in name or "delete" in name or "erase" in name}
    assert set(access.__all__) == {"WHAT", "accesses_to", "record_access"}


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    with postgres_database("repere_access") as url:
        yield url


def test_postgresql_refuses_to_change_or_delete_the_journal(postgres_url: str) -> None:
    migrate.upgrade(postgres_url)
    engine = create_engine(postgres_url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            staff = add_staff(db, add_organisation(db, "France Travail Bondy"), name="Awa")
            person = add_journey(db)
            record_access(db, staff=staff, person_id=person.id, what="person", now=NOW)

        for statement in (
            "UPDATE access_record SET staff_name = 'someone else'",
            "DELETE FROM access_record",
            "TRUNCATE access_record",
        ):
            with engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))

        with Session(engine) as db:  # nor through the ORM
            line = db.scalars(select(AccessRecord)).one()
            db.delete(line)
            with pytest.raises(DBAPIError, match="append-only"):
                db.commit()

        with Session(engine) as db:
            (line,) = accesses_to(db, person.id)
            assert (line.staff_name, line.what) == ("Awa", "person")
    finally:
        engine.dispose()
