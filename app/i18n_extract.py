"""Babel extractor for the item bank: the French texts of app/content/items/*.toml.

Registered in babel.cfg, so that `make translations-update` puts every item's text,
options, can-do statement and picture description in the catalogues. Typed answers
are not extracted: what the person must type does not change with the language.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import IO, Any

TRANSLATED_FIELDS = ("text", "options", "can_do", "alt")


def extract_items(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    data = tomllib.loads(source)

    def line_of(text: str) -> int:
        needle = text.replace("\\", "\\\\").replace('"', '\\"')
        for number, line in enumerate(lines, start=1):
            if needle in line:
                return number
        return 0

    for item in data.get("item", []):
        item_id = item.get("id", "?")
        for field in TRANSLATED_FIELDS:
            value = item.get(field)
            values = value if isinstance(value, list) else [value] if value else []
            for text in values:
                yield line_of(text), "_", text, [f"item {item_id}, {field}"]


def extract_journeys(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for app/content/journeys/*.toml, and the fixed texts of the journeys.

    Yields the journey title and intro, and each step's title, why, how-to steps, link label
    and "good to know" facts (app.journeys.content names these fields). The way names and the
    reason sentences of app/journeys/rules.py are not literal gettext calls, so they are yielded
    here too, with every journey file (the catalogue keeps each message once).
    """
    from app.journeys.content import JOURNEY_TRANSLATED_FIELDS, STEP_TRANSLATED_FIELDS
    from app.journeys.rules import REASONS, WAY_LABELS

    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    data = tomllib.loads(source)

    def line_of(text: str) -> int:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for number, line in enumerate(lines, start=1):
            if quoted in line and not line.lstrip().startswith("#"):
                return number
        return 0

    def texts(value: Any) -> list[str]:
        values = value if isinstance(value, list) else [value]
        return [text for text in values if isinstance(text, str) and text]

    journey_id = data.get("id", "?")
    for field in JOURNEY_TRANSLATED_FIELDS:
        for text in texts(data.get(field)):
            yield line_of(text), "_", text, [f"journey {journey_id}, {field}"]
    steps = data.get("step", [])
    for step in steps if isinstance(steps, list) else [steps]:
        step_id = step.get("id", "?") if isinstance(step, dict) else "?"
        for field in STEP_TRANSLATED_FIELDS:
            value = step.get(field) if isinstance(step, dict) else None
            for text in texts(value):
                yield line_of(text), "_", text, [f"journey step {step_id}, {field}"]
    for way, text in WAY_LABELS.items():
        yield 0, "_", text, [f"journey way {way}"]
    for reason, text in REASONS.items():
        yield 0, "_", text, [f"journey reason {reason}: why this way is offered first"]


def extract_rgaa(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for app/rgaa/grid.toml: what the accessibility statement shows of it.

    The names of the sample's pages, and for each criterion that is not met, what fails and
    what the person can do instead, as app.rgaa reads them (lines joined, spaces single).
    """
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for page in data.get("sample", []):
        yield 0, "_", " ".join(page["name"].split()), [f"RGAA sample page {page['id']}"]
    for criterion in data.get("criterion", []):
        for field in ("problem", "instead"):
            if criterion.get(field):
                text = " ".join(criterion[field].split())
                yield 0, "_", text, [f"RGAA criterion {criterion['id']}, {field}"]
