"""Journey content: loads and validates the two journeys and the "learn the basics" step.

Pure Python, no Flask. The texts (French gettext msgids) live in ``app/content/journeys/``;
their format and checks are described in docs/journeys.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn
from urllib.parse import urlsplit

from app.assessment.bank import SCORED_DOMAINS

__all__ = [
    "BANDS",
    "BASICS_FILE",
    "BASICS_STEP_ID",
    "DEFAULT_DIRECTORY",
    "HOW_TO_STEPS",
    "JOURNEY_TRANSLATED_FIELDS",
    "STEP_TRANSLATED_FIELDS",
    "Journey",
    "JourneyError",
    "Step",
    "Way",
    "load_journeys",
    "step_texts",
    "translatable_strings",
]

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "content" / "journeys"
BASICS_FILE = "apprendre-bases.toml"
BASICS_STEP_ID = "apprendre-bases"
BANDS = range(4)
"""0 Découverte, 1 Premiers pas, 2 Autonome, 3 À l'aise (the engine's bands)."""
HOW_TO_STEPS = (2, 4)
"""Smallest and largest number of how-to steps for the "alone" way."""

JOURNEY_TRANSLATED_FIELDS: tuple[str, ...] = ("title", "intro")
"""Fields of a journey file that are French texts (gettext msgids)."""
STEP_TRANSLATED_FIELDS: tuple[str, ...] = ("title", "why", "how_to", "link_label", "good_to_know")
"""Fields of a step that are French texts (gettext msgids); how_to and good_to_know are lists."""


class Way(StrEnum):
    """The three ways to do a step (their French names are in app/journeys/rules.py)."""

    ALONE = "alone"
    MEDIATOR = "mediator"
    COUNSELLOR = "counsellor"


# A step can name the person it is done with; "alone" is never forced first.
_FIRST_WAYS = (Way.MEDIATOR, Way.COUNSELLOR)

_JOURNEY_KEYS = frozenset({"id", "title", "intro", "step"})
_BASICS_KEYS = frozenset({"step"})
_STEP_REQUIRED = frozenset(
    {"id", "title", "why", "domain", "band_needed", "how_to", "link_url", "link_label"}
)
_STEP_KEYS = _STEP_REQUIRED | {"first_way", "good_to_know"}
_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class JourneyError(ValueError):
    """The journey content is invalid. The message names the file, the step and the problem."""


@dataclass(frozen=True)
class Step:
    """One step of a journey, validated.

    ``how_to`` and ``link_url``/``link_label`` describe the "alone" way; the mediator and
    counsellor ways are the same for every step (places search, contact request). ``first_way``
    is set when the step is done with that person (it then always comes first);
    ``good_to_know`` holds optional short facts.
    """

    id: str
    title: str
    why: str
    domain: str
    band_needed: int
    how_to: tuple[str, ...]
    link_url: str
    link_label: str
    first_way: Way | None = None
    good_to_know: tuple[str, ...] = ()


@dataclass(frozen=True)
class Journey:
    """One journey: its steps in order, and the shared "learn the basics" step (``basics``)."""

    id: str
    title: str
    intro: str
    steps: tuple[Step, ...]
    basics: Step

    def step(self, step_id: str) -> Step | None:
        """The step with this id (the basics step included), or None."""
        if step_id == self.basics.id:
            return self.basics
        return next((s for s in self.steps if s.id == step_id), None)


# --------------------------------------------------------------------------- loading


def load_journeys(directory: Path | str | None = None) -> Mapping[str, Journey]:
    """Load and validate the journeys of ``directory`` (default: ``app/content/journeys``).

    Returns a read-only mapping from journey id to :class:`Journey`, in file-name order. The
    default directory is read once per process and cached; another directory is read on every
    call. Raises :class:`JourneyError` for any mistake.
    """
    if directory is None:
        return _load_default()
    return _load(Path(directory))


@lru_cache(maxsize=1)
def _load_default() -> Mapping[str, Journey]:
    return _load(DEFAULT_DIRECTORY)


def _load(directory: Path) -> Mapping[str, Journey]:
    files = sorted(directory.glob("*.toml"))
    basics_path = directory / BASICS_FILE
    if not basics_path.is_file():
        raise JourneyError(f"{directory}: no {BASICS_FILE} (the step '{BASICS_STEP_ID}')")
    basics = _load_basics(basics_path)
    journey_files = [path for path in files if path.name != BASICS_FILE]
    if not journey_files:
        raise JourneyError(f"{directory}: no journey file (*.toml)")
    journeys: dict[str, Journey] = {}
    for path in journey_files:
        journey = _load_journey(path, basics)
        journeys[journey.id] = journey
    return MappingProxyType(journeys)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        _fail(path.name, None, "the file is not UTF-8")
    except tomllib.TOMLDecodeError as error:
        _fail(path.name, None, f"invalid TOML: {error}")


def _load_basics(path: Path) -> Step:
    data = _read(path)
    label = path.name
    _check_keys(data, _BASICS_KEYS, frozenset(), label, None, "the file")
    raw = data.get("step")
    if not isinstance(raw, dict):
        _fail(label, None, "needs one [step] table (not [[step]])")
    step = _parse_step(raw, label)
    if step.id != BASICS_STEP_ID:
        _fail(label, step.id, f"the id must be '{BASICS_STEP_ID}'")
    return step


def _load_journey(path: Path, basics: Step) -> Journey:
    data = _read(path)
    label = path.name
    _check_keys(data, _JOURNEY_KEYS, _JOURNEY_KEYS, label, None, "the file")
    journey_id = _text(data, "id", label, None)
    if journey_id != path.stem:
        _fail(label, None, f"the id '{journey_id}' must be the file name '{path.stem}'")
    title = _text(data, "title", label, None)
    intro = _text(data, "intro", label, None)
    raw_steps = data["step"]
    if not isinstance(raw_steps, list) or not raw_steps:
        _fail(label, None, "needs at least one [[step]]")
    steps: list[Step] = []
    seen: set[str] = set()
    for raw in raw_steps:
        if not isinstance(raw, dict):
            _fail(label, None, "every step must be a [[step]] table")
        step = _parse_step(raw, label)
        if step.id in seen:
            _fail(label, step.id, "the id is used twice in this journey")
        if step.id == basics.id:
            _fail(label, step.id, f"the id is kept for {BASICS_FILE}")
        seen.add(step.id)
        steps.append(step)
    return Journey(id=journey_id, title=title, intro=intro, steps=tuple(steps), basics=basics)


def _parse_step(raw: Mapping[str, Any], label: str) -> Step:
    raw_id = raw.get("id")
    step_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else None
    _check_keys(raw, _STEP_KEYS, _STEP_REQUIRED, label, step_id, "the step")
    step_id = _text(raw, "id", label, step_id)
    if not _ID_RE.fullmatch(step_id):
        _fail(label, step_id, "the id must be kebab-case (a-z, 0-9 and '-')")

    domain = raw["domain"]
    if domain not in SCORED_DOMAINS:
        _fail(label, step_id, f"unknown domain {domain!r} (one of {', '.join(SCORED_DOMAINS)})")

    band = raw["band_needed"]
    if isinstance(band, bool) or not isinstance(band, int) or band not in BANDS:
        _fail(label, step_id, f"band_needed must be a whole number from 0 to 3, not {band!r}")

    how_to = _texts(raw, "how_to", label, step_id)
    low, high = HOW_TO_STEPS
    if not low <= len(how_to) <= high:
        _fail(label, step_id, f"how_to needs {low} to {high} steps, not {len(how_to)}")

    first_way: Way | None = None
    if "first_way" in raw:
        value = raw["first_way"]
        if value not in _FIRST_WAYS:
            allowed = " or ".join(f"'{way}'" for way in _FIRST_WAYS)
            _fail(label, step_id, f"first_way must be {allowed}, not {value!r}")
        first_way = Way(value)

    good_to_know = _texts(raw, "good_to_know", label, step_id) if "good_to_know" in raw else ()
    if "good_to_know" in raw and not good_to_know:
        _fail(label, step_id, "good_to_know is empty: remove it or add a text")

    return Step(
        id=step_id,
        title=_text(raw, "title", label, step_id),
        why=_text(raw, "why", label, step_id),
        domain=domain,
        band_needed=band,
        how_to=how_to,
        link_url=_link(raw, label, step_id),
        link_label=_text(raw, "link_label", label, step_id),
        first_way=first_way,
        good_to_know=good_to_know,
    )


def _link(raw: Mapping[str, Any], label: str, step_id: str) -> str:
    url = _text(raw, "link_url", label, step_id)
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or "." not in parts.hostname
        or parts.username is not None
        or parts.password is not None
        or any(c.isspace() for c in url)
    ):
        _fail(label, step_id, f"link_url must be a plain https:// address, not {url!r}")
    return url


# --------------------------------------------------------------------------- helpers


def _fail(label: str, step_id: str | None, problem: str) -> NoReturn:
    where = f"{label}: step '{step_id}'" if step_id else label
    raise JourneyError(f"{where}: {problem}")


def _check_keys(
    data: Mapping[str, Any],
    allowed: frozenset[str],
    required: frozenset[str],
    label: str,
    step_id: str | None,
    what: str,
) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        _fail(label, step_id, f"unknown key(s) in {what}: {', '.join(unknown)}")
    missing = sorted(required - set(data))
    if missing:
        _fail(label, step_id, f"missing key(s) in {what}: {', '.join(missing)}")


def _text(data: Mapping[str, Any], key: str, label: str, step_id: str | None) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        _fail(label, step_id, f"{key} must be a text, not {type(value).__name__}")
    if not value.strip():
        _fail(label, step_id, f"{key} is empty")
    if value != value.strip():
        _fail(label, step_id, f"{key} starts or ends with spaces")
    return value


def _texts(data: Mapping[str, Any], key: str, label: str, step_id: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list):
        _fail(label, step_id, f"{key} must be a list of texts")
    for number, text in enumerate(value, start=1):
        if not isinstance(text, str) or not text.strip() or text != text.strip():
            _fail(label, step_id, f"{key} text {number} is empty or not a plain text")
    return tuple(value)


# --------------------------------------------------------------------------- translations


def translatable_strings(journeys: Mapping[str, Journey] | None = None) -> tuple[str, ...]:
    """Every French text the journeys show (gettext msgids), once each, in reading order.

    Journey title and intro; for each step (the basics step first): title, why, how_to,
    link_label, good_to_know. Default: the real content (:func:`load_journeys`).
    """
    if journeys is None:
        journeys = load_journeys()
    seen: dict[str, None] = {}
    for journey in journeys.values():
        for text in _journey_texts(journey):
            seen.setdefault(text, None)
    return tuple(seen)


def _journey_texts(journey: Journey) -> Iterator[str]:
    yield journey.title
    yield journey.intro
    for step in (journey.basics, *journey.steps):
        yield from step_texts(step)


def step_texts(step: Step) -> Iterator[str]:
    """The French texts of one step, in :data:`STEP_TRANSLATED_FIELDS` order."""
    yield step.title
    yield step.why
    yield from step.how_to
    yield step.link_label
    yield from step.good_to_know
