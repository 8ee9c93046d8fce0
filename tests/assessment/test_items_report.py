"""Tests of the items report: answers, shares, fit and differential functioning by language."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from app.assessment import engine
from app.assessment.bank import Item
from app.assessment.domains import DOMAINS
from app.assessment.items_report import (
    PersonAnswers,
    format_table,
    items_report,
    summary,
    to_csv,
)

LOCALES = ("fr", "en", "ar")


def make_items() -> tuple[Item, ...]:
    """4 calibrated items per domain, b from -1.5 to 1, a 1.6."""
    items = []
    for domain in DOMAINS:
        for k in range(4):
            items.append(
                Item(
                    id=f"{domain[:4]}-{k}",
                    domain=domain,
                    kind="text",
                    text="Question ?",
                    options=(),
                    answer=frozenset(),
                    accepted=("x",),
                    can_do="Vous savez.",
                    a=1.6,
                    b=-1.5 + 2.5 * k / 3,
                    calibrated_answers=1000,
                    a_estimated=True,
                    b_se=0.05,
                )
            )
    return tuple(items)


ITEMS = make_items()
HARDER_IN_ARABIC = "info-1"  # 1.0 harder for people reading Arabic
MISKEYED = "comm-2"  # its answer key is wrong: the able people are the ones scored wrong


def simulate(people: int = 450, seed: int = 3) -> list[PersonAnswers]:
    rng = random.Random(seed)
    out = []
    for number in range(people):
        locale = LOCALES[number % 3]
        g = rng.gauss(0, 1)
        theta = {d: -0.5 + math.sqrt(0.7) * g + math.sqrt(0.3) * rng.gauss(0, 1) for d in DOMAINS}
        answers: list[tuple[str, bool | None]] = []
        for item in rng.sample(ITEMS, 12):
            b = item.b + (1.0 if item.id == HARDER_IN_ARABIC and locale == "ar" else 0.0)
            p = engine.probability(theta[item.domain], item.a, b)
            right = rng.random() < p
            if item.id == MISKEYED:
                right = not right
            answers.append((item.id, True if right else (None if rng.random() < 0.3 else False)))
        out.append(PersonAnswers(number, locale, number, answers))
    return out


@pytest.fixture(scope="module")
def report() -> list:
    return items_report(ITEMS, simulate(), LOCALES)


def row(report: list, item_id: str, locale: str):
    return next(r for r in report if r.item_id == item_id and r.locale == locale)


def test_one_row_per_item_and_language_and_all(report: list) -> None:
    assert len(report) == len(ITEMS) * 4
    assert [r.locale for r in report[:4]] == ["fr", "en", "ar", "all"]
    for item in ITEMS:
        per_language = [row(report, item.id, loc) for loc in LOCALES]
        together = row(report, item.id, "all")
        assert together.answers == sum(r.answers for r in per_language)
        assert together.dif is None  # a language is compared with the others


def test_shares_and_exposure(report: list) -> None:
    for r in report:
        assert 0 <= r.right <= 1 and 0 <= r.dont_know <= 1 - r.right + 1e-9
        tests = 450 if r.locale == "all" else 150
        assert r.exposure == pytest.approx(r.answers / tests)
    # every person answered 12 of the 24 items: about half the tests saw each item
    assert 0.35 < row(report, "info-0", "all").exposure < 0.65


def test_an_item_harder_in_one_language_is_flagged(report: list) -> None:
    arabic = row(report, HARDER_IN_ARABIC, "ar")
    assert arabic.dif is not None and arabic.dif > 0.5
    assert "harder in ar" in arabic.flags
    assert row(report, HARDER_IN_ARABIC, "fr").dif < 0  # easier there, by comparison
    flagged = {(r.item_id, r.locale) for r in report if any("harder" in f for f in r.flags)}
    assert len(flagged - {(HARDER_IN_ARABIC, "ar")}) <= 1


def test_an_item_with_a_wrong_answer_key_misfits(report: list) -> None:
    assert row(report, MISKEYED, "all").infit > 1.3
    assert "misfit" in row(report, MISKEYED, "all").flags
    others = [r for r in report if r.item_id != MISKEYED]
    assert not any("misfit" in r.flags for r in others)


def test_pilot_answers_are_counted_apart() -> None:
    pilots = tuple(
        replace(item, calibrated_answers=0) if item.id == "crea-0" else item for item in ITEMS
    )
    people = simulate(120, seed=5)
    rows = items_report(pilots, people, LOCALES)
    seen = sum(1 for p in people for i, _ in p.answers if i == "crea-0")
    given_as_pilot = sum(
        1
        for p in people
        for i, _ in p.answers
        if i == "crea-0" and i in engine.pilot_plan(pilots, p.seed)[0]
    )
    assert row(rows, "crea-0", "all").answers == seen
    assert row(rows, "crea-0", "all").pilot == given_as_pilot > 0


def test_too_few_answers_give_no_fit_and_no_dif() -> None:
    rows = items_report(ITEMS, simulate(30, seed=9), LOCALES)
    assert all(r.infit is None and r.dif is None for r in rows if r.locale != "all")


def test_table_and_csv(report: list) -> None:
    text = to_csv(report).splitlines()
    assert text[0] == (
        "item,domain,language,answers,right,dont_know,infit,dif,dif_se,exposure,pilot_answers,flags"
    )
    assert len(text) == 1 + len(report)
    assert any(line.startswith(f"{HARDER_IN_ARABIC},information,ar,") for line in text)
    table = format_table(report, flagged_only=True)
    assert HARDER_IN_ARABIC in table and "harder in ar" in table
    assert "info-3" not in table or "info-3" in {r.item_id for r in report if r.flags}
    assert summary(report)["harder"] >= 1
