"""The two France Travail journeys and the rule that fits them to a person's levels.

Pure Python, no Flask: :mod:`app.journeys.content` loads and validates the texts of
``app/content/journeys/*.toml``; :mod:`app.journeys.rules` orders the 3 ways of every step.
"""

from app.journeys.content import Journey, JourneyError, Step, Way, load_journeys
from app.journeys.rules import REASONS, WAY_LABELS, JourneyPlan, Levels, PlannedStep, Reason, plan

__all__ = [
    "REASONS",
    "WAY_LABELS",
    "Journey",
    "JourneyError",
    "JourneyPlan",
    "Levels",
    "PlannedStep",
    "Reason",
    "Step",
    "Way",
    "load_journeys",
    "plan",
]
