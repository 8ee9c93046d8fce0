"""The stored test, without Flask: start, answer, come back with a code, finish."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app import return_code
from app.assessment import engine, service
from app.assessment.bank import DONT_KNOW, Bank, load_bank
from app.models import Answer, Base, Person, Result

from ..flow import right_answer, wrong_answer

SECRET = "s" * 40


@pytest.fixture()
def db() -> Iterator[Session]:
    database = create_engine("sqlite://")
    Base.metadata.create_all(database)
    with Session(database, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


def answer_current(db: Session, person: Person, bank: Bank, strategy=right_answer) -> str:
    item = service.progress(person, bank).next_item
    assert item is not None
    service.record_answer(db, person, bank, item.id, strategy(item))
    return item.id


def test_a_new_journey_has_a_code_found_only_through_its_hmac(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    code = service.code_of(person, SECRET)
    assert return_code.is_well_formed(code)
    assert code not in person.code_lookup and code not in person.code_salt
    assert service.find_by_code(db, SECRET, code) is person
    assert service.find_by_code(db, "another secret key" * 3, code) is None
    other = f"{(int(code) + 1) % 10**12:012d}"
    assert service.find_by_code(db, SECRET, other) is None
    assert service.find_by_code(db, SECRET, "not a code") is None


def test_two_journeys_never_share_a_code(
    db: Session, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    salts = iter(["same", "same", "different"])
    monkeypatch.setattr(return_code, "new_salt", lambda: next(salts))
    first = service.start(db, bank, SECRET, "fr")
    second = service.start(db, bank, SECRET, "fr")
    assert first.code_lookup != second.code_lookup
    assert service.code_of(second, SECRET) != service.code_of(first, SECRET)


def test_the_same_answer_twice_is_stored_once(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    item = service.progress(person, bank).next_item
    assert item is not None
    service.record_answer(db, person, bank, item.id, right_answer(item))
    next_before = service.progress(person, bank).next_item
    service.record_answer(db, person, bank, item.id, right_answer(item))
    assert db.scalar(select(func.count()).select_from(Answer)) == 1
    assert service.progress(person, bank).next_item == next_before


def test_changing_an_earlier_answer_keeps_the_later_ones(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    first = answer_current(db, person, bank)
    answer_current(db, person, bank)
    item = bank.get(first)
    assert item is not None
    service.record_answer(db, person, bank, first, wrong_answer(item))
    assert [a.correct for a in person.answers] == [False, True]
    assert [a.position for a in person.answers] == [1, 2]


def test_a_question_never_shown_is_refused(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    current = service.progress(person, bank).next_item
    assert current is not None
    other = next(item for item in bank.items if item.id != current.id)
    with pytest.raises(service.NotTheCurrentQuestion):
        service.record_answer(db, person, bank, other.id, right_answer(other))
    with pytest.raises(service.NotTheCurrentQuestion):
        service.record_answer(db, person, bank, "no-such-item", "1")
    assert person.answers == []


@pytest.mark.parametrize("bad", ["9", "0", "abc", "", ["1", "1"], "x" * 300])
def test_an_impossible_answer_is_refused(db: Session, bank: Bank, bad: object) -> None:
    person = service.start(db, bank, SECRET, "fr")
    item = service.progress(person, bank).next_item
    assert item is not None
    if item.kind == "text" and bad in {"9", "0", "abc"}:
        pytest.skip("any short text is a possible typed answer")
    with pytest.raises(service.AnswerRejected):
        service.record_answer(db, person, bank, item.id, bad)  # type: ignore[arg-type]
    assert person.answers == []


def test_dont_know_counts_as_not_known(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    answer_current(db, person, bank, lambda _item: DONT_KNOW)
    assert person.answers[0].response == DONT_KNOW
    assert person.answers[0].correct is None


def test_a_whole_test_ends_with_a_stored_result(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    while not service.progress(person, bank).finished:
        answer_current(db, person, bank)
    assert len(person.answers) <= engine.MAX_TOTAL_ITEMS
    result = service.finish(db, person, bank)
    assert service.finish(db, person, bank) is result
    assert db.scalar(select(func.count()).select_from(Result)) == 1
    assert result.engine_version == engine.ENGINE_VERSION
    assert result.bank_version == bank.version
    assert not result.needs_basics and result.overall_band >= 2
    # Pilot items (asked to gather answers for calibration) count for nothing, not even a
    # "can do" line; every other right answer gives one.
    pilots = set(result.details["pilot_items"])
    assert pilots == set(engine.pilot_plan(bank.items, person.seed)[0]) & {
        a.item_id for a in person.answers
    }
    assert len(result.details["can_do"]) == len(person.answers) - len(pilots)
    assert set(result.details["domains"]) == set(engine.SCORED_DOMAINS)
    for detail in result.details["domains"].values():
        assert detail["sure"] == (detail["band_probability"] >= engine.DOMAIN_SURE)
    low, high = result.details["overall_interval"]
    assert low < result.overall_theta < high
    # Once finished, answers are closed.
    with pytest.raises(service.NotTheCurrentQuestion):
        service.record_answer(db, person, bank, person.answers[0].item_id, "1")


def test_the_person_may_stop_once_the_routing_is_decided(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    stops = []
    while not (state := service.progress(person, bank)).finished:
        stops.append(state.may_stop)
        answer_current(db, person, bank)
    assert not stops[0] and any(stops)
    first = stops.index(True)
    del person.answers[first:]  # as if the person had stopped there
    result = service.finish(db, person, bank, early=True)
    assert result.stopped_early and result.details["routing_decided"]


def test_the_population_of_the_last_calibration_is_used(bank: Bank) -> None:
    assert service.population(bank) == engine.DEFAULT_POPULATION


def test_someone_who_struggles_is_offered_help_once(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    answer_current(db, person, bank, lambda _item: DONT_KNOW)
    assert not service.progress(person, bank).offer_help
    answer_current(db, person, bank, lambda _item: DONT_KNOW)
    assert service.progress(person, bank).offer_help
    service.mark_help_offered(db, person)
    assert not service.progress(person, bank).offer_help
    result = service.finish(db, person, bank, early=True)
    assert result.stopped_early and result.needs_basics


def test_answers_to_items_removed_from_the_bank_are_set_aside(db: Session, bank: Bank) -> None:
    person = service.start(db, bank, SECRET, "fr")
    db.add(Answer(person=person, item_id="retired-item", response="1", correct=True, position=1))
    db.commit()
    assert service.engine_answers(person, bank) == []
    assert service.progress(person, bank).next_item is not None


def test_remembered_steps_follow_every_change_of_answers(db: Session, bank: Bank) -> None:
    """The progress comes from remembered steps, yet always equals the engine's own answer:
    after a new answer, after an earlier answer changed, and for a bank of another version."""

    def fresh(person: Person, of: Bank) -> engine.Step:
        return engine.step(of.items, service.engine_answers(person, of), person.seed)

    person = service.start(db, bank, SECRET, "fr")
    answered = [answer_current(db, person, bank) for _ in range(4)]
    before = service.progress(person, bank)
    assert (before.next_item, before.expected_total) == (
        fresh(person, bank).next_item,
        fresh(person, bank).expected_length,
    )
    # Four right answers become four wrong ones: the engine surely goes elsewhere.
    for item_id in answered:
        service.record_answer(db, person, bank, item_id, wrong_answer(bank.get(item_id)))
    after = service.progress(person, bank)
    assert after.next_item == fresh(person, bank).next_item
    assert after.expected_total == fresh(person, bank).expected_length
    assert (after.next_item, after.expected_total) != (before.next_item, before.expected_total)
    smaller = Bank(tuple(i for i in bank.items if i.id != after.next_item.id), "other")
    assert service.progress(person, smaller).next_item == fresh(person, smaller).next_item
    assert service.progress(person, smaller).next_item != after.next_item
