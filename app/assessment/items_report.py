"""How each item behaves in real use, per language: the figures of ``flask items-report``.

Pure Python, no Flask, no database: :func:`items_report` takes each person's language, seed and
answers, and the bank. For every item and language: answers, share right, share « Je ne sais
pas », fit to the model, differential functioning against the other languages, and exposure.
What each figure means and when an item is flagged: docs/items.md ("Watching the items").
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import engine
from .bank import Item

__all__ = [
    "DIF_FLAG",
    "FIT_RANGE",
    "MIN_ANSWERS",
    "ItemLanguage",
    "PersonAnswers",
    "format_table",
    "items_report",
    "to_csv",
]

MIN_ANSWERS = 50
"""Fewer answers than this in a language: no fit or DIF figure (too few to say anything)."""
FIT_RANGE = (0.7, 1.3)
"""Infit mean square outside this range, and clearly so (its t statistic at least FIT_T), is
flagged: the answers fit the model badly (a wrong answer key, a confusing wording)."""
FIT_T = 3.0
DIF_FLAG = 0.5
"""An item harder or easier by at least this (θ scale) in one language than in the others, for
people of the same level, and clearly so (at least 2 standard errors), is flagged."""


@dataclass(frozen=True)
class PersonAnswers:
    """One person's test: language, seed (for the pilot items) and answers in order."""

    key: object
    locale: str
    seed: int | str
    answers: Sequence[tuple[str, bool | None]]


@dataclass(frozen=True)
class ItemLanguage:
    """The figures of one item in one language ("all" for every language together).

    ``infit`` is the information-weighted mean square of the residuals (1 when the answers fit
    the model; None with too few answers); ``dif`` is how much harder the item is in this
    language than in the others for people of the same level (θ scale, None when it cannot be
    said), ``dif_se`` its standard error. ``exposure`` is the share of this language's tests that
    asked the item; ``pilot`` the answers given to it as a pilot item.
    """

    item_id: str
    domain: str
    locale: str
    answers: int
    right: float | None
    dont_know: float | None
    infit: float | None
    dif: float | None
    dif_se: float | None
    exposure: float
    pilot: int
    flags: tuple[str, ...] = field(default=())


def items_report(
    bank_items: Sequence[Item],
    people: Iterable[PersonAnswers],
    locales: Sequence[str],
    *,
    population: engine.Population = engine.DEFAULT_POPULATION,
    min_answers: int = MIN_ANSWERS,
) -> list[ItemLanguage]:
    """Rows for every item (bank order), for each language of ``locales`` and for all together.

    For each answer, the person's level in the item's domain is the engine's posterior from
    their other scored answers (the answer itself left out, and the pilot answers): the model's
    probability of that answer, given everything else the person answered, is what the answer
    is compared with.
    """
    by_id = {item.id: item for item in bank_items}
    # per (item, locale): answers, right, dont know, pilot, Σ(x - P)², Σ P(1 - P), and for the
    # DIF the people's levels and answers.
    stats: dict[tuple[str, str], _Tally] = {}
    tests: dict[str, int] = dict.fromkeys(locales, 0)
    for person in people:
        locale = person.locale if person.locale in tests else locales[0]
        answers = [(i, c) for i, c in person.answers if i in by_id]
        if not answers:
            continue
        tests[locale] += 1
        posteriors = engine.domain_posteriors(
            bank_items, answers, person.seed, population=population
        )
        pilots = set(engine.pilot_plan(bank_items, person.seed)[0])
        seen: set[str] = set()
        for item_id, correct in answers:
            if item_id in seen:
                continue
            seen.add(item_id)
            item = by_id[item_id]
            posterior = posteriors[item.domain]
            if item_id not in pilots:  # a scored answer is in the posterior: take it out
                curve = engine.answer_likelihood(item, correct is True)
                posterior = tuple(p / max(q, 1e-300) for p, q in zip(posterior, curve, strict=True))
            tally = stats.setdefault((item_id, locale), _Tally())
            tally.add(item, _moments(posterior), correct, item_id in pilots)
    rows: list[ItemLanguage] = []
    total_tests = sum(tests.values())
    for item in bank_items:
        per_locale = {loc: stats.get((item.id, loc), _Tally()) for loc in locales}
        everybody = _Tally.merged(per_locale.values())
        for loc in (*locales, "all"):
            tally = everybody if loc == "all" else per_locale[loc]
            others = (
                None
                if loc == "all"
                else _Tally.merged(t for other, t in per_locale.items() if other != loc)
            )
            n_tests = total_tests if loc == "all" else tests[loc]
            rows.append(_row(item, loc, tally, others, n_tests, min_answers))
    return rows


class _Tally:
    def __init__(self) -> None:
        self.n = 0
        self.right = 0
        self.dont_know = 0
        self.pilot = 0
        self.squares = 0.0
        self.variance = 0.0
        self.kurtosis = 0.0  # Σ (C - W²), for the standard error of the infit
        self.levels: list[tuple[float, float]] = []  # mean and sd of each person's level
        self.outcomes: list[int] = []

    def add(
        self, item: Item, level: tuple[float, float], correct: bool | None, pilot: bool
    ) -> None:
        x = 1 if correct else 0
        p = _predictive(item, level, 0.0)
        self.n += 1
        self.right += x
        self.dont_know += correct is None
        self.pilot += pilot
        w = p * (1.0 - p)
        self.squares += (x - p) ** 2
        self.variance += w
        self.kurtosis += w * (p**3 + (1.0 - p) ** 3) - w * w
        self.levels.append(level)
        self.outcomes.append(x)

    @classmethod
    def merged(cls, tallies: Iterable[_Tally]) -> _Tally:
        out = cls()
        for t in tallies:
            out.n += t.n
            out.right += t.right
            out.dont_know += t.dont_know
            out.pilot += t.pilot
            out.squares += t.squares
            out.variance += t.variance
            out.kurtosis += t.kurtosis
            out.levels += t.levels
            out.outcomes += t.outcomes
        return out


def _shift(item: Item, tally: _Tally) -> tuple[float, float] | None:
    """The change of difficulty that makes the model expect as many right answers as these
    people gave, and its standard error (Newton's method on the one-parameter likelihood)."""
    if tally.n == 0 or tally.right in (0, tally.n):
        return None
    top = 1.0 - engine.SLIP

    def terms(delta: float) -> tuple[float, float, float]:
        expected = slope = information = 0.0
        for level in tally.levels:
            a = _blurred(item, level[1])
            p = _predictive(item, level, delta)
            dp = (p - item.c) * (top - p) / (top - item.c)  # dP/dz
            expected += p
            slope += a * dp
            information += a * a * dp * dp / max(p * (1.0 - p), 1e-12)
        return expected, slope, information

    delta = 0.0
    for _ in range(50):
        expected, slope, _information = terms(delta)
        step = (expected - tally.right) / max(slope, 1e-9)
        delta = max(-4.0, min(4.0, delta + step))
        if abs(step) < 1e-6:
            break
    _, _, information = terms(delta)
    return delta, 1.0 / math.sqrt(max(information, 1e-12))


def _moments(posterior: tuple[float, ...]) -> tuple[float, float]:
    """Mean and sd of a (not normalised) distribution on the engine's θ grid."""
    total = math.fsum(posterior)
    mean = math.fsum(p * t for p, t in zip(posterior, engine.THETA_GRID, strict=True)) / total
    second = math.fsum(p * t * t for p, t in zip(posterior, engine.THETA_GRID, strict=True))
    return mean, math.sqrt(max(second / total - mean * mean, 0.0))


def _blurred(item: Item, sd: float) -> float:
    """The item's slope against a level known with this sd (a logistic averaged over a normal
    is close to a logistic of slope a / √(1 + π a² sd² / 8))."""
    a = engine.discrimination(item)
    return a / math.sqrt(1.0 + math.pi * a * a * sd * sd / 8.0)


def _predictive(item: Item, level: tuple[float, float], delta: float) -> float:
    """The probability of a right answer for a person whose level is N(mean, sd²), if the item
    were ``delta`` harder."""
    mean, sd = level
    return engine.probability(mean, _blurred(item, sd), item.b + delta, item.c)


def _row(
    item: Item,
    locale: str,
    tally: _Tally,
    others: _Tally | None,
    tests: int,
    min_answers: int,
) -> ItemLanguage:
    enough = tally.n >= min_answers
    infit = tally.squares / tally.variance if enough and tally.variance > 0 else None
    infit_t = None
    if infit is not None:
        # Wilson-Hilferty: the mean square's cube root is close to normal (Wright & Masters).
        q = math.sqrt(max(tally.kurtosis, 1e-12)) / tally.variance
        infit_t = (infit ** (1.0 / 3.0) - 1.0) * 3.0 / q + q / 3.0
    dif = dif_se = None
    if others is not None and enough and others.n >= min_answers:
        here, there = _shift(item, tally), _shift(item, others)
        if here is not None and there is not None:
            dif = here[0] - there[0]
            dif_se = math.hypot(here[1], there[1])
    flags: list[str] = []
    if infit is not None and infit_t is not None and not FIT_RANGE[0] <= infit <= FIT_RANGE[1]:
        if abs(infit_t) >= FIT_T:
            flags.append("misfit")
    if dif is not None and dif_se is not None and abs(dif) >= DIF_FLAG and abs(dif) >= 2 * dif_se:
        flags.append(f"harder in {locale}" if dif > 0 else f"easier in {locale}")
    return ItemLanguage(
        item_id=item.id,
        domain=item.domain,
        locale=locale,
        answers=tally.n,
        right=tally.right / tally.n if tally.n else None,
        dont_know=tally.dont_know / tally.n if tally.n else None,
        infit=infit,
        dif=dif,
        dif_se=dif_se,
        exposure=tally.n / tests if tests else 0.0,
        pilot=tally.pilot,
        flags=tuple(flags),
    )


# --------------------------------------------------------------------------- output

COLUMNS = (
    "item",
    "domain",
    "language",
    "answers",
    "right",
    "dont_know",
    "infit",
    "dif",
    "dif_se",
    "exposure",
    "pilot_answers",
    "flags",
)


def _values(row: ItemLanguage) -> list[str]:
    def number(value: float | None, digits: int) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    return [
        row.item_id,
        row.domain,
        row.locale,
        str(row.answers),
        number(row.right, 3),
        number(row.dont_know, 3),
        number(row.infit, 2),
        number(row.dif, 2),
        number(row.dif_se, 2),
        number(row.exposure, 3),
        str(row.pilot),
        "; ".join(row.flags),
    ]


def to_csv(rows: Sequence[ItemLanguage]) -> str:
    """The rows as CSV (comma-separated, one header line, shares as fractions)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_values(row))
    return out.getvalue()


def format_table(rows: Sequence[ItemLanguage], *, flagged_only: bool = False) -> str:
    """The rows as a plain-text table (shares in %), flagged items first when asked."""
    shown = [r for r in rows if r.flags] if flagged_only else list(rows)

    def pct(value: float | None) -> str:
        return "    -" if value is None else f"{100 * value:4.0f}%"

    def num(value: float | None, fmt: str) -> str:
        return "    -" if value is None else format(value, fmt)

    width = max((len(r.item_id) for r in shown), default=4)
    lines = [f"{'item':<{width}}  lang  answers  right   dk  infit    dif  expos  pilot  flags"]
    for r in shown:
        lines.append(
            f"{r.item_id:<{width}}  {r.locale:<4}  {r.answers:>7}  {pct(r.right)}"
            f" {pct(r.dont_know)}"
            f"  {num(r.infit, '5.2f')}  {num(r.dif, '+5.2f')}  {pct(r.exposure)}  {r.pilot:>5}"
            f"  {'; '.join(r.flags)}".rstrip()
        )
    return "\n".join(lines)


def summary(rows: Sequence[ItemLanguage]) -> Mapping[str, int]:
    """How many item-language rows carry each kind of flag."""
    counts: dict[str, int] = {}
    for row in rows:
        for flag in row.flags:
            kind = flag.split(" in ")[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts
