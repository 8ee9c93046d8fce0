"""A person's test, stored: start, answer, come back with a code, finish.

No Flask here: functions take a SQLAlchemy session, the bank and the secret key, so
they are tested on their own. Every write is idempotent where the web needs it:
posting the same answer twice (double tap, back button, network retry) changes
nothing, and the next question always follows from the stored answers (the engine's step for
a given bank, answers and seed is remembered, never stored).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import return_code
from ..models import Answer, Person, Result
from ..times import utcnow
from . import engine
from .bank import DONT_KNOW, Bank, Item, is_correct

#: Longest typed answer kept; the form refuses longer ones before this.
MAX_RESPONSE_LENGTH = 200
#: The number of questions announced to the person: the most a test can ask, so that the
#: number never grows under their eyes (the engine's estimate of the length moves with
#: every answer). Most tests end before it.
MAX_QUESTIONS = engine.MAX_TOTAL_ITEMS


class AnswerRejected(ValueError):
    """The answer does not fit the question (unknown option, empty, too long)."""


class NotTheCurrentQuestion(LookupError):
    """The posted question is neither answered yet nor the one to answer now."""


@dataclass(frozen=True)
class Progress:
    """Where a person is in their test."""

    answers: tuple[Answer, ...]
    next_item: Item | None
    expected_total: int
    offer_help: bool
    #: The routing is decided: the person may stop now and see their results.
    may_stop: bool = False

    @property
    def count(self) -> int:
        return len(self.answers)

    @property
    def finished(self) -> bool:
        return self.next_item is None


def start(db: Session, bank: Bank, secret: str, locale: str) -> Person:
    """A new anonymous person, with their code to come back."""
    for _attempt in range(5):
        salt = return_code.new_salt()
        person = Person(
            locale=locale,
            seed=secrets.randbelow(2**31),
            code_salt=salt,
            code_lookup=return_code.lookup_key(secret, return_code.derive(secret, salt)),
            bank_version=bank.version,
        )
        db.add(person)
        try:
            db.commit()
        except IntegrityError:  # two people drew the same code: draw again
            db.rollback()
            continue
        return person
    raise RuntimeError("could not draw a unique code to come back")


def code_of(person: Person, secret: str) -> str:
    """The person's code; a person who came before codes had 16 digits keeps their 12."""
    code = return_code.derive(secret, person.code_salt)
    if return_code.lookup_key(secret, code) == person.code_lookup:
        return code
    return return_code.derive(secret, person.code_salt, return_code.LEGACY_DIGITS)


def new_code(db: Session, person: Person, secret: str) -> str:
    """Give the person a new code: the old one stops at once, and so does every browser
    session that holds them (``session_version``). Commits; returns the new code."""
    for _attempt in range(5):
        salt = return_code.new_salt()
        code = return_code.derive(secret, salt)
        person.code_salt = salt
        person.code_lookup = return_code.lookup_key(secret, code)
        person.session_version = (person.session_version or 0) + 1
        try:
            db.commit()
        except IntegrityError:  # another person holds this code: draw again
            db.rollback()
            continue
        return code
    raise RuntimeError("could not draw a unique code to come back")


def find_by_code(db: Session, secret: str, code: str) -> Person | None:
    if not return_code.is_well_formed(code):
        return None
    lookup = return_code.lookup_key(secret, code)
    return db.scalar(select(Person).where(Person.code_lookup == lookup))


def population(bank: Bank) -> engine.Population:
    """The population the engine assumes for this bank: the one its last calibration estimated
    (``flask calibrate --write``), else the default."""
    return engine.Population.from_calibration(bank.calibration.header if bank.calibration else None)


def engine_answers(person: Person, bank: Bank) -> list[tuple[str, bool | None]]:
    """The answers in the engine's terms, leaving out items no longer in the bank."""
    return [(a.item_id, a.correct) for a in person.answers if a.item_id in bank]


#: Steps remembered per bank. A step is a pure function of the bank's items, the answers and
#: the seed, and the page that follows an answer needs the step computed while saving it.
STEP_CACHE_SIZE = 4096
_Stepper = Callable[[tuple[tuple[str, bool | None], ...], int], engine.Step[Item]]
#: id(bank.items) -> (those items, their stepper); holding the items keeps the id theirs.
_steppers: dict[int, tuple[tuple[Item, ...], _Stepper]] = {}
_steppers_lock = threading.Lock()


def step(bank: Bank, answers: Sequence[tuple[str, bool | None]], seed: int) -> engine.Step[Item]:
    """engine.step for this bank, remembered for the last :data:`STEP_CACHE_SIZE` tests."""
    entry = _steppers.get(id(bank.items))
    if entry is None:
        with _steppers_lock:
            entry = _steppers.get(id(bank.items))
            if entry is None:
                while len(_steppers) >= 4:  # one bank in use, a few more in tests
                    _steppers.pop(next(iter(_steppers)))
                stepper = lru_cache(maxsize=STEP_CACHE_SIZE)(
                    partial(engine.step, bank.items, population=population(bank))
                )
                entry = _steppers[id(bank.items)] = (bank.items, stepper)
    return entry[1](tuple(answers), seed)


def progress(person: Person, bank: Bank) -> Progress:
    now = step(bank, engine_answers(person, bank), person.seed)
    return Progress(
        answers=tuple(person.answers),
        next_item=now.next_item,
        expected_total=now.expected_length,
        offer_help=(now.next_item is not None and person.help_offered_at is None and now.struggles),
        may_stop=now.next_item is not None and now.routing_decided,
    )


def encode_response(item: Item, response: str) -> str:
    """One string per answer: "2", the typed text, or "dont-know"."""
    if response == DONT_KNOW:
        return DONT_KNOW
    if not isinstance(response, str):
        raise AnswerRejected("this question takes one answer")
    text = " ".join(response.split())
    if not text:
        raise AnswerRejected("empty answer")
    if len(text) > MAX_RESPONSE_LENGTH:
        raise AnswerRejected("answer too long")
    return text


def decode_response(item: Item, stored: str) -> str:
    """The response as :func:`~app.assessment.bank.is_correct` takes it (the stored string)."""
    return stored


def record_answer(
    db: Session,
    person: Person,
    bank: Bank,
    item_id: str,
    response: str,
    state: Progress | None = None,
) -> Answer:
    """Save an answer to the current question, or change an earlier one.

    The same answer posted again changes nothing. A question the person was never
    shown raises NotTheCurrentQuestion and changes nothing. ``state`` is the person's
    progress when the caller has just computed it (it is not computed again).
    """
    item = bank.get(item_id)
    if item is None or person.result is not None:
        raise NotTheCurrentQuestion(item_id)
    stored = encode_response(item, response)
    try:
        correct = is_correct(item, decode_response(item, stored))
    except ValueError as error:
        raise AnswerRejected(str(error)) from error

    existing = next((a for a in person.answers if a.item_id == item_id), None)
    if existing is not None:
        if existing.response != stored:
            existing.response, existing.correct = stored, correct
            existing.answered_at = utcnow()
        person.last_seen_at = utcnow()
        db.commit()
        return existing

    current = (state or progress(person, bank)).next_item
    if current is None or current.id != item_id:
        raise NotTheCurrentQuestion(item_id)
    answer = Answer(
        person=person,
        item_id=item_id,
        response=stored,
        correct=correct,
        position=len(person.answers) + 1,
    )
    db.add(answer)
    person.last_seen_at = utcnow()
    try:
        db.commit()
    except IntegrityError:  # the same answer arrived twice at once: keep the first
        db.rollback()
        db.refresh(person)
        return next(a for a in person.answers if a.item_id == item_id)
    return answer


def mark_help_offered(db: Session, person: Person) -> None:
    if person.help_offered_at is None:
        person.help_offered_at = utcnow()
        db.commit()


def finish(db: Session, person: Person, bank: Bank, *, early: bool = False) -> Result:
    """Compute and keep the result; finishing twice gives the same result."""
    if person.result is not None:
        return person.result
    answers = engine_answers(person, bank)
    outcome = engine.result(bank.items, answers, person.seed, population=population(bank))
    pilots = set(outcome.pilot_items)  # asked to gather answers: they count for nothing here
    can_do = [
        item.can_do
        for answer in person.answers
        if answer.correct
        and answer.item_id not in pilots
        and (item := bank.get(answer.item_id)) is not None
    ]
    details: dict[str, Any] = {
        "domains": {
            domain: {
                "theta": round(d.theta, 3),
                "sd": round(d.sd, 3),
                "band": d.band,
                "band_probability": round(d.band_probability, 3),
                "sure": d.sure,
                "items": d.n_items,
            }
            for domain, d in outcome.domains.items()
        },
        "overall_sd": round(outcome.overall_sd, 3),
        "overall_interval": [round(outcome.overall_low, 3), round(outcome.overall_high, 3)],
        "basics_probability": round(outcome.basics_probability, 3),
        "routing_decided": outcome.routing_decided,
        "pilot_items": sorted(pilots),
        "can_do": can_do,
        "answers": outcome.n_answers,
    }
    result = Result(
        person=person,
        overall_theta=round(outcome.overall_theta, 3),
        overall_band=outcome.overall_band,
        needs_basics=outcome.needs_basics,
        details=details,
        engine_version=outcome.engine_version,
        bank_version=bank.version,
        stopped_early=early and not outcome.complete,
    )
    db.add(result)
    person.last_seen_at = utcnow()
    try:
        db.commit()
    except IntegrityError:  # finished twice at once: keep the first result
        db.rollback()
        db.refresh(person)
        assert person.result is not None
        return person.result
    return result
