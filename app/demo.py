"""Demo data for trying and auditing the staff side: ``flask demo``.

One organisation, a mediator, a counsellor and an administrator (with passwords drawn at
random and printed), and people who took the test, one at each of the four levels, who
shared their results with the organisation: one gave initials, the others are known by
their short reference. They marked steps as done and asked to be contacted; their requests
stand in each status (one waits for more than 10 days); the organisation handed over
chèques, sent someone to a place and wrote notes. Every staff page then has something to
show, in a minute, without a terminal session of hand-made accounts.

Running it again adds nothing: it gives the demo accounts new passwords and prints them.
It is never run in production (the command refuses).

No Flask here, like the domain services: the command passes the session, the bank, the
secret and the time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .assessment import engine, service
from .assessment.bank import DONT_KNOW, Bank, Item, is_correct
from .journeys import load_journeys
from .models import ContactRequest, Organisation, Person, Place, StaffUser, StepDone
from .places.search import search_places
from .staff import accounts, consent, records, requests
from .times import utc

__all__ = ["DEMO_ACCOUNTS", "DEMO_ORGANISATION", "Demo", "load_demo"]

DEMO_ORGANISATION = "France Services de démonstration"
DEMO_POSTCODE = "93200"
#: Role → (e-mail, name) of the demo accounts.
DEMO_ACCOUNTS = {
    "mediator": ("mediatrice@demo.repere.example", "Awa Diallo (démo)"),
    "counsellor": ("conseiller@demo.repere.example", "Julien Martin (démo)"),
    "admin": ("admin@demo.repere.example", "Administration (démo)"),
}
#: The ability each demo person answers at, for the levels 0 to 3, and the name they gave.
_PEOPLE = ((-2.5, None), (-0.8, "M. K."), (0.5, None), (2.5, None))
#: The request each person made: channel, slots, phone, e-mail, then what staff did with it.
_REQUESTS = (
    ("phone", "mon-am|thu-pm", "06 12 34 56 78", None, ()),
    ("video", "tue-pm", None, "demo.personne@exemple.fr", ("in-progress",)),
    ("in-person", "wed-am|sat-am", None, None, ("in-progress", "done")),
    ("phone", "fri-am", "01 99 00 83 85", None, ("cancelled",)),
)


@dataclass
class Demo:
    """What ``load_demo`` made or found: the accounts' new passwords, and the ids to open."""

    organisation: Organisation
    #: role → (e-mail, password)
    accounts: dict[str, tuple[str, str]]
    #: The demo people, by level (0 to 3).
    people: list[int] = field(default_factory=list)
    #: status → the id of a request in that status.
    requests: dict[str, int] = field(default_factory=dict)
    created: bool = True


def _password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters


def _answer_at(item: Item, theta: float) -> str:
    """The answer of someone of ability ``theta``: right when the item is easier, else
    « Je ne sais pas » or a wrong answer."""
    if item.b <= theta:
        return item.accepted[0] if item.kind == "text" else str(min(item.answer))
    if theta < -1:
        return DONT_KNOW
    if item.kind == "text":
        return "je ne sais plus"
    return next(str(n) for n in range(1, len(item.options) + 1) if n not in item.answer)


def _seed_for(bank: Bank, theta: float, band: int) -> int:
    """A seed with which someone answering at ``theta`` ends at ``band``: the engine's
    random choice among its best items decides the last few decimals."""
    population = service.population(bank)
    for seed in range(1, 200):
        answers: list[tuple[str, bool | None]] = []
        for _step in range(60):
            item = service.step(bank, answers, seed).next_item
            if item is None:
                break
            response = _answer_at(item, theta)
            answers.append((item.id, None if response == DONT_KNOW else is_correct(item, response)))
        if engine.result(bank.items, answers, seed, population=population).overall_band == band:
            return seed
    return 1


def _take_test(db: Session, bank: Bank, secret: str, theta: float, band: int) -> Person:
    person = service.start(db, bank, secret, "fr")
    person.seed = _seed_for(bank, theta, band)
    db.commit()
    for _step in range(60):
        state = service.progress(person, bank)
        if state.finished or state.next_item is None:
            break
        item = state.next_item
        service.record_answer(db, person, bank, item.id, _answer_at(item, theta), state)
    service.finish(db, person, bank)
    return person


def _find(db: Session) -> Organisation | None:
    return db.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))


def _reset_passwords(db: Session) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for role, (email, _name) in DEMO_ACCOUNTS.items():
        staff = db.scalar(select(StaffUser).where(StaffUser.email == email))
        if staff is None:
            continue
        password = _password()
        staff.password_hash = accounts.hash_password(password)
        staff.failed_sign_ins = 0
        staff.locked_until = None
        staff.active = True
        found[role] = (email, password)
    db.commit()
    return found


def load_demo(db: Session, *, bank: Bank, secret: str, now: datetime) -> Demo:
    """Make the demo data, or, when it is there already, give its accounts new passwords."""
    now = utc(now)
    existing = _find(db)
    if existing is not None:
        demo = Demo(existing, _reset_passwords(db), created=False)
        demo.people = list(
            db.scalars(
                select(Person.id)
                .join(consent.Consent, consent.Consent.person_id == Person.id)
                .where(consent.Consent.organisation_id == existing.id)
                .distinct()
                .order_by(Person.id)
            )
        )
        for status, request_id in db.execute(
            select(ContactRequest.status, ContactRequest.id)
            .where(ContactRequest.organisation_id == existing.id)
            .order_by(ContactRequest.id)
        ):
            demo.requests.setdefault(status, request_id)
        return demo

    places = [hit.place for hit in search_places(db, DEMO_POSTCODE, per_page=3).places]
    organisation = accounts.create_organisation(
        db,
        name=DEMO_ORGANISATION,
        kind="france-services",
        postcode=DEMO_POSTCODE,
        place_id=places[0].id if places else None,
    )
    demo = Demo(organisation, {})
    staff: dict[str, StaffUser] = {}
    for role, (email, name) in DEMO_ACCOUNTS.items():
        password = _password()
        staff[role] = accounts.create_staff(
            db,
            email=email,
            name=name,
            password=password,
            role=role,
            organisation_id=None if role == "admin" else organisation.id,
        )
        demo.accounts[role] = (email, password)
    mediator, counsellor = staff["mediator"], staff["counsellor"]
    journeys = list(load_journeys().values())

    for level, (theta, name) in enumerate(_PEOPLE):
        person = _take_test(db, bank, secret, theta, level)
        person.assisted = level % 2 == 0
        person.display_name = name
        for journey in journeys[: 1 + level % 2]:
            for step in journey.steps[: level + 1]:
                db.add(StepDone(person_id=person.id, job_journey=journey.id, step_id=step.id))
        db.commit()
        consent.grant(
            db,
            person=person,
            organisation=organisation,
            purpose="share-results",
            months=consent.DURATIONS_MONTHS[level % len(consent.DURATIONS_MONTHS)],
            now=now - timedelta(days=3 * level),
            assisted=person.assisted,
        )
        demo.people.append(person.id)

        channel, slots, phone, email, moves = _REQUESTS[level]
        # The first one waits for more than 10 days: the queue flags it.
        made = now - timedelta(days=12 if level == 0 else 4 - level)
        asked = requests.create_request(
            db,
            person=person,
            organisation=organisation,
            channel=channel,
            slots=slots,
            phone=phone,
            email=email,
            origin="recherche-emploi/cv" if level else "resultats",
            form_key=f"demo-request-{secrets.token_hex(8)}",
            now=made,
        )
        for hours, status in enumerate(moves, 1):
            requests.set_status(
                db,
                staff=counsellor if level % 2 else mediator,
                request_id=asked.id,
                status=status,
                now=made + timedelta(hours=hours),
            )
        demo.requests[asked.status] = asked.id

        _record_for(db, mediator, person, level, places, now)

    # An old request nobody answered: expired by the daily purge.
    first = db.get(Person, demo.people[0])
    assert first is not None
    old = requests.create_request(
        db,
        person=first,
        organisation=organisation,
        channel="in-person",
        slots="mon-pm",
        phone=None,
        email=None,
        origin="resultats",
        form_key=f"demo-request-{secrets.token_hex(8)}",
        now=now - timedelta(days=40),
    )
    requests.expire_and_erase(db, now=now)
    db.refresh(old)
    demo.requests[old.status] = old.id
    return demo


def _record_for(
    db: Session, staff: StaffUser, person: Person, level: int, places: list[Place], now: datetime
) -> None:
    """What the mediator did: chèques for those who start, a place, a note."""
    key = f"demo-record-{secrets.token_hex(8)}"
    if level <= 1:
        records.record_vouchers(
            db,
            staff=staff,
            person_id=person.id,
            booklet_number=f"DEMO-{level + 1:03d}",
            count=5 - 2 * level,
            expires_on=date(now.year + 1, 12, 31),
            form_key=key + "-v",
            now=now,
        )
    if places and level <= 2:
        records.record_orientation(
            db,
            staff=staff,
            person_id=person.id,
            place_id=places[level % len(places)].id,
            form_key=key + "-o",
            now=now,
        )
    records.record_note(
        db,
        staff=staff,
        person_id=person.id,
        note=(
            "Premier atelier le mardi 10 h. Apportez votre téléphone.",
            "Nous avons créé une adresse e-mail ensemble.",
            "CV commencé : à finir au prochain rendez-vous.",
            "Peut aider d'autres personnes de l'atelier.",
        )[level],
        form_key=key + "-n",
        now=now,
    )
