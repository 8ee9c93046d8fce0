"""Engine version 2, kept unchanged so that bench/simulate.py can compare it with the engine in use.

Foundation first (2 items, a 3rd when the basics are in doubt), one item per scored domain, then
items where they shrink the uncertainty on the overall θ most, until the routing and the overall
band are confident (at most 18 questions); 2PL, prior N(-0.5, 1), domains correlated 0.7. Its rule
is described in docs/engine.md ("Version 2"). Not used by the web app.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import mul
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar

from app.assessment.domains import DOMAINS, FOUNDATION, SCORED_DOMAINS

__all__ = [
    "BAND_CONFIDENCE",
    "BAND_CUTS",
    "BASICS_CONFIDENCE",
    "BASICS_CUT",
    "BASICS_THRESHOLD",
    "DOMAINS",
    "ENGINE_VERSION",
    "FOUNDATION",
    "MAX_FOUNDATION_ITEMS",
    "MAX_ITEMS_PER_DOMAIN",
    "MAX_TOTAL_ITEMS",
    "MIN_FOUNDATION_ITEMS",
    "MIN_ITEMS_PER_DOMAIN",
    "PASS_CONFIDENCE",
    "SCORED_DOMAINS",
    "TOP_BAND_DOUBT",
    "Answer",
    "AssessmentResult",
    "DomainEstimate",
    "DomainResult",
    "Estimates",
    "ItemLike",
    "band",
    "estimate",
    "expected_length",
    "fisher_information",
    "is_finished",
    "next_item",
    "probability",
    "result",
    "should_offer_help",
]

ENGINE_VERSION = "2"


BAND_CUTS: tuple[float, float, float] = (-1.0, 0.0, 1.0)
BASICS_CUT = -1.0
FOUNDATION_CUTS: tuple[float, ...] = (BASICS_CUT,)

POPULATION_MEAN = -0.5
POPULATION_SD = 1.0
DOMAIN_CORRELATION = 0.7

MIN_FOUNDATION_ITEMS = 2
MAX_FOUNDATION_ITEMS = 3
FOUNDATION_DOUBT = 0.2  # a third foundation item when P(θ_f < -1) is at least this
MIN_ITEMS_PER_DOMAIN = 1  # scored domains
MAX_ITEMS_PER_DOMAIN = 4  # scored domains
MAX_TOTAL_ITEMS = 18
BASICS_THRESHOLD = 0.3  # needs_basics when P(overall θ < -1) is at least this
BASICS_CONFIDENCE = 0.85  # stop routed to the basics: P(overall θ < -1) at least this
PASS_CONFIDENCE = 0.95  # stop not routed: P(overall θ ≥ -1) at least this
BAND_CONFIDENCE = 0.5  # and P(overall θ in the reported band) at least this
TOP_BAND_DOUBT = 0.2  # and, to report "Autonome", P(overall θ ≥ +1) at most this
START_P_CORRECT = 0.7
RANDOMESQUE_K = 3

# Used only by expected_length(): Fisher information about the overall θ that one more item
# brings on average (an item informs its own domain fully and the overall θ through it). Set
# from the simulation (docs/assessment-simulation.md).
INFO_PER_ITEM = 0.4

Answer = tuple[str, bool | None]


class ItemLike(Protocol):
    """What the engine needs from an item of the bank."""

    @property
    def id(self) -> str: ...

    @property
    def domain(self) -> str: ...

    @property
    def a(self) -> float: ...

    @property
    def b(self) -> float: ...


ItemT = TypeVar("ItemT", bound=ItemLike)


def _min_items(domain: str) -> int:
    return MIN_FOUNDATION_ITEMS if domain == FOUNDATION else MIN_ITEMS_PER_DOMAIN


# --------------------------------------------------------------------------------------------
# Item model


def probability(theta: float, a: float, b: float) -> float:
    """2PL probability of a right answer at ability ``theta`` (numerically safe)."""
    z = a * (theta - b)
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def fisher_information(theta: float, a: float, b: float) -> float:
    """Fisher information a²·P·(1 − P) of a 2PL item at ``theta``."""
    p = probability(theta, a, b)
    return a * a * p * (1.0 - p)


def band(theta: float) -> int:
    """Band 0..3 for ``theta``: cuts at -1, 0, +1, and θ equal to a cut goes up."""
    return sum(1 for cut in BAND_CUTS if theta >= cut)


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


# --------------------------------------------------------------------------------------------
# Grids (computed once at import)

THETA_GRID: tuple[float, ...] = tuple(round(-4.0 + 0.1 * i, 10) for i in range(81))
G_GRID: tuple[float, ...] = tuple(round(-4.0 + 0.25 * j, 10) for j in range(33))
_THETA_SQ: tuple[float, ...] = tuple(t * t for t in THETA_GRID)
_LOADING = POPULATION_SD * math.sqrt(DOMAIN_CORRELATION)
_RESIDUAL_VAR = POPULATION_SD**2 * (1.0 - DOMAIN_CORRELATION)


def _normalised(values: Sequence[float]) -> tuple[float, ...]:
    total = math.fsum(values)
    return tuple(v / total for v in values)


_G_PRIOR: tuple[float, ...] = _normalised([math.exp(-0.5 * g * g) for g in G_GRID])
# _KERNEL[j][i] = p(θ_i | g_j), each row normalised on the θ grid.
_KERNEL: tuple[tuple[float, ...], ...] = tuple(
    _normalised(
        [
            math.exp(-((t - POPULATION_MEAN - _LOADING * g) ** 2) / (2.0 * _RESIDUAL_VAR))
            for t in THETA_GRID
        ]
    )
    for g in G_GRID
)
_KERNEL_T: tuple[tuple[float, ...], ...] = tuple(zip(*_KERNEL, strict=True))
# Conditional mean and variance of θ given g under the prior alone (domains without answers).
_KERNEL_MEAN: tuple[float, ...] = tuple(sum(map(mul, row, THETA_GRID)) for row in _KERNEL)
_KERNEL_VAR: tuple[float, ...] = tuple(
    sum(map(mul, row, _THETA_SQ)) - m * m for row, m in zip(_KERNEL, _KERNEL_MEAN, strict=True)
)
_ONES_G: tuple[float, ...] = (1.0,) * len(G_GRID)


@lru_cache(maxsize=8192)
def _curve(a: float, b: float, correct: bool) -> tuple[float, ...]:
    """Likelihood of one answer on the θ grid."""
    if correct:
        return tuple(probability(t, a, b) for t in THETA_GRID)
    return tuple(1.0 - probability(t, a, b) for t in THETA_GRID)


# --------------------------------------------------------------------------------------------
# Parsing answers


@dataclass(frozen=True)
class _Parsed:
    items: tuple[ItemLike, ...]
    answered: tuple[tuple[ItemLike, bool], ...]
    answered_ids: frozenset[str]
    counts: Mapping[str, int]
    available: Mapping[str, int]


def _parse(bank_items: Sequence[ItemLike], answers: Sequence[Answer]) -> _Parsed:
    index: dict[str, ItemLike] = {}
    for item in bank_items:
        if item.domain not in DOMAINS:
            raise ValueError(f"item {item.id!r} has unknown domain {item.domain!r}")
        if item.id in index:
            raise ValueError(f"duplicate item id {item.id!r} in the bank")
        index[item.id] = item
    seen: set[str] = set()
    answered: list[tuple[ItemLike, bool]] = []
    counts = dict.fromkeys(DOMAINS, 0)
    for item_id, outcome in answers:
        if item_id in seen:
            continue
        item = index.get(item_id)
        if item is None:
            raise ValueError(f"answer to unknown item {item_id!r}")
        seen.add(item_id)
        answered.append((item, outcome is not None and bool(outcome)))
        counts[item.domain] += 1
    available = dict.fromkeys(DOMAINS, 0)
    for item in bank_items:
        if item.id not in seen:
            available[item.domain] += 1
    return _Parsed(tuple(bank_items), tuple(answered), frozenset(seen), counts, available)


# --------------------------------------------------------------------------------------------
# Posterior


@dataclass(frozen=True)
class DomainEstimate:
    """Posterior summary for one domain (foundation included).

    ``confidence`` is the posterior probability that θ lies on the same side of the nearest
    band cut as ``theta`` (for the foundation: of the cut -1); ``needs_items`` says whether the
    stopping rule wants more items in this domain.
    """

    domain: str
    theta: float
    sd: float
    n_items: int
    confidence: float
    needs_items: bool


@dataclass(frozen=True)
class Estimates:
    """All posterior summaries: per domain (foundation included) and overall.

    ``below_cuts`` holds ``P(overall θ < c)`` for each cut c of :data:`BAND_CUTS`;
    ``basics_probability`` is ``P(overall θ < -1)``; ``band_probability`` the probability that
    the overall θ lies in the band of ``overall_theta``; ``confident`` says whether both overall
    decisions meet the stopping rule.
    """

    domains: Mapping[str, DomainEstimate]
    overall_theta: float
    overall_sd: float
    below_cuts: tuple[float, ...]
    basics_probability: float
    band_probability: float
    confident: bool
    n_answers: int
    finished: bool


@dataclass(frozen=True)
class _Evidence:
    """One domain's answers, for every point g_j of the g grid: the normaliser
    ``M(g_j) = Σ_i L(θ_i) p(θ_i | g_j)``, the conditional mean and variance of θ given g_j and
    the answers, and ``P(θ < c | g_j, answers)`` for each band cut c. ``likelihood`` is the
    likelihood on the θ grid, scaled to a maximum of 1."""

    likelihood: tuple[float, ...]
    norm: tuple[float, ...]
    mean: tuple[float, ...]
    var: tuple[float, ...]
    below: tuple[tuple[float, ...], ...]  # below[c][j], c indexing BAND_CUTS


def _cut_index(cut: float) -> tuple[int, bool]:
    """Number of grid points below ``cut``, and whether a grid point lies on it (that point's
    cell straddles the cut and counts half on each side)."""
    below = sum(1 for t in THETA_GRID if t < cut - 1e-9)
    on = below < len(THETA_GRID) and abs(THETA_GRID[below] - cut) < 1e-9
    return below, on


_CUT_INDEX: tuple[tuple[int, bool], ...] = tuple(_cut_index(c) for c in BAND_CUTS)


def _summarise(likelihood: tuple[float, ...]) -> _Evidence:
    norm: list[float] = []
    mean: list[float] = []
    var: list[float] = []
    below: list[list[float]] = [[] for _ in BAND_CUTS]
    for row in _KERNEL:
        joint = list(map(mul, row, likelihood))
        m0 = sum(joint)
        m1 = sum(map(mul, joint, THETA_GRID)) / m0
        norm.append(m0)
        mean.append(m1)
        var.append(max(sum(map(mul, joint, _THETA_SQ)) / m0 - m1 * m1, 0.0))
        for c, (k, on) in enumerate(_CUT_INDEX):
            below[c].append((sum(joint[:k]) + (0.5 * joint[k] if on else 0.0)) / m0)
    return _Evidence(
        likelihood, tuple(norm), tuple(mean), tuple(var), tuple(tuple(b) for b in below)
    )


@lru_cache(maxsize=4096)
def _evidence(key: tuple[tuple[float, float, bool], ...]) -> _Evidence:
    """Evidence of one domain's answers (sorted (a, b, right) triples). Cached: during a test
    only one domain changes between two questions."""
    lik = list(_curve(*key[0]))
    for a, b, correct in key[1:]:
        lik = list(map(mul, lik, _curve(a, b, correct)))
    peak = max(lik)
    return _summarise(tuple(v / peak for v in lik))


_PRIOR_EVIDENCE = _summarise((1.0,) * len(THETA_GRID))


@dataclass(frozen=True)
class _Posterior:
    parsed: _Parsed
    g_post: tuple[float, ...]
    evidence: Mapping[str, _Evidence]
    answered_domains: frozenset[str]


def _posterior(parsed: _Parsed) -> _Posterior:
    keys: dict[str, list[tuple[float, float, bool]]] = {}
    for item, correct in parsed.answered:
        keys.setdefault(item.domain, []).append((float(item.a), float(item.b), correct))
    evidence = dict.fromkeys(DOMAINS, _PRIOR_EVIDENCE)
    g_post = list(_G_PRIOR)
    for domain, triples in keys.items():
        ev = _evidence(tuple(sorted(triples)))
        evidence[domain] = ev
        g_post = list(map(mul, g_post, ev.norm))
    total = math.fsum(g_post)
    return _Posterior(
        parsed,
        tuple(v / total for v in g_post),
        MappingProxyType(evidence),
        frozenset(keys),
    )


def _marginal(post: _Posterior, domain: str) -> list[float]:
    """Posterior of θ_domain on the θ grid: Σ_j p(g_j | all) L(θ) p(θ | g_j) / M(g_j)."""
    ev = post.evidence[domain]
    coef = [w / m for w, m in zip(post.g_post, ev.norm, strict=True)]
    mix = [sum(map(mul, col, coef)) for col in _KERNEL_T]
    weights = list(map(mul, mix, ev.likelihood))
    total = math.fsum(weights)
    return [v / total for v in weights]


def _domain_moments(post: _Posterior, domain: str) -> tuple[float, float]:
    """EAP and posterior sd of θ_domain (law of total variance over g)."""
    ev, w = post.evidence[domain], post.g_post
    mean = sum(map(mul, w, ev.mean))
    second = sum(map(mul, w, ev.var)) + sum(map(mul, w, map(mul, ev.mean, ev.mean)))
    return mean, math.sqrt(max(second - mean * mean, 0.0))


def _domain_below(post: _Posterior, domain: str, cut: float) -> float:
    """Posterior probability that θ_domain < ``cut`` (a band cut)."""
    return sum(map(mul, post.g_post, post.evidence[domain].below[BAND_CUTS.index(cut)]))


def _confidence(post: _Posterior, domain: str, theta: float, cuts: Sequence[float]) -> float:
    """Posterior probability that θ_domain is on the same side of the nearest cut as ``theta``."""
    cut = min(cuts, key=lambda c: abs(theta - c))
    below = _domain_below(post, domain, cut)
    return 1.0 - below if theta >= cut else below


@dataclass(frozen=True)
class _Overall:
    theta: float
    sd: float
    below: tuple[float, ...]  # P(overall θ < cut) for each cut of BAND_CUTS
    band_probability: float
    confident: bool
    # Posterior variance of each scored domain and its covariance with the overall θ.
    var: Mapping[str, float]
    cov: Mapping[str, float]


def _overall(post: _Posterior) -> _Overall:
    """Posterior of the overall θ (mean of the five scored abilities).

    Given g the domains are independent, so the overall θ has conditional mean Σ m_d / 5 and
    variance Σ v_d / 25; it is taken as normal given g, which makes its posterior a mixture of
    normals over the g grid. Also returns the domain variances and their covariances with the
    overall θ (law of total covariance over g), used to choose the next domain.
    """
    k = len(SCORED_DOMAINS)
    w = post.g_post
    evs = [post.evidence[d] for d in SCORED_DOMAINS]
    means = [sum(map(mul, w, ev.mean)) for ev in evs]
    o_mean = [math.fsum(col) / k for col in zip(*(ev.mean for ev in evs), strict=True)]
    o_var = [math.fsum(col) / (k * k) for col in zip(*(ev.var for ev in evs), strict=True)]
    theta = math.fsum(means) / k
    o_centred = [m - theta for m in o_mean]
    var_total = sum(map(mul, w, o_var)) + sum(map(mul, w, map(mul, o_centred, o_centred)))
    live = [
        (wj, mj, math.sqrt(vj)) for wj, mj, vj in zip(w, o_mean, o_var, strict=True) if wj > 1e-12
    ]
    below = tuple(
        math.fsum(wj * _normal_cdf((cut - mj) / sj) for wj, mj, sj in live) for cut in BAND_CUTS
    )
    b = band(theta)
    upper = below[b] if b < len(BAND_CUTS) else 1.0
    lower = below[b - 1] if b > 0 else 0.0
    band_probability = upper - lower
    p_basics = below[BAND_CUTS.index(BASICS_CUT)]
    routing_confident = p_basics >= BASICS_CONFIDENCE or p_basics <= 1.0 - PASS_CONFIDENCE
    top_checked = b != len(BAND_CUTS) - 1 or 1.0 - upper <= TOP_BAND_DOUBT
    confident = routing_confident and band_probability >= BAND_CONFIDENCE and top_checked

    var: dict[str, float] = {}
    cov: dict[str, float] = {}
    for d, ev, mean_d in zip(SCORED_DOMAINS, evs, means, strict=True):
        within = sum(map(mul, w, ev.var))
        wc = [wj * (m - mean_d) for wj, m in zip(w, ev.mean, strict=True)]
        var[d] = within + sum(map(mul, wc, ev.mean))
        # Cov(θ_d, mean of the θ_k) = E[Var(θ_d | g)] / k + Cov(E[θ_d | g], E[overall | g])
        cov[d] = within / k + sum(map(mul, wc, o_centred))
    return _Overall(
        theta,
        math.sqrt(max(var_total, 0.0)),
        below,
        band_probability,
        confident,
        MappingProxyType(var),
        MappingProxyType(cov),
    )


def _foundation_open(parsed: _Parsed, post: _Posterior) -> bool:
    """Whether the next question is a foundation one (the foundation phase)."""
    if any(parsed.counts[d] for d in SCORED_DOMAINS) or parsed.available[FOUNDATION] == 0:
        return False
    n = parsed.counts[FOUNDATION]
    if n < MIN_FOUNDATION_ITEMS:
        return True
    return n < MAX_FOUNDATION_ITEMS and (
        _domain_below(post, FOUNDATION, BASICS_CUT) >= FOUNDATION_DOUBT
    )


@dataclass(frozen=True)
class _State:
    post: _Posterior
    overall: _Overall
    domains: Mapping[str, DomainEstimate]
    finished: bool


def _state(parsed: _Parsed) -> _State:
    post = _posterior(parsed)
    overall = _overall(post)
    foundation_open = _foundation_open(parsed, post)
    minimums_met = not foundation_open and all(
        parsed.counts[d] >= MIN_ITEMS_PER_DOMAIN or parsed.available[d] == 0 for d in SCORED_DOMAINS
    )
    stop_decided = minimums_met and overall.confident
    out: dict[str, DomainEstimate] = {}
    for domain in DOMAINS:
        theta, sd = _domain_moments(post, domain)
        cuts = FOUNDATION_CUTS if domain == FOUNDATION else BAND_CUTS
        conf = _confidence(post, domain, theta, cuts)
        n = parsed.counts[domain]
        if domain == FOUNDATION:
            needs = foundation_open
        elif parsed.available[domain] == 0 or n >= MAX_ITEMS_PER_DOMAIN:
            needs = False
        elif n < MIN_ITEMS_PER_DOMAIN:
            needs = True
        else:
            needs = not stop_decided
        out[domain] = DomainEstimate(domain, theta, sd, n, conf, needs)
    finished = len(parsed.answered) >= MAX_TOTAL_ITEMS or not any(
        d.needs_items for d in out.values()
    )
    return _State(post, overall, MappingProxyType(out), finished)


def _estimates(state: _State, parsed: _Parsed) -> Estimates:
    o = state.overall
    return Estimates(
        domains=state.domains,
        overall_theta=o.theta,
        overall_sd=o.sd,
        below_cuts=o.below,
        basics_probability=o.below[BAND_CUTS.index(BASICS_CUT)],
        band_probability=o.band_probability,
        confident=o.confident,
        n_answers=len(parsed.answered),
        finished=state.finished,
    )


def estimate(bank_items: Sequence[ItemLike], answers: Sequence[Answer]) -> Estimates:
    """Posterior summaries (EAP, sd, stopping state) for every domain and the overall θ."""
    parsed = _parse(bank_items, answers)
    return _estimates(_state(parsed), parsed)


def is_finished(bank_items: Sequence[ItemLike], answers: Sequence[Answer]) -> bool:
    """True when the test is over (decisions confident, limits reached, or 18 questions)."""
    return _state(_parse(bank_items, answers)).finished


# --------------------------------------------------------------------------------------------
# Next item


def _next_domain(state: _State) -> str | None:
    if state.finished:
        return None
    if state.domains[FOUNDATION].needs_items:
        return FOUNDATION
    candidates = [state.domains[d] for d in SCORED_DOMAINS if state.domains[d].needs_items]
    if not candidates:
        return None
    below_min = [d for d in candidates if d.n_items < MIN_ITEMS_PER_DOMAIN]
    pool = below_min or candidates
    parsed, o = state.post.parsed, state.overall
    unanswered: dict[str, list[ItemLike]] = {d.domain: [] for d in pool}
    for it in parsed.items:
        if it.domain in unanswered and it.id not in parsed.answered_ids:
            unanswered[it.domain].append(it)

    def gain(d: DomainEstimate) -> float:
        info = max(
            (fisher_information(d.theta, it.a, it.b) for it in unanswered[d.domain]),
            default=0.0,
        )
        return o.cov[d.domain] ** 2 * info / (1.0 + info * o.var[d.domain])

    # max() keeps the first of equal keys, so ties go to the earlier domain in DOMAINS.
    return max(pool, key=lambda d: round(gain(d), 12)).domain


def next_item(
    bank_items: Sequence[ItemT], answers: Sequence[Answer], seed: int | str
) -> ItemT | None:
    """The next item to ask, or None when the test is over.

    Deterministic: the same bank, answers and seed give the same item (randomesque choice among
    the 3 best, seeded with ``seed`` and the number of answers). Never returns an answered item.
    """
    parsed = _parse(bank_items, answers)
    return _next_item(bank_items, parsed, _state(parsed), seed)


def _next_item(
    bank_items: Sequence[ItemT], parsed: _Parsed, state: _State, seed: int | str
) -> ItemT | None:
    domain = _next_domain(state)
    if domain is None:
        return None
    pool = [it for it in bank_items if it.domain == domain and it.id not in parsed.answered_ids]
    est = state.domains[domain]
    if domain == FOUNDATION or est.n_items == 0:
        marginal = _marginal(state.post, domain)

        def score(it: ItemT) -> float:
            predictive = sum(map(mul, marginal, _curve(float(it.a), float(it.b), True)))
            return -abs(predictive - START_P_CORRECT)

    else:
        theta = est.theta

        def score(it: ItemT) -> float:
            return fisher_information(theta, it.a, it.b)

    ranked = sorted(pool, key=lambda it: (-round(score(it), 12), it.id))
    best = ranked[:RANDOMESQUE_K]
    # Exposure control, not security: a reproducible generator is what we want here.
    rng = random.Random(f"{seed}:{len(parsed.answered)}")
    return best[rng.randrange(len(best))]


# --------------------------------------------------------------------------------------------
# Help offer


def should_offer_help(bank_items: Sequence[ItemLike], answers: Sequence[Answer]) -> bool:
    """True when the person seems to struggle from the start.

    Rule: the first two foundation answers are both wrong or "Je ne sais pas", or at least 3 of
    the first 4 answers are. The web app then kindly offers to continue with someone's help or to
    see the results now (``result()`` works on a partial test). The rule only looks at the first
    answers, so once True it stays True: to show the offer once, the app can show it when
    ``should_offer_help(answers)`` is True and ``should_offer_help(answers[:-1])`` is False, or
    remember that it was shown.
    """
    return _struggles(_parse(bank_items, answers))


def _struggles(parsed: _Parsed) -> bool:
    foundation = [ok for item, ok in parsed.answered if item.domain == FOUNDATION][:2]
    if len(foundation) == 2 and not any(foundation):
        return True
    first = [ok for _, ok in parsed.answered[:4]]
    return sum(1 for ok in first if not ok) >= 3


# --------------------------------------------------------------------------------------------
# Progress


def _decisions_confident(theta: float, sd: float) -> bool:
    """The stopping conditions on the overall decisions, for a normal posterior N(θ, sd²)."""
    p_basics = _normal_cdf((BASICS_CUT - theta) / sd)
    b = band(theta)
    upper = _normal_cdf((BAND_CUTS[b] - theta) / sd) if b < len(BAND_CUTS) else 1.0
    lower = _normal_cdf((BAND_CUTS[b - 1] - theta) / sd) if b > 0 else 0.0
    routing = p_basics >= BASICS_CONFIDENCE or p_basics <= 1.0 - PASS_CONFIDENCE
    top_checked = b != len(BAND_CUTS) - 1 or 1.0 - upper <= TOP_BAND_DOUBT
    return routing and upper - lower >= BAND_CONFIDENCE and top_checked


def _normal_quantile(p: float) -> float:
    """Inverse of the standard normal cdf by bisection (only used at import)."""
    low, high = -10.0, 10.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        if _normal_cdf(mid) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


_SPREAD: tuple[float, ...] = tuple(_normal_quantile((k + 0.5) / 7) for k in range(7))


def _needed_sd(theta: float) -> float:
    """Largest posterior sd at which the overall decisions would be confident at ``theta``
    (bisection; the conditions only get easier as the sd shrinks). At least 0.05."""
    low, high = 0.05, 2.0
    if _decisions_confident(theta, high):
        return high
    for _ in range(30):
        mid = 0.5 * (low + high)
        if _decisions_confident(theta, mid):
            low = mid
        else:
            high = mid
    return low


def expected_length(bank_items: Sequence[ItemLike], answers: Sequence[Answer]) -> int:
    """Cheap estimate of the total number of questions, for "Question 4 — environ 11 au total".

    Follows the stopping rule. For a few values t of the overall θ spread over its current
    posterior (7 equally likely points of a normal with its mean and sd): the items the overall
    decisions would still need if the estimate settled at t (the largest posterior sd at which
    the stopping conditions hold at t, each further item bringing about
    :data:`INFO_PER_ITEM` of information about the overall θ), at least the items still owed
    to the minimums (foundation phase included) and at most what the cap leaves; averaged over
    the points, plus the answers so far. At least answers + 1 while the test runs; equal to
    the answers when it is over.
    """
    parsed = _parse(bank_items, answers)
    return _expected_length(parsed, _state(parsed))


def _expected_length(parsed: _Parsed, state: _State) -> int:
    n = len(parsed.answered)
    if state.finished:
        return n
    owed = 0
    for domain in DOMAINS:
        d = state.domains[domain]
        if d.needs_items:
            owed += max(_min_items(domain) - d.n_items, 1 if domain == FOUNDATION else 0)
    room = MAX_TOTAL_ITEMS - n
    o = state.overall
    precision = 1.0 / max(o.sd, 1e-6) ** 2
    remaining = []
    for z in _SPREAD:
        needed = _needed_sd(o.theta + z * o.sd)
        extra = max(1.0 / needed**2 - precision, 0.0) / INFO_PER_ITEM
        remaining.append(min(float(room), max(float(owed), extra, 1.0)))
    return max(n + 1, min(MAX_TOTAL_ITEMS, round(n + math.fsum(remaining) / len(remaining))))


# --------------------------------------------------------------------------------------------
# Step: everything a question page needs, from one computation of the posterior


@dataclass(frozen=True)
class Step(Generic[ItemT]):
    """Where a test stands after some answers: the same values as :func:`next_item`,
    :func:`expected_length` and :func:`should_offer_help`, for the cost of one of them."""

    next_item: ItemT | None
    expected_length: int
    struggles: bool

    @property
    def finished(self) -> bool:
        return self.next_item is None


def step(bank_items: Sequence[ItemT], answers: Sequence[Answer], seed: int | str) -> Step[ItemT]:
    """The next item, the expected length and the help rule, computing the posterior once."""
    parsed = _parse(bank_items, answers)
    state = _state(parsed)
    return Step(
        next_item=_next_item(bank_items, parsed, state, seed),
        expected_length=_expected_length(parsed, state),
        struggles=_struggles(parsed),
    )


# --------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True)
class DomainResult:
    """Result for one domain: EAP θ, posterior sd, band 0..3 and number of items answered."""

    domain: str
    theta: float
    sd: float
    band: int
    n_items: int


@dataclass(frozen=True)
class AssessmentResult:
    """What the results page and the journeys need; stored with ``engine_version``.

    ``needs_basics`` is the routing decision: ``basics_probability`` (= P(overall θ < -1))
    at least :data:`BASICS_THRESHOLD` (0.3). It can therefore be True for someone whose overall
    estimate is just above -1 (band "Premiers pas"): the basics are offered when they are
    likely enough to help. ``overall_band_probability`` is the probability that the overall θ
    lies in ``overall_band``.
    """

    domains: Mapping[str, DomainResult]
    foundation: DomainResult
    overall_theta: float
    overall_sd: float
    overall_band: int
    needs_basics: bool
    n_answers: int
    complete: bool
    engine_version: str
    basics_probability: float
    overall_band_probability: float


def result(bank_items: Sequence[ItemLike], answers: Sequence[Answer]) -> AssessmentResult:
    """Bands and estimates per scored domain and overall; works on a partial test too."""
    parsed = _parse(bank_items, answers)
    state = _state(parsed)
    o = state.overall
    p_basics = o.below[BAND_CUTS.index(BASICS_CUT)]

    def to_result(d: DomainEstimate) -> DomainResult:
        return DomainResult(d.domain, d.theta, d.sd, band(d.theta), d.n_items)

    return AssessmentResult(
        domains=MappingProxyType({d: to_result(state.domains[d]) for d in SCORED_DOMAINS}),
        foundation=to_result(state.domains[FOUNDATION]),
        overall_theta=o.theta,
        overall_sd=o.sd,
        overall_band=band(o.theta),
        needs_basics=p_basics >= BASICS_THRESHOLD,
        n_answers=len(parsed.answered),
        complete=state.finished,
        engine_version=ENGINE_VERSION,
        basics_probability=p_basics,
        overall_band_probability=o.band_probability,
    )
