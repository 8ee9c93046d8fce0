"""The person using this browser, for every blueprint: found from the session, started once.

A person is anonymous: this browser's signed session holds their id, and their code to
come back opens them in another browser. Every view that needs the person asks here.
"""

from __future__ import annotations

from flask import current_app, session
from flask_babel import get_locale
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import return_code
from ..assessment import service
from ..assessment.bank import Bank
from ..extensions import db
from ..models import Person

SESSION_KEY = "person"

#: A person with their result and answers, in one query: nearly every page needs the result,
#: and the test pages the answers. Built once: SQLAlchemy then skips rebuilding it per request.
PERSON = (
    select(Person)
    .options(joinedload(Person.result), joinedload(Person.answers))
    .where(Person.id == bindparam("person_id"))
)


def bank() -> Bank:
    """The item bank, loaded once when the app starts."""
    return current_app.extensions["bank"]


def secret() -> str:
    return current_app.config["SECRET_KEY"]


def current_person() -> Person | None:
    """The person of this browser's session, if any."""
    person_id = session.get(SESSION_KEY)
    if not isinstance(person_id, int):
        return None
    return db.session.execute(PERSON, {"person_id": person_id}).unique().scalar_one_or_none()


def remember(person: Person) -> None:
    """Keep the person in this browser's session (the CSRF token stays valid)."""
    session[SESSION_KEY] = person.id


def forget() -> None:
    """This browser no longer holds any person."""
    session.pop(SESSION_KEY, None)


def start_person(locale: str | None = None) -> Person:
    """A new anonymous person, with their code to come back, kept in this browser."""
    person = service.start(db.session, bank(), secret(), locale or str(get_locale()))
    remember(person)
    return person


def person_or_start() -> Person:
    """The person of this browser, or a new one: someone who did not take the test still
    keeps what they do (a step done, a request to be contacted)."""
    return current_person() or start_person()


def code_of(person: Person) -> str:
    """The person's code to come back, grouped for reading (1234 5678 9012)."""
    return return_code.grouped(service.code_of(person, secret()))


def open_with_code(code: str) -> Person | None:
    """Open the person of this code in this browser; None if no person has this code."""
    person = service.find_by_code(db.session, secret(), return_code.normalise(code))
    if person is not None:
        remember(person)
    return person
