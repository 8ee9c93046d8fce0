"""Which way to offer first, step by step: the rule that fits a journey to a person's levels.

Pure Python, no Flask. All three ways (:class:`Way`) are always offered; the rule orders them
and gives one reason (:class:`Reason`, shown as one sentence from :data:`REASONS`). The rule
is written out in docs/journeys.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.assessment.bank import SCORED_DOMAINS
from app.journeys.content import BANDS, Journey, Step, Way

if TYPE_CHECKING:
    from app.assessment.engine import AssessmentResult

__all__ = [
    "DEFAULT_ORDER",
    "REASONS",
    "WAY_LABELS",
    "JourneyPlan",
    "Levels",
    "PlannedStep",
    "Reason",
    "Way",
    "Ways",
    "order_ways",
    "plan",
    "translatable_strings",
]

Ways = tuple[Way, Way, Way]


class Reason(StrEnum):
    """Why the first way comes first (one sentence each in :data:`REASONS`)."""

    LEVEL_OK = "level-ok"
    CLOSE = "close"
    FAR = "far"
    BASICS = "basics"
    COUNSELLOR_STEP = "counsellor-step"
    MEDIATOR_STEP = "mediator-step"
    NO_RESULT = "no-result"


DEFAULT_ORDER: Ways = (Way.ALONE, Way.MEDIATOR, Way.COUNSELLOR)
_CLOSE_ORDER: Ways = (Way.MEDIATOR, Way.ALONE, Way.COUNSELLOR)
_FAR_ORDER: Ways = (Way.MEDIATOR, Way.COUNSELLOR, Way.ALONE)

WAY_LABELS: Mapping[Way, str] = MappingProxyType(
    {
        Way.ALONE: "Sur internet, sans aide",
        Way.MEDIATOR: "Avec une aide près de chez vous",
        Way.COUNSELLOR: "Avec France Travail",
    }
)
"""French name of each way (gettext msgids): the content guide's words, the same everywhere."""

REASONS: Mapping[Reason, str] = MappingProxyType(
    {
        Reason.LEVEL_OK: (
            "Nous vous proposons d'abord de le faire sur internet, sans aide, "
            "parce que votre niveau le permet."
        ),
        Reason.CLOSE: (
            "Nous vous proposons d'abord une aide près de chez vous, "
            "parce qu'un peu d'aide suffit pour cette étape."
        ),
        Reason.FAR: (
            "Nous vous proposons d'abord une aide près de chez vous, "
            "parce que cette étape est encore difficile."
        ),
        Reason.BASICS: (
            "Nous vous proposons d'abord une aide près de chez vous, "
            "parce qu'il vaut mieux commencer par les bases."
        ),
        Reason.COUNSELLOR_STEP: (
            "Nous vous proposons d'abord France Travail, parce que cette étape se fait ensemble."
        ),
        Reason.MEDIATOR_STEP: (
            "Nous vous proposons d'abord une aide près de chez vous, "
            "parce qu'on apprend mieux avec quelqu'un."
        ),
        Reason.NO_RESULT: (
            "Nous vous proposons les 3 façons de faire, "
            "parce que vous n'avez pas encore de résultats."
        ),
    }
)
"""One French sentence per reason (gettext msgids)."""

_STEP_REASONS: Mapping[Way, Reason] = MappingProxyType(
    {Way.COUNSELLOR: Reason.COUNSELLOR_STEP, Way.MEDIATOR: Reason.MEDIATOR_STEP}
)


@dataclass(frozen=True)
class Levels:
    """A person's levels: the band 0-3 of every scored domain, and ``needs_basics``.

    ``bands`` must name every scored domain (and nothing else); it is copied read-only.
    """

    bands: Mapping[str, int]
    needs_basics: bool = False

    def __post_init__(self) -> None:
        bands = dict(self.bands)
        unknown = sorted(set(bands) - set(SCORED_DOMAINS))
        missing = [d for d in SCORED_DOMAINS if d not in bands]
        if unknown or missing:
            raise ValueError(f"levels: unknown domains {unknown}, missing domains {missing}")
        for domain, band in bands.items():
            if isinstance(band, bool) or not isinstance(band, int) or band not in BANDS:
                raise ValueError(f"levels: band of {domain} must be 0 to 3, not {band!r}")
        if not isinstance(self.needs_basics, bool):
            raise ValueError(
                f"levels: needs_basics must be True or False, not {self.needs_basics!r}"
            )
        object.__setattr__(self, "bands", MappingProxyType(bands))

    @classmethod
    def from_assessment(cls, result: AssessmentResult) -> Levels:
        """Levels from the engine's result (``result.domains[d].band``, ``needs_basics``)."""
        return cls(
            bands={domain: d.band for domain, d in result.domains.items()},
            needs_basics=result.needs_basics,
        )

    @classmethod
    def from_stored(cls, details: Mapping[str, Any], needs_basics: bool) -> Levels:
        """Levels from a stored result: ``Result.details`` and ``Result.needs_basics``."""
        domains = details["domains"]
        return cls(
            bands={domain: domains[domain]["band"] for domain in domains},
            needs_basics=needs_basics,
        )


def order_ways(step: Step, levels: Levels | None) -> tuple[Ways, Reason]:
    """The 3 ways for ``step``, best first, and the reason for the first (see module doc)."""
    ways, reason = _by_level(step, levels)
    if step.first_way is not None:
        first = step.first_way
        rest = tuple(way for way in ways if way != first)
        return (first, rest[0], rest[1]), _STEP_REASONS[first]
    return ways, reason


def _by_level(step: Step, levels: Levels | None) -> tuple[Ways, Reason]:
    if levels is None:
        return DEFAULT_ORDER, Reason.NO_RESULT
    gap = step.band_needed - levels.bands[step.domain]
    shifted = gap + 1 if levels.needs_basics else gap
    if shifted <= 0:
        return DEFAULT_ORDER, Reason.LEVEL_OK
    if shifted == 1:
        return _CLOSE_ORDER, Reason.CLOSE if gap == 1 else Reason.BASICS
    return _FAR_ORDER, Reason.FAR if gap >= 2 else Reason.BASICS


@dataclass(frozen=True)
class PlannedStep:
    """One step of a plan: the step, its 3 ways in order, and why the first comes first."""

    step: Step
    ways: Ways
    reason: Reason

    @property
    def first(self) -> Way:
        return self.ways[0]

    @property
    def sentence(self) -> str:
        """The French sentence of the reason (a msgid: translate it with gettext)."""
        return REASONS[self.reason]


@dataclass(frozen=True)
class JourneyPlan:
    """A journey fitted to a person: ``steps`` in order (the basics step first if needed)."""

    journey: Journey
    steps: tuple[PlannedStep, ...]
    levels: Levels | None = field(default=None)

    @property
    def has_result(self) -> bool:
        return self.levels is not None

    @property
    def needs_basics(self) -> bool:
        return self.levels is not None and self.levels.needs_basics

    @property
    def usual_way(self) -> Way | None:
        """The way offered first for most steps (said once at the top of the journey's page,
        then only the steps that differ say theirs); None without results."""
        if self.levels is None or not self.steps:
            return None
        firsts = [planned.first for planned in self.steps]
        return max(Way, key=lambda way: (firsts.count(way), -list(Way).index(way)))

    def next_step(self, done: Iterable[str]) -> PlannedStep | None:
        """The first step not done yet, or None when every step is done."""
        finished = set(done)
        return next((p for p in self.steps if p.step.id not in finished), None)


def plan(journey: Journey, levels: Levels | None) -> JourneyPlan:
    """Fit ``journey`` to ``levels`` (None: no result yet), step by step."""
    steps = journey.steps
    if levels is not None and levels.needs_basics:
        steps = (journey.basics, *steps)
    planned = tuple(PlannedStep(step, *order_ways(step, levels)) for step in steps)
    return JourneyPlan(journey=journey, steps=planned, levels=levels)


def translatable_strings() -> Iterator[str]:
    """The French texts of this module (gettext msgids): way names, then reason sentences."""
    yield from WAY_LABELS.values()
    yield from REASONS.values()
