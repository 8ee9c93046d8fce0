"""Adaptive test engine, version 3: item model, ability estimates, next item, stopping, bands.

Pure Python (standard library only), no Flask, no database. Every public function is a pure
function of the bank's items, the answers, a seed and the population model, so the web app
(through app/assessment/service.py) and the simulation (bench/simulate.py) run the same code.
How it works, and why each number is what it is: docs/engine.md.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import mul
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from .domains import DOMAINS, FOUNDATION, SCORED_DOMAINS

__all__ = [
    "BAND_CONFIDENCE",
    "BAND_CUTS",
    "BASICS_CUT",
    "BASICS_THRESHOLD",
    "DEFAULT_POPULATION",
    "DOMAINS",
    "DOMAIN_SURE",
    "ENGINE_VERSION",
    "FOUNDATION",
    "MAX_FOUNDATION_ITEMS",
    "MAX_ITEMS_PER_DOMAIN",
    "MAX_PILOT_ITEMS",
    "MAX_TOTAL_ITEMS",
    "MIN_FOUNDATION_ITEMS",
    "MIN_ITEMS_PER_DOMAIN",
    "SCORED_DOMAINS",
    "Answer",
    "AssessmentResult",
    "DomainEstimate",
    "DomainResult",
    "Estimates",
    "ItemLike",
    "Population",
    "Step",
    "answer_likelihood",
    "band",
    "discrimination",
    "domain_posteriors",
    "estimate",
    "expected_length",
    "fisher_information",
    "is_finished",
    "next_item",
    "pilot_plan",
    "probability",
    "result",
    "should_offer_help",
    "step",
]

ENGINE_VERSION = "3"

BAND_CUTS: tuple[float, float, float] = (-1.0, 0.0, 1.0)
BASICS_CUT = -1.0

# Item model: P(right) = c + (1 - c - SLIP) / (1 + exp(-a (θ - b))); c is the item's own
# lower asymptote (a guess among its options), SLIP the chance that someone who can do the
# task still answers wrong (a slip of the finger, a misread word).
SLIP = 0.03
# Values set by hand are guesses: the engine takes an author's discrimination as overstated by
# this factor and an author's difficulty as off by this much (sd; 0.4 on average), and flattens
# the item's curve accordingly (see discrimination()). Calibrated values carry their own error.
AUTHOR_A_TRUST = 0.85
AUTHOR_B_SD = 0.5
# The routing is decided under a prior moved this fraction of the way from the population's mean
# to the cut -1 (1: centred on the cut, so that the prior cannot push anyone across it).
ROUTING_PRIOR_SHIFT = 0.5

MIN_FOUNDATION_ITEMS = 2
MAX_FOUNDATION_ITEMS = 3
MIN_ITEMS_PER_DOMAIN = 1  # scored domains, before the routing can be decided
MAX_ITEMS_PER_DOMAIN = 4  # scored domains
MAX_TOTAL_ITEMS = 18  # every question the person sees, pilot items included
MAX_PILOT_ITEMS = 2
PILOT_POSITIONS: tuple[int, ...] = tuple(range(3, 13))  # 1-based positions a pilot may take
LAST_PILOT_POSITION = PILOT_POSITIONS[-1]  # a pilot never makes a test longer than this

BASICS_THRESHOLD = 0.25  # needs_basics when P(overall θ < -1) is at least this
ROUTED_CONFIDENCE = 0.65  # routing decided "basics" when P(overall θ < -1) is at least this
PASSED_CONFIDENCE = 0.95  # routing decided "no basics" when P(overall θ ≥ -1) is at least this
BAND_CONFIDENCE = 0.4  # the profile stops when P(overall θ in the reported band) is this
TOP_BAND_DOUBT = 0.2  # and, to report "Autonome", P(overall θ ≥ +1) at most this
DOMAIN_SURE = 0.6  # a domain band is shown as sure when it is at least this likely
START_P_CORRECT = 0.7
RANDOMESQUE_K = 3
INTERVAL = 0.95

# Used only by expected_length(): information about the overall θ that one more item brings
# on average (a rough figure for this bank; the page says "environ").
INFO_PER_ITEM = 0.4

Answer = tuple[str, bool | None]


class ItemLike(Protocol):
    """What the engine needs from an item of the bank.

    ``c`` is the lower asymptote (the chance of a right answer by guessing); ``pilot`` says
    that the item still gathers answers for calibration (it may be asked unscored);
    ``a_estimated`` that ``a`` comes from a calibration, not from the author; ``b_se`` is the
    standard error of a calibrated ``b`` (None for the author's value).
    """

    @property
    def id(self) -> str: ...

    @property
    def domain(self) -> str: ...

    @property
    def a(self) -> float: ...

    @property
    def b(self) -> float: ...

    @property
    def c(self) -> float: ...

    @property
    def pilot(self) -> bool: ...

    @property
    def a_estimated(self) -> bool: ...

    @property
    def b_se(self) -> float | None: ...


ItemT = TypeVar("ItemT", bound=ItemLike)


# --------------------------------------------------------------------------------------------
# Population model


@dataclass(frozen=True)
class Population:
    """The abilities of the people who take the test: mean and sd of every domain's θ, and the
    correlation between any two domains (foundation included). ``robust_df`` is the degrees of
    freedom of the Student t distribution of the general factor (None: normal)."""

    mean: float = -0.5
    sd: float = 1.0
    correlation: float = 0.7
    robust_df: float | None = 5.0

    #: Accepted range of the mean and sd read from a calibration (anything else is ignored).
    MEAN_RANGE = (-2.0, 1.0)
    SD_RANGE = (0.5, 2.0)

    @classmethod
    def from_calibration(cls, header: Mapping[str, Any] | None) -> Population:
        """The population estimated by the last calibration (``population_mean`` and
        ``population_sd`` of calibration.toml), or the default when it has none."""
        default = cls()
        if not header:
            return default
        mean = header.get("population_mean")
        sd = header.get("population_sd")
        if not isinstance(mean, int | float) or not isinstance(sd, int | float):
            return default
        if not (cls.MEAN_RANGE[0] <= mean <= cls.MEAN_RANGE[1]):
            return default
        if not (cls.SD_RANGE[0] <= sd <= cls.SD_RANGE[1]):
            return default
        return cls(mean=round(float(mean), 3), sd=round(float(sd), 3))


DEFAULT_POPULATION = Population()


# --------------------------------------------------------------------------------------------
# Item model


def _logistic(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def probability(theta: float, a: float, b: float, c: float = 0.0) -> float:
    """Probability of a right answer at ability ``theta`` for an item of discrimination ``a``,
    difficulty ``b`` and lower asymptote ``c`` (upper asymptote 1 - SLIP)."""
    return c + (1.0 - c - SLIP) * _logistic(a * (theta - b))


def fisher_information(theta: float, a: float, b: float, c: float = 0.0) -> float:
    """Fisher information of one answer at ``theta`` (four-parameter logistic formula)."""
    top = 1.0 - SLIP
    p = probability(theta, a, b, c)
    return a * a * (p - c) ** 2 * (top - p) ** 2 / ((top - c) ** 2 * p * (1.0 - p))


def discrimination(item: ItemLike) -> float:
    """The discrimination the engine uses for ``item``: the author's times AUTHOR_A_TRUST until
    a calibration estimates it, and lowered for the uncertainty of the difficulty (an error of
    sd s on b averages the curve into one of slope a / √(1 + π a² s² / 8))."""
    a = float(item.a) if item.a_estimated else AUTHOR_A_TRUST * float(item.a)
    sd = AUTHOR_B_SD if item.b_se is None else float(item.b_se)
    return a / math.sqrt(1.0 + math.pi * a * a * sd * sd / 8.0)


def _info(theta: float, item: ItemLike) -> float:
    return fisher_information(theta, discrimination(item), item.b, item.c)


def band(theta: float) -> int:
    """Band 0..3 for ``theta``: cuts at -1, 0, +1, and θ equal to a cut goes up."""
    return sum(1 for cut in BAND_CUTS if theta >= cut)


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


# --------------------------------------------------------------------------------------------
# Grids

THETA_GRID: tuple[float, ...] = tuple(round(-4.5 + 0.1 * i, 10) for i in range(91))
G_GRID: tuple[float, ...] = tuple(round(-4.5 + 0.25 * j, 10) for j in range(37))
_THETA_SQ: tuple[float, ...] = tuple(t * t for t in THETA_GRID)


def _normalised(values: Sequence[float]) -> tuple[float, ...]:
    total = math.fsum(values)
    return tuple(v / total for v in values)


@dataclass(frozen=True, eq=False)
class _Model:
    """The grids for one population: the prior of the general factor g and, for each g, the
    prior of one domain's θ (the kernel)."""

    population: Population
    g_prior: tuple[float, ...]
    routing_prior: tuple[float, ...]  # the g prior moved so that the overall θ centres on -1
    kernel: tuple[tuple[float, ...], ...]  # kernel[j][i] = p(θ_i | g_j)
    kernel_t: tuple[tuple[float, ...], ...]
    prior_evidence: _Evidence = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prior_evidence", _summarise(self, (1.0,) * len(THETA_GRID)))


@lru_cache(maxsize=16)
def _model(population: Population) -> _Model:
    def density(g: float) -> float:
        if population.robust_df is None:
            return math.exp(-0.5 * g * g)
        # Student t with unit variance: the prior pulls less on people far from the mean.
        nu = population.robust_df
        scale = math.sqrt((nu - 2.0) / nu) if nu > 2 else 1.0
        return (1.0 + (g / scale) ** 2 / nu) ** (-(nu + 1) / 2)

    shift = (
        ROUTING_PRIOR_SHIFT
        * (BASICS_CUT - population.mean)
        / (population.sd * math.sqrt(population.correlation))
    )
    g_prior = _normalised([density(g) for g in G_GRID])
    routing_prior = _normalised([density(g - shift) for g in G_GRID])
    loading = population.sd * math.sqrt(population.correlation)
    residual = population.sd**2 * (1.0 - population.correlation)
    kernel = tuple(
        _normalised(
            [
                math.exp(-((t - population.mean - loading * g) ** 2) / (2.0 * residual))
                for t in THETA_GRID
            ]
        )
        for g in G_GRID
    )
    return _Model(population, g_prior, routing_prior, kernel, tuple(zip(*kernel, strict=True)))


@lru_cache(maxsize=8192)
def _curve(a: float, b: float, c: float, correct: bool) -> tuple[float, ...]:
    """Likelihood of one answer on the θ grid (``a`` as :func:`discrimination` gives it)."""
    if correct:
        return tuple(probability(t, a, b, c) for t in THETA_GRID)
    return tuple(1.0 - probability(t, a, b, c) for t in THETA_GRID)


# --------------------------------------------------------------------------------------------
# Parsing answers, pilot items


@dataclass(frozen=True)
class _Parsed:
    items: tuple[ItemLike, ...]
    answered: tuple[tuple[ItemLike, bool], ...]  # scored answers, in order
    answered_ids: frozenset[str]  # every answered item, pilots included
    pilots: tuple[str, ...]  # this person's pilot items, in the order they are asked
    pilot_positions: tuple[int, ...]
    pilots_answered: tuple[str, ...]
    n_total: int  # every answer, pilots included
    counts: Mapping[str, int]  # scored answers per domain
    available: Mapping[str, int]  # unanswered items per domain that may still be scored


def pilot_plan(
    bank_items: Sequence[ItemLike], seed: int | str
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The pilot items of the test with this seed and their 1-based positions.

    Up to :data:`MAX_PILOT_ITEMS` items drawn at random among the bank's pilot items (those
    still gathering answers), at random positions among :data:`PILOT_POSITIONS`. They are
    never chosen otherwise in that test, and their answers never count.
    """
    candidates = sorted(item.id for item in bank_items if item.pilot)
    # Which items and where: reproducible from the seed, not a secret.
    rng = random.Random(f"{seed}:pilot")  # noqa: S311
    n = min(MAX_PILOT_ITEMS, len(candidates))
    chosen = tuple(rng.sample(candidates, n))
    positions = tuple(sorted(rng.sample(PILOT_POSITIONS, n)))
    return chosen, positions


def _parse(
    bank_items: Sequence[ItemLike], answers: Sequence[Answer], seed: int | str | None
) -> _Parsed:
    items = tuple(bank_items)
    index: dict[str, ItemLike] = {}
    for item in items:
        if item.domain not in DOMAINS:
            raise ValueError(f"item {item.id!r} has unknown domain {item.domain!r}")
        if item.id in index:
            raise ValueError(f"duplicate item id {item.id!r} in the bank")
        index[item.id] = item
    pilots, positions = pilot_plan(items, seed) if seed is not None else ((), ())
    pilot_set = frozenset(pilots)
    seen: set[str] = set()
    answered: list[tuple[ItemLike, bool]] = []
    pilots_answered: list[str] = []
    counts = dict.fromkeys(DOMAINS, 0)
    for item_id, outcome in answers:
        if item_id in seen:
            continue
        item = index.get(item_id)
        if item is None:
            raise ValueError(f"answer to unknown item {item_id!r}")
        seen.add(item_id)
        if item_id in pilot_set:
            pilots_answered.append(item_id)
            continue
        answered.append((item, outcome is not None and bool(outcome)))
        counts[item.domain] += 1
    available = dict.fromkeys(DOMAINS, 0)
    for item in items:
        if item.id not in seen and item.id not in pilot_set:
            available[item.domain] += 1
    return _Parsed(
        items,
        tuple(answered),
        frozenset(seen),
        pilots,
        positions,
        tuple(pilots_answered),
        len(seen),
        MappingProxyType(counts),
        MappingProxyType(available),
    )


# --------------------------------------------------------------------------------------------
# Posterior


@dataclass(frozen=True)
class DomainEstimate:
    """Posterior summary for one domain (foundation included).

    ``band_probability`` is the posterior probability that θ lies in the band of ``theta``
    (for the foundation: on the same side of -1); ``n_items`` counts the scored answers.
    """

    domain: str
    theta: float
    sd: float
    n_items: int
    band_probability: float


@dataclass(frozen=True)
class Estimates:
    """All posterior summaries: per domain (foundation included) and overall.

    ``below_cuts`` holds ``P(overall θ < c)`` for each cut c of :data:`BAND_CUTS`;
    ``basics_probability`` is ``P(overall θ < -1)``; ``band_probability`` the probability that
    the overall θ lies in the band of ``overall_theta``. ``routing_decided`` says that the
    routing is confident (the person may stop and see their results); ``finished`` that the
    test is over.
    """

    domains: Mapping[str, DomainEstimate]
    overall_theta: float
    overall_sd: float
    below_cuts: tuple[float, ...]
    basics_probability: float
    band_probability: float
    routing_decided: bool
    profile_done: bool
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


def _summarise(model: _Model, likelihood: tuple[float, ...]) -> _Evidence:
    norm: list[float] = []
    mean: list[float] = []
    var: list[float] = []
    below: list[list[float]] = [[] for _ in BAND_CUTS]
    for row in model.kernel:
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
def _evidence(model: _Model, key: tuple[tuple[float, float, float, bool], ...]) -> _Evidence:
    """Evidence of one domain's answers (sorted (a, b, c, right) tuples). Cached: during a test
    only one domain changes between two questions."""
    lik = list(_curve(*key[0]))
    for a, b, c, correct in key[1:]:
        lik = list(map(mul, lik, _curve(a, b, c, correct)))
    peak = max(lik)
    return _summarise(model, tuple(v / peak for v in lik))


@dataclass(frozen=True)
class _Posterior:
    model: _Model
    g_post: tuple[float, ...]
    evidence: Mapping[str, _Evidence]
    g_likelihood: tuple[float, ...]  # Π_d M_d(g), scaled

    def with_prior(self, prior: Sequence[float]) -> _Posterior:
        """The same answers under another prior of g."""
        weights = list(map(mul, prior, self.g_likelihood))
        total = math.fsum(weights)
        return replace(self, g_post=tuple(w / total for w in weights))


def _posterior(parsed: _Parsed, model: _Model) -> _Posterior:
    keys: dict[str, list[tuple[float, float, float, bool]]] = {}
    for item, correct in parsed.answered:
        keys.setdefault(item.domain, []).append(
            (discrimination(item), float(item.b), float(item.c), correct)
        )
    evidence = dict.fromkeys(DOMAINS, model.prior_evidence)
    g_lik = [1.0] * len(G_GRID)
    for domain, tuples in keys.items():
        ev = _evidence(model, tuple(sorted(tuples)))
        evidence[domain] = ev
        g_lik = list(map(mul, g_lik, ev.norm))
        peak = max(g_lik)
        g_lik = [v / peak for v in g_lik]
    g_post = list(map(mul, model.g_prior, g_lik))
    total = math.fsum(g_post)
    return _Posterior(
        model, tuple(v / total for v in g_post), MappingProxyType(evidence), tuple(g_lik)
    )


def _marginal(post: _Posterior, domain: str) -> list[float]:
    """Posterior of θ_domain on the θ grid: Σ_j p(g_j | all) L(θ) p(θ | g_j) / M(g_j)."""
    ev = post.evidence[domain]
    coef = [w / m for w, m in zip(post.g_post, ev.norm, strict=True)]
    mix = [sum(map(mul, col, coef)) for col in post.model.kernel_t]
    weights = list(map(mul, mix, ev.likelihood))
    total = math.fsum(weights)
    return [v / total for v in weights]


def _domain_moments(post: _Posterior, domain: str) -> tuple[float, float]:
    """EAP and posterior sd of θ_domain (law of total variance over g)."""
    ev, w = post.evidence[domain], post.g_post
    mean = sum(map(mul, w, ev.mean))
    second = sum(map(mul, w, ev.var)) + sum(map(mul, w, map(mul, ev.mean, ev.mean)))
    return mean, math.sqrt(max(second - mean * mean, 0.0))


def _domain_below(post: _Posterior, domain: str, cut_index: int) -> float:
    """Posterior probability that θ_domain < BAND_CUTS[cut_index]."""
    return sum(map(mul, post.g_post, post.evidence[domain].below[cut_index]))


def _domain_band_probability(post: _Posterior, domain: str, theta: float) -> float:
    """P(θ_domain in the band of ``theta``); for the foundation, P(same side of -1)."""
    if domain == FOUNDATION:
        below = _domain_below(post, domain, BAND_CUTS.index(BASICS_CUT))
        return below if theta < BASICS_CUT else 1.0 - below
    b = band(theta)
    upper = _domain_below(post, domain, b) if b < len(BAND_CUTS) else 1.0
    lower = _domain_below(post, domain, b - 1) if b > 0 else 0.0
    return upper - lower


@dataclass(frozen=True)
class _Overall:
    theta: float
    sd: float
    below: tuple[float, ...]  # P(overall θ < cut) for each cut of BAND_CUTS
    band_probability: float
    # The overall θ's posterior as a mixture of normals over g: weights, means, sds.
    mixture: tuple[tuple[float, float, float], ...]
    # Posterior mean and variance of each domain (foundation included) and its covariance
    # with the overall θ.
    mean: Mapping[str, float]
    var: Mapping[str, float]
    cov: Mapping[str, float]


def _overall(post: _Posterior) -> _Overall:
    """Posterior of the overall θ (mean of the five scored abilities).

    Given g the domains are independent, so the overall θ has conditional mean Σ m_d / 5 and
    variance Σ v_d / 25; it is taken as normal given g, which makes its posterior a mixture of
    normals over the g grid. Also returns each domain's variance and covariance with the
    overall θ (law of total covariance over g), used to choose the next item.
    """
    k = len(SCORED_DOMAINS)
    w = post.g_post
    evs = [post.evidence[d] for d in SCORED_DOMAINS]
    o_mean = [math.fsum(col) / k for col in zip(*(ev.mean for ev in evs), strict=True)]
    o_var = [math.fsum(col) / (k * k) for col in zip(*(ev.var for ev in evs), strict=True)]
    theta = sum(map(mul, w, o_mean))
    o_centred = [m - theta for m in o_mean]
    var_total = sum(map(mul, w, o_var)) + sum(map(mul, w, map(mul, o_centred, o_centred)))
    mixture = tuple(
        (wj, mj, math.sqrt(vj)) for wj, mj, vj in zip(w, o_mean, o_var, strict=True) if wj > 1e-12
    )
    below = tuple(
        math.fsum(wj * _normal_cdf((cut - mj) / sj) for wj, mj, sj in mixture) for cut in BAND_CUTS
    )
    b = band(theta)
    upper = below[b] if b < len(BAND_CUTS) else 1.0
    lower = below[b - 1] if b > 0 else 0.0

    means: dict[str, float] = {}
    var: dict[str, float] = {}
    cov: dict[str, float] = {}
    for d in DOMAINS:
        ev = post.evidence[d]
        mean_d = sum(map(mul, w, ev.mean))
        within = sum(map(mul, w, ev.var))
        wc = [wj * (m - mean_d) for wj, m in zip(w, ev.mean, strict=True)]
        means[d] = mean_d
        var[d] = within + sum(map(mul, wc, ev.mean))
        # Cov(θ_d, mean of the θ_k) = E[Var(θ_d | g)] / k for a scored domain (0 for the
        # foundation, independent of the scored domains given g) + Cov(E[θ_d | g], E[θ̄ | g]).
        cov[d] = (within / k if d != FOUNDATION else 0.0) + sum(map(mul, wc, o_centred))
    return _Overall(
        theta,
        math.sqrt(max(var_total, 0.0)),
        below,
        upper - lower,
        mixture,
        MappingProxyType(means),
        MappingProxyType(var),
        MappingProxyType(cov),
    )


def _mixture_quantile(mixture: Sequence[tuple[float, float, float]], p: float) -> float:
    low, high = THETA_GRID[0] - 2.0, THETA_GRID[-1] + 2.0
    for _ in range(50):
        mid = 0.5 * (low + high)
        if math.fsum(w * _normal_cdf((mid - m) / s) for w, m, s in mixture) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


# --------------------------------------------------------------------------------------------
# Where the test stands


@dataclass(frozen=True)
class _State:
    post: _Posterior
    overall: _Overall
    routing: _Overall  # the overall θ under the routing prior: what the routing is decided on
    domains: Mapping[str, DomainEstimate]
    phase: str  # "start", "routing", "profile", "pilots" (only pilot items left) or "finished"
    routing_decided: bool
    profile_done: bool


def _basics_probability(overall: _Overall) -> float:
    return overall.below[BAND_CUTS.index(BASICS_CUT)]


def _routing_confident(overall: _Overall) -> bool:
    p_basics = _basics_probability(overall)
    return p_basics >= ROUTED_CONFIDENCE or p_basics <= 1.0 - PASSED_CONFIDENCE


def _profile_confident(overall: _Overall) -> bool:
    b = band(overall.theta)
    top_checked = b != len(BAND_CUTS) - 1 or 1.0 - overall.below[b] <= TOP_BAND_DOUBT
    return overall.band_probability >= BAND_CONFIDENCE and top_checked


def _state(parsed: _Parsed, model: _Model) -> _State:
    post = _posterior(parsed, model)
    overall = _overall(post)
    routing = _overall(post.with_prior(model.routing_prior)) if ROUTING_PRIOR_SHIFT else overall
    domains: dict[str, DomainEstimate] = {}
    for domain in DOMAINS:
        theta, sd = _domain_moments(post, domain)
        domains[domain] = DomainEstimate(
            domain,
            theta,
            sd,
            parsed.counts[domain],
            _domain_band_probability(post, domain, theta),
        )
    counts, available = parsed.counts, parsed.available
    minimums_met = all(
        counts[d] >= MIN_ITEMS_PER_DOMAIN or available[d] == 0 for d in SCORED_DOMAINS
    ) and (counts[FOUNDATION] >= MIN_FOUNDATION_ITEMS or available[FOUNDATION] == 0)
    routing_decided = minimums_met and _routing_confident(routing)
    profile_done = routing_decided and _profile_confident(overall)
    room = any(available[d] and counts[d] < MAX_ITEMS_PER_DOMAIN for d in SCORED_DOMAINS) or (
        available[FOUNDATION] and counts[FOUNDATION] < MIN_FOUNDATION_ITEMS
    )
    pilots_pending = any(p not in parsed.answered_ids for p in parsed.pilots)
    if parsed.n_total >= MAX_TOTAL_ITEMS:
        phase = "finished"
    elif profile_done or not room:
        # The pilot items still due come before the end, once the routing is decided.
        pilot_room = parsed.n_total < LAST_PILOT_POSITION
        phase = "pilots" if pilots_pending and routing_decided and pilot_room else "finished"
    elif counts[FOUNDATION] < MIN_FOUNDATION_ITEMS and available[FOUNDATION]:
        phase = "start"
    elif not routing_decided:
        phase = "routing"
    else:
        phase = "profile"
    return _State(
        post, overall, routing, MappingProxyType(domains), phase, routing_decided, profile_done
    )


def _estimates(state: _State, parsed: _Parsed) -> Estimates:
    o = state.overall
    return Estimates(
        domains=state.domains,
        overall_theta=o.theta,
        overall_sd=o.sd,
        below_cuts=o.below,
        basics_probability=_basics_probability(state.routing),
        band_probability=o.band_probability,
        routing_decided=state.routing_decided,
        profile_done=state.profile_done,
        n_answers=parsed.n_total,
        finished=state.phase == "finished",
    )


def estimate(
    bank_items: Sequence[ItemLike],
    answers: Sequence[Answer],
    seed: int | str | None = None,
    *,
    population: Population = DEFAULT_POPULATION,
) -> Estimates:
    """Posterior summaries for every domain and the overall θ, and where the test stands.

    With ``seed``, the answers to that test's pilot items are left out; without, every answer
    counts.
    """
    parsed = _parse(bank_items, answers, seed)
    return _estimates(_state(parsed, _model(population)), parsed)


def domain_posteriors(
    bank_items: Sequence[ItemLike],
    answers: Sequence[Answer],
    seed: int | str | None = None,
    *,
    population: Population = DEFAULT_POPULATION,
) -> Mapping[str, tuple[float, ...]]:
    """The posterior of each domain's θ (foundation included) on :data:`THETA_GRID`."""
    parsed = _parse(bank_items, answers, seed)
    post = _posterior(parsed, _model(population))
    return MappingProxyType({d: tuple(_marginal(post, d)) for d in DOMAINS})


def answer_likelihood(item: ItemLike, correct: bool) -> tuple[float, ...]:
    """The likelihood of one answer to ``item`` on :data:`THETA_GRID` (the engine's model)."""
    return _curve(discrimination(item), float(item.b), float(item.c), correct)


def is_finished(
    bank_items: Sequence[ItemLike],
    answers: Sequence[Answer],
    seed: int | str,
    *,
    population: Population = DEFAULT_POPULATION,
) -> bool:
    """True when the test is over (profile confident, limits reached, or 18 questions)."""
    return _state(_parse(bank_items, answers, seed), _model(population)).phase == "finished"


# --------------------------------------------------------------------------------------------
# Next item


def _pilot_due(parsed: _Parsed, state: _State) -> str | None:
    """The pilot item to ask now: once the routing is decided (a pilot never takes the place
    of a question the routing needs), at its position or later, before the end, and never
    after :data:`LAST_PILOT_POSITION` (a pilot never makes a long test longer)."""
    position = parsed.n_total + 1
    if not state.routing_decided or position > LAST_PILOT_POSITION:
        return None
    for item_id, at in zip(parsed.pilots, parsed.pilot_positions, strict=True):
        if item_id not in parsed.answered_ids and (at <= position or state.phase == "pilots"):
            return item_id
    return None


def _candidates(parsed: _Parsed, domains: Sequence[str]) -> list[ItemLike]:
    pilots = set(parsed.pilots)
    wanted = set(domains)
    return [
        it
        for it in parsed.items
        if it.domain in wanted and it.id not in parsed.answered_ids and it.id not in pilots
    ]


def _randomesque(ranked: Sequence[tuple[float, ItemT]], parsed: _Parsed, seed: int | str) -> ItemT:
    """One of the :data:`RANDOMESQUE_K` best items, at random, in the domain of the best one:
    the domain goes where the information is, and the best items of a domain take turns (the
    best of each domain would otherwise reach nearly everybody, one step or the next)."""
    ordered = sorted(ranked, key=lambda pair: (-round(pair[0], 12), pair[1].id))
    domain = ordered[0][1].domain
    best = [it for _, it in ordered if it.domain == domain][:RANDOMESQUE_K]
    # Exposure control, not security: a reproducible generator is what we want here.
    rng = random.Random(f"{seed}:{parsed.n_total}")  # noqa: S311
    return best[rng.randrange(len(best))]


def _start_item(state: _State, parsed: _Parsed, seed: int | str) -> ItemLike:
    """A foundation item right about 70 % of the time (predictive probability)."""
    marginal = _marginal(state.post, FOUNDATION)

    def score(it: ItemLike) -> float:
        curve = _curve(discrimination(it), float(it.b), float(it.c), True)
        predictive = sum(map(mul, marginal, curve))
        return -abs(predictive - START_P_CORRECT)

    return _randomesque(
        [(score(it), it) for it in _candidates(parsed, (FOUNDATION,))], parsed, seed
    )


def _gain(o: _Overall, domain: str, info: float) -> float:
    """Expected reduction of the overall θ's posterior variance from one answer of Fisher
    information ``info`` about θ_domain (linear-Gaussian approximation)."""
    return o.cov[domain] ** 2 * info / (1.0 + info * o.var[domain])


def _routing_item(state: _State, parsed: _Parsed, seed: int | str) -> ItemLike | None:
    """The item that informs the overall θ most where the decision is made: for each domain,
    at the θ_domain expected when the overall θ is at the cut -1."""
    o, counts = state.overall, parsed.counts
    open_domains = [d for d in SCORED_DOMAINS if counts[d] < MAX_ITEMS_PER_DOMAIN]
    if counts[FOUNDATION] < MAX_FOUNDATION_ITEMS:
        open_domains.append(FOUNDATION)
    missing = [
        d for d in SCORED_DOMAINS if counts[d] < MIN_ITEMS_PER_DOMAIN and parsed.available[d]
    ]
    if missing and _routing_confident(state.routing):
        domains = missing  # the routing waits for one item in every domain
    else:
        # While some scored domain has no item, leave the foundation aside.
        domains = [d for d in open_domains if not missing or d != FOUNDATION]
    var_overall = max(o.sd * o.sd, 1e-9)
    at_cut = {d: o.mean[d] + o.cov[d] / var_overall * (BASICS_CUT - o.theta) for d in DOMAINS}
    ranked = [
        (_gain(o, it.domain, _info(at_cut[it.domain], it)), it)
        for it in _candidates(parsed, domains)
    ]
    return _randomesque(ranked, parsed, seed) if ranked else None


def _profile_item(state: _State, parsed: _Parsed, seed: int | str) -> ItemLike | None:
    """After the routing: the item that shrinks the overall θ's posterior variance most at the
    current estimates (what settles the overall band), in a domain below its maximum."""
    o, counts = state.overall, parsed.counts
    domains = [d for d in SCORED_DOMAINS if counts[d] < MAX_ITEMS_PER_DOMAIN]
    ranked = [
        (_gain(o, it.domain, _info(o.mean[it.domain], it)), it)
        for it in _candidates(parsed, domains)
    ]
    return _randomesque(ranked, parsed, seed) if ranked else None


def _next_item(parsed: _Parsed, state: _State, seed: int | str) -> ItemLike | None:
    if state.phase == "finished":
        return None
    pilot = _pilot_due(parsed, state)
    if pilot is not None:
        return next(it for it in parsed.items if it.id == pilot)
    if state.phase == "start":
        return _start_item(state, parsed, seed)
    if state.phase == "routing":
        return _routing_item(state, parsed, seed)
    return _profile_item(state, parsed, seed)


def next_item(
    bank_items: Sequence[ItemT],
    answers: Sequence[Answer],
    seed: int | str,
    *,
    population: Population = DEFAULT_POPULATION,
) -> ItemT | None:
    """The next item to ask, or None when the test is over.

    Deterministic: the same bank, answers and seed give the same item (randomesque choice among
    the 3 best, seeded with ``seed`` and the number of answers). Never returns an answered item.
    """
    parsed = _parse(bank_items, answers, seed)
    return _next_item(parsed, _state(parsed, _model(population)), seed)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Help offer


def should_offer_help(
    bank_items: Sequence[ItemLike], answers: Sequence[Answer], seed: int | str | None = None
) -> bool:
    """True when the person seems to struggle from the start.

    Rule: the first two foundation answers are both wrong or "Je ne sais pas", or at least 3 of
    the first 4 scored answers are. The web app then kindly offers to continue with someone's
    help or to see the results now (``result()`` works on a partial test). The rule only looks
    at the first answers, so once True it stays True.
    """
    return _struggles(_parse(bank_items, answers, seed))


def _struggles(parsed: _Parsed) -> bool:
    foundation = [ok for item, ok in parsed.answered if item.domain == FOUNDATION][:2]
    if len(foundation) == 2 and not any(foundation):
        return True
    first = [ok for _, ok in parsed.answered[:4]]
    return sum(1 for ok in first if not ok) >= 3


# --------------------------------------------------------------------------------------------
# Progress


def _confident_at(theta: float, sd: float) -> bool:
    """The stopping conditions, for a normal posterior N(θ, sd²)."""
    p_basics = _normal_cdf((BASICS_CUT - theta) / sd)
    b = band(theta)
    upper = _normal_cdf((BAND_CUTS[b] - theta) / sd) if b < len(BAND_CUTS) else 1.0
    lower = _normal_cdf((BAND_CUTS[b - 1] - theta) / sd) if b > 0 else 0.0
    routing = p_basics >= ROUTED_CONFIDENCE or p_basics <= 1.0 - PASSED_CONFIDENCE
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
    """Largest posterior sd at which the stopping conditions would hold at ``theta``
    (bisection; the conditions only get easier as the sd shrinks). At least 0.05."""
    low, high = 0.05, 2.0
    if _confident_at(theta, high):
        return high
    for _ in range(30):
        mid = 0.5 * (low + high)
        if _confident_at(theta, mid):
            low = mid
        else:
            high = mid
    return low


def expected_length(
    bank_items: Sequence[ItemLike],
    answers: Sequence[Answer],
    seed: int | str,
    *,
    population: Population = DEFAULT_POPULATION,
) -> int:
    """Cheap estimate of the total number of questions, for "Question 4 — environ 11 au total".

    For 7 equally likely values t of the overall θ under its current posterior: the items the
    stopping conditions would still need if the estimate settled at t (each item bringing
    :data:`INFO_PER_ITEM` of information about the overall θ), at least the items still owed
    to the minimums and at most what the cap leaves; averaged, plus the answers so far and the
    pilot items still to come before that point. At least answers + 1 while the test runs;
    equal to the answers when it is over.
    """
    parsed = _parse(bank_items, answers, seed)
    return _expected_length(parsed, _state(parsed, _model(population)))


def _expected_length(parsed: _Parsed, state: _State) -> int:
    n = parsed.n_total
    if state.phase == "finished":
        return n
    counts, available = parsed.counts, parsed.available
    owed = sum(max(MIN_ITEMS_PER_DOMAIN - counts[d], 0) for d in SCORED_DOMAINS if available[d]) + (
        max(MIN_FOUNDATION_ITEMS - counts[FOUNDATION], 0) if available[FOUNDATION] else 0
    )
    room = MAX_TOTAL_ITEMS - n
    o = state.overall
    precision = 1.0 / max(o.sd, 1e-6) ** 2
    remaining = []
    for z in _SPREAD:
        needed = _needed_sd(o.theta + z * o.sd)
        extra = max(1.0 / needed**2 - precision, 0.0) / INFO_PER_ITEM
        remaining.append(min(float(room), max(float(owed), extra, 1.0)))
    guess = n + math.fsum(remaining) / len(remaining)
    pilots_ahead = sum(
        1
        for item_id, at in zip(parsed.pilots, parsed.pilot_positions, strict=True)
        if item_id not in parsed.answered_ids and at <= guess < LAST_PILOT_POSITION
    )
    return max(n + 1, min(MAX_TOTAL_ITEMS, round(guess + pilots_ahead)))


# --------------------------------------------------------------------------------------------
# Step: everything a question page needs, from one computation of the posterior


@dataclass(frozen=True)
class Step(Generic[ItemT]):
    """Where a test stands after some answers: the same values as :func:`next_item`,
    :func:`expected_length` and :func:`should_offer_help`, for the cost of one of them, and
    whether the routing is decided (the person may then stop and see their results)."""

    next_item: ItemT | None
    expected_length: int
    struggles: bool
    routing_decided: bool = False

    @property
    def finished(self) -> bool:
        return self.next_item is None


def step(
    bank_items: Sequence[ItemT],
    answers: Sequence[Answer],
    seed: int | str,
    *,
    population: Population = DEFAULT_POPULATION,
) -> Step[ItemT]:
    """The next item, the expected length and the help rule, computing the posterior once."""
    parsed = _parse(bank_items, answers, seed)
    state = _state(parsed, _model(population))
    return Step(
        next_item=_next_item(parsed, state, seed),  # type: ignore[arg-type]
        expected_length=_expected_length(parsed, state),
        struggles=_struggles(parsed),
        routing_decided=state.routing_decided,
    )


# --------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True)
class DomainResult:
    """Result for one domain: EAP θ, posterior sd, band 0..3, the probability that θ lies in
    that band, and the number of scored answers. ``sure`` says that this probability is at
    least :data:`DOMAIN_SURE`; otherwise the band is shown as still to be confirmed."""

    domain: str
    theta: float
    sd: float
    band: int
    n_items: int
    band_probability: float

    @property
    def sure(self) -> bool:
        return self.band_probability >= DOMAIN_SURE


@dataclass(frozen=True)
class AssessmentResult:
    """What the results page and the journeys need; stored with ``engine_version``.

    ``needs_basics`` is the routing decision: ``basics_probability`` (= P(overall θ < -1))
    at least :data:`BASICS_THRESHOLD`. ``overall_low`` and ``overall_high`` bound the 95 %
    interval of the overall θ. ``pilot_items`` are the items asked unscored (their answers
    count for nothing here).
    """

    domains: Mapping[str, DomainResult]
    foundation: DomainResult
    overall_theta: float
    overall_sd: float
    overall_low: float
    overall_high: float
    overall_band: int
    needs_basics: bool
    n_answers: int
    complete: bool
    routing_decided: bool
    engine_version: str
    basics_probability: float
    overall_band_probability: float
    pilot_items: tuple[str, ...] = ()


def result(
    bank_items: Sequence[ItemLike],
    answers: Sequence[Answer],
    seed: int | str | None = None,
    *,
    population: Population = DEFAULT_POPULATION,
) -> AssessmentResult:
    """Bands and estimates per scored domain and overall; works on a partial test too.

    With ``seed``, the answers to that test's pilot items are left out (the same answers with
    any pilot answer changed give the same result).
    """
    parsed = _parse(bank_items, answers, seed)
    state = _state(parsed, _model(population))
    o = state.overall
    p_basics = _basics_probability(state.routing)

    def to_result(d: DomainEstimate) -> DomainResult:
        return DomainResult(d.domain, d.theta, d.sd, band(d.theta), d.n_items, d.band_probability)

    return AssessmentResult(
        domains=MappingProxyType({d: to_result(state.domains[d]) for d in SCORED_DOMAINS}),
        foundation=to_result(state.domains[FOUNDATION]),
        overall_theta=o.theta,
        overall_sd=o.sd,
        overall_low=_mixture_quantile(o.mixture, (1 - INTERVAL) / 2),
        overall_high=_mixture_quantile(o.mixture, (1 + INTERVAL) / 2),
        overall_band=band(o.theta),
        needs_basics=p_basics >= BASICS_THRESHOLD,
        n_answers=parsed.n_total,
        complete=state.phase == "finished",
        routing_decided=state.routing_decided,
        engine_version=ENGINE_VERSION,
        basics_probability=p_basics,
        overall_band_probability=o.band_probability,
        pilot_items=parsed.pilots_answered,
    )
