"""The person using this browser, for every blueprint: found from the session, started once.

A person is anonymous: this browser's signed session names them by their random ``ref``
(never reused, unlike a row's id) and their ``session_version``. A new code, « Quitter cet
appareil » and erasure advance the version (or remove the person), so every browser that
still holds the old version loses the person at once. A browser that holds a person through
an organisation (a test run with a mediator on the mediator's computer) loses them as soon
as the person withdraws that organisation's consent. Their code to come back opens them in
another browser. Every view that needs the person asks here.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, session
from flask_babel import get_locale
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import return_code
from ..assessment import service
from ..assessment.bank import Bank
from ..extensions import db
from ..models import Consent, Person
from ..times import utcnow
from . import visit

SESSION_KEY = "person"

#: A person with their result and answers, in one query: nearly every page needs the result,
#: and the test pages the answers. Built once: SQLAlchemy then skips rebuilding it per request.
PERSON = (
    select(Person)
    .options(joinedload(Person.result), joinedload(Person.answers))
    .where(Person.ref == bindparam("ref"))
)


def bank() -> Bank:
    """The item bank, loaded once when the app starts."""
    return current_app.extensions["bank"]


def secret() -> str:
    return current_app.config["SECRET_KEY"]


def _held() -> dict[str, Any] | None:
    data = session.get(SESSION_KEY)
    if (
        isinstance(data, dict)
        and isinstance(data.get("ref"), str)
        and isinstance(data.get("v"), int)
        and (data.get("via") is None or isinstance(data.get("via"), int))
    ):
        return data
    return None


def holds_a_person() -> bool:
    """Whether this browser's session names a person (without asking the database)."""
    return _held() is not None


def _assisted_consent_holds(person: Person, organisation_id: int) -> bool:
    now = utcnow()
    return (
        db.session.scalar(
            select(Consent.id)
            .where(
                Consent.person_id == person.id,
                Consent.organisation_id == organisation_id,
                Consent.assisted.is_(True),
                Consent.withdrawn_at.is_(None),
                Consent.expires_at > now,
            )
            .limit(1)
        )
        is not None
    )


def current_person() -> Person | None:
    """The person of this browser's session, if any, and only while the session's version
    is the person's (and, for a session held through an organisation, while its consent
    holds)."""
    data = _held()
    if data is None:
        if SESSION_KEY in session:
            forget()
        return None
    person = db.session.execute(PERSON, {"ref": data["ref"]}).unique().scalar_one_or_none()
    if person is None or person.session_version != data["v"]:
        forget()
        return None
    if data.get("via") is not None and not _assisted_consent_holds(person, data["via"]):
        forget()
        return None
    return person


def held_through() -> int | None:
    """The organisation through which this browser holds the person (an assisted test on a
    mediator's computer), or None for the person's own browser."""
    data = _held()
    return data.get("via") if data is not None else None


def remember(person: Person, *, via: int | None = None) -> None:
    """Keep the person in this browser's session (the CSRF token stays valid). ``via``: the
    organisation whose staff run the test with the person on their computer."""
    session[SESSION_KEY] = {"ref": person.ref, "v": person.session_version, "via": via}


def forget() -> None:
    """This browser no longer holds any person, nor where they searched."""
    session.pop(SESSION_KEY, None)
    session.pop(visit.SESSION_KEY, None)


def leave_device() -> None:
    """« Quitter cet appareil »: this browser forgets the person, and so does every other
    browser that holds this session (a copied cookie, a browser left open elsewhere)."""
    person = current_person()
    if person is not None:
        person.session_version += 1
        db.session.commit()
    forget()


def start_person(locale: str | None = None, *, via: int | None = None) -> Person:
    """A new anonymous person, with their code to come back, kept in this browser."""
    person = service.start(db.session, bank(), secret(), locale or str(get_locale()))
    remember(person, via=via)
    return person


def person_or_start() -> Person:
    """The person of this browser, or a new one: someone who did not take the test still
    keeps what they do (a step done, a request to be contacted)."""
    return current_person() or start_person()


def code_of(person: Person) -> str | None:
    """The person's code to come back, grouped for reading (1234 5678 9012 3456), for the
    person's own screen. None in a browser that holds the person through an organisation:
    staff never see the code, except on the slip printed at the end of an assisted test
    (``code_for_slip``), which is journaled."""
    if held_through() is not None:
        return None
    return return_code.grouped(service.code_of(person, secret()))


def code_for_slip(person: Person) -> str:
    """The code for the slip printed for the person at the end of an assisted test. The
    caller writes the display in the access journal."""
    return return_code.grouped(service.code_of(person, secret()))


def change_code(person: Person) -> None:
    """A new code for the person: the old one stops at once, and every other browser that
    held the person loses them; this browser keeps them."""
    via = held_through()
    service.new_code(db.session, person, secret())
    remember(person, via=via)


def open_with_code(code: str) -> Person | None:
    """Open the person of this code in this browser; None if no person has this code."""
    person = service.find_by_code(db.session, secret(), return_code.normalise(code))
    if person is not None:
        remember(person)
    return person
