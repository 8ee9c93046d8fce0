"""Calibration from real use: re-estimate the items' 2PL parameters from stored answers.

Pure Python and numpy: no Flask, no database. ``flask calibrate`` (app/cli.py) reads the Answer
table, calls :func:`calibrate` with ``(person_id, item_id, correct)`` rows and the bank's items,
prints :meth:`CalibrationReport.summary` and, when asked to, writes
``app/content/calibration.toml`` with :func:`write_calibration`. :func:`~app.assessment.bank.
load_bank` then applies that file over the author values and the bank gets a new version.

Data
----
One response is ``(person_key, item_id, correct)``: ``correct`` is True (right), False (wrong)
or None ("Je ne sais pas"), which is scored wrong, as in the engine. Only the first response of a
person to an item counts (later duplicates are counted and ignored); responses to ids that are
not among ``items`` (a retired item) are counted and ignored.

Model
-----
Two-parameter logistic, ``P(right | θ) = 1 / (1 + exp(-a (θ - b)))``. The abilities follow one
of two models, chosen by the (required) argument ``correlation``:

* ``correlation=ρ``, recommended with the engine's ``DOMAIN_CORRELATION``: the engine's own
  model. A person has one ability per domain (``item.domain``; the foundation is one more),
  ``θ_d = √ρ·g + √(1-ρ)·e_d`` with g and e_d independent N(0, 1): each θ_d is N(0, 1) and any
  two correlate ρ. Given g the domains are independent, so the E-step needs a grid for g
  (31 points) and one for θ_d, never a six-dimensional one (the dimension reduction of the
  bifactor model, Gibbons & Hedeker, 1992). Calibrated under the model the engine scores with,
  a and b are on the engine's θ_d scale.
* ``correlation=None``: one θ per person for the whole test (unidimensional). Acceptable when the
  domains correlate highly. When they correlate about 0.7, as the engine assumes, a single θ is
  their general factor: the domain-specific part of each ability acts as noise, so a comes out
  too low (by 20 to 30 % in a simulation of the engine on the real bank, 20 000 people, against
  1 to 2 % with ``correlation=0.7``) and the b's are stretched by about 1/√ρ.

The log-likelihoods of the two models, and of different ρ, are comparable:
:func:`correlation_profile` fits several and returns each, to check the engine's ρ against real
answers (in simulations the highest is at the true ρ, or at None when there is one ability).

Estimation: marginal maximum likelihood by EM (Bock & Aitkin, 1981)
-------------------------------------------------------------------
* θ ~ N(0, 1), integrated on a fixed grid (41 points from -4 to 4, normal weights normalised;
  with a correlation, finer if needed so that the step is at most √(1-ρ)/2, and 31 points for g).
* E-step: each person's posterior on the grid given the current parameters (per domain with a
  correlation); then, for each item and grid point, the expected number of people answering it
  (n_jk) and answering it right (r_jk).
* M-step: for each re-estimated item, Fisher scoring on (log a, b) of
  ``Σ_k r_jk log P_j(θ_k) + (n_jk - r_jk) log(1 - P_j(θ_k))`` plus the log-priors below,
  vectorised over items, with step halving and at most 10 steps per cycle.
* Priors (mild, to keep estimates sane; they are centred on the item's current values a₀, b₀,
  i.e. the author's or the previous calibration's, carried onto the calibration scale by the
  current link): ``log a ~ N(log a₀, 0.5²)`` (a within ×/÷ 1.65 of a₀ at one sd) and
  ``b ~ N(b₀, 1²)``. With 200 answers the data weigh about a hundred times more than the prior
  on b; the priors matter only for items answered (almost) all right or all wrong, and for ``a``
  when the answers barely separate people.
* Bounds: estimates stay in the bank's ranges (a 0.5..2.5, b -3..3, on the final scale); an
  estimate at a bound gets a note.
* Convergence: the largest change of any estimated log a or b, and of the link, between two EM
  cycles is below ``tol`` (1e-4); at most ``max_iter`` (500) cycles, else ``converged`` is False.

Which items are re-estimated
----------------------------
* Fewer than ``min_answers`` (200) answers: "kept", the item's current a and b are unchanged.
* Rasch fallback (a fixed at the item's current value, only b estimated) when the data are thin:
  for every re-estimated item when fewer than ``min_people_2pl`` (500) people answered anything,
  otherwise for an item with ``min_answers`` ≤ n < ``min_answers_2pl`` (500) answers. The reason:
  an adaptive test gives each item mostly to people near its difficulty, which pins down b but
  says little about a (a needs a spread of abilities), so a needs more answers than b.
* Otherwise "2PL": a and b estimated.

Why MML is valid although adaptive data are not a random sample
---------------------------------------------------------------
Which items a person sees depends on their earlier answers (and on the bank and a random seed),
never on their unobserved ability itself nor on answers they did not give. The design is
therefore "missing at random" given the observed answers (Rubin, 1976), and the likelihood
factorises as ``P(answers, design | ξ) = P(design | answers) · ∫ Π P(answer | θ, ξ) φ(θ) dθ``:
the first factor does not involve the item parameters ξ, so maximising the marginal likelihood of
the observed answers alone is consistent (Mislevy & Wu, 1996; Eggen & Verhelst, 2011). The engine
also uses the other domains' answers to choose within a domain: they are in the likelihood too,
since each person's answers are modelled together (one θ, or correlated domain abilities). This
holds for *marginal* likelihood with a correct population model; it does not hold for naive
statistics: the proportion of right answers to an item is close to 0.5-0.7 for every item in an
adaptive test and must not be used to judge difficulty. It also assumes that people who stop
early do so because of what they have answered, not because of what they would have answered
next; the answers given before stopping are used.

Scale and link to the authors' scale
------------------------------------
The EM scale is identified by the N(0, 1) prior: each ability has mean 0 and sd 1 among the people
who took the test. The band cuts at -1/0/+1 were set on the authors' scale, whose meaning is the
tasks of ITEMS.md (θ = 0: attach a CV, spot an obvious scam). The results are carried back to it
by a linear link ``θ_bank = A · θ_EM + B`` (so ``b = A · b̂ + B`` and ``a = â / A``), computed
from the re-estimated items' current difficulties b₀ and their EM estimates b̂:

* ``link="mean"`` (default): ``A = 1``, ``B = mean(b₀) - mean(b̂)``. The average difficulty of the
  re-estimated items stays where the authors put it, so the cuts keep their meaning in tasks,
  while each item's place relative to the others comes from the data. The unit stays the
  people's sd, which the engine's prior also takes as 1 (``POPULATION_SD``). B is then the
  people's mean ability on the bank's scale, to compare with the engine's ``POPULATION_MEAN``.
* ``link="mean-sigma"``: also ``A = sd(b₀) / sd(b̂)``, so the spread of the difficulties is the
  authors' as well and A estimates the people's sd. But the authors' values are guesses, and
  their errors add to the spread of b₀: A comes out too large and every a too small (by 5 to
  10 % in a simulation of the engine with author errors of sd 0.4 on b). For comparison, or when
  the authors' spread is trusted.
* ``link="none"``: the N(0, 1) scale of the people who took the test.

No link can see an error the authors share (every item set 0.5 too easy): it anchors on their
average. Kept items, Rasch items (a fixed on the bank's scale) and the priors' centres follow the
link, which is updated at each EM cycle. With fewer than 8 re-estimated items "mean-sigma" falls
back to "mean".

Standard errors
---------------
From the cross-product of each person's score (the empirical information of the marginal
likelihood) plus the priors' precision, by the delta method on the final scale. They ignore the
error of the link and are rough guides: small means many well-placed answers.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from app.assessment.bank import (
    A_RANGE,
    B_RANGE,
    CALIBRATION_FILE,
    DEFAULT_DIRECTORY,
    parse_calibration,
)

__all__ = [
    "DEFAULT_PATH",
    "DOMAIN_MODEL",
    "LINKS",
    "LINK_MIN_ITEMS",
    "MAX_CORRELATION",
    "MODEL",
    "CalibrationReport",
    "ItemCalibration",
    "calibrate",
    "correlation_profile",
    "format_calibration",
    "responses_from_rows",
    "write_calibration",
]

DEFAULT_PATH = DEFAULT_DIRECTORY / CALIBRATION_FILE
"""Where :func:`load_bank` looks for the calibrated parameters of the default bank."""

MODEL = "unidimensional 2PL, marginal maximum likelihood (EM), N(0,1) prior on θ"
"""Description of the unidimensional model (``correlation=None``), as reported."""
DOMAIN_MODEL = (
    "2PL with correlated domain abilities (one factor, ρ = {correlation:g}), "
    "marginal maximum likelihood (EM), N(0,1) prior on each θ"
)
MAX_CORRELATION = 0.99
LINK_MIN_ITEMS = 8
"""With fewer re-estimated items than this, "mean-sigma" matches the mean of b only (A = 1)."""
LINKS = ("mean", "mean-sigma", "none")

_M_STEPS = 10
_HALVINGS = 10
_SE_CHUNK = 20_000
_EPS = 1e-9

Response = tuple[Hashable, str, bool | None]


class ItemLike(Protocol):
    """What calibration needs from an item (bank Items fit).

    Optional attributes: ``author_a``/``author_b`` (the item file's values, for the report and
    :func:`write_calibration`) and ``domain`` (required with ``correlation``).
    """

    @property
    def id(self) -> str: ...
    @property
    def a(self) -> float: ...
    @property
    def b(self) -> float: ...


@dataclass(frozen=True)
class ItemCalibration:
    """The calibration of one item.

    ``old_a``/``old_b`` are the values the item had in the bank given to :func:`calibrate` (the
    author's, or a previous calibration's); ``author_a``/``author_b`` those of the item file;
    ``new_a``/``new_b`` the result (equal to the old ones for "kept"). ``n`` counts the answers
    used, ``dont_know`` those that were "Je ne sais pas", ``p_right`` the proportion right (None
    without answers; in an adaptive test it says little about difficulty).
    """

    id: str
    method: str  # "2PL", "Rasch" or "kept"
    n: int
    dont_know: int
    p_right: float | None
    old_a: float
    old_b: float
    new_a: float
    new_b: float
    author_a: float
    author_b: float
    se_a: float | None = None
    se_b: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the new values differ from the old ones (at the file's precision)."""
        return round(self.new_a, 3) != round(self.old_a, 3) or round(self.new_b, 3) != round(
            self.old_b, 3
        )

    @property
    def differs_from_author(self) -> bool:
        """True when the new values differ from the item file's (at the file's precision)."""
        return round(self.new_a, 3) != round(self.author_a, 3) or round(self.new_b, 3) != round(
            self.author_b, 3
        )


@dataclass(frozen=True)
class CalibrationReport:
    """Everything :func:`calibrate` found, per item (in the order of ``items``) and overall.

    ``link`` is the link actually used ("mean", "mean-sigma" or "none"); the bank's scale is
    ``θ_bank = link_slope · θ_EM + link_intercept``, so ``link_intercept`` and ``link_slope`` are
    also the mean and sd of the people's ability on the bank's scale (:attr:`population_mean`,
    :attr:`population_sd`; the sd is 1 by construction unless the link is "mean-sigma").
    ``log_likelihood`` is the marginal log-likelihood of the answers at the final estimates
    (priors excluded); ``model`` describes the model, with ``correlation`` (None: one ability).
    """

    items: tuple[ItemCalibration, ...]
    people: int
    answers: int
    ignored: int
    duplicates: int
    iterations: int
    converged: bool
    log_likelihood: float
    link: str
    link_slope: float
    link_intercept: float
    min_answers: int
    min_answers_2pl: int
    min_people_2pl: int
    correlation: float | None = None
    model: str = MODEL

    @property
    def by_id(self) -> Mapping[str, ItemCalibration]:
        return MappingProxyType({item.id: item for item in self.items})

    @property
    def population_mean(self) -> float:
        return self.link_intercept

    @property
    def population_sd(self) -> float:
        return self.link_slope

    @property
    def methods(self) -> Mapping[str, int]:
        """How many items each method got: {"2PL": .., "Rasch": .., "kept": ..}."""
        counts = Counter(item.method for item in self.items)
        return MappingProxyType({m: counts.get(m, 0) for m in ("2PL", "Rasch", "kept")})

    def summary(self, *, all_items: bool = False) -> str:
        """A plain-text report for the command line (re-estimated items only unless asked)."""
        return format_calibration(self, all_items=all_items)


# --------------------------------------------------------------------------- input


def responses_from_rows(rows: Iterable[Any]) -> list[Response]:
    """Responses from database rows or tuples.

    Each row has attributes ``person_id``, ``item_id`` and ``correct`` (an ``Answer`` row or a
    SQLAlchemy ``Row`` of those columns), or is a 3-tuple in that order. ``correct`` must be
    True, False or None; anything else raises ValueError.
    """
    out: list[Response] = []
    for row in rows:
        if hasattr(row, "person_id"):
            key, item_id, correct = row.person_id, row.item_id, row.correct
        else:
            key, item_id, correct = row
        out.append((key, item_id, _outcome(correct, item_id)))
    return out


def _outcome(correct: object, item_id: object) -> bool | None:
    if correct is None or isinstance(correct, bool):
        return correct
    if isinstance(correct, np.bool_):
        return bool(correct)
    raise ValueError(f"{item_id}: 'correct' must be True, False or None, got {correct!r}")


# --------------------------------------------------------------------------- calibration


def calibrate(
    responses: Iterable[Response],
    items: Sequence[ItemLike],
    *,
    correlation: float | None,
    min_answers: int = 200,
    min_answers_2pl: int = 500,
    min_people_2pl: int = 500,
    link: str = "mean",
    prior_log_a_sd: float = 0.5,
    prior_b_sd: float = 1.0,
    grid_points: int = 41,
    grid_limit: float = 4.0,
    tol: float = 1e-4,
    max_iter: int = 500,
) -> CalibrationReport:
    """Re-estimate the items' a and b from responses ``(person_key, item_id, correct)``.

    ``items`` are the bank's items (their current a and b are the starting values, the centres of
    the priors, the values of kept items and the target of the link). ``correlation`` is the
    correlation of the domain abilities (pass the engine's ``DOMAIN_CORRELATION``), or None for
    one ability for the whole test. See the module docstring for the method, the rules and the
    scale. Deterministic: same input, same report.
    """
    if min_answers < 1:
        raise ValueError("min_answers must be at least 1")
    if link not in LINKS:
        raise ValueError(f"unknown link {link!r} (known: {', '.join(LINKS)})")
    if grid_points < 11 or grid_limit <= 0:
        raise ValueError("the grid needs at least 11 points and a positive limit")
    if correlation is not None and not 0.0 < correlation <= MAX_CORRELATION:
        raise ValueError(f"correlation must be in (0, {MAX_CORRELATION}], or None for one ability")
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("an item id is given twice")
    index = {item_id: j for j, item_id in enumerate(ids)}
    old_a = np.array([float(item.a) for item in items])
    old_b = np.array([float(item.b) for item in items])

    if correlation is None:
        groups = np.zeros(len(ids), int)
        model = MODEL
    else:
        domains: dict[str, int] = {}
        try:
            groups = np.array([domains.setdefault(item.domain, len(domains)) for item in items])
        except AttributeError:
            raise ValueError("a correlation needs items with a domain") from None
        # The θ grid must be fine enough for the domain's spread around g, sd √(1 - ρ).
        step = math.sqrt(1.0 - correlation) / 2.0
        grid_points = max(grid_points, math.ceil(2.0 * grid_limit / step) + 1)
        model = DOMAIN_MODEL.format(correlation=correlation)

    data = _Data.read(responses, index)
    n_items = len(ids)
    n = data.answered.sum(axis=0).astype(int) if data.people else np.zeros(n_items, int)

    estimated = n >= min_answers
    thin = data.people < min_people_2pl
    free_a = estimated & (n >= min_answers_2pl) & (not thin)
    methods = np.where(free_a, "2PL", np.where(estimated, "Rasch", "kept"))

    fit = _Fit(
        data=data,
        old_a=old_a,
        old_b=old_b,
        estimated=estimated,
        free_a=free_a,
        link=_link_kind(link, old_b[estimated]),
        prior_log_a_sd=prior_log_a_sd,
        prior_b_sd=prior_b_sd,
        grid=np.linspace(-grid_limit, grid_limit, grid_points),
        groups=groups,
        correlation=correlation,
    )
    iterations, converged = fit.run(tol, max_iter)
    new_a, new_b = fit.final_parameters()
    se_a, se_b = fit.standard_errors() if estimated.any() else ({}, {})

    results = []
    for j, item in enumerate(items):
        author_a = _author(item, "author_a", item.a)
        author_b = _author(item, "author_b", item.b)
        p_right = float(data.right[:, j].sum() / n[j]) if n[j] else None
        method = str(methods[j])
        results.append(
            ItemCalibration(
                id=item.id,
                method=method,
                n=int(n[j]),
                dont_know=data.dont_know.get(j, 0),
                p_right=p_right,
                old_a=float(old_a[j]),
                old_b=float(old_b[j]),
                new_a=float(new_a[j]),
                new_b=float(new_b[j]),
                author_a=author_a,
                author_b=author_b,
                se_a=se_a.get(j),
                se_b=se_b.get(j),
                notes=_notes(method, n[j], p_right, old_a[j], old_b[j], new_a[j], new_b[j]),
            )
        )
    return CalibrationReport(
        items=tuple(results),
        people=data.people,
        answers=int(n.sum()),
        ignored=data.ignored,
        duplicates=data.duplicates,
        iterations=iterations,
        converged=converged,
        log_likelihood=fit.log_likelihood,
        link=fit.link,
        link_slope=fit.slope,
        link_intercept=fit.intercept,
        min_answers=min_answers,
        min_answers_2pl=min_answers_2pl,
        min_people_2pl=min_people_2pl,
        correlation=correlation,
        model=model,
    )


def correlation_profile(
    responses: Iterable[Response],
    items: Sequence[ItemLike],
    candidates: Sequence[float | None] = (0.5, 0.6, 0.7, 0.8, 0.9, None),
    **options: Any,
) -> dict[float | None, float]:
    """The log-likelihood of the answers under each candidate correlation (None: one ability).

    The highest is the correlation the answers support best; compare it with the engine's
    ``DOMAIN_CORRELATION``. ``options`` are passed to :func:`calibrate`. One full calibration
    per candidate: slow on a large table (about as long as a calibration each).
    """
    answers = list(responses)
    return {
        rho: calibrate(answers, items, correlation=rho, **options).log_likelihood
        for rho in candidates
    }


def _author(item: ItemLike, name: str, default: float) -> float:
    value = getattr(item, name, None)
    return float(default if value is None else value)


def _link_kind(link: str, reference_b: np.ndarray) -> str:
    if link == "none" or reference_b.size == 0:
        return "none"
    if (
        link == "mean-sigma"
        and reference_b.size >= LINK_MIN_ITEMS
        and float(np.std(reference_b)) > 0.1
    ):
        return "mean-sigma"
    return "mean"


@dataclass
class _Data:
    """Answers as dense person × item matrices (people in order of first appearance)."""

    answered: np.ndarray  # 1.0 where the person answered the item
    right: np.ndarray  # 1.0 where the answer was right
    people: int
    ignored: int
    duplicates: int
    dont_know: dict[int, int]

    @classmethod
    def read(cls, responses: Iterable[Response], index: Mapping[str, int]) -> _Data:
        people: dict[Hashable, int] = {}
        seen: set[tuple[int, int]] = set()
        rows: list[int] = []
        cols: list[int] = []
        rights: list[bool] = []
        dont_know: Counter[int] = Counter()
        ignored = duplicates = 0
        for person_key, item_id, correct in responses:
            outcome = _outcome(correct, item_id)
            j = index.get(item_id)
            if j is None:
                ignored += 1
                continue
            p = people.setdefault(person_key, len(people))
            if (p, j) in seen:
                duplicates += 1
                continue
            seen.add((p, j))
            rows.append(p)
            cols.append(j)
            rights.append(outcome is True)
            if outcome is None:
                dont_know[j] += 1
        answered = np.zeros((len(people), len(index)))
        right = np.zeros((len(people), len(index)))
        answered[rows, cols] = 1.0
        right[rows, cols] = np.array(rights, dtype=float)
        return cls(answered, right, len(people), ignored, duplicates, dict(dont_know))


class _Fit:
    """The EM fit. Parameters are held on the EM scale (θ ~ N(0, 1)); see the module docstring."""

    def __init__(
        self,
        *,
        data: _Data,
        old_a: np.ndarray,
        old_b: np.ndarray,
        estimated: np.ndarray,
        free_a: np.ndarray,
        link: str,
        prior_log_a_sd: float,
        prior_b_sd: float,
        grid: np.ndarray,
        groups: np.ndarray,
        correlation: float | None,
    ) -> None:
        self.data = data
        self.old_a = old_a
        self.old_b = old_b
        self.est = np.flatnonzero(estimated)
        self.free = np.asarray(free_a, bool)[self.est]  # among the estimated: a estimated too
        self.link = link
        self.s_alpha = prior_log_a_sd
        self.s_b = prior_b_sd
        self.grid = grid
        log_w = -0.5 * grid**2
        self.log_w = log_w - np.logaddexp.reduce(log_w)
        self.slope = 1.0
        self.intercept = 0.0
        # EM-scale parameters of every item (fixed ones are refreshed from the link).
        self.a = old_a.copy()
        self.b = old_b.copy()
        self.log_likelihood = 0.0
        self.wrong = data.answered - data.right
        # Items grouped by ability: one group (unidimensional) or one per domain.
        self.members = [np.flatnonzero(groups == g) for g in range(int(groups.max(initial=0)) + 1)]
        # Per group: positions among the estimated items, and their item indexes.
        self.est_members = [
            (np.flatnonzero(groups[self.est] == g), self.est[groups[self.est] == g])
            for g in range(len(self.members))
        ]
        self.posteriors = [np.full((data.people, grid.size), 1.0 / grid.size)] * len(self.members)
        self.kernel: np.ndarray | None = None
        if correlation is not None:
            # One-factor model: θ_d = √ρ·g + √(1-ρ)·e_d. kernel[m, k] = p(θ_k | g_m) on the grid.
            general = np.linspace(grid[0], grid[-1], 31)
            log_wg = -0.5 * general**2
            self.log_wg = log_wg - np.logaddexp.reduce(log_wg)
            log_kernel = -((grid[None, :] - math.sqrt(correlation) * general[:, None]) ** 2) / (
                2.0 * (1.0 - correlation)
            )
            kernel = np.exp(log_kernel - log_kernel.max(axis=1, keepdims=True))
            self.kernel = kernel / kernel.sum(axis=1, keepdims=True)

    # ------------------------------------------------------------------ scale

    def _follow_link(self) -> None:
        """Kept items, and a of Rasch items, are fixed on the bank's scale: map them to EM."""
        fixed_a = np.ones(self.a.size, bool)
        fixed_a[self.est[self.free]] = False
        fixed_b = np.ones(self.b.size, bool)
        fixed_b[self.est] = False
        self.a[fixed_a] = self.old_a[fixed_a] * self.slope
        self.b[fixed_b] = (self.old_b[fixed_b] - self.intercept) / self.slope

    def _update_link(self) -> None:
        if self.link == "none":
            return
        reference = self.old_b[self.est]
        estimate = self.b[self.est]
        if self.link == "mean-sigma":
            self.slope = float(np.std(reference) / max(float(np.std(estimate)), _EPS))
        self.intercept = float(np.mean(reference) - self.slope * np.mean(estimate))

    def final_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        a = self.a / self.slope
        b = self.slope * self.b + self.intercept
        kept = np.ones(a.size, bool)
        kept[self.est] = False
        a[kept] = self.old_a[kept]  # exactly, not through the link and back
        b[kept] = self.old_b[kept]
        rasch = self.est[~self.free]
        a[rasch] = self.old_a[rasch]
        return np.clip(a, *A_RANGE), np.clip(b, *B_RANGE)

    # ------------------------------------------------------------------ EM

    def run(self, tol: float, max_iter: int) -> tuple[int, bool]:
        self._follow_link()
        if self.est.size == 0 or self.data.people == 0:
            self._e_step()
            return 0, True
        for iteration in range(1, max_iter + 1):
            self._e_step()
            before = np.concatenate([np.log(self.a[self.est]), self.b[self.est]])
            link_before = (self.slope, self.intercept)
            self._m_step()
            self._update_link()
            self._follow_link()
            after = np.concatenate([np.log(self.a[self.est]), self.b[self.est]])
            change = max(
                float(np.max(np.abs(after - before))),
                abs(self.slope - link_before[0]),
                abs(self.intercept - link_before[1]),
            )
            if change < tol:
                self._e_step()
                return iteration, True
        self._e_step()
        return max_iter, False

    def _e_step(self) -> None:
        """Posteriors on the θ grid (one per group of items) and the marginal log-likelihood."""
        z = self.a[:, None] * (self.grid[None, :] - self.b[:, None])
        log_p = -np.logaddexp(0.0, -z)
        log_q = -np.logaddexp(0.0, z)
        people = self.data.people
        if people == 0:
            self.posteriors = [np.zeros((0, self.grid.size)) for _ in self.members]
            self.log_likelihood = 0.0
            return
        log_lik = [
            _product(self.data.right[:, cols], log_p[cols])
            + _product(self.wrong[:, cols], log_q[cols])
            for cols in self.members
        ]
        if self.kernel is None:
            joint = log_lik[0] + self.log_w
            top = joint.max(axis=1, keepdims=True)
            post = np.exp(joint - top)
            total = post.sum(axis=1, keepdims=True)
            self.posteriors = [post / total]
            self.log_likelihood = float(np.sum(top + np.log(total)))
            return
        # Correlated domains: given g the domains are independent, so with
        # M_d(g) = Σ_k L_d(θ_k) p(θ_k | g), p(g | answers) ∝ φ(g) Π_d M_d(g) and
        # p(θ_d | answers) ∝ L_d(θ_d) Σ_g p(g | answers) p(θ_d | g) / M_d(g).
        kernel = self.kernel
        joint_g = np.tile(self.log_wg, (people, 1))
        scale = np.zeros(people)
        parts = []
        for log_l in log_lik:
            top = log_l.max(axis=1)
            lik = np.exp(log_l - top[:, None])
            marginal = np.maximum(_product(lik, kernel.T), 1e-300)
            joint_g += np.log(marginal)
            scale += top
            parts.append((lik, marginal))
        top_g = joint_g.max(axis=1, keepdims=True)
        weights = np.exp(joint_g - top_g)
        total = weights.sum(axis=1, keepdims=True)
        weights /= total
        self.log_likelihood = float(np.sum(top_g[:, 0] + np.log(total[:, 0]) + scale))
        self.posteriors = [lik * _product(weights / marginal, kernel) for lik, marginal in parts]

    def _priors(self) -> tuple[np.ndarray, np.ndarray]:
        """Prior centres on the EM scale: the current values carried by the link."""
        alpha0 = np.log(self.old_a[self.est] * self.slope)
        b0 = (self.old_b[self.est] - self.intercept) / self.slope
        return alpha0, b0

    def _bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Bounds on the EM scale that map to the bank's ranges (the slope is positive)."""
        alpha = (math.log(A_RANGE[0] * self.slope), math.log(A_RANGE[1] * self.slope))
        b = ((B_RANGE[0] - self.intercept) / self.slope, (B_RANGE[1] - self.intercept) / self.slope)
        return alpha, b

    def _objective(
        self, n: np.ndarray, r: np.ndarray, alpha: np.ndarray, b: np.ndarray
    ) -> np.ndarray:
        alpha0, b0 = self._priors()
        z = np.exp(alpha)[:, None] * (self.grid[None, :] - b[:, None])
        ll = -(r * np.logaddexp(0.0, -z) + (n - r) * np.logaddexp(0.0, z)).sum(axis=1)
        penalty = 0.5 * ((b - b0) / self.s_b) ** 2
        penalty += np.where(self.free, 0.5 * ((alpha - alpha0) / self.s_alpha) ** 2, 0.0)
        return ll - penalty

    def _m_step(self) -> None:
        est = self.est
        # Expected numbers of answers, and of right answers, per item and grid point.
        n = np.zeros((est.size, self.grid.size))
        r = np.zeros((est.size, self.grid.size))
        for (positions, cols), post in zip(self.est_members, self.posteriors, strict=True):
            n[positions] = _cross(self.data.answered[:, cols], post)
            r[positions] = _cross(self.data.right[:, cols], post)
        alpha = np.log(self.a[est])
        b = self.b[est].copy()
        alpha0, b0 = self._priors()
        (alpha_lo, alpha_hi), (b_lo, b_hi) = self._bounds()
        free = self.free
        objective = self._objective(n, r, alpha, b)
        for _ in range(_M_STEPS):
            a = np.exp(alpha)
            z = a[:, None] * (self.grid[None, :] - b[:, None])
            p = 1.0 / (1.0 + np.exp(-z))
            e = r - n * p
            w = n * p * (1.0 - p)
            g_alpha = (e * z).sum(axis=1) - (alpha - alpha0) / self.s_alpha**2
            g_b = -a * e.sum(axis=1) - (b - b0) / self.s_b**2
            i_aa = (w * z * z).sum(axis=1) + 1.0 / self.s_alpha**2
            i_bb = a * a * w.sum(axis=1) + 1.0 / self.s_b**2
            i_ab = -a * (w * z).sum(axis=1)
            det = i_aa * i_bb - i_ab * i_ab
            d_alpha = np.where(free, (i_bb * g_alpha - i_ab * g_b) / det, 0.0)
            d_b = np.where(free, (i_aa * g_b - i_ab * g_alpha) / det, g_b / i_bb)
            step = np.ones_like(b)
            pending = np.ones(b.size, bool)
            new_alpha, new_b, new_objective = alpha, b, objective
            for _ in range(_HALVINGS):
                cand_alpha = np.clip(alpha + step * d_alpha, alpha_lo, alpha_hi)
                cand_b = np.clip(b + step * d_b, b_lo, b_hi)
                cand_objective = self._objective(n, r, cand_alpha, cand_b)
                accept = pending & (cand_objective >= objective - 1e-10)
                new_alpha = np.where(accept, cand_alpha, new_alpha)
                new_b = np.where(accept, cand_b, new_b)
                new_objective = np.where(accept, cand_objective, new_objective)
                pending &= ~accept
                if not pending.any():
                    break
                step = np.where(pending, step / 2.0, step)
            moved = max(float(np.max(np.abs(new_alpha - alpha))), float(np.max(np.abs(new_b - b))))
            alpha, b, objective = new_alpha, new_b, new_objective
            if moved < 1e-7:
                break
        self.a[est] = np.exp(alpha)
        self.b[est] = b

    # ------------------------------------------------------------------ standard errors

    def standard_errors(self) -> tuple[dict[int, float], dict[int, float]]:
        """Cross-product of per-person scores plus prior precision; delta method to the bank."""
        est, free = self.est, self.free
        a = self.a[est]
        z = a[:, None] * (self.grid[None, :] - self.b[est][:, None])
        p = 1.0 / (1.0 + np.exp(-z))
        size = int(free.sum()) + est.size
        info = np.zeros((size, size))
        for start in range(0, self.data.people, _SE_CHUNK):
            rows = slice(start, start + _SE_CHUNK)
            answered = self.data.answered[rows][:, est]
            right = self.data.right[rows][:, est]
            expected_p = np.zeros_like(answered)
            expected_z = np.zeros_like(answered)
            expected_pz = np.zeros_like(answered)
            for (positions, _), posterior in zip(self.est_members, self.posteriors, strict=True):
                post = posterior[rows]
                expected_p[:, positions] = _product(post, p[positions].T)
                expected_z[:, positions] = _product(post, z[positions].T)
                expected_pz[:, positions] = _product(post, (p * z)[positions].T)
            score_b = -a * (right - expected_p) * answered
            score_alpha = (right * expected_z - expected_pz) * answered
            scores = np.concatenate([score_alpha[:, free], score_b], axis=1)
            info += _cross(scores, scores)
        prior = np.concatenate(
            [np.full(int(free.sum()), 1.0 / self.s_alpha**2), np.full(est.size, 1 / self.s_b**2)]
        )
        info[np.diag_indices(size)] += prior
        try:
            covariance = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            covariance = np.linalg.pinv(info)
        variances = np.clip(np.diag(covariance), 0.0, None)
        se_alpha = np.sqrt(variances[: int(free.sum())])
        se_b = np.sqrt(variances[int(free.sum()) :])
        final_a, _ = self.final_parameters()
        out_a = {int(j): float(final_a[j] * s) for j, s in zip(est[free], se_alpha, strict=True)}
        out_b = {int(j): float(self.slope * s) for j, s in zip(est, se_b, strict=True)}
        return out_a, out_b


# Matrix products by einsum, not BLAS: the matrices are small and multi-threaded BLAS can be
# a hundred times slower on a busy two-core server than this single-threaded loop.


def _product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """left @ right."""
    return np.einsum("nj,jk->nk", left, right)


def _cross(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """left.T @ right."""
    return np.einsum("nj,nk->jk", left, right)


def _notes(
    method: str,
    n: int,
    p_right: float | None,
    old_a: float,
    old_b: float,
    new_a: float,
    new_b: float,
) -> tuple[str, ...]:
    notes: list[str] = []
    if method == "kept":
        return ("no answer",) if n == 0 else ()
    if p_right == 1.0:
        notes.append("every answer right: b rests on the prior")
    elif p_right == 0.0:
        notes.append("every answer wrong: b rests on the prior")
    if method == "2PL" and new_a <= A_RANGE[0] + 1e-6:
        notes.append("a at the lower bound: the item barely separates people, review it")
    elif method == "2PL" and new_a >= A_RANGE[1] - 1e-6:
        notes.append("a at the upper bound")
    if new_b <= B_RANGE[0] + 1e-6 or new_b >= B_RANGE[1] - 1e-6:
        notes.append("b at a bound of the scale")
    if abs(new_b - old_b) >= 0.5:
        notes.append(f"b moved by {new_b - old_b:+.2f}")
    if method == "2PL" and not 1 / 1.5 < new_a / old_a < 1.5:
        notes.append(f"a changed ×{new_a / old_a:.2f}")
    return tuple(notes)


# --------------------------------------------------------------------------- output


def format_calibration(report: CalibrationReport, *, all_items: bool = False) -> str:
    """The report as plain text (see :meth:`CalibrationReport.summary`)."""
    methods = report.methods
    status = "converged" if report.converged else "NOT converged: do not use these values"
    lines = [
        f"Calibration from {report.people} people, {report.answers} answers"
        + (f" ({report.ignored} answers to unknown items ignored)" if report.ignored else "")
        + (f" ({report.duplicates} repeated answers ignored)" if report.duplicates else "")
        + ".",
        f"Model: {report.model}.",
        f"EM: {report.iterations} cycles, {status}, log-likelihood {report.log_likelihood:.1f}.",
    ]
    if report.link == "none":
        lines.append("Scale: the people's N(0,1) scale (no link to the bank's scale).")
    else:
        linked = methods["2PL"] + methods["Rasch"]
        sd = (
            f"sd {report.population_sd:.2f}"
            if report.link == "mean-sigma"
            else "sd 1 (the unit of the scale)"
        )
        lines.append(
            f"Scale: {report.link} link to the current b of the {linked} re-estimated items; "
            f"people's ability on the bank's scale: mean {report.population_mean:+.2f}, {sd}."
        )
    lines.append(
        f"Items: {methods['2PL']} 2PL (a and b), {methods['Rasch']} Rasch (b only), "
        f"{methods['kept']} kept (fewer than {report.min_answers} answers)."
    )
    shown = [i for i in report.items if all_items or i.method != "kept"]
    if shown:
        width = max(len(i.id) for i in shown)
        lines.append("")
        lines.append(
            f"{'item':<{width}}  method     n   a old → new   b old → new    se a  se b  notes"
        )
        for i in shown:
            se_a = f"{i.se_a:5.2f}" if i.se_a is not None else "    -"
            se_b = f"{i.se_b:5.2f}" if i.se_b is not None else "    -"
            row = (
                f"{i.id:<{width}}  {i.method:<5} {i.n:>6}  {i.old_a:4.2f} → {i.new_a:4.2f}"
                f"  {_signed(i.old_b)} → {_signed(i.new_b)}  {se_a} {se_b}  {'; '.join(i.notes)}"
            )
            lines.append(row.rstrip())
    return "\n".join(lines)


def _signed(value: float) -> str:
    return f"{round(value, 2) + 0.0:+5.2f}"  # + 0.0 turns -0.0 into 0.0


def write_calibration(
    report: CalibrationReport,
    path: Path | str = DEFAULT_PATH,
    *,
    bank_version: str | None = None,
    engine_version: str | None = None,
    date: datetime | None = None,
    allow_unconverged: bool = False,
) -> Path:
    """Write ``calibration.toml`` for :func:`~app.assessment.bank.load_bank` and return its path.

    Written: every re-estimated item ("2PL", "Rasch"), and a "kept" item whose current values
    differ from its author's (a previous calibration, kept now because answers were deleted),
    so that no earlier calibration is silently lost. The file is checked with the bank's own
    parser before it replaces the old one atomically. Refuses (ValueError) a report whose EM did
    not converge unless ``allow_unconverged``.
    """
    if not report.converged and not allow_unconverged:
        raise ValueError("the calibration did not converge: not writing it")
    path = Path(path)
    when = (date or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    header: dict[str, object] = {"date": when}
    if bank_version is not None:
        header["bank_version"] = bank_version
    if engine_version is not None:
        header["engine_version"] = engine_version
    header |= {
        "model": report.model,
        **({"correlation": report.correlation} if report.correlation is not None else {}),
        "link": report.link,
        "link_slope": round(report.link_slope, 4),
        "link_intercept": round(report.link_intercept, 4),
        "people": report.people,
        "answers": report.answers,
        "min_answers": report.min_answers,
        "iterations": report.iterations,
        "converged": report.converged,
        "log_likelihood": round(report.log_likelihood, 2),
    }
    lines = [
        "# Calibrated item parameters, written by app/assessment/calibrate.py (flask calibrate).",
        "# Do not edit by hand. The author values stay in items/*.toml; load_bank applies these",
        "# over them. Delete this file to go back to the author values.",
        "",
        "[calibration]",
        *(f"{key} = {_toml(value)}" for key, value in header.items()),
    ]
    for item in report.items:
        if item.method == "kept" and not item.differs_from_author:
            continue
        lines += [
            "",
            f"[items.{item.id}]",
            f"a = {_toml(_in_range(item.new_a, A_RANGE))}",
            f"b = {_toml(_in_range(item.new_b, B_RANGE))}",
            f"n = {item.n}",
            f'method = "{item.method}"',
        ]
        if item.se_a is not None:
            lines.append(f"se_a = {_toml(round(item.se_a, 3))}")
        if item.se_b is not None:
            lines.append(f"se_b = {_toml(round(item.se_b, 3))}")
    text = "\n".join(lines) + "\n"
    parse_calibration(text, (item.id for item in report.items))  # never write a bad file

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".calibration-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _in_range(value: float, bounds: tuple[float, float]) -> float:
    return min(max(round(value, 3), bounds[0]), bounds[1])


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} to TOML")
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        if any(ord(c) < 32 or ord(c) == 127 for c in escaped):
            raise ValueError(f"control character in {value!r}")
        return f'"{escaped}"'
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
