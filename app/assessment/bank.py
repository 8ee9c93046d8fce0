"""Item bank: loads, validates and scores the assessment items.

Pure Python (standard library only), no Flask. The items live in ``app/content/items/*.toml``,
their pictures in ``app/content/pictures/*.svg`` and, once answers have been calibrated, their
estimated parameters in ``app/content/calibration.toml``. The file formats and how to write an
item: docs/items.md. Any mistake in a file raises :class:`BankError` at load time, naming the
file, the item and the problem.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from .domains import DOMAIN_PREFIXES, DOMAINS, FOUNDATION, SCORED_DOMAINS

__all__ = [
    "A_RANGE",
    "B_RANGE",
    "CALIBRATION_FILE",
    "CALIBRATION_LINKS",
    "CALIBRATION_METHODS",
    "DEFAULT_DIRECTORY",
    "DOMAINS",
    "DOMAIN_PREFIXES",
    "DONT_KNOW",
    "DONT_KNOW_LABEL",
    "FOUNDATION",
    "GUESSING_SHARE",
    "KINDS",
    "MAX_PICTURE_BYTES",
    "MAX_WORDS",
    "PILOT_UNTIL_ANSWERS",
    "SCORED_DOMAINS",
    "Bank",
    "BankError",
    "CalibratedItem",
    "Calibration",
    "Item",
    "count_words",
    "is_correct",
    "load_bank",
    "normalise_text",
    "parse_calibration",
    "svg_problem",
]

KINDS: tuple[str, ...] = ("single", "text")

DONT_KNOW = "dont-know"
"""Response value meaning "Je ne sais pas" (the page always offers it)."""
DONT_KNOW_LABEL = "Je ne sais pas"
"""French label of the "don't know" choice (a gettext msgid for the templates)."""

MAX_WORDS = 40
MAX_PICTURE_BYTES = 1500
A_RANGE = (0.5, 2.5)
B_RANGE = (-3.0, 3.0)
SINGLE_OPTIONS = (3, 4)
GUESSING_SHARE = 0.5
"""Share of the people who do not know the answer to a single-choice item and still pick one of
its options at random: the others say « Je ne sais pas », or pick the wrong option they believe
in. The item's lower asymptote is this share over its number of options (docs/engine.md)."""
PILOT_UNTIL_ANSWERS = 500
"""An item is a pilot item (it may be asked unscored, to gather answers) until a calibration has
used this many of its answers."""

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "content"
CALIBRATION_FILE = "calibration.toml"
"""Optional file of calibrated parameters, in the content directory (next to ``items/``)."""
CALIBRATION_METHODS: tuple[str, ...] = ("2PL", "Rasch", "kept")
CALIBRATION_LINKS: tuple[str, ...] = ("auto", "kept", "mean", "mean-sigma", "none")
"""How a calibration's scale is tied to the bank's (docs/calibration.md): "kept" the items not
re-estimated hold it and the people's mean and sd are estimated; "mean" and "mean-sigma" the
re-estimated items' current values; "none" the people's N(0, 1); "auto" is "kept" when the kept
items carry at least as many answers as the re-estimated ones, else "mean"."""

_ITEM_KEYS = frozenset(
    {
        "id",
        "domain",
        "kind",
        "text",
        "options",
        "answer",
        "answers",
        "can_do",
        "a",
        "b",
        "picture",
        "alt",
        "mistakes",
        "notes",
    }
)
_FILE_KEYS = frozenset({"domain", "item"})
_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PICTURE_NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SVG_NS = "http://www.w3.org/2000/svg"
_FORBIDDEN_SVG_ELEMENTS = frozenset(
    {"script", "foreignobject", "style", "iframe", "object", "embed"}
)
_EXTERNAL_URL_RE = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_APOSTROPHES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u2010": "-",
        "\u2011": "-",
    }
)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


class BankError(ValueError):
    """The item bank is invalid. The message names the file, the item and the problem."""


@dataclass(frozen=True)
class Item:
    """One assessment item, validated.

    ``answer`` holds the 1-based index of the right option (none for "text"); ``accepted``
    holds the accepted typed answers of a "text" item. ``picture`` is the SVG markup itself
    (validated, safe to inline), ``alt`` its text alternative. ``mistakes`` names, for each
    wrong option, the beginner's mistake it stands for; ``notes`` are the author's notes.

    ``a`` and ``b`` are the parameters in use: the calibrated ones when ``calibration.toml``
    has the item, else the author's. ``author_a`` and ``author_b`` are the values written in
    the item file (set by :func:`load_bank`; None for an Item built directly, whose ``a`` and
    ``b`` are then the author's). They take no part in comparisons. ``calibrated_answers`` is
    the number of answers the last calibration used (0 before any); ``a_estimated`` says that
    ``a`` was estimated ("2PL"), ``b_se`` is the standard error of an estimated ``b``.
    """

    id: str
    domain: str
    kind: str
    text: str
    options: tuple[str, ...]
    answer: frozenset[int]
    accepted: tuple[str, ...]
    can_do: str
    a: float
    b: float
    picture: str | None = None
    alt: str | None = None
    author_a: float | None = field(default=None, compare=False, repr=False)
    author_b: float | None = field(default=None, compare=False, repr=False)
    mistakes: Mapping[int, str] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )
    notes: str | None = field(default=None, compare=False, repr=False)
    calibrated_answers: int = field(default=0, compare=False, repr=False)
    a_estimated: bool = field(default=False, compare=False, repr=False)
    b_se: float | None = field(default=None, compare=False, repr=False)

    @property
    def c(self) -> float:
        """Lower asymptote of the item model: the chance of a right answer from someone who does
        not know (:data:`GUESSING_SHARE` over the number of options; 0 for a typed answer)."""
        return GUESSING_SHARE / len(self.options) if self.kind == "single" else 0.0

    @property
    def pilot(self) -> bool:
        """True while the item gathers answers for calibration (see PILOT_UNTIL_ANSWERS)."""
        return self.calibrated_answers < PILOT_UNTIL_ANSWERS


@dataclass(frozen=True)
class CalibratedItem:
    """Calibrated parameters of one item, as read from ``calibration.toml``."""

    a: float
    b: float
    n: int
    method: str
    se_a: float | None = None
    se_b: float | None = None


@dataclass(frozen=True)
class Calibration:
    """The parsed ``calibration.toml``: its header and its items, by id."""

    header: Mapping[str, Any]
    items: Mapping[str, CalibratedItem]


@dataclass(frozen=True)
class Bank:
    """All the items, in file order (files sorted by name), with a content version.

    ``calibration`` is the overlay applied over the author values (None without
    ``calibration.toml``); it takes no part in comparisons (the version does).
    """

    items: tuple[Item, ...]
    version: str
    calibration: Calibration | None = field(default=None, compare=False, repr=False)
    by_id: Mapping[str, Item] = field(init=False, repr=False, compare=False)
    _by_domain: Mapping[str, tuple[Item, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Item] = {}
        by_domain: dict[str, list[Item]] = {domain: [] for domain in DOMAINS}
        for item in self.items:
            if item.id in by_id:
                raise BankError(f"item '{item.id}': the id is used twice")
            if item.domain not in by_domain:
                raise BankError(f"item '{item.id}': unknown domain '{item.domain}'")
            by_id[item.id] = item
            by_domain[item.domain].append(item)
        object.__setattr__(self, "by_id", MappingProxyType(by_id))
        object.__setattr__(
            self,
            "_by_domain",
            MappingProxyType({domain: tuple(items) for domain, items in by_domain.items()}),
        )

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.by_id

    def get(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        return self.by_id.get(item_id)

    def in_domain(self, domain: str) -> tuple[Item, ...]:
        """The items of one domain, in bank order. Raises ValueError for an unknown domain."""
        try:
            return self._by_domain[domain]
        except KeyError:
            raise ValueError(f"unknown domain: {domain!r}") from None


# --------------------------------------------------------------------------- text helpers


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)


def normalise_text(s: str) -> str:
    """Fold a typed answer for tolerant comparison.

    Case, accents (NFKD, combining marks removed), œ/æ ligatures, typographic apostrophes and
    hyphens, surrounding spaces and repeated inner spaces (including non-breaking ones) are
    ignored; Arabic-Indic and Persian digits (typed on a phone set to Arabic) read as 0-9.
    """
    decomposed = unicodedata.normalize("NFKD", s.translate(_APOSTROPHES).translate(_DIGITS))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = stripped.casefold().translate(_LIGATURES)
    return " ".join(folded.split())


def count_words(s: str) -> int:
    """Words as a reader sees them: whitespace-separated tokens with a letter or digit.

    Punctuation standing alone (« » : ? –) is not counted.
    """
    return sum(1 for token in s.split() if any(c.isalnum() for c in token))


# --------------------------------------------------------------------------- scoring


def _parse_index(item: Item, value: object) -> int:
    if not isinstance(value, str):
        raise ValueError(f"{item.id}: a response must be text, got {type(value).__name__}")
    text = value.strip()
    if not text or not text.isascii() or not text.isdigit():
        raise ValueError(f"{item.id}: {value!r} is not an option number")
    index = int(text)
    if not 1 <= index <= len(item.options):
        raise ValueError(f"{item.id}: option {index} does not exist")
    return index


def is_correct(item: Item, response: str) -> bool | None:
    """Score a response: True (right), False (wrong) or None ("Je ne sais pas").

    Response format: "single" → the 1-based option number as text ("2"); "text" → the typed
    text, compared with :func:`normalise_text`. :data:`DONT_KNOW` gives None. Anything else that
    is not a valid response (no answer, unknown option, wrong type) raises ValueError: it is
    never scored.
    """
    if not isinstance(response, str):
        raise ValueError(f"{item.id}: expected one response, got {type(response).__name__}")
    if response == DONT_KNOW:
        return None
    if item.kind == "single":
        return _parse_index(item, response) in item.answer
    if item.kind == "text":
        typed = normalise_text(response)
        if not typed:
            raise ValueError(f"{item.id}: empty answer")
        return typed in {normalise_text(accepted) for accepted in item.accepted}
    raise ValueError(f"{item.id}: unknown kind {item.kind!r}")  # unreachable for loaded items


# --------------------------------------------------------------------------- loading


def load_bank(directory: Path | None = None) -> Bank:
    """Load and validate the bank from ``directory`` (default: ``app/content``).

    The directory holds ``items/*.toml``, ``pictures/*.svg`` and optionally
    ``calibration.toml`` (see the module docstring). The default bank is loaded once per process
    and cached; another directory is read on every call.
    """
    if directory is None:
        return _load_default()
    return _load(Path(directory))


@lru_cache(maxsize=1)
def _load_default() -> Bank:
    return _load(DEFAULT_DIRECTORY)


def _load(directory: Path) -> Bank:
    items_dir = directory / "items"
    pictures_dir = directory / "pictures"
    files = sorted(items_dir.glob("*.toml"))
    if not files:
        raise BankError(f"{items_dir}: no item file (*.toml)")

    items: list[Item] = []
    seen: dict[str, str] = {}
    for path in files:
        label = path.relative_to(directory).as_posix()
        for item in _load_file(path, label, pictures_dir):
            if item.id in seen:
                raise BankError(
                    f"{label}: item '{item.id}': the id is already used in {seen[item.id]}"
                )
            seen[item.id] = label
            items.append(item)

    calibration_path = directory / CALIBRATION_FILE
    calibration: Calibration | None = None
    version_files = [*files]
    if calibration_path.is_file():
        try:
            text = calibration_path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise BankError(f"{CALIBRATION_FILE}: not UTF-8") from None
        calibration = parse_calibration(text, {item.id for item in items})
        items = [_calibrated(item, calibration.items.get(item.id)) for item in items]
        version_files.append(calibration_path)
    return Bank(
        items=tuple(items),
        version=_version(directory, version_files, pictures_dir),
        calibration=calibration,
    )


def _calibrated(item: Item, calibrated: CalibratedItem | None) -> Item:
    if calibrated is None:
        return item
    estimated = calibrated.method in ("2PL", "Rasch")
    return replace(
        item,
        a=calibrated.a,
        b=calibrated.b,
        calibrated_answers=calibrated.n,
        a_estimated=calibrated.method == "2PL",
        b_se=(calibrated.se_b if calibrated.se_b is not None else 0.1) if estimated else None,
    )


def _version(directory: Path, files: Sequence[Path], pictures_dir: Path) -> str:
    digest = hashlib.sha256()
    paths = [*files, *pictures_dir.glob("*.svg")] if pictures_dir.is_dir() else [*files]
    for path in sorted(paths, key=lambda p: p.relative_to(directory).as_posix()):
        name = path.relative_to(directory).as_posix().encode()
        content = path.read_bytes()
        digest.update(len(name).to_bytes(4, "big") + name)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()[:12]


def _load_file(path: Path, label: str, pictures_dir: Path) -> list[Item]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BankError(f"{label}: not valid TOML: {exc}") from None

    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise BankError(f"{label}: unknown top-level key(s) {', '.join(unknown)}")
    file_domain = data.get("domain")
    if file_domain is not None and file_domain not in DOMAINS:
        raise BankError(f"{label}: unknown domain {file_domain!r} (known: {', '.join(DOMAINS)})")
    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not raw_items:
        raise BankError(f"{label}: no [[item]] table")

    items: list[Item] = []
    for position, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, dict):
            raise BankError(f"{label}: item #{position} (no id): must be a table")
        items.append(_ItemReader(label, position, raw, file_domain, pictures_dir).read())
    return items


class _ItemReader:
    """Validates one raw TOML table and builds the Item; every failure names file and item."""

    def __init__(
        self,
        label: str,
        position: int,
        raw: dict[str, Any],
        file_domain: str | None,
        pictures_dir: Path,
    ) -> None:
        self.label = label
        self.position = position
        self.raw = raw
        self.file_domain = file_domain
        self.pictures_dir = pictures_dir
        raw_id = raw.get("id")
        self.name = (
            f"item '{raw_id}'"
            if isinstance(raw_id, str) and raw_id
            else (f"item #{position} (no id)")
        )

    def fail(self, problem: str) -> NoReturn:
        raise BankError(f"{self.label}: {self.name}: {problem}")

    # ------------------------------------------------------------------ field readers

    def string(self, key: str) -> str:
        value = self.raw.get(key)
        if value is None:
            self.fail(f"'{key}' is missing")
        if not isinstance(value, str):
            self.fail(f"'{key}' must be text")
        if not value.strip():
            self.fail(f"'{key}' is empty")
        if value != value.strip():
            self.fail(f"'{key}' has spaces at the start or the end")
        return value

    def number(self, key: str, low: float, high: float) -> float:
        value = self.raw.get(key)
        if value is None:
            self.fail(f"'{key}' is missing")
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(f"'{key}' must be a number")
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            self.fail(f"'{key}' = {value} is out of range ({low} to {high})")
        return number

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            self.fail(f"'{key}' is missing")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"'{key}' must be a list of texts")
        if not value:
            self.fail(f"'{key}' is empty")
        for entry in value:
            if not entry.strip():
                self.fail(f"'{key}' has an empty entry")
            if entry != entry.strip():
                self.fail(f"'{key}' entry {entry!r} has spaces at the start or the end")
        seen: set[str] = set()
        for entry in value:
            folded = normalise_text(entry)
            if folded in seen:
                self.fail(f"'{key}' has {entry!r} twice")
            seen.add(folded)
        return tuple(value)

    # ------------------------------------------------------------------ item

    def read(self) -> Item:
        unknown = sorted(set(self.raw) - _ITEM_KEYS)
        if unknown:
            known = ", ".join(sorted(_ITEM_KEYS))
            self.fail(f"unknown key(s) {', '.join(unknown)} (known: {known})")

        item_id = self.string("id")
        if not _ID_RE.fullmatch(item_id):
            self.fail("'id' must be kebab-case: lowercase letters, digits and single hyphens")
        domain = self.domain()
        prefix = DOMAIN_PREFIXES[domain] + "-"
        if not item_id.startswith(prefix):
            self.fail(f"'id' must start with '{prefix}' (domain {domain})")

        kind = self.raw.get("kind", "single")
        if kind == "multiple":
            self.fail(
                "tick-all items are not accepted: scored all or nothing, several ticks measure "
                "care more than skill; split it into single-choice items (docs/items.md)"
            )
        if kind not in KINDS:
            self.fail(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")

        text = self.string("text")
        words = count_words(text)
        if words > MAX_WORDS:
            self.fail(f"'text' has {words} words, at most {MAX_WORDS}")

        options, answer, accepted = self.responses(kind)

        can_do = self.string("can_do")
        if not can_do.startswith("Vous"):
            self.fail("'can_do' must start with 'Vous' (\"Vous savez ...\")")

        a = self.number("a", *A_RANGE)
        b = self.number("b", *B_RANGE)
        picture, alt = self.picture()
        mistakes = self.mistakes(kind, options, answer)
        notes = self.string("notes") if "notes" in self.raw else None

        return Item(
            id=item_id,
            domain=domain,
            kind=kind,
            text=text,
            options=options,
            answer=answer,
            accepted=accepted,
            can_do=can_do,
            a=a,
            b=b,
            picture=picture,
            alt=alt,
            author_a=a,
            author_b=b,
            mistakes=mistakes,
            notes=notes,
        )

    def mistakes(
        self, kind: str, options: tuple[str, ...], answer: frozenset[int]
    ) -> Mapping[int, str]:
        """``[item.mistakes]``: for a single-choice item, one entry per wrong option, keyed by
        its number, naming the beginner's mistake that option stands for."""
        raw = self.raw.get("mistakes")
        if kind == "text":
            if raw is not None:
                self.fail("a text item has no options, so no 'mistakes'")
            return MappingProxyType({})
        if raw is None:
            self.fail("'mistakes' is missing: name the beginner's mistake of each wrong option")
        if not isinstance(raw, dict):
            self.fail("'mistakes' must be a table like [item.mistakes] with 1 = \"...\"")
        wrong = {str(n) for n in range(1, len(options) + 1)} - {str(n) for n in answer}
        keys = set(raw)
        if keys != wrong:
            expected = ", ".join(sorted(wrong))
            self.fail(f"'mistakes' must have one entry per wrong option: {expected}")
        out: dict[int, str] = {}
        for key, value in raw.items():
            if not isinstance(value, str) or not value.strip():
                self.fail(f"'mistakes' {key}: must be a non-empty text")
            out[int(key)] = value.strip()
        return MappingProxyType(dict(sorted(out.items())))

    def domain(self) -> str:
        domain = self.raw.get("domain", self.file_domain)
        if domain is None:
            self.fail("'domain' is missing (set it on the item or at the top of the file)")
        if domain not in DOMAINS:
            self.fail(f"unknown domain {domain!r} (known: {', '.join(DOMAINS)})")
        if self.file_domain is not None and domain != self.file_domain:
            self.fail(f"domain {domain!r} differs from the file's domain {self.file_domain!r}")
        return domain

    def responses(self, kind: str) -> tuple[tuple[str, ...], frozenset[int], tuple[str, ...]]:
        if kind == "text":
            if "options" in self.raw:
                self.fail("a text item has no 'options'")
            if "answer" in self.raw:
                self.fail("a text item uses 'answers' (accepted texts), not 'answer'")
            accepted = self.string_list("answers")
            if any(normalise_text(entry) == normalise_text(DONT_KNOW_LABEL) for entry in accepted):
                self.fail(f"'answers' must not contain {DONT_KNOW_LABEL!r}")
            return (), frozenset(), accepted

        if "answers" in self.raw:
            self.fail("'answers' is only for text items; a single-choice item uses 'answer'")
        options = self.string_list("options")
        low, high = SINGLE_OPTIONS
        if not low <= len(options) <= high:
            self.fail(f"a single-choice item needs {low} to {high} options, not {len(options)}")
        for option in options:
            if normalise_text(option) == normalise_text(DONT_KNOW_LABEL):
                self.fail(f"option {option!r}: the page adds it, do not write it")

        value = self.raw.get("answer")
        if value is None:
            self.fail("'answer' is missing")
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("'answer' must be one option number, like answer = 2")
        if not 1 <= value <= len(options):
            self.fail(f"'answer' {value} is not an option number (1 to {len(options)})")
        return options, frozenset({value}), ()

    def picture(self) -> tuple[str | None, str | None]:
        name = self.raw.get("picture")
        alt = self.raw.get("alt")
        if name is None:
            if alt is not None:
                self.fail("'alt' is set but there is no 'picture'")
            return None, None
        if not isinstance(name, str) or not _PICTURE_NAME_RE.fullmatch(name):
            self.fail("'picture' must be a file name without extension, like \"email-toolbar\"")
        alt = self.string("alt")
        path = self.pictures_dir / f"{name}.svg"
        if not path.is_file():
            self.fail(f"picture file pictures/{name}.svg does not exist")
        problem = svg_problem(path.read_bytes())
        if problem:
            self.fail(f"picture {name}.svg: {problem}")
        return path.read_text(encoding="utf-8").strip(), alt


# --------------------------------------------------------------------------- calibration

_CALIBRATION_KEYS = frozenset({"calibration", "items"})
# Header keys and their types (all optional except the date).
_HEADER_TYPES: Mapping[str, tuple[type, ...]] = MappingProxyType(
    {
        "date": (str, date, datetime),
        "bank_version": (str,),
        "engine_version": (str,),
        "model": (str,),
        "correlation": (int, float),
        "link": (str,),
        "link_slope": (int, float),
        "link_intercept": (int, float),
        "population_mean": (int, float),
        "population_sd": (int, float),
        "people": (int,),
        "answers": (int,),
        "min_answers": (int,),
        "iterations": (int,),
        "converged": (bool,),
        "log_likelihood": (int, float),
        "note": (str,),
    }
)
_CALIBRATED_KEYS = frozenset({"a", "b", "n", "method", "se_a", "se_b"})


def parse_calibration(text: str, item_ids: Iterable[str]) -> Calibration:
    """Parse and validate the text of ``calibration.toml`` against the bank's item ids.

    Raises :class:`BankError` naming the file, the item and the problem. Used by
    :func:`load_bank`, and by the calibration to check a file before writing it.
    """
    label = CALIBRATION_FILE
    known_ids = frozenset(item_ids)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BankError(f"{label}: not valid TOML: {exc}") from None

    unknown = sorted(set(data) - _CALIBRATION_KEYS)
    if unknown:
        raise BankError(f"{label}: unknown top-level key(s) {', '.join(unknown)}")
    header = data.get("calibration")
    if not isinstance(header, dict):
        raise BankError(f"{label}: the [calibration] header table is missing")
    if "date" not in header:
        raise BankError(f"{label}: [calibration]: 'date' is missing")
    for key, value in header.items():
        types = _HEADER_TYPES.get(key)
        if types is None:
            known = ", ".join(sorted(_HEADER_TYPES))
            raise BankError(f"{label}: [calibration]: unknown key {key} (known: {known})")
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise BankError(f"{label}: [calibration]: '{key}' has the wrong type")

    raw_items = data.get("items", {})
    if not isinstance(raw_items, dict):
        raise BankError(f"{label}: 'items' must be tables like [items.secu-phishing-sms]")
    items: dict[str, CalibratedItem] = {}
    for item_id, raw in raw_items.items():
        items[item_id] = _read_calibrated(label, item_id, raw, known_ids)
    return Calibration(header=MappingProxyType(dict(header)), items=MappingProxyType(items))


def _read_calibrated(
    label: str, item_id: str, raw: object, known_ids: frozenset[str]
) -> CalibratedItem:
    def fail(problem: str) -> NoReturn:
        raise BankError(f"{label}: item '{item_id}': {problem}")

    if item_id not in known_ids:
        fail("is not an item of the bank (items/*.toml)")
    if not isinstance(raw, dict):
        fail("must be a table")
    unknown = sorted(set(raw) - _CALIBRATED_KEYS)
    if unknown:
        known = ", ".join(sorted(_CALIBRATED_KEYS))
        fail(f"unknown key(s) {', '.join(unknown)} (known: {known})")

    def optional_number(key: str, low: float, high: float) -> float | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(f"'{key}' must be a number")
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            fail(f"'{key}' = {value} is out of range ({low} to {high})")
        return number

    def number(key: str, low: float, high: float) -> float:
        value = optional_number(key, low, high)
        if value is None:
            fail(f"'{key}' is missing")
        return value

    a = number("a", *A_RANGE)
    b = number("b", *B_RANGE)
    se_a = optional_number("se_a", 0.0, math.inf)
    se_b = optional_number("se_b", 0.0, math.inf)
    n = raw.get("n")
    if n is None:
        fail("'n' is missing")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        fail("'n' must be a whole number of answers, 0 or more")
    method = raw.get("method")
    if method is None:
        fail("'method' is missing")
    if method not in CALIBRATION_METHODS:
        fail(f"unknown method {method!r} (known: {', '.join(CALIBRATION_METHODS)})")
    return CalibratedItem(a=a, b=b, n=n, method=method, se_a=se_a, se_b=se_b)


def svg_problem(data: bytes) -> str | None:
    """Why this SVG cannot be inlined in a page, or None if it is fine.

    Accepted: at most MAX_PICTURE_BYTES, UTF-8, well-formed XML starting with ``<svg`` (no XML
    declaration or DOCTYPE, so no entities), root ``<svg>`` in the SVG namespace with a
    ``viewBox``; no script, style, foreignObject or embedding element, no ``on*`` event
    attribute, no link (href, xlink:href) except to ``#`` fragments of itself, no external
    ``url(...)``, no ``javascript:``.
    """
    if len(data) > MAX_PICTURE_BYTES:
        return f"{len(data)} bytes, at most {MAX_PICTURE_BYTES}"
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return "not UTF-8"
    if not text.startswith("<svg"):
        return "must start with <svg (no XML declaration, comment or DOCTYPE before it)"
    if "<!" in text.replace("<!--", ""):
        return "DOCTYPE, ENTITY and CDATA are not allowed"
    if "javascript:" in text.lower():
        return "contains 'javascript:'"
    if _EXTERNAL_URL_RE.search(text):
        return "contains an external url(...)"
    try:
        root = ET.fromstring(text)  # noqa: S314 - our own small files, no DTD (checked above)
    except ET.ParseError as exc:
        return f"not well-formed XML: {exc}"
    if root.tag != f"{{{_SVG_NS}}}svg":
        return f'root element must be <svg xmlns="{_SVG_NS}">'
    if "viewBox" not in root.attrib:
        return "the <svg> root needs a viewBox"
    for element in root.iter():
        tag = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
        if tag.lower() in _FORBIDDEN_SVG_ELEMENTS:
            return f"<{tag}> is not allowed"
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2].lower()
            if local.startswith("on"):
                return f"event attribute {local!r} is not allowed on <{tag}>"
            if local == "href" and not value.strip().startswith("#"):
                return f"link {value!r} on <{tag}>: only links inside the picture (#...) allowed"
    return None
