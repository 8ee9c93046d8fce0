"""Seeded simulation of the adaptive assessment, side by side with other ways of testing.

Simulated people with known abilities, drawn from the engine's own population model (mean
-0.5, sd 1, five domains and the foundation correlated 0.7), answer by the 2PL with the real
bank's item parameters. On the same people and the same bank, in one run:

* **adaptive engine**: ``app.assessment.engine`` exactly as the web app calls it;
* **fixed form**: the same items for everybody, as many as the adaptive mean length;
* **Pix-like**: one global estimate, normal prior N(last estimate, 1.5²) re-centred at each
  step, start at -3, a step of at most 0.5, the next item drawn among the 5 most informative
  with probabilities 51/25/12/6/6 %, same length as the fixed form;
* **catsim**: the standard CAT of the ``catsim`` package (maximum information selector,
  maximum-likelihood numerical search estimator, fixed length matched to the fixed form),
  when catsim is installed;
* the adaptive engine again, seeing item parameters with calibration noise (SE 0.2 on b,
  0.15 on a) while the answers still come from the true parameters;
* the adaptive engine's item choice at the same fixed length as the others (RMSE at equal
  length), and a few other stopping rules (the trade-off between length and accuracy).

Every person has one fixed uniform draw per item (common random numbers): all methods see the
same person answer the same item the same way.

Run: ``.venv/bin/python -m bench.simulate`` (writes docs/assessment-simulation.md; about two
minutes on two cores). Quick run: ``--people 600``. Other options: ``--seed``, ``--workers``,
``--out``, ``--no-catsim``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # `python bench/simulate.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.assessment import engine
from app.assessment.engine import DOMAINS, FOUNDATION, SCORED_DOMAINS, Answer, ItemLike, band

DEFAULT_SEED = 20250601
DEFAULT_PEOPLE = 5000
EQUAL_LENGTH_PEOPLE = 2000
WHAT_IF_PEOPLE = 1000
NOISY_BANKS = 5
NOISE_SE_A, NOISE_SE_B = 0.15, 0.2
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "assessment-simulation.md"
BAND_NAMES = ("Découverte", "Premiers pas", "Autonome", "À l'aise")
POP_MEAN, POP_SD, POP_RHO = -0.5, 1.0, 0.7
EXPECTED_AT = (0, 3, 7)  # answers after which expected_length() is recorded


# --------------------------------------------------------------------------------------------
# Bank and people


@dataclass(frozen=True)
class BenchItem:
    id: str
    domain: str
    a: float
    b: float


def load_items() -> tuple[tuple[BenchItem, ...], str]:
    from app.assessment.bank import load_bank

    bank = load_bank()
    items = tuple(BenchItem(it.id, it.domain, float(it.a), float(it.b)) for it in bank.items)
    return items, f"real bank `app/content`, version `{bank.version}`"


def noisy_bank(items: Sequence[BenchItem], seed: int, k: int) -> tuple[BenchItem, ...]:
    """The parameters a calibration with standard errors 0.15 (a) and 0.2 (b) might give."""
    rng = np.random.default_rng([seed, 7919, k])
    da = rng.normal(0.0, NOISE_SE_A, len(items))
    db = rng.normal(0.0, NOISE_SE_B, len(items))
    return tuple(
        BenchItem(it.id, it.domain, round(max(0.3, it.a + x), 4), round(it.b + y, 4))
        for it, x, y in zip(items, da, db, strict=True)
    )


@dataclass(frozen=True)
class People:
    thetas: np.ndarray  # (n, 6): foundation and the five scored domains, in DOMAINS order
    draws: np.ndarray  # (n, items): one uniform draw per item, in the bank's order

    @property
    def overall(self) -> np.ndarray:
        return self.thetas[:, 1:].mean(axis=1)

    def __len__(self) -> int:
        return len(self.thetas)


def make_people(n: int, n_items: int, seed: int) -> People:
    """The engine's population model: θ_d = μ + σ (√ρ g + √(1-ρ) e_d)."""
    rng = np.random.default_rng([seed, 1])
    g = rng.standard_normal((n, 1))
    e = rng.standard_normal((n, len(DOMAINS)))
    thetas = POP_MEAN + POP_SD * (math.sqrt(POP_RHO) * g + math.sqrt(1 - POP_RHO) * e)
    draws = np.random.default_rng([seed, 2]).random((n, n_items))
    return People(thetas, draws)


def _p(theta: np.ndarray | float, a: np.ndarray | float, b: np.ndarray | float) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(a) * (np.asarray(theta) - np.asarray(b))))


# --------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Outcome:
    answers: tuple[Answer, ...]
    domains: tuple[float, ...]  # estimates for the five scored domains
    overall: float
    needs_basics: bool
    basics_probability: float = float("nan")
    offer_help: bool = False
    expected: tuple[int, ...] = ()  # expected_length() after EXPECTED_AT answers


def _engine_outcome(
    items: Sequence[ItemLike], answers: Sequence[Answer], help_: bool = False, expected=()
) -> Outcome:
    res = engine.result(items, answers)
    return Outcome(
        tuple(answers),
        tuple(res.domains[d].theta for d in SCORED_DOMAINS),
        res.overall_theta,
        res.needs_basics,
        res.basics_probability,
        help_,
        tuple(expected),
    )


# --------------------------------------------------------------------------------------------
# Worker processes (results do not depend on the number of workers)

_TRUE: tuple[BenchItem, ...] = ()
_TRUE_INDEX: dict[str, int] = {}
_DOMAIN_INDEX = {d: k for k, d in enumerate(DOMAINS)}


def _init(items: tuple[BenchItem, ...]) -> None:
    global _TRUE, _TRUE_INDEX
    _TRUE = items
    _TRUE_INDEX = {it.id: k for k, it in enumerate(items)}


def _answers_right(item_id: str, thetas: Sequence[float], draws: Sequence[float]) -> bool:
    """The simulated person's answer, always from the *true* parameters."""
    k = _TRUE_INDEX[item_id]
    it = _TRUE[k]
    return draws[k] < engine.probability(thetas[_DOMAIN_INDEX[it.domain]], it.a, it.b)


@dataclass(frozen=True)
class EngineJob:
    seed: int
    indexes: Sequence[int]
    thetas: Sequence[Sequence[float]]
    draws: Sequence[Sequence[float]]
    noisy: int | None = None  # index of a noisy bank, None for the true parameters
    overrides: Mapping[str, float] = field(default_factory=dict)
    record: bool = False  # record expected_length() and the help offer


def _engine_chunk(job: EngineJob) -> list[Outcome]:
    items = _TRUE if job.noisy is None else noisy_bank(_TRUE, job.seed, job.noisy)
    saved = {k: getattr(engine, k) for k in job.overrides}
    for k, v in job.overrides.items():
        setattr(engine, k, v)
    try:
        out = []
        for index, thetas, draws in zip(job.indexes, job.thetas, job.draws, strict=True):
            answers: list[Answer] = []
            expected = []
            person_seed = f"{job.seed}:{index}"
            while True:
                if job.record and len(answers) in EXPECTED_AT:
                    expected.append(engine.expected_length(items, answers))
                item = engine.next_item(items, answers, person_seed)
                if item is None:
                    break
                answers.append((item.id, _answers_right(item.id, thetas, draws)))
            help_ = job.record and engine.should_offer_help(items, answers)
            out.append(_engine_outcome(items, answers, help_, expected))
        return out
    finally:
        for k, v in saved.items():
            setattr(engine, k, v)


@dataclass(frozen=True)
class ScoreJob:
    answer_sets: Sequence[Sequence[Answer]]


def _score_chunk(job: ScoreJob) -> list[Outcome]:
    """The engine's EAP scoring of answers collected by another method."""
    return [_engine_outcome(_TRUE, answers) for answers in job.answer_sets]


@dataclass(frozen=True)
class CatsimJob:
    length: int
    start: float
    thetas: Sequence[Sequence[float]]
    draws: Sequence[Sequence[float]]


def _catsim_chunk(job: CatsimJob) -> list[tuple[tuple[Answer, ...], float]]:
    from catsim.estimation import NumericalSearchEstimator
    from catsim.item_bank import ItemBank
    from catsim.selection import MaxInfoSelector

    params = np.array([[it.a, it.b, 0.0, 1.0] for it in _TRUE])
    bank = ItemBank(params)
    selector, estimator = MaxInfoSelector(), NumericalSearchEstimator()
    out = []
    for thetas, draws in zip(job.thetas, job.draws, strict=True):
        with contextlib.redirect_stdout(io.StringIO()):  # catsim prints blank lines
            out.append(_catsim_person(job, bank, selector, estimator, thetas, draws))
    return out


def _catsim_person(
    job: CatsimJob,
    bank: Any,
    selector: Any,
    estimator: Any,
    thetas: Sequence[float],
    draws: Sequence[float],
) -> tuple[tuple[Answer, ...], float]:
    administered: list[int] = []
    responses: list[bool] = []
    est = job.start
    for _ in range(job.length):
        k = int(selector.select(item_bank=bank, administered_items=administered, est_theta=est))
        administered.append(k)
        responses.append(_answers_right(_TRUE[k].id, thetas, draws))
        est = float(
            estimator.estimate(
                item_bank=bank,
                administered_items=administered,
                response_vector=responses,
                est_theta=est,
            )
        )
    answers = tuple((_TRUE[k].id, r) for k, r in zip(administered, responses, strict=True))
    return answers, est


class Runner:
    """Runs chunks of 50 people in a process pool (or here with one worker)."""

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


def _chunks(indexes: Sequence[int], size: int = 50) -> list[Sequence[int]]:
    return [indexes[k : k + size] for k in range(0, len(indexes), size)]


def run_engine(
    runner: Runner,
    people: People,
    indexes: Sequence[int],
    seed: int,
    *,
    noisy: Callable[[int], int | None] = lambda _i: None,
    overrides: Mapping[str, float] | None = None,
    record: bool = False,
) -> list[Outcome]:
    jobs = []
    for chunk in _chunks(list(indexes)):
        by_bank: dict[int | None, list[int]] = {}
        for i in chunk:
            by_bank.setdefault(noisy(i), []).append(i)
        for k, ids in by_bank.items():
            jobs.append(
                EngineJob(
                    seed,
                    ids,
                    people.thetas[ids].tolist(),
                    people.draws[ids].tolist(),
                    k,
                    dict(overrides or {}),
                    record,
                )
            )
    outs = runner.map(_engine_chunk, jobs)
    order = [i for job in jobs for i in job.indexes]
    by_index = dict(zip(order, outs, strict=True))
    return [by_index[i] for i in indexes]


# --------------------------------------------------------------------------------------------
# Baselines


def allocation_for(items: Sequence[BenchItem], adaptive: Sequence[Outcome]) -> dict[str, int]:
    """Fixed-form allocation: as many items as the adaptive mean length; foundation as many as
    the adaptive mean, the rest spread evenly over the scored domains."""
    domain_of = {it.id: it.domain for it in items}
    total = round(statistics.fmean(len(o.answers) for o in adaptive))
    n_foundation = round(
        statistics.fmean(
            sum(1 for i, _ in o.answers if domain_of[i] == FOUNDATION) for o in adaptive
        )
    )
    per, extra = divmod(total - n_foundation, len(SCORED_DOMAINS))
    alloc = {FOUNDATION: n_foundation}
    for k, d in enumerate(SCORED_DOMAINS):
        alloc[d] = per + (1 if k < extra else 0)
    return alloc


def fixed_form(items: Sequence[BenchItem], allocation: Mapping[str, int]) -> list[int]:
    """Per domain, the items with the most information at the population mean (bank indexes),
    foundation first."""
    form: list[int] = []
    for domain in DOMAINS:
        pool = [k for k, it in enumerate(items) if it.domain == domain]
        pool.sort(key=lambda k: (-engine.fisher_information(POP_MEAN, items[k].a, items[k].b),))
        form += pool[: allocation[domain]]
    return form


def _responses(
    items: Sequence[BenchItem], people: People, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    a = np.array([it.a for it in items])[cols]
    b = np.array([it.b for it in items])[cols]
    d = np.array([_DOMAIN_INDEX[it.domain] for it in items])[cols]
    theta = people.thetas[rows, d]
    return people.draws[rows, cols] < _p(theta, a, b)


def run_fixed(items: Sequence[BenchItem], people: People, form: Sequence[int]) -> list[list]:
    """Answers of everyone to the fixed form (bank indexes, right/wrong)."""
    n = len(people)
    cols = np.tile(np.array(form), (n, 1))
    rows = np.repeat(np.arange(n)[:, None], len(form), axis=1)
    right = _responses(items, people, rows, cols)
    return [[(items[k].id, bool(r)) for k, r in zip(form, right[i], strict=True)] for i in range(n)]


PIX_GRID = np.linspace(-5.0, 5.0, 201)
PIX_START, PIX_PRIOR_SD, PIX_MAX_STEP = -3.0, 1.5, 0.5
PIX_PICK = np.array([0.51, 0.25, 0.12, 0.06, 0.06])


def run_pix_like(
    items: Sequence[BenchItem], people: People, length: int, seed: int
) -> tuple[list[list[Answer]], np.ndarray]:
    """Vectorised over people. At each step: the 5 unused items with the most information at
    the current estimate, one drawn with probabilities 51/25/12/6/6 %; then the new estimate
    is the posterior mean under a N(last estimate, 1.5²) prior and all answers so far, moved
    by at most 0.5 from the last estimate."""
    rng = np.random.default_rng([seed, 3])
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
    for step in range(length):
        p = _p(est[:, None], a[None, :], b[None, :])
        info = np.where(used, -1.0, a[None, :] ** 2 * p * (1 - p))
        top = np.argsort(-info, axis=1, kind="stable")[:, :5]
        rank = np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), 4)
        k = top[rows, rank]
        used[rows, k] = True
        ok = _responses(items, people, rows, k)
        chosen[:, step], right[:, step] = k, ok
        pg = _p(PIX_GRID[None, :], a[k][:, None], b[k][:, None])
        loglik += np.log(np.where(ok[:, None], pg, 1.0 - pg))
        logpost = loglik - 0.5 * ((PIX_GRID[None, :] - est[:, None]) / PIX_PRIOR_SD) ** 2
        w = np.exp(logpost - logpost.max(axis=1, keepdims=True))
        eap = (w * PIX_GRID).sum(axis=1) / w.sum(axis=1)
        est = est + np.clip(eap - est, -PIX_MAX_STEP, PIX_MAX_STEP)
    answers = [
        [(items[k].id, bool(r)) for k, r in zip(chosen[i], right[i], strict=True)] for i in range(n)
    ]
    return answers, est


def native_outcome(answers: Sequence[Answer], theta: float) -> Outcome:
    """A single global estimate used for the overall θ and every domain; routing θ < -1."""
    return Outcome(
        tuple(answers),
        (theta,) * len(SCORED_DOMAINS),
        theta,
        theta < engine.BASICS_CUT,
    )


def catsim_version() -> str | None:
    try:
        from importlib.metadata import version

        import catsim  # noqa: F401
    except ImportError:
        return None
    return version("catsim")


# --------------------------------------------------------------------------------------------
# Metrics


@dataclass(frozen=True)
class Metrics:
    n: int
    length_mean: float
    length_median: float
    length_p90: float
    length_max: int
    routing_accuracy: float
    routing_accuracy_neutral: float  # routed when P(overall θ < -1) ≥ 0.5 (engine scoring only)
    false_pass_all: float  # needs the basics, told they do not: share of everybody
    false_pass_needing: float  # ... share of the people who need the basics
    false_flag_all: float
    overall_band_exact: float
    overall_band_within_one: float
    domain_band_exact: float
    domain_band_within_one: float
    domain_within_one: Mapping[str, float]
    overall_rmse: float
    overall_bias: float
    domain_rmse: float
    domain_bias: float
    max_exposure: float
    never_used: float
    first_five_p: float
    domain_items: Mapping[str, float]
    band_by_truth: Mapping[int, float]  # overall band exact, by the true overall band


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (a length that some test actually had)."""
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)])


def metrics(
    items: Sequence[BenchItem], people: People, indexes: Sequence[int], outs: Sequence[Outcome]
) -> Metrics:
    idx = np.asarray(indexes)
    thetas, overall = people.thetas[idx], people.overall[idx]
    est_overall = np.array([o.overall for o in outs])
    est_domains = np.array([o.domains for o in outs])
    lengths = [len(o.answers) for o in outs]
    needs = overall < engine.BASICS_CUT
    flagged = np.array([o.needs_basics for o in outs])
    p_basics = np.array([o.basics_probability for o in outs])
    true_bands = np.searchsorted(engine.BAND_CUTS, overall, side="right")
    est_bands = np.searchsorted(engine.BAND_CUTS, est_overall, side="right")
    true_db = np.searchsorted(engine.BAND_CUTS, thetas[:, 1:], side="right")
    est_db = np.searchsorted(engine.BAND_CUTS, est_domains, side="right")
    exposure = Counter(i for o in outs for i, _ in o.answers)
    by_id = {it.id: k for k, it in enumerate(items)}
    first_p = []
    for row, o in zip(idx, outs, strict=True):
        for item_id, _ in o.answers[:5]:
            it = items[by_id[item_id]]
            first_p.append(
                engine.probability(people.thetas[row, _DOMAIN_INDEX[it.domain]], it.a, it.b)
            )
    domain_of = {it.id: it.domain for it in items}
    counts = [Counter(domain_of[i] for i, _ in o.answers) for o in outs]
    return Metrics(
        n=len(outs),
        length_mean=statistics.fmean(lengths),
        length_median=statistics.median(lengths),
        length_p90=_percentile(lengths, 90),
        length_max=max(lengths),
        routing_accuracy=float(np.mean(needs == flagged)),
        routing_accuracy_neutral=float(np.mean(needs == (p_basics >= 0.5))),
        false_pass_all=float(np.mean(needs & ~flagged)),
        false_pass_needing=float(np.mean(~flagged[needs])) if needs.any() else math.nan,
        false_flag_all=float(np.mean(~needs & flagged)),
        overall_band_exact=float(np.mean(true_bands == est_bands)),
        overall_band_within_one=float(np.mean(np.abs(true_bands - est_bands) <= 1)),
        domain_band_exact=float(np.mean(true_db == est_db)),
        domain_band_within_one=float(np.mean(np.abs(true_db - est_db) <= 1)),
        domain_within_one={
            d: float(np.mean(np.abs(true_db[:, k] - est_db[:, k]) <= 1))
            for k, d in enumerate(SCORED_DOMAINS)
        },
        overall_rmse=float(np.sqrt(np.mean((est_overall - overall) ** 2))),
        overall_bias=float(np.mean(est_overall - overall)),
        domain_rmse=float(np.sqrt(np.mean((est_domains - thetas[:, 1:]) ** 2))),
        domain_bias=float(np.mean(est_domains - thetas[:, 1:])),
        max_exposure=max(exposure.values()) / len(outs),
        never_used=sum(1 for it in items if it.id not in exposure) / len(items),
        first_five_p=statistics.fmean(first_p),
        domain_items={d: statistics.fmean(c[d] for c in counts) for d in DOMAINS},
        band_by_truth={
            int(b): float(np.mean(est_bands[true_bands == b] == b)) for b in np.unique(true_bands)
        },
    )


# --------------------------------------------------------------------------------------------
# The whole run


@dataclass
class Run:
    items: tuple[BenchItem, ...]
    bank_note: str
    seed: int
    people: People
    length: int = 0
    allocation: Mapping[str, int] | None = None
    adaptive: list[Outcome] | None = None
    methods: dict[str, Metrics] | None = None
    equal_length: dict[str, Metrics] | None = None
    noisy: tuple[Metrics, Metrics, list[Metrics]] | None = None
    what_if: list[tuple[str, Metrics]] | None = None
    thresholds: list[tuple[float, Metrics]] | None = None
    catsim: str | None = None
    catsim_note: str = ""
    next_item_ms: tuple[float, float] = (math.nan, math.nan)
    seconds: float = math.nan
    workers: int = 1


WHAT_IF_RULES: tuple[tuple[str, Mapping[str, float]], ...] = (
    ("overall band confidence 0.7 (instead of 0.5)", {"BAND_CONFIDENCE": 0.7}),
    ("no top-band condition", {"TOP_BAND_DOUBT": 1.0}),
    (
        "routing condition only (no band conditions)",
        {"BAND_CONFIDENCE": 0.0, "TOP_BAND_DOUBT": 1.0},
    ),
    ("cap 15 (instead of 18)", {"MAX_TOTAL_ITEMS": 15}),
    ("no early stop: 18 items for everybody", {"BAND_CONFIDENCE": 2.0}),
    (
        "no early stop: 20 items for everybody (version 1's cap)",
        {"BAND_CONFIDENCE": 2.0, "MAX_TOTAL_ITEMS": 20},
    ),
    (
        "no early stop: 30 items for everybody (up to 6 per domain)",
        {"BAND_CONFIDENCE": 2.0, "MAX_TOTAL_ITEMS": 30, "MAX_ITEMS_PER_DOMAIN": 6},
    ),
)


def simulate(n: int, seed: int, workers: int, use_catsim: bool, log: Callable[[str], None]) -> Run:
    started = time.perf_counter()
    items, note = load_items()
    people = make_people(n, len(items), seed)
    run = Run(items, note, seed, people, workers=workers)
    runner = Runner(items, workers)
    everybody = list(range(n))
    try:
        log(f"adaptive engine, {n} people")
        run.adaptive = run_engine(runner, people, everybody, seed, record=True)
        run.allocation = allocation_for(items, run.adaptive)
        run.length = sum(run.allocation.values())
        methods = {"Adaptive engine": metrics(items, people, everybody, run.adaptive)}

        log(f"fixed form and Pix-like, {run.length} items")
        form = fixed_form(items, run.allocation)
        fixed_answers = run_fixed(items, people, form)
        pix_answers, pix_est = run_pix_like(items, people, run.length, seed)
        m = min(n, EQUAL_LENGTH_PEOPLE)
        score = _chunks(fixed_answers) + _chunks(pix_answers)
        scored = runner.map(_score_chunk, [ScoreJob(c) for c in score])
        fixed_outs, pix_eap = scored[:n], scored[n:]
        methods["Fixed form"] = metrics(items, people, everybody, fixed_outs)
        pix_native = [native_outcome(a, e) for a, e in zip(pix_answers, pix_est, strict=True)]
        methods["Pix-like"] = metrics(items, people, everybody, pix_native)
        methods["Pix-like, scored by the engine"] = metrics(items, people, everybody, pix_eap)

        run.catsim = catsim_version() if use_catsim else None
        cat_outs: list[Outcome] = []
        if run.catsim is not None:
            log(f"catsim {run.catsim}")
            jobs = [
                CatsimJob(
                    run.length,
                    POP_MEAN,
                    people.thetas[list(c)].tolist(),
                    people.draws[list(c)].tolist(),
                )
                for c in _chunks(everybody)
            ]
            cat_raw = runner.map(_catsim_chunk, jobs)
            cat_native = [native_outcome(a, e) for a, e in cat_raw]
            cat_outs = runner.map(
                _score_chunk, [ScoreJob(c) for c in _chunks([a for a, _ in cat_raw])]
            )
            methods["catsim"] = metrics(items, people, everybody, cat_native)
            methods["catsim, scored by the engine"] = metrics(items, people, everybody, cat_outs)
        elif use_catsim:
            run.catsim_note = "catsim is not installed (`.venv/bin/pip install catsim`)."
        run.methods = methods

        log(f"equal length: engine's item choice at {run.length} items, {m} people")
        subset = everybody[:m]
        equal = run_engine(
            runner,
            people,
            subset,
            seed,
            overrides={"BAND_CONFIDENCE": 2.0, "MAX_TOTAL_ITEMS": run.length},
        )
        plain = run_engine(
            runner,
            people,
            subset,
            seed,
            overrides={
                "BAND_CONFIDENCE": 2.0,
                "MAX_TOTAL_ITEMS": run.length,
                "START_P_CORRECT": 0.5,
                "RANDOMESQUE_K": 1,
            },
        )
        run.equal_length = {
            "Adaptive engine, fixed length": metrics(items, people, subset, equal),
            "— without easy start and randomesque": metrics(items, people, subset, plain),
            "Fixed form": metrics(items, people, subset, fixed_outs[:m]),
            "Pix-like": metrics(items, people, subset, pix_native[:m]),
            "Pix-like, scored by the engine": metrics(items, people, subset, pix_eap[:m]),
        }
        if cat_outs:
            run.equal_length["catsim"] = metrics(items, people, subset, cat_native[:m])
            run.equal_length["catsim, scored by the engine"] = metrics(
                items, people, subset, cat_outs[:m]
            )

        log(f"calibration noise: {NOISY_BANKS} noisy banks")
        noisy = run_engine(runner, people, everybody, seed, noisy=lambda i: i % NOISY_BANKS)
        per_bank = []
        for k in range(NOISY_BANKS):
            ids = everybody[k::NOISY_BANKS]
            per_bank.append(metrics(items, people, ids, [noisy[i] for i in ids]))
        run.noisy = (methods["Adaptive engine"], metrics(items, people, everybody, noisy), per_bank)

        w = min(n, WHAT_IF_PEOPLE)
        log(f"other stopping rules, {w} people")
        first = everybody[:w]
        run.what_if = [("engine (version 2)", metrics(items, people, first, run.adaptive[:w]))]
        for label, overrides in WHAT_IF_RULES:
            outs = run_engine(runner, people, first, seed, overrides=overrides)
            run.what_if.append((label, metrics(items, people, first, outs)))
        run.thresholds = []
        for tau in (0.5, 0.4, 0.3, 0.2):
            outs = [
                Outcome(
                    o.answers,
                    o.domains,
                    o.overall,
                    o.basics_probability >= tau,
                    o.basics_probability,
                )
                for o in run.adaptive
            ]
            run.thresholds.append((tau, metrics(items, people, everybody, outs)))
    finally:
        runner.close()
    run.next_item_ms = time_next_item(items, people, seed)
    run.seconds = time.perf_counter() - started
    return run


def time_next_item(items: Sequence[BenchItem], people: People, seed: int) -> tuple[float, float]:
    """Median and maximum milliseconds of next_item() along 20 simulated tests, with the
    engine's cache emptied before each call (a web process rarely holds the previous state)."""
    _init(tuple(items))
    samples = []
    for i in range(min(20, len(people))):
        thetas, draws = people.thetas[i].tolist(), people.draws[i].tolist()
        answers: list[Answer] = []
        while True:
            engine._evidence.cache_clear()
            start = time.perf_counter()
            item = engine.next_item(items, answers, i)
            samples.append(time.perf_counter() - start)
            if item is None:
                break
            answers.append((item.id, _answers_right(item.id, thetas, draws)))
    return statistics.median(samples) * 1000, max(samples) * 1000


# --------------------------------------------------------------------------------------------
# Report


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.1f} %"


def _margin(p: float, n: int) -> str:
    """± half-width of a 95 % binomial interval, in points."""
    return f"± {196 * math.sqrt(max(p * (1 - p), 1e-12) / n):.1f}"


ROWS: tuple[tuple[str, Callable[[Metrics], str]], ...] = (
    ("Test length: mean", lambda m: f"{m.length_mean:.1f}"),
    (
        "— median / 90th percentile / max",
        lambda m: f"{m.length_median:.0f} / {m.length_p90:.0f} / {m.length_max}",
    ),
    ('Routing "needs the basics": accuracy', lambda m: _pct(m.routing_accuracy)),
    ("— false passes, share of everybody", lambda m: _pct(m.false_pass_all)),
    ("— false passes, share of those who need the basics", lambda m: _pct(m.false_pass_needing)),
    ("— false referrals, share of everybody", lambda m: _pct(m.false_flag_all)),
    ("Overall band exact", lambda m: _pct(m.overall_band_exact)),
    ("Overall band within one", lambda m: _pct(m.overall_band_within_one)),
    ("Domain band exact (5 domains)", lambda m: _pct(m.domain_band_exact)),
    ("Domain band within one (5 domains)", lambda m: _pct(m.domain_band_within_one)),
    ("Overall θ RMSE", lambda m: f"{m.overall_rmse:.3f}"),
    ("Overall θ bias", lambda m: f"{m.overall_bias:+.3f}"),
    ("Domain θ RMSE", lambda m: f"{m.domain_rmse:.3f}"),
    ("Domain θ bias", lambda m: f"{m.domain_bias:+.3f}"),
    ("Highest item exposure", lambda m: _pct(m.max_exposure)),
    ("Items never used", lambda m: _pct(m.never_used)),
    ("Mean P(right) on the first five items", lambda m: _pct(m.first_five_p)),
)


def _table(methods: Mapping[str, Metrics], rows=ROWS) -> list[str]:
    names = list(methods)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, fmt in rows:
        lines.append(f"| {label} | " + " | ".join(fmt(methods[k]) for k in names) + " |")
    return lines


def _trade_off(rows: Sequence[tuple[str, Metrics]]) -> list[str]:
    out = [
        "| rule | mean / median / p90 length | routing accuracy | false passes (all) | "
        "routing accuracy at threshold 0.5 | overall band exact | À l'aise exact | "
        "overall θ RMSE |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, m in rows:
        out.append(
            f"| {label} | {m.length_mean:.1f} / {m.length_median:.0f} / {m.length_p90:.0f} | "
            f"{_pct(m.routing_accuracy)} | {_pct(m.false_pass_all)} | "
            f"{_pct(m.routing_accuracy_neutral)} | "
            f"{_pct(m.overall_band_exact)} | {_pct(m.band_by_truth.get(3, math.nan))} | "
            f"{m.overall_rmse:.3f} |"
        )
    return out


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def report(run: Run) -> str:
    assert run.methods and run.adaptive and run.equal_length and run.noisy and run.what_if
    assert run.thresholds and run.allocation
    items, people, n = run.items, run.people, len(run.people)
    a = run.methods["Adaptive engine"]
    counts = Counter(it.domain for it in items)
    prevalence = float(np.mean(people.overall < engine.BASICS_CUT))
    eq = run.equal_length
    eq_a, eq_f, eq_p = eq["Adaptive engine, fixed length"], eq["Fixed form"], eq["Pix-like"]
    eq_pe = eq["Pix-like, scored by the engine"]
    true_m, noisy_m, per_bank = run.noisy
    drop_route = true_m.routing_accuracy - noisy_m.routing_accuracy
    drop_band = true_m.overall_band_exact - noisy_m.overall_band_exact
    worst_route = max(true_m.routing_accuracy - b.routing_accuracy for b in per_bank)
    ceiling20 = next(m for label, m in run.what_if if label.startswith("no early stop: 20"))
    ceiling30 = next(m for label, m in run.what_if if label.startswith("no early stop: 30"))
    band07 = run.what_if[1][1]

    def gain(x: float, ref: float) -> float:
        return 1.0 - x / ref

    helped = [o for o in run.adaptive if o.offer_help]
    help_true = (
        statistics.fmean(people.overall[i] < -1 for i, o in enumerate(run.adaptive) if o.offer_help)
        if helped
        else math.nan
    )
    lengths = [len(o.answers) for o in run.adaptive]
    capped = statistics.fmean(x == engine.MAX_TOTAL_ITEMS for x in lengths)
    by_band: dict[int, list[int]] = {}
    for i, x in enumerate(lengths):
        by_band.setdefault(band(float(people.overall[i])), []).append(x)
    exp_err = []
    for k, at in enumerate(EXPECTED_AT):
        errs = [
            o.expected[k] - len(o.answers)
            for o in run.adaptive
            if len(o.expected) > k and len(o.answers) > at
        ]
        if errs:
            exp_err.append(
                f"after {at} answers: mean error {statistics.fmean(errs):+.1f}, mean absolute "
                f"error {statistics.fmean(abs(e) for e in errs):.1f} questions"
            )
    alloc = ", ".join(f"{d} {k}" for d, k in run.allocation.items())
    cat_line = (
        f"- **catsim** {run.catsim} (`pip install catsim=={run.catsim}`): `MaxInfoSelector`, "
        "`NumericalSearchEstimator` (maximum likelihood, bounded search, Dodd's heuristic while "
        "all answers are right or all wrong), start at θ = −0.5, fixed length "
        f"{run.length} (a `MaxItems`-type stop matched to the others); one global θ over the "
        "whole bank, no exposure control. Scored natively (the global θ for every domain, "
        "routed when θ < −1) and by the engine. catsim is a bench-only dependency; it pulls "
        "in scipy, scikit-learn and matplotlib."
        if run.catsim
        else f"- **catsim**: not run. {run.catsim_note}"
    )

    eq_plain = eq["— without easy start and randomesque"]
    eq_cat = eq.get("catsim, scored by the engine")
    neutral = run.what_if[0][1]
    neutral20 = ceiling20.routing_accuracy_neutral
    neutral30 = ceiling30.routing_accuracy_neutral
    targets = [
        (
            "routing",
            "Routing accuracy ≥ 92 %",
            _pct(a.routing_accuracy) + f" ({_margin(a.routing_accuracy, n)})",
            a.routing_accuracy >= 0.92,
        ),
        (
            "false_pass",
            "False passes ≤ 4 % (share of everybody)",
            _pct(a.false_pass_all) + f" ({_margin(a.false_pass_all, n)})",
            a.false_pass_all <= 0.04,
        ),
        ("median", "Median length ≤ 12", f"{a.length_median:.0f}", a.length_median <= 12),
        ("p90", "90th percentile length ≤ 18", f"{a.length_p90:.0f}", a.length_p90 <= 18),
        (
            "band",
            "Overall band exact ≥ 75 %",
            _pct(a.overall_band_exact),
            a.overall_band_exact >= 0.75,
        ),
        (
            "within",
            "Overall band within one ≥ 98 %",
            _pct(a.overall_band_within_one),
            a.overall_band_within_one >= 0.98,
        ),
        (
            "rmse_fixed",
            "Overall θ RMSE ≥ 25 % below the fixed form, equal length",
            f"{eq_a.overall_rmse:.3f} vs {eq_f.overall_rmse:.3f}: "
            f"{100 * gain(eq_a.overall_rmse, eq_f.overall_rmse):.0f} % below",
            gain(eq_a.overall_rmse, eq_f.overall_rmse) >= 0.25,
        ),
        (
            "rmse_pix",
            "Overall θ RMSE ≥ 15 % below Pix-like, equal length",
            f"{eq_a.overall_rmse:.3f} vs {eq_p.overall_rmse:.3f}: "
            f"{100 * gain(eq_a.overall_rmse, eq_p.overall_rmse):.0f} % below",
            gain(eq_a.overall_rmse, eq_p.overall_rmse) >= 0.15,
        ),
        (
            "noise",
            "Routing accuracy drop under calibration noise ≤ 3 points",
            f"{100 * drop_route:+.1f} points (worst of {NOISY_BANKS} banks: "
            f"{100 * worst_route:+.1f})",
            drop_route <= 0.03,
        ),
        (
            "noise_band",
            "Overall band exact drop under calibration noise ≤ 3 points",
            f"{100 * drop_band:+.1f} points",
            drop_band <= 0.03,
        ),
        ("exposure", "Highest item exposure ≤ 60 %", _pct(a.max_exposure), a.max_exposure <= 0.6),
    ]
    reasons = {
        "routing": "**Routing accuracy 92 %** is out of reach of this bank and population at "
        "any length a phone test can have. About 28 % of the people are below −1 and the cut "
        "sits where people are dense (population mean −0.5, sd of the overall θ 0.87), so the "
        "accuracy is set by how precisely the overall θ of people near −1 is known, and the "
        "posterior sd shrinks only like 1/√items with items of discrimination about 1.35 that "
        "each inform one domain. On the first "
        f"{neutral.n} people and without the false-pass limit (threshold 0.5 instead of 0.3), "
        f"the same engine reaches {_pct(neutral.routing_accuracy_neutral)} with its short "
        f"tests, {_pct(neutral20)} with 20 items for everybody and {_pct(neutral30)} with 30 "
        "(length against accuracy, below)"
        + (
            ": early stopping costs little here, and length helps slowly. "
            if neutral20 - neutral.routing_accuracy_neutral <= 0.015
            else ". "
        )
        + "The threshold 0.3 that keeps false passes under 4 % costs "
        f"{100 * (a.routing_accuracy_neutral - a.routing_accuracy):.1f} points of accuracy "
        "(threshold table). What would raise it: more discriminating items near −1 "
        "(a ≥ 1.8), or a much longer test.",
        "false_pass": "**False passes**: the routing threshold 0.3 was set on other seeds; "
        "the threshold table below gives the trade-off on this one.",
        "median": "**Median length**: the stopping thresholds were set on other seeds, where "
        "the median was 11; see the length-against-accuracy table for other rules.",
        "p90": "**90th percentile**: it is the cap (18) whenever more than 10 % of tests reach "
        "it; the cap-15 row of the length-against-accuracy table shows the cost of a lower cap.",
        "band": "**Overall band exact 75 %**: the three cuts are one unit apart across the "
        "middle of the population, so most people are within 0.5 of a cut. The stopping rule "
        "asks the reported band to be at least 50 % likely. On the first "
        f"{neutral.n} people ({_pct(neutral.overall_band_exact)} with that rule), asking 70 % "
        f"reaches {_pct(band07.overall_band_exact)} with a median of "
        f"{band07.length_median:.0f} items (90th percentile {band07.length_p90:.0f}), which "
        "breaks the length targets, and 20 items for everybody give "
        f"{_pct(ceiling20.overall_band_exact)}. The length targets "
        "come first here (the test must be short on a basic phone); the 70 % row is the "
        "option if the band matters more than length.",
        "within": "**Overall band within one**: see the band tables.",
        "rmse_fixed": "**RMSE 25 % below the fixed form** is not reachable with this bank: at "
        f"the same {run.length} items the engine's item choice gives "
        f"{eq_a.overall_rmse:.3f} against {eq_f.overall_rmse:.3f}. With one to three items "
        "per domain and a population prior of sd 1, the fixed form's items (the most "
        "informative at the population mean) are close to the Bayes-best items for most "
        "people, and an item of a ≈ 1.35 keeps two thirds of its peak information one unit "
        "away from its difficulty. The easy start (first items right 70 % of the time) and "
        "the randomesque exposure control cost a little: without them the engine's choice "
        f"gives {eq_plain.overall_rmse:.3f}"
        + (
            f"; catsim's unconstrained maximum-information choice, scored by the engine, "
            f"{eq_cat.overall_rmse:.3f}"
            if eq_cat
            else ""
        )
        + ". A 25 % lower RMSE needs about 1.8 times the information. In its variable-length "
        "form the engine also spends its items on the people near the cuts, not on RMSE "
        f"(main table: {a.overall_rmse:.3f} against {run.methods['Fixed form'].overall_rmse:.3f}"
        " at the same mean length).",
        "rmse_pix": "**RMSE against Pix-like**: see the equal-length table.",
        "noise": "**Calibration noise**: see the noise section.",
        "noise_band": "**Calibration noise**: see the noise section.",
        "exposure": "**Exposure**: the most used item is a first foundation item; see the "
        "exposure rows.",
    }
    missed = [key for key, _, _, ok in targets if not ok]
    why = (
        ["Why the misses (details in the sections below):", ""]
        + [f"- {reasons[key]}" for key in missed]
        + [""]
        if missed
        else ["Every target is met on this seed.", ""]
    )

    out = [
        "# Assessment engine: simulation report",
        "",
        "Generated by `bench/simulate.py`; do not edit by hand. Rerun with:",
        "",
        "```",
        f".venv/bin/python -m bench.simulate --seed {run.seed} --people {n}",
        "```",
        "",
        f"Engine version {engine.ENGINE_VERSION}. Everything below comes from one run with "
        f"seed `{run.seed}`; only the speed line at the end depends on the machine.",
        "",
        "## The rule being tested (engine version 2)",
        "",
        "Foundation first (2 items, a 3rd when the basics are in doubt), then 1 item in each of "
        "the five domains, then more items, each in the domain where it is expected to shrink "
        "the uncertainty on the overall θ most (at most 4 per domain), until both overall "
        "decisions are confident: P(overall θ < −1) ≥ 0.85 or ≤ 0.05, and the reported "
        'overall band at least 50 % likely (and, to report "Autonome", "À l\'aise" at most '
        "20 % likely); at most 18 questions. Routed to the basics when "
        "P(overall θ < −1) ≥ 0.3. First item of each domain (and foundation items) right about "
        "70 % of the time, then maximum information at the estimate, randomesque among the 3 "
        "best. Details and reasons: the docstring of `app/assessment/engine.py`.",
        "",
        "## Method",
        "",
        f"- **Bank:** {run.bank_note}; {len(items)} items: "
        + ", ".join(f"{d} {counts[d]}" for d in DOMAINS)
        + ". Answers are drawn from these parameters.",
        f"- **People:** {n} simulated people. Abilities (foundation and the five domains) are "
        "multivariate normal, mean −0.5, sd 1, correlation 0.7 between every pair: **the "
        "engine's own population model**, so these are best-case numbers for the engine (its "
        "prior is exactly right, and, except in the noise run, so are the item parameters). "
        "True overall θ = mean of the five domains (sd 0.87). "
        f'{_pct(prevalence)} of the people truly "need the basics" (overall θ < −1).',
        "- **Common random numbers:** each person has one fixed uniform draw per item, so every "
        "method sees the same person answer the same item the same way.",
        "- **Adaptive engine:** `app.assessment.engine` exactly as the web app calls it "
        "(`next_item` until it returns None, then `result`), seed = run seed and person "
        "number.",
        f"- **Fixed form:** {run.length} items (the adaptive mean length, rounded), allocated "
        f"{alloc}; in each domain the items with the most information at θ = −0.5; the same "
        "for everybody; scored by the engine (EAP, same routing rule).",
        f"- **Pix-like:** {run.length} items; one global θ for the whole bank; starts at −3; "
        "after each answer the estimate is the posterior mean under a normal prior "
        "N(last estimate, 1.5²) re-centred at each step and all answers so far, moved by at "
        "most 0.5; the next item is drawn among the 5 unused items with the most information "
        "at the estimate with probabilities 51/25/12/6/6 %. Scored natively (the global θ for "
        "the overall and every domain, routed when θ < −1) and, to separate item choice from "
        "scoring, by the engine.",
        cat_line,
        "- **Bands:** cuts at −1, 0, +1 (θ on a cut goes up). Band and routing accuracy compare "
        "the estimate's band or decision with the true θ's.",
        "- **False pass:** a person whose true overall θ is below −1 (needs the basics) whom "
        "the method does not route to the basics. Reported as a share of everybody (the target "
        "applies to this one: it counts the people harmed among those tested) and as a share "
        "of the people who need the basics (1 − sensitivity).",
        "",
        "## Results",
        "",
        *_table(run.methods),
        "",
        f"The ± for a rate is a 95 % sampling margin with {n} people: "
        f"routing accuracy {_margin(a.routing_accuracy, n)} points, false passes "
        f"{_margin(a.false_pass_all, n)} points.",
        "",
        "Overall band exact, by the person's true overall band:",
        "",
        "| true band | " + " | ".join(run.methods) + " |",
        "|---|" + "---:|" * len(run.methods),
        *[
            f"| {b} {BAND_NAMES[b]} | "
            + " | ".join(_pct(m.band_by_truth.get(b, math.nan)) for m in run.methods.values())
            + " |"
            for b in range(4)
        ],
        "",
        "## Targets",
        "",
        "| target | adaptive engine | |",
        "|---|---|---|",
        *[f"| {t} | {v} | {_verdict(ok)} |" for _, t, v, ok in targets],
        "",
        *why,
        "## Equal length",
        "",
        f"The first {eq_a.n} people; the engine's own item choice with the stopping rule "
        f"replaced by a fixed length of {run.length} items (same as the fixed form and the "
        "Pix-like test), so that only item choice and scoring differ.",
        "",
        *_table(
            eq,
            rows=tuple(r for r in ROWS if not r[0].startswith(("Test length", "— median"))),
        ),
        "",
        f"RMSE of the overall θ, engine's choice vs the others: "
        f"{100 * gain(eq_a.overall_rmse, eq_f.overall_rmse):.0f} % below the fixed form, "
        f"{100 * gain(eq_a.overall_rmse, eq_p.overall_rmse):.0f} % below Pix-like (native), "
        f"{100 * gain(eq_a.overall_rmse, eq_pe.overall_rmse):.0f} % below Pix-like scored by "
        f"the engine. Domain θ: {100 * gain(eq_a.domain_rmse, eq_f.domain_rmse):.0f} %, "
        f"{100 * gain(eq_a.domain_rmse, eq_p.domain_rmse):.0f} % and "
        f"{100 * gain(eq_a.domain_rmse, eq_pe.domain_rmse):.0f} %.",
        "",
        "## Calibration noise",
        "",
        f"The same {n} people; the engine sees item parameters with calibration noise "
        f"(normal errors, sd {NOISE_SE_B} on b and {NOISE_SE_A} on a, a kept ≥ 0.3) while the "
        f"answers still come from the true parameters. {NOISY_BANKS} independent noisy banks, "
        f"each used for one fifth of the people (person i uses bank i mod {NOISY_BANKS}).",
        "",
        *_table({"True parameters": true_m, "Noisy parameters": noisy_m}),
        "",
        "Per noisy bank: routing accuracy "
        + ", ".join(_pct(b.routing_accuracy) for b in per_bank)
        + "; false passes "
        + ", ".join(_pct(b.false_pass_all) for b in per_bank)
        + "; overall band exact "
        + ", ".join(_pct(b.overall_band_exact) for b in per_bank)
        + ".",
        "",
        "## Length against accuracy",
        "",
        f"The first {run.what_if[0][1].n} people, the engine with other stopping rules (other "
        "limits unchanged unless said). The version-2 rule is the first row.",
        "",
        *_trade_off(run.what_if),
        "",
        "Routing threshold (the engine routes to the basics when P(overall θ < −1) ≥ 0.3), on "
        "all the people of the main run, same answers:",
        "",
        "| threshold | routing accuracy | false passes (all) | false passes (of those "
        "needing the basics) | false referrals (all) |",
        "|---:|---:|---:|---:|---:|",
        *[
            f"| {tau} | {_pct(m.routing_accuracy)} | {_pct(m.false_pass_all)} | "
            f"{_pct(m.false_pass_needing)} | {_pct(m.false_flag_all)} |"
            for tau, m in run.thresholds
        ],
        "",
        "## Adaptive engine in detail",
        "",
        "| domain | mean items | band within one |",
        "|---|---:|---:|",
        *[
            f"| {d} | {a.domain_items[d]:.2f} | "
            + (_pct(a.domain_within_one[d]) if d in a.domain_within_one else "–")
            + " |"
            for d in DOMAINS
        ],
        "",
        "Length by true overall band: "
        + "; ".join(
            f"{BAND_NAMES[b]} mean {statistics.fmean(v):.1f}, median "
            f"{statistics.median(v):.0f} (n = {len(v)})"
            for b, v in sorted(by_band.items())
        )
        + f". Tests that reach the {engine.MAX_TOTAL_ITEMS}-question cap: {_pct(capped)}.",
        "",
        "Length distribution: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(Counter(lengths).items()))
        + ".",
        "",
        f"- Help offered (`should_offer_help`): {_pct(len(helped) / n)} of people; "
        f"{_pct(help_true)} of them truly need the basics.",
        '- `expected_length` (shown as "environ N questions") against the real length: '
        + "; ".join(exp_err)
        + ".",
        "",
        "## Reading the numbers",
        "",
        "- The people are drawn from the engine's own model and, except in the noise run, "
        "the engine knows the true item parameters: real people and author-set parameters "
        "will do worse until `calibrate` re-estimates the bank. The noise run shows the cost of "
        "parameter error of the size a first calibration will have.",
        "- Nothing was tuned on this seed. The stopping thresholds (0.85 / 0.95 for the "
        "routing, 0.5 and 0.2 for the band), the 18-question cap and the routing threshold "
        "0.3 were chosen on other seeds (777 and 778, 2 000 people each, same population model) "
        "against the length and false-pass targets, and `expected_length`'s information per "
        "item on seed 777; this run checks them. They are still fitted to simulated people "
        "from the engine's own model, which is what a design can do before real answers "
        "exist.",
        "- Fixed form and Pix-like have the adaptive test's *mean* length for everybody; the "
        "adaptive test spends fewer items on people far from the cuts and more near them. At "
        "equal length the engine's item choice is no better than the fixed form (equal-length "
        "table): what the engine gains comes from *where* it stops, not from which items it "
        "picks.",
        "- Who gets the long tests: the people near the routing cut, i.e. mostly in the two "
        f"lower bands (length by true band above); {_pct(capped)} of tests reach the cap. "
        "The cap-15 row of the length-against-accuracy table is the option if that is too "
        "long for them: about one point of band accuracy and of routing accuracy at "
        "threshold 0.5 on those people.",
        "- `expected_length` is right on average but off by 3–4 questions for a given person: "
        "lengths are bimodal (7–9 when the decisions are clear early, the cap otherwise), so "
        "the page should say *environ* and the number will move as the test goes.",
        "- Pix-like is a reconstruction from the specification above, not Pix's code. Its "
        "start at −3 and its 0.5 step cap make it climb for the first items, and its single "
        "θ gives no domain profile: the row scored by the engine separates its item choice "
        "from its estimate.",
        "",
        "## Speed (machine-dependent)",
        "",
        f"`next_item` along 20 simulated tests on this bank, cold cache: median "
        f"{run.next_item_ms[0]:.1f} ms, maximum {run.next_item_ms[1]:.1f} ms. Whole run: "
        f"{run.seconds:.0f} s with {run.workers} worker process(es).",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--no-catsim", action="store_true", help="skip the catsim peer")
    args = parser.parse_args(argv)

    start = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:5.0f} s] {message}", file=sys.stderr, flush=True)

    run = simulate(args.people, args.seed, args.workers, not args.no_catsim, log)
    text = report(run)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print("\n".join(_table(run.methods or {})))
    print(f"{run.seconds:.0f} s; written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
