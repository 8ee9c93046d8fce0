"""Seeded simulation of the adaptive test: the engine in use (version 3) against version 2, when the
engine's assumptions hold and when they do not.

Simulated people with known abilities answer the real bank's items. For each case below, the same
people (and the same random draw for each of their answers) take the test with both engines:

* the engine's own model: the population, the correlation of the domains and the item
  parameters are those the engine assumes, and people who do not know guess among the options;
* the population lower, higher or more spread than assumed; the domains less correlated; 10 % of
  the answers random; the bank's discriminations overstated by a third; its difficulties off by
  0.4 on average; both at once; nobody guessing.

In the engine's own case, a fixed form and a Pix-like adaptive test of the same mean length are
run too. The report also has the routing threshold's trade-off, how long it takes for every item
to gather 500 answers with the pilot items, and the engine's speed.

Run: ``.venv/bin/python -m bench.simulate`` (writes docs/assessment-simulation.md; about half an
hour on two idle cores). A tiny run that checks everything works:
``.venv/bin/python -m bench.simulate --people 20 --workers 1 --cases own,lower --out /tmp/sim.md``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

if __package__ in (None, ""):  # `python bench/simulate.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.assessment import engine as engine_v3
from app.assessment.bank import GUESSING_SHARE
from app.assessment.domains import DOMAINS, FOUNDATION, SCORED_DOMAINS
from bench import engine_v2

DEFAULT_SEED = 20250611
DEFAULT_PEOPLE = 3000
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "assessment-simulation.md"
BAND_NAMES = ("Découverte", "Premiers pas", "Autonome", "À l'aise")
CUT = engine_v3.BASICS_CUT
CLEAR = 0.25  # "clearly on one side": true overall θ at least this far from the cut
TRUE_SLIP = engine_v3.SLIP
ENGINES: dict[str, ModuleType] = {"v3": engine_v3, "v2": engine_v2}
ENGINE_NAMES = {"v3": "version 3", "v2": "version 2"}
CALIBRATION_EVERY = 1000  # people between two calibrations, in the pilot-item projection
PILOT_TARGET = 500


# --------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    """How the simulated people and the true item parameters differ from the engine's model.

    True abilities: mean, sd, correlation of the domains. True a = bank a × ``a_factor``; true
    b = bank b + an error of mean absolute value ``b_error`` (normal). ``random_share`` of the
    answers are random (a right answer with probability 1 / number of options, never for a
    typed answer). ``guessing``: the share of the people who do not know that pick an option at
    random (the lower asymptote is ``guessing`` / number of options); the others answer wrong or
    « Je ne sais pas »."""

    key: str
    title: str
    mean: float = -0.5
    sd: float = 1.0
    correlation: float = 0.7
    a_factor: float = 1.0
    b_error: float = 0.0
    random_share: float = 0.0
    guessing: float = GUESSING_SHARE

    @property
    def wrong_parameters(self) -> bool:
        return self.a_factor != 1.0 or self.b_error > 0.0


CASES: tuple[Case, ...] = (
    Case("own", "The engine's own model"),
    Case("lower", "Population lower than assumed (mean −1.0)", mean=-1.0),
    Case("higher", "Population higher than assumed (mean 0.0)", mean=0.0),
    Case("wider", "Population more spread than assumed (sd 1.3)", sd=1.3),
    Case("correlation", "Domains less correlated than assumed (0.4)", correlation=0.4),
    Case("random", "10 % of the answers random", random_share=0.1),
    Case("discrimination", "Discriminations overstated by a third", a_factor=0.75),
    Case("difficulty", "Difficulties off by 0.4 on average", b_error=0.4),
    Case("parameters", "Both: wrong discriminations and difficulties", a_factor=0.75, b_error=0.4),
    Case("all-guess", "Everybody who does not know guesses", guessing=1.0),
    Case("no-guessing", "Nobody guesses", guessing=0.0),
)
CASE_KEYS = tuple(case.key for case in CASES)


# --------------------------------------------------------------------------------------------
# Bank and people


@dataclass(frozen=True)
class BenchItem:
    """What the engines see: the bank's parameters. ``options`` is 0 for a typed answer."""

    id: str
    domain: str
    a: float
    b: float
    c: float
    options: int
    pilot: bool = True
    a_estimated: bool = False
    b_se: float | None = None


def load_items() -> tuple[tuple[BenchItem, ...], str]:
    from app.assessment.bank import load_bank

    bank = load_bank()
    items = tuple(
        BenchItem(
            it.id, it.domain, float(it.a), float(it.b), float(it.c), len(it.options), it.pilot
        )
        for it in bank.items
    )
    return items, f"real bank `app/content`, version `{bank.version}`"


@dataclass(frozen=True)
class Truth:
    """True item parameters and the answer rule of one case, indexed like the bank."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray  # lower asymptote of a person who does not know
    random_right: np.ndarray  # P(right) of a random answer
    random_share: float


def truth_for(items: Sequence[BenchItem], case: Case, seed: int) -> Truth:
    rng = np.random.default_rng([seed, 11])
    a = np.array([it.a for it in items]) * case.a_factor
    noise = rng.normal(0.0, case.b_error * math.sqrt(math.pi / 2), len(items))
    b = np.array([it.b for it in items]) + noise
    chance = np.array([1.0 / it.options if it.options else 0.0 for it in items])
    c = chance * case.guessing
    return Truth(a, b, c, chance, case.random_share)


@dataclass(frozen=True)
class People:
    thetas: np.ndarray  # (n, 6): foundation and the five scored domains, in DOMAINS order
    draws: np.ndarray  # (n, items): one uniform draw per item and person
    random: np.ndarray  # (n, items): whether that answer is random, and its own draw
    random_draws: np.ndarray

    @property
    def overall(self) -> np.ndarray:
        return self.thetas[:, 1:].mean(axis=1)

    def __len__(self) -> int:
        return len(self.thetas)


def make_people(n: int, n_items: int, seed: int, case: Case) -> People:
    """θ_d = mean + sd (√ρ g + √(1-ρ) e_d). The standard normal parts and the draws depend
    on the seed only, so every case has the same people, moved."""
    rng = np.random.default_rng([seed, 1])
    g = rng.standard_normal((n, 1))
    e = rng.standard_normal((n, len(DOMAINS)))
    rho = case.correlation
    thetas = case.mean + case.sd * (math.sqrt(rho) * g + math.sqrt(1 - rho) * e)
    draws = np.random.default_rng([seed, 2]).random((n, n_items))
    extra = np.random.default_rng([seed, 3])
    random = extra.random((n, n_items)) < case.random_share
    return People(thetas, draws, random, extra.random((n, n_items)))


def _logistic(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-z))


def p_right(truth: Truth, k: Any, theta: Any) -> Any:
    """Probability of a right answer to item(s) k at ability theta, under the truth."""
    knows = _logistic(truth.a[k] * (theta - truth.b[k]))
    return truth.c[k] + (1.0 - truth.c[k] - TRUE_SLIP) * knows


# --------------------------------------------------------------------------------------------
# Running the engines (in worker processes; results do not depend on the number of workers)

_ITEMS: tuple[BenchItem, ...] = ()
_INDEX: dict[str, int] = {}
_DOMAIN_INDEX = {d: k for k, d in enumerate(DOMAINS)}


def _init(items: tuple[BenchItem, ...]) -> None:
    global _ITEMS, _INDEX
    _ITEMS = items
    _INDEX = {it.id: k for k, it in enumerate(items)}


@dataclass(frozen=True)
class Outcome:
    """One simulated test: the answers, the estimates and decisions of the engine."""

    answers: tuple[tuple[str, bool], ...]
    scored: int  # answers that count (pilot items left out)
    pilot_items: tuple[str, ...]
    domains: tuple[float, ...]  # estimates for the five scored domains
    domain_sure: tuple[bool, ...]
    overall: float
    overall_sd: float
    low: float
    high: float
    needs_basics: bool
    basics_probability: float
    routing_at: int  # answers when the routing was decided (0: never)
    offer_help: bool = False


@dataclass(frozen=True)
class Job:
    engine: str
    case: Case
    seed: int
    indexes: Sequence[int]
    thetas: Sequence[Sequence[float]]
    draws: Sequence[Sequence[float]]
    random: Sequence[Sequence[bool]]
    random_draws: Sequence[Sequence[float]]
    overrides: Mapping[str, float] = field(default_factory=dict)
    pilots: bool = True


def _answer(truth: Truth, job: Job, row: int, item_id: str) -> bool:
    k = _INDEX[item_id]
    if job.random[row][k]:
        return bool(job.random_draws[row][k] < truth.random_right[k])
    theta = job.thetas[row][_DOMAIN_INDEX[_ITEMS[k].domain]]
    return bool(job.draws[row][k] < p_right(truth, k, theta))


def _run_chunk(job: Job) -> list[Outcome]:
    module = ENGINES[job.engine]
    truth = truth_for(_ITEMS, job.case, job.seed)
    items = _ITEMS if job.pilots else tuple(replace(it, pilot=False) for it in _ITEMS)
    saved = {k: getattr(module, k) for k in job.overrides}
    for k, v in job.overrides.items():
        setattr(module, k, v)
    _clear_caches(module)
    try:
        return [
            _run_person(module, items, truth, job, row, index)
            for row, index in enumerate(job.indexes)
        ]
    finally:
        for k, v in saved.items():
            setattr(module, k, v)
        _clear_caches(module)


def _clear_caches(module: ModuleType) -> None:
    """The engines' caches hold values computed with their constants."""
    for name in ("_curve", "_evidence", "_model"):
        cached = getattr(module, name, None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def _run_person(
    module: ModuleType,
    items: Sequence[BenchItem],
    truth: Truth,
    job: Job,
    row: int,
    index: int,
) -> Outcome:
    seed = f"{job.seed}:{job.case.key}:{index}"
    answers: list[tuple[str, bool]] = []
    routing_at = 0
    if module is engine_v3:
        while True:
            now = engine_v3.step(items, answers, seed)
            if now.routing_decided and not routing_at:
                routing_at = len(answers)
            if now.next_item is None:
                break
            answers.append((now.next_item.id, _answer(truth, job, row, now.next_item.id)))
        return _v3_outcome(
            engine_v3.result(items, answers, seed),
            answers,
            routing_at,
            engine_v3.should_offer_help(items, answers, seed),
        )
    while (item := module.next_item(items, answers, seed)) is not None:
        answers.append((item.id, _answer(truth, job, row, item.id)))
    res = module.result(items, answers)
    z = 1.959964
    return Outcome(
        tuple(answers),
        len(answers),
        (),
        tuple(res.domains[d].theta for d in SCORED_DOMAINS),
        (False,) * len(SCORED_DOMAINS),
        res.overall_theta,
        res.overall_sd,
        res.overall_theta - z * res.overall_sd,
        res.overall_theta + z * res.overall_sd,
        res.needs_basics,
        res.basics_probability,
        0,
        module.should_offer_help(items, answers),
    )


def _v3_outcome(
    res: engine_v3.AssessmentResult,
    answers: Sequence[tuple[str, bool]],
    routing_at: int = 0,
    offer_help: bool = False,
) -> Outcome:
    return Outcome(
        tuple(answers),
        len(answers) - len(res.pilot_items),
        res.pilot_items,
        tuple(res.domains[d].theta for d in SCORED_DOMAINS),
        tuple(res.domains[d].sure for d in SCORED_DOMAINS),
        res.overall_theta,
        res.overall_sd,
        res.overall_low,
        res.overall_high,
        res.needs_basics,
        res.basics_probability,
        routing_at,
        offer_help,
    )


class Runner:
    """Runs chunks of people in a process pool (or here, with one worker)."""

    def __init__(self, items: tuple[BenchItem, ...], workers: int) -> None:
        _init(items)
        self.pool = (
            ProcessPoolExecutor(workers, initializer=_init, initargs=(items,))
            if workers > 1
            else None
        )

    def map(self, fn: Callable[[Any], list[Any]], jobs: Sequence[Any]) -> list[Any]:
        results = self.pool.map(fn, jobs) if self.pool is not None else map(fn, jobs)
        return [x for chunk in results for x in chunk]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def run_engine(
    runner: Runner,
    engine: str,
    case: Case,
    people: People,
    seed: int,
    *,
    overrides: Mapping[str, float] | None = None,
    pilots: bool = True,
    chunk: int = 25,
) -> list[Outcome]:
    n = len(people)
    jobs = [
        Job(
            engine,
            case,
            seed,
            list(range(start, min(start + chunk, n))),
            people.thetas[start : start + chunk].tolist(),
            people.draws[start : start + chunk].tolist(),
            people.random[start : start + chunk].tolist(),
            people.random_draws[start : start + chunk].tolist(),
            dict(overrides or {}),
            pilots,
        )
        for start in range(0, n, chunk)
    ]
    return runner.map(_run_chunk, jobs)


# --------------------------------------------------------------------------------------------
# Metrics


@dataclass(frozen=True)
class Metrics:
    n: int
    length_mean: float
    length_median: float
    length_p90: float
    length_max: int
    scored_median: float
    at_cap: float
    routing_accuracy: float
    clear_accuracy: float  # among people at least CLEAR from the cut
    clear_share: float
    false_pass_all: float  # needs the basics, told they do not: share of everybody
    false_pass_needing: float
    false_pass_near: float  # false passes within CLEAR of the cut, share of everybody
    false_referral_all: float
    coverage: float  # the 95 % interval of the overall θ holds the truth
    overall_rmse: float
    overall_bias: float
    overall_band_exact: float
    domain_band_exact: float
    sure_share: float  # domain bands shown as sure
    sure_exact: float  # ... and how often they are right
    unsure_exact: float
    routing_at_median: float
    max_exposure: float
    never_used: float
    first_five_p: float
    help_offered: float
    domain_items: Mapping[str, float]


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (a length that some test actually had)."""
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)])


def _mean(mask: np.ndarray) -> float:
    return float(np.mean(mask)) if mask.size else math.nan


def metrics(
    items: Sequence[BenchItem],
    truth: Truth,
    people: People,
    outs: Sequence[Outcome],
    cap: int,
) -> Metrics:
    thetas, overall = people.thetas, people.overall
    est = np.array([o.overall for o in outs])
    est_domains = np.array([o.domains for o in outs])
    lengths = [len(o.answers) for o in outs]
    needs = overall < CUT
    routed = np.array([o.needs_basics for o in outs])
    clear = np.abs(overall - CUT) >= CLEAR
    low = np.array([o.low for o in outs])
    high = np.array([o.high for o in outs])
    true_bands = np.searchsorted(engine_v3.BAND_CUTS, overall, side="right")
    est_bands = np.searchsorted(engine_v3.BAND_CUTS, est, side="right")
    true_db = np.searchsorted(engine_v3.BAND_CUTS, thetas[:, 1:], side="right")
    est_db = np.searchsorted(engine_v3.BAND_CUTS, est_domains, side="right")
    sure = np.array([o.domain_sure for o in outs])
    exposure = Counter(i for o in outs for i, _ in o.answers)
    index = {it.id: k for k, it in enumerate(items)}
    first_p = [
        float(p_right(truth, index[i], people.thetas[row, _DOMAIN_INDEX[items[index[i]].domain]]))
        for row, o in enumerate(outs)
        for i, _ in o.answers[:5]
    ]
    domain_of = {it.id: it.domain for it in items}
    pilots = [set(o.pilot_items) for o in outs]
    counts = [
        Counter(domain_of[i] for i, _ in o.answers if i not in p)
        for o, p in zip(outs, pilots, strict=True)
    ]
    decided = [o.routing_at for o in outs if o.routing_at]
    return Metrics(
        n=len(outs),
        length_mean=statistics.fmean(lengths),
        length_median=statistics.median(lengths),
        length_p90=_percentile(lengths, 90),
        length_max=max(lengths),
        scored_median=statistics.median(o.scored for o in outs),
        at_cap=sum(1 for n in lengths if n >= cap) / len(outs),
        routing_accuracy=_mean(needs == routed),
        clear_accuracy=_mean((needs == routed)[clear]),
        clear_share=_mean(clear),
        false_pass_all=_mean(needs & ~routed),
        false_pass_needing=_mean(~routed[needs]),
        false_pass_near=_mean(needs & ~routed & ~clear),
        false_referral_all=_mean(~needs & routed),
        coverage=(
            _mean((low <= overall) & (overall <= high)) if not np.isnan(low).all() else math.nan
        ),
        overall_rmse=float(np.sqrt(np.mean((est - overall) ** 2))),
        overall_bias=float(np.mean(est - overall)),
        overall_band_exact=_mean(true_bands == est_bands),
        domain_band_exact=_mean(true_db == est_db),
        sure_share=_mean(sure),
        sure_exact=_mean((true_db == est_db)[sure]),
        unsure_exact=_mean((true_db == est_db)[~sure]),
        routing_at_median=statistics.median(decided) if decided else math.nan,
        max_exposure=max(exposure.values()) / len(outs),
        never_used=sum(1 for it in items if it.id not in exposure) / len(items),
        first_five_p=statistics.fmean(first_p),
        help_offered=_mean(np.array([o.offer_help for o in outs])),
        domain_items={d: statistics.fmean(c[d] for c in counts) for d in DOMAINS},
    )


# --------------------------------------------------------------------------------------------
# Fixed form and Pix-like test (the engine's own case only)


def fixed_form(items: Sequence[BenchItem], length: int) -> list[int]:
    """The same items for everybody: 2 foundation items, the rest spread over the scored
    domains; in each domain the items with the most information at the population mean."""
    per, extra = divmod(length - 2, len(SCORED_DOMAINS))
    allocation = {FOUNDATION: 2} | {
        d: per + (1 if k < extra else 0) for k, d in enumerate(SCORED_DOMAINS)
    }
    mean = engine_v3.DEFAULT_POPULATION.mean
    form: list[int] = []
    for domain in DOMAINS:
        pool = [k for k, it in enumerate(items) if it.domain == domain]
        pool.sort(key=lambda k: -engine_v3.fisher_information(mean, items[k].a, items[k].b))
        form += pool[: allocation[domain]]
    return form


def _answers_matrix(
    truth: Truth, items: Sequence[BenchItem], people: People, rows: Any, cols: Any
) -> Any:
    d = np.array([_DOMAIN_INDEX[it.domain] for it in items])[cols]
    p = p_right(truth, cols, people.thetas[rows, d])
    rand = people.random[rows, cols]
    return np.where(
        rand,
        people.random_draws[rows, cols] < truth.random_right[cols],
        people.draws[rows, cols] < p,
    )


PIX_GRID = np.linspace(-5.0, 5.0, 201)
PIX_START, PIX_PRIOR_SD, PIX_MAX_STEP = -3.0, 1.5, 0.5
PIX_PICK = np.array([0.51, 0.25, 0.12, 0.06, 0.06])


def run_pix_like(
    items: Sequence[BenchItem], truth: Truth, people: People, length: int, seed: int
) -> tuple[list[list[tuple[str, bool]]], np.ndarray]:
    """One global estimate, start at -3; at each step one of the 5 unused items with the most
    information at the estimate (51/25/12/6/6 %), then the posterior mean under a
    N(last estimate, 1.5²) prior and all answers so far, moved by at most 0.5."""
    rng = np.random.default_rng([seed, 4])
    n, m = len(people), len(items)
    a = np.array([it.a for it in items])
    b = np.array([it.b for it in items])
    est = np.full(n, PIX_START)
    used = np.zeros((n, m), dtype=bool)
    loglik = np.zeros((n, len(PIX_GRID)))
    chosen = np.zeros((n, length), dtype=int)
    right = np.zeros((n, length), dtype=bool)
    rows = np.arange(n)
    cum = np.cumsum(PIX_PICK)
    for step_ in range(length):
        p = _logistic(a[None, :] * (est[:, None] - b[None, :]))
        info = np.where(used, -1.0, a[None, :] ** 2 * p * (1 - p))
        top = np.argsort(-info, axis=1, kind="stable")[:, :5]
        rank = np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), 4)
        k = top[rows, rank]
        used[rows, k] = True
        ok = _answers_matrix(truth, items, people, rows, k)
        chosen[:, step_], right[:, step_] = k, ok
        pg = _logistic(a[k][:, None] * (PIX_GRID[None, :] - b[k][:, None]))
        loglik += np.log(np.where(ok[:, None], pg, 1.0 - pg))
        logpost = loglik - 0.5 * ((PIX_GRID[None, :] - est[:, None]) / PIX_PRIOR_SD) ** 2
        w = np.exp(logpost - logpost.max(axis=1, keepdims=True))
        eap = (w * PIX_GRID).sum(axis=1) / w.sum(axis=1)
        est = est + np.clip(eap - est, -PIX_MAX_STEP, PIX_MAX_STEP)
    answers = [
        [(items[k].id, bool(r)) for k, r in zip(chosen[i], right[i], strict=True)] for i in range(n)
    ]
    return answers, est


@dataclass(frozen=True)
class ScoreJob:
    answer_sets: Sequence[Sequence[tuple[str, bool]]]


def _score_chunk(job: ScoreJob) -> list[Outcome]:
    """Engine version 3's scoring of answers collected another way (no pilot items)."""
    items = tuple(replace(it, pilot=False) for it in _ITEMS)
    return [_v3_outcome(engine_v3.result(items, answers), answers) for answers in job.answer_sets]


def native_outcome(answers: Sequence[tuple[str, bool]], theta: float) -> Outcome:
    """A single global estimate for the overall θ and every domain; routed when θ < -1."""
    return Outcome(
        tuple(answers),
        len(answers),
        (),
        (theta,) * len(SCORED_DOMAINS),
        (False,) * len(SCORED_DOMAINS),
        theta,
        math.nan,
        math.nan,
        math.nan,
        theta < CUT,
        math.nan,
        0,
    )


# --------------------------------------------------------------------------------------------
# Pilot items: how many people until every item has 500 answers


@dataclass(frozen=True)
class PilotProjection:
    people_all_500: int | None  # None: not within the horizon
    people_half_500: int
    without_pilots: int | None
    rarely_seen: int  # items with fewer than 500 answers after 10 000 people without pilots
    reach: float  # share of tests that reach the pilot positions


def project_pilots(
    items: Sequence[BenchItem], outs: Sequence[Outcome], horizon: int = 200_000
) -> PilotProjection:
    """From the engine's own run: each item's share of tests in which it is asked as a scored
    item, and the share of tests long enough to reach their pilot positions. Then, person by
    person (expected counts): every test brings those answers, plus its pilot items drawn among
    the items that the last calibration (every CALIBRATION_EVERY people) left under 500."""
    n = len(outs)
    ids = [it.id for it in items]
    scored = Counter(i for o in outs for i, _ in o.answers if i not in o.pilot_items)
    rate = np.array([scored[i] / n for i in ids])
    pilots_per_test = statistics.fmean(len(o.pilot_items) for o in outs)
    reach = pilots_per_test / engine_v3.MAX_PILOT_ITEMS

    def people_until(share: float, with_pilots: bool) -> int | None:
        counts = np.zeros(len(ids))
        candidates = np.ones(len(ids), dtype=bool)
        step_ = 100
        for done in range(step_, horizon + step_, step_):
            counts += rate * step_
            if with_pilots and candidates.any():
                counts[candidates] += pilots_per_test * step_ / candidates.sum()
            if done % CALIBRATION_EVERY == 0:
                candidates = counts < PILOT_TARGET
            if np.mean(counts >= PILOT_TARGET) >= share:
                return done
        return None

    without = people_until(1.0, False)
    rare = int(np.sum(rate * 10_000 < PILOT_TARGET))
    return PilotProjection(
        people_until(1.0, True) or None, people_until(0.5, True) or 0, without, rare, reach
    )


# --------------------------------------------------------------------------------------------
# The whole run


@dataclass
class Run:
    items: tuple[BenchItem, ...]
    bank_note: str
    seed: int
    n: int
    cases: tuple[Case, ...]
    results: dict[tuple[str, str], Metrics] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], list[Outcome]] = field(default_factory=dict)
    people: dict[str, People] = field(default_factory=dict)
    baselines: dict[str, Metrics] = field(default_factory=dict)
    baseline_length: int = 0
    thresholds: list[tuple[str, float, Metrics]] = field(default_factory=list)
    no_pilots: Metrics | None = None
    pilots: PilotProjection | None = None
    speed: tuple[float, ...] = (math.nan, math.nan, math.nan)
    seconds: float = math.nan
    workers: int = 1


def simulate(
    n: int,
    seed: int,
    workers: int,
    cases: Sequence[Case],
    log: Callable[[str], None],
    overrides: Mapping[str, float] | None = None,
    engines: Sequence[str] = tuple(ENGINES),
) -> Run:
    started = time.perf_counter()
    items, note = load_items()
    run = Run(items, note, seed, n, tuple(cases), workers=workers)
    runner = Runner(items, workers)
    try:
        for case in cases:
            people = make_people(n, len(items), seed, case)
            truth = truth_for(items, case, seed)
            run.people[case.key] = people
            for engine in engines:
                log(f"{case.key}: engine {engine}, {n} people")
                extra = overrides if engine == "v3" else None
                outs = run_engine(runner, engine, case, people, seed, overrides=extra)
                cap = ENGINES[engine].MAX_TOTAL_ITEMS
                run.outcomes[case.key, engine] = outs
                run.results[case.key, engine] = metrics(items, truth, people, outs, cap)
        own = next((c for c in cases if c.key == "own"), None)
        if own is not None:
            people, truth = run.people["own"], truth_for(items, own, seed)
            outs = run.outcomes["own", "v3"]
            run.pilots = project_pilots(items, outs)
            log("own: engine v3 without pilot items")
            plain = run_engine(runner, "v3", own, people, seed, overrides=overrides, pilots=False)
            run.no_pilots = metrics(items, truth, people, plain, engine_v3.MAX_TOTAL_ITEMS)
            length = round(statistics.fmean(o.scored for o in outs))
            run.baseline_length = length
            log(f"own: fixed form and Pix-like, {length} items")
            form = fixed_form(items, length)
            rows = np.repeat(np.arange(n)[:, None], len(form), axis=1)
            cols = np.tile(np.array(form), (n, 1))
            right = _answers_matrix(truth, items, people, rows, cols)
            fixed = [
                [(items[k].id, bool(r)) for k, r in zip(form, right[i], strict=True)]
                for i in range(n)
            ]
            pix, pix_est = run_pix_like(items, truth, people, length, seed)
            chunks = [fixed[k : k + 25] for k in range(0, n, 25)]
            chunks += [pix[k : k + 25] for k in range(0, n, 25)]
            scored = runner.map(_score_chunk, [ScoreJob(c) for c in chunks])
            cap = engine_v3.MAX_TOTAL_ITEMS
            run.baselines = {
                "Fixed form, scored by version 3": metrics(items, truth, people, scored[:n], cap),
                "Pix-like, its own estimate": metrics(
                    items,
                    truth,
                    people,
                    [native_outcome(a, e) for a, e in zip(pix, pix_est, strict=True)],
                    cap,
                ),
                "Pix-like, scored by version 3": metrics(items, truth, people, scored[n:], cap),
            }
        for case_key in ("own", "lower"):
            if (case_key, "v3") not in run.outcomes:
                continue
            case = next(c for c in cases if c.key == case_key)
            truth = truth_for(items, case, seed)
            for tau in (0.5, 0.4, 0.3, 0.25, 0.2):
                outs = [
                    replace(o, needs_basics=o.basics_probability >= tau)
                    for o in run.outcomes[case_key, "v3"]
                ]
                run.thresholds.append(
                    (case_key, tau, metrics(items, truth, run.people[case_key], outs, 18))
                )
    finally:
        runner.close()
    run.speed = time_step(items, seed, min(20, n))
    run.seconds = time.perf_counter() - started
    return run


def time_step(items: Sequence[BenchItem], seed: int, tests: int = 20) -> tuple[float, float, float]:
    """Median and maximum milliseconds of engine_v3.step() along simulated tests, with the
    engine's caches emptied before each call (a web process rarely holds the previous state),
    and the median of version 2's next_item() on the same answers, measured in turn."""
    case = CASES[0]
    people = make_people(tests, len(items), seed, case)
    truth = truth_for(items, case, seed)
    _init(tuple(items))
    job = Job("v3", case, seed, [], [], [], [], [])
    samples: list[float] = []
    older: list[float] = []
    for i in range(tests):
        job = replace(
            job,
            thetas=people.thetas[i : i + 1].tolist(),
            draws=people.draws[i : i + 1].tolist(),
            random=people.random[i : i + 1].tolist(),
            random_draws=people.random_draws[i : i + 1].tolist(),
        )
        answers: list[tuple[str, bool]] = []
        while True:
            engine_v2._evidence.cache_clear()
            start = time.perf_counter()
            engine_v2.next_item(items, answers, i)
            older.append(time.perf_counter() - start)
            engine_v3._evidence.cache_clear()
            start = time.perf_counter()
            now = engine_v3.step(items, answers, i)
            samples.append(time.perf_counter() - start)
            if now.next_item is None:
                break
            answers.append((now.next_item.id, _answer(truth, job, 0, now.next_item.id)))
    return (
        statistics.median(samples) * 1000,
        max(samples) * 1000,
        statistics.median(older) * 1000,
    )


# --------------------------------------------------------------------------------------------
# Command line


def summary(run: Run) -> str:
    """A compact table of every case: what the targets look at."""
    lines = [
        "case            engine  len med/p90  fp_all  clear_acc  acc    cover  rmse   "
        "referral  sure->right  routed@"
    ]
    for case in run.cases:
        for engine in ENGINES:
            m = run.results.get((case.key, engine))
            if m is None:
                continue
            lines.append(
                f"{case.key:15s} {engine:6s}  {m.length_median:4.0f}/{m.length_p90:3.0f}  "
                f"{100 * m.false_pass_all:5.1f}   {100 * m.clear_accuracy:5.1f}     "
                f"{100 * m.routing_accuracy:5.1f}  {100 * m.coverage:5.1f}  {m.overall_rmse:.3f}  "
                f"{100 * m.false_referral_all:5.1f}     {100 * m.sure_exact:5.1f}"
                f"        {m.routing_at_median:4.0f}"
            )
    if run.no_pilots is not None:
        m = run.no_pilots
        lines.append(
            f"own, no pilots   v3  {m.length_median:4.0f}/{m.length_p90:3.0f}  "
            f"{100 * m.false_pass_all:5.1f}   {100 * m.clear_accuracy:5.1f}     "
            f"{100 * m.routing_accuracy:5.1f}  {100 * m.coverage:5.1f}  {m.overall_rmse:.3f}"
        )
    return "\n".join(lines)


def _override(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    current = getattr(engine_v3, name, None)
    if not isinstance(current, int | float) or not value:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE, NAME an engine constant")
    return name, type(current)(float(value))


def _cases(text: str) -> tuple[Case, ...]:
    keys = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in CASE_KEYS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown case(s) {', '.join(unknown)} (known: {', '.join(CASE_KEYS)})"
        )
    return tuple(case for case in CASES if case.key in keys)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE, help="people per case")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--cases",
        type=_cases,
        default=CASES,
        help=f"comma-separated subset of: {', '.join(CASE_KEYS)}",
    )
    parser.add_argument(
        "--set",
        type=_override,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change an engine constant for this run (exploration; the report says so)",
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated engines to run (v3, v2); the report needs both",
    )
    parser.add_argument(
        "--summary", action="store_true", help="print the summary table instead of writing"
    )
    args = parser.parse_args(argv)
    if args.people < 2:
        parser.error("--people must be at least 2")

    start = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr, flush=True)

    engines = tuple(e for e in args.engines.split(",") if e)
    if not engines or any(e not in ENGINES for e in engines):
        parser.error(f"--engines: choose among {', '.join(ENGINES)}")
    if not args.summary and set(engines) != set(ENGINES):
        parser.error("the report needs both engines: add --summary to run fewer")
    run = simulate(args.people, args.seed, args.workers, args.cases, log, dict(args.set), engines)
    if args.summary:
        print(summary(run))
        return 0
    args.out.write_text(report(run, dict(args.set)), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


# --------------------------------------------------------------------------------------------
# Report


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.1f} %"


def _margin(p: float, n: int) -> float:
    """Half-width of a 95 % binomial interval, in points."""
    return 196 * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


ROWS: tuple[tuple[str, Callable[[Metrics], str]], ...] = (
    (
        "Questions asked: median / 90th percentile / max",
        lambda m: f"{m.length_median:.0f} / {m.length_p90:.0f} / {m.length_max}",
    ),
    (
        "— mean; scored (pilot items left out): median",
        lambda m: f"{m.length_mean:.1f}; {m.scored_median:.0f}",
    ),
    ("— tests that reach the cap", lambda m: _pct(m.at_cap)),
    (
        "Routing decided after (median, questions)",
        lambda m: "–" if math.isnan(m.routing_at_median) else f"{m.routing_at_median:.0f}",
    ),
    ("False passes, share of everybody", lambda m: _pct(m.false_pass_all)),
    ("— of those who need the basics", lambda m: _pct(m.false_pass_needing)),
    ("— within 0.25 of the cut, share of everybody", lambda m: _pct(m.false_pass_near)),
    ("False referrals, share of everybody", lambda m: _pct(m.false_referral_all)),
    ("Routing accuracy, everybody", lambda m: _pct(m.routing_accuracy)),
    ("Routing accuracy, 0.25 or more from the cut", lambda m: _pct(m.clear_accuracy)),
    ("95 % interval of the overall θ holds the truth", lambda m: _pct(m.coverage)),
    ("Overall θ: RMSE / bias", lambda m: f"{m.overall_rmse:.3f} / {m.overall_bias:+.3f}"),
    ("Overall band exact", lambda m: _pct(m.overall_band_exact)),
    ("Domain band exact (5 domains)", lambda m: _pct(m.domain_band_exact)),
    (
        "— bands shown as sure: share / exact",
        lambda m: f"{_pct(m.sure_share)} / {_pct(m.sure_exact)}",
    ),
    ("— bands « à confirmer »: exact", lambda m: _pct(m.unsure_exact)),
    ("Help offered", lambda m: _pct(m.help_offered)),
    (
        "Highest item exposure / items never used",
        lambda m: f"{_pct(m.max_exposure)} / {_pct(m.never_used)}",
    ),
    ("Mean P(right) on the first five questions", lambda m: _pct(m.first_five_p)),
)


def _table(columns: Mapping[str, Metrics], rows=ROWS) -> list[str]:
    names = list(columns)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, fmt in rows:
        lines.append(f"| {label} | " + " | ".join(fmt(columns[k]) for k in names) + " |")
    return lines


@dataclass(frozen=True)
class Target:
    label: str
    value: Callable[[Metrics], float]
    ok: Callable[[Case, float], bool]
    show: Callable[[float], str]
    cases: Callable[[Case], bool] = lambda _case: True


LISTED = (
    "own",
    "lower",
    "higher",
    "wider",
    "correlation",
    "random",
    "discrimination",
    "difficulty",
    "parameters",
)
TARGETS: tuple[Target, ...] = (
    Target(
        "False passes ≤ 4 % of everybody", lambda m: m.false_pass_all, lambda _c, v: v <= 0.04, _pct
    ),
    Target(
        "Routing accuracy 0.25 or more from the cut ≥ 95 % (own model)",
        lambda m: m.clear_accuracy,
        lambda _c, v: v >= 0.95,
        _pct,
        lambda c: c.key == "own",
    ),
    Target(
        "Routing accuracy 0.25 or more from the cut ≥ 92 % (wrong parameters)",
        lambda m: m.clear_accuracy,
        lambda _c, v: v >= 0.92,
        _pct,
        lambda c: c.wrong_parameters,
    ),
    Target(
        "Median length ≤ 12", lambda m: m.length_median, lambda _c, v: v <= 12, lambda v: f"{v:.0f}"
    ),
    Target(
        "90th percentile length ≤ 18",
        lambda m: m.length_p90,
        lambda _c, v: v <= 18,
        lambda v: f"{v:.0f}",
    ),
    Target(
        "95 % interval holds the truth ≥ 93 %", lambda m: m.coverage, lambda _c, v: v >= 0.93, _pct
    ),
)


def _targets(run: Run) -> tuple[list[str], list[tuple[Case, Target, float]]]:
    lines = [
        "| case | target | version 3 | | version 2 |",
        "|---|---|---:|---|---:|",
    ]
    missed: list[tuple[Case, Target, float]] = []
    for case in run.cases:
        if case.key not in LISTED:
            continue
        m3, m2 = run.results[case.key, "v3"], run.results[case.key, "v2"]
        for target in TARGETS:
            if not target.cases(case):
                continue
            v3, v2 = target.value(m3), target.value(m2)
            ok = target.ok(case, v3)
            if not ok:
                missed.append((case, target, v3))
            lines.append(
                f"| {case.title} | {target.label} | {target.show(v3)} | {_verdict(ok)} | "
                f"{target.show(v2)} ({_verdict(target.ok(case, v2))}) |"
            )
    return lines, missed


def report(run: Run, overrides: Mapping[str, float]) -> str:
    n = run.n
    counts = Counter(it.domain for it in run.items)
    options = Counter(it.options for it in run.items)
    own3 = run.results.get(("own", "v3"))
    out: list[str] = [
        "# Assessment engine: simulation report",
        "",
        "Generated by `bench/simulate.py`; do not edit by hand. Rerun with:",
        "",
        "```",
        f".venv/bin/python -m bench.simulate --seed {run.seed} --people {n}",
        "```",
        "",
        f"Engine version 3 (in use) against version 2, in the same run: seed `{run.seed}`, "
        f"{n} simulated people per case, the same people and the same random draw for each of "
        "their answers under both engines. Only the speed line at the end depends on the machine.",
    ]
    if overrides:
        changed = ", ".join(f"{k} = {v}" for k, v in sorted(overrides.items()))
        out += ["", f"**Exploration run: engine constants changed from the code: {changed}.**"]
    out += [
        "",
        "## The rules being compared",
        "",
        "**Version 3** (`app/assessment/engine.py`, docs/engine.md). Item model: a right answer "
        "with probability c + (1 − c − 0.03) / (1 + e^(−a(θ − b))), c the chance of a right "
        f"guess ({GUESSING_SHARE:g} / number of options; 0 for a typed answer), 0.03 a slip; the "
        f"authors' values are taken as uncertain (a × {engine_v3.AUTHOR_A_TRUST:g}, b off by sd "
        f"{engine_v3.AUTHOR_B_SD:g}, which flattens each item's curve). Two easy foundation items, "
        "then the items that inform the overall θ most where the routing is decided (at the θ of "
        "each domain that goes with an overall θ of −1), at least one per scored domain, until "
        f"P(overall θ < −1) ≥ {engine_v3.ROUTED_CONFIDENCE:g} or ≤ "
        f"{1 - engine_v3.PASSED_CONFIDENCE:.2f}, computed under a prior moved halfway from the "
        "population's mean to the cut. Then the profile: items where they sharpen the overall θ "
        f"until its band is at least {engine_v3.BAND_CONFIDENCE:g} likely (and "
        "« À l'aise » ruled out or reached); up to "
        f"{engine_v3.MAX_PILOT_ITEMS} unscored pilot items once the routing is decided, never past "
        f"question {engine_v3.LAST_PILOT_POSITION}; at most {engine_v3.MAX_TOTAL_ITEMS} questions "
        f"in all. Routed to the basics when P(overall θ < −1) ≥ {engine_v3.BASICS_THRESHOLD:g}.",
        "",
        "**Version 2** (kept unchanged in `bench/engine_v2.py`): two-parameter model without "
        "guessing or slips, the authors' values as they are, prior N(−0.5, 1); foundation first, "
        "one item per scored domain, then items where they shrink the overall θ's uncertainty "
        "most, until P(overall θ < −1) ≥ 0.85 or ≤ 0.05 and the overall band is at least 0.5 "
        "likely; at most 18 questions; routed when P(overall θ < −1) ≥ 0.3.",
        "",
        "## Method",
        "",
        f"- **Bank:** {run.bank_note}; {len(run.items)} items: "
        + ", ".join(f"{d} {counts[d]}" for d in DOMAINS)
        + f"; {options[3]} with 3 options, {options[4]} with 4, {options[0]} typed. No calibration "
        "yet: every item is a pilot item and the engine takes every value as the authors'.",
        "- **People:** abilities for the foundation and the five domains, "
        "θ_d = mean + sd (√ρ g + √(1 − ρ) e_d); true overall θ = mean of the five domains. Unless "
        "a case says otherwise: mean −0.5, sd 1, ρ 0.7 (the engine's population).",
        f"- **Answers:** by the engine's item model with the *true* parameters: {GUESSING_SHARE:g} "
        "of the people who do not know an answer pick an option at random (the others answer "
        "wrong or « Je ne sais pas »), and 3 % of those who know slip.",
        "- **False pass:** someone whose true overall θ is below −1 (needs the basics) and is not "
        "routed to them, counted as a share of everybody tested (the people harmed). **False "
        "referral:** the other way round. **Routing accuracy, 0.25 or more from the cut:** among "
        "the people whose true overall θ is at least 0.25 from −1.",
        "- **Interval:** version 3's 95 % interval of the overall θ (quantiles of its posterior); "
        "for version 2, its estimate ± 1.96 posterior sd.",
        f"- **Margins:** with {n} people a share near 4 % is known to ± "
        f"{_margin(0.04, n):.1f} points, one near 90 % to ± {_margin(0.9, n):.1f} (95 %).",
        "",
        "The cases:",
        "",
        "| case | what differs from the engine's assumptions |",
        "|---|---|",
    ]
    for case in run.cases:
        what = []
        if case.mean != -0.5:
            what.append(f"population mean {case.mean:.1f} (assumed −0.5)".replace("-", "−"))
        if case.sd != 1.0:
            what.append(f"population sd {case.sd:g} (assumed 1)")
        if case.correlation != 0.7:
            what.append(f"domains correlated {case.correlation:g} (assumed 0.7)")
        if case.random_share:
            what.append(f"{100 * case.random_share:.0f} % of the answers random")
        if case.a_factor != 1.0:
            what.append(
                f"true a = {case.a_factor:g} × the bank's (the bank overstates them by a third)"
            )
        if case.b_error:
            what.append(f"true b = the bank's + an error of mean absolute value {case.b_error:g}")
        if case.guessing != GUESSING_SHARE:
            what.append(
                f"{100 * case.guessing:.0f} % of the people who do not know guess "
                f"(assumed {100 * GUESSING_SHARE:.0f} %)"
            )
        out.append(f"| {case.title} | {'; '.join(what) or 'nothing'} |")

    target_lines, missed = _targets(run)
    out += ["", "## Targets", "", *target_lines, ""]
    if missed:
        out += ["What is missed, and why:", ""]
        out += _why_missed(run, missed)
    else:
        out += ["Every target is met in every case listed."]

    for case in run.cases:
        if (case.key, "v2") not in run.results:
            continue
        out += [
            "",
            f"## {case.title}",
            "",
            *_table(
                {
                    "version 3": run.results[case.key, "v3"],
                    "version 2": run.results[case.key, "v2"],
                }
            ),
        ]
        if case.key == "own" and run.no_pilots is not None:
            m = run.no_pilots
            out += [
                "",
                f"The same people with version 3 and no pilot item: median length "
                f"{m.length_median:.0f}, false passes {_pct(m.false_pass_all)}, routing accuracy "
                f"0.25 or more from the cut {_pct(m.clear_accuracy)}.",
            ]

    if run.baselines and own3 is not None:
        out += [
            "",
            "## Other ways of testing (the engine's own model)",
            "",
            f"The same people, {run.baseline_length} questions for everybody (version 3's mean "
            "number of scored questions). The fixed form asks 2 foundation items and the items of "
            "each domain most informative at the population's mean; the Pix-like test keeps one "
            "estimate for the whole bank, starts at −3, moves by at most 0.5 a question and draws "
            'among the 5 most informative items (51/25/12/6/6 %). "Scored by version 3" uses '
            "version 3's estimates and routing on the answers collected.",
            "",
            *_table({"version 3": own3, **run.baselines}, rows=ROWS[:1] + ROWS[4:13]),
        ]

    if run.thresholds:
        out += [
            "",
            "## The routing threshold",
            "",
            "The same tests, routed at other thresholds of P(overall θ < −1) (version 3):",
            "",
            "| case | threshold | false passes | false referrals | accuracy 0.25 or more from the cut |",
            "|---|---:|---:|---:|---:|",
        ]
        for key, tau, m in run.thresholds:
            title = next(c.title for c in run.cases if c.key == key)
            mark = " (in use)" if tau == engine_v3.BASICS_THRESHOLD else ""
            out.append(
                f"| {title} | {tau:g}{mark} | {_pct(m.false_pass_all)} | "
                f"{_pct(m.false_referral_all)} | {_pct(m.clear_accuracy)} |"
            )

    if run.pilots is not None:
        pr = run.pilots
        reached = (
            f"about {pr.people_all_500:,} people".replace(",", " ")
            if pr.people_all_500
            else "more than 200 000 people"
        )
        without = (
            f"{pr.without_pilots:,}".replace(",", " ")
            if pr.without_pilots
            else "never (some items are never or almost never chosen)"
        )
        out += [
            "",
            "## Pilot items: how long until every item has 500 answers",
            "",
            f"In the engine's own case, {_pct(pr.reach)} of the pilot items planned were asked "
            "(a test whose routing is not decided by question "
            f"{engine_v3.LAST_PILOT_POSITION} asks none). Projected from this run's exposure "
            "(each item's share of tests as a scored question) and pilot rate, with a calibration "
            f"every {CALIBRATION_EVERY} people that stops using as pilots the items that have "
            f"{PILOT_TARGET} answers:",
            "",
            f"- every item reaches {PILOT_TARGET} answers after {reached}; half of them after "
            f"{pr.people_half_500:,} people.".replace(",", " "),
            f"- without pilot items: {without}; after 10 000 people {pr.rarely_seen} items would "
            f"still have fewer than {PILOT_TARGET}.",
        ]

    out += [
        "",
        "## Guessing",
        "",
        "Version 3 models guessing (a floor of "
        f"{GUESSING_SHARE:g} / number of options); version 2 does not. " + _guessing_sentence(run),
        "",
        "## Speed (machine-dependent)",
        "",
        f"`engine.step` along {min(20, run.n)} simulated tests, caches emptied before each "
        f"call: median {run.speed[0]:.1f} ms, maximum {run.speed[1]:.1f} ms; version 2's "
        f"`next_item` on the same answers, measured in turn: median {_speed(run, 2)} ms. Whole "
        f"run: {run.seconds:.0f} s with {run.workers} worker process(es).",
        "",
    ]
    return "\n".join(out)


def _speed(run: Run, k: int) -> str:
    return f"{run.speed[k]:.1f}" if len(run.speed) > k else "–"


def _guessing_sentence(run: Run) -> str:
    parts = []
    for key in ("all-guess", "own", "no-guessing"):
        if (key, "v2") not in run.results:
            continue
        case = next(c for c in run.cases if c.key == key)
        m3, m2 = run.results[key, "v3"], run.results[key, "v2"]
        parts.append(
            f"with {100 * case.guessing:.0f} % of those who do not know guessing, false passes "
            f"{_pct(m3.false_pass_all)} with version 3, {_pct(m2.false_pass_all)} with version 2"
        )
    if not parts:
        return ""
    text = (
        "Ignoring guessing is not harmless: a right answer to a guessable item then counts as "
        "full proof, and people who guess are routed past the basics. "
        + "; ".join(parts).capitalize()[:1]
        + "; ".join(parts)[1:]
        + "."
    )
    guess_all = run.results.get(("all-guess", "v3"))
    if guess_all is not None and guess_all.false_pass_all > 0.04:
        text += (
            " If everybody who does not know guessed, version 3's false passes would reach "
            f"{_pct(guess_all.false_pass_all)}, above 4 %: the share of guesses is an assumption, "
            "and the items report's share of « Je ne sais pas » is where real use will show "
            "whether it holds."
        )
    return text


def _why_missed(run: Run, missed: Sequence[tuple[Case, Target, float]]) -> list[str]:
    lines = []
    by_target: dict[str, list[tuple[Case, float]]] = {}
    for case, target, value in missed:
        by_target.setdefault(target.label, []).append((case, value))
    for label, cases in by_target.items():
        where = ", ".join(f"{c.title.lower()} ({_show(label, v)})" for c, v in cases)
        lines.append(f"- **{label}**: missed in {where}. {_reason(run, label, cases)}")
    return lines


def _show(label: str, value: float) -> str:
    return f"{value:.0f}" if "length" in label else _pct(value)


def _reason(run: Run, label: str, cases: Sequence[tuple[Case, float]]) -> str:
    own = run.results.get(("own", "v3"))
    if label.startswith("Routing accuracy") and own is not None:
        rows = [t for t in run.thresholds if t[0] == "own"]
        best = max(rows, key=lambda t: t[2].clear_accuracy) if rows else None
        both = [
            tau
            for _key, tau, m in rows
            if m.clear_accuracy >= 0.95
            and all(mm.false_pass_all <= 0.04 for key2, tau2, mm in run.thresholds if tau2 == tau)
        ]
        extra = (
            f" At threshold {best[1]:g} the accuracy 0.25 or more from the cut would be "
            f"{_pct(best[2].clear_accuracy)} in the engine's own model, with "
            f"{_pct(best[2].false_pass_all)} false passes (threshold table); "
            + (
                "no threshold in the table reaches 95 % with false passes under 4 % in both "
                "cases shown."
                if not both
                else f"threshold {both[0]:g} would reach both in the cases shown."
            )
            if best is not None
            else ""
        )
        ratios = [
            run.results[c.key, "v2"].false_pass_all / run.results[c.key, "v3"].false_pass_all
            for c, _value in cases
            if run.results[c.key, "v3"].false_pass_all > 0
        ]
        v2_note = (
            " Version 2 routes more of these people right because it believes its items "
            "fully: in the same cases its false passes are "
            + (
                f"{min(ratios):.1f} to {max(ratios):.1f} times"
                if round(min(ratios), 1) != round(max(ratios), 1)
                else f"{min(ratios):.1f} times"
            )
            + " as many."
            if ratios and min(ratios) > 1
            else ""
        )
        split = "; ".join(
            f"{c.title.lower()}: {_pct(run.results[c.key, 'v3'].false_referral_all)} against "
            f"{_pct(run.results[c.key, 'v3'].false_pass_all)}, "
            f"{_pct(run.results[c.key, 'v3'].at_cap)} of the tests at the cap"
            for c, _value in cases
        )
        return (
            f"The errors are false referrals far more than false passes ({split}, as shares of "
            "everybody): the threshold is set low so that false passes stay under 4 % when the "
            "assumptions are wrong, and telling people a quarter of a unit above the cut from "
            "those just below it takes more than 18 questions. Each answer says little at the "
            "cut: a right answer may be a guess (one chance in 6 to 8 with 3 or 4 options), "
            "people slip, and the authors' values are taken as uncertain until calibration, "
            "which flattens every item's curve (and is what keeps the false passes and the "
            "intervals right in the wrong-parameter cases)." + v2_note + extra
        )
    if label.startswith("Median length"):
        return (
            "The people near the cut get long tests (the routing needs them), and when the "
            "parameters or the population are not those assumed, more people are near enough."
        )
    if label.startswith("False passes"):
        return (
            "The engine believes its items more than they deserve in this case, so it stops "
            "sure of itself too early for people just under the cut; the threshold table shows "
            "what a lower threshold would cost."
        )
    if label.startswith("95 %"):
        return "The posterior is too narrow when the answers do not follow the model."
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
