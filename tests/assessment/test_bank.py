"""Tests of the item bank: the real content, the loader's validation, and scoring."""

from __future__ import annotations

import ast
import json
import math
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise
from pathlib import Path

import pytest

from app.assessment import bank as bank_module
from app.assessment.bank import (
    DEFAULT_DIRECTORY,
    DOMAIN_PREFIXES,
    DOMAINS,
    DONT_KNOW,
    DONT_KNOW_LABEL,
    MAX_WORDS,
    SCORED_DOMAINS,
    Bank,
    BankError,
    Item,
    count_words,
    is_correct,
    load_bank,
    normalise_text,
)

MINIMUM_PER_DOMAIN = {"foundation": 12} | dict.fromkeys(SCORED_DOMAINS, 14)


@pytest.fixture(scope="module")
def real_bank() -> Bank:
    return load_bank()


# --------------------------------------------------------------------------- the real bank


def test_real_bank_loads(real_bank: Bank) -> None:
    assert len(real_bank.items) >= 84
    assert all(isinstance(item, Item) for item in real_bank.items)
    assert re.fullmatch(r"[0-9a-f]{12}", real_bank.version)


def test_domains() -> None:
    assert DOMAINS == (
        "foundation",
        "information",
        "communication",
        "creation",
        "protection",
        "environment",
    )
    assert SCORED_DOMAINS == DOMAINS[1:]


@pytest.mark.parametrize("domain", DOMAINS)
def test_count_per_domain(real_bank: Bank, domain: str) -> None:
    assert len(real_bank.in_domain(domain)) >= MINIMUM_PER_DOMAIN[domain]
    assert all(item.domain == domain for item in real_bank.in_domain(domain))


def test_every_item_is_in_one_domain(real_bank: Bank) -> None:
    assert sum(len(real_bank.in_domain(d)) for d in DOMAINS) == len(real_bank.items)


def test_ids_unique_kebab_case_and_prefixed(real_bank: Bank) -> None:
    ids = [item.id for item in real_bank.items]
    assert len(ids) == len(set(ids))
    for item in real_bank.items:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", item.id), item.id
        assert item.id.startswith(DOMAIN_PREFIXES[item.domain] + "-"), item.id


def test_kinds_mix(real_bank: Bank) -> None:
    kinds = Counter(item.kind for item in real_bank.items)
    assert set(kinds) == {"single", "text"}
    assert kinds["text"] >= 3
    assert kinds["single"] > 10 * kinds["text"]


@pytest.mark.parametrize("domain", SCORED_DOMAINS)
def test_scored_domain_spans_easy_to_hard(real_bank: Bank, domain: str) -> None:
    difficulties = [item.b for item in real_bank.in_domain(domain)]
    assert min(difficulties) <= -1.0
    assert max(difficulties) >= 1.0
    # Most items where the routing decisions happen.
    in_routing_zone = [b for b in difficulties if -1.5 <= b <= 1.0]
    assert len(in_routing_zone) >= len(difficulties) / 2
    # No big hole on the scale between the easiest and the hardest item.
    ordered = sorted(difficulties)
    assert max(b2 - b1 for b1, b2 in pairwise(ordered)) <= 1.0


def test_foundation_items_are_easy(real_bank: Bank) -> None:
    difficulties = sorted(item.b for item in real_bank.in_domain("foundation"))
    assert max(difficulties) <= -0.5
    assert difficulties[len(difficulties) // 2] <= -1.5


def test_parameters_follow_items_md(real_bank: Bank) -> None:
    for item in real_bank.items:
        assert 1.0 <= item.a <= 2.0, item.id
        assert -3.0 <= item.b <= 3.0, item.id


def test_texts_follow_writing_rules(real_bank: Bank) -> None:
    for item in real_bank.items:
        assert count_words(item.text) <= MAX_WORDS, item.id
        assert item.text.rstrip().endswith(("?", "."))
        assert item.can_do.startswith("Vous "), item.id
        assert "ne sais pas" not in item.text.lower(), item.id
        for option in item.options:
            assert normalise_text(option) != normalise_text(DONT_KNOW_LABEL), item.id
        # Never a self-rating.
        assert "vous sentez" not in item.text.lower(), item.id
        assert "niveau" not in item.text.lower(), item.id


def test_no_item_asks_to_tick_several_answers(real_bank: Bank) -> None:
    for item in real_bank.items:
        assert "Cochez" not in item.text, item.id


def _right(item: Item) -> str:
    return item.options[next(iter(item.answer)) - 1]


def _wrong(item: Item) -> list[str]:
    return [o for k, o in enumerate(item.options, 1) if k not in item.answer]


def test_right_answer_is_not_always_in_the_same_place(real_bank: Bank) -> None:
    positions = Counter(
        next(iter(item.answer)) for item in real_bank.items if item.kind == "single"
    )
    singles = sum(positions.values())
    assert max(positions.values()) < 0.4 * singles, positions


def test_length_gives_the_answer_away_no_more_than_chance(real_bank: Bank) -> None:
    """The right option is strictly the longest in at most 35 % of the single-choice items
    (chance: about 1 item in 3), and strictly the shortest no more often."""
    singles = [item for item in real_bank.items if item.kind == "single"]
    longest = [i.id for i in singles if len(_right(i)) > max(len(o) for o in _wrong(i))]
    shortest = [i.id for i in singles if len(_right(i)) < min(len(o) for o in _wrong(i))]
    assert len(longest) <= 0.35 * len(singles), longest
    assert len(shortest) <= 0.35 * len(singles), shortest


def test_options_of_an_item_have_the_same_length_and_shape(real_bank: Bank) -> None:
    """Give or take a few words: no option stands out by its length."""
    for item in real_bank.items:
        if item.kind != "single":
            continue
        words = [count_words(o) for o in item.options]
        assert max(words) - min(words) <= 4, (item.id, item.options)
        chars = [len(o) for o in item.options]
        assert max(chars) <= 3 * min(chars) + 8, (item.id, item.options)


def test_every_wrong_option_names_a_beginners_mistake(real_bank: Bank) -> None:
    for item in real_bank.items:
        if item.kind != "single":
            assert not item.mistakes, item.id
            continue
        wrong = set(range(1, len(item.options) + 1)) - item.answer
        assert set(item.mistakes) == wrong, item.id
        assert all(len(note.split()) >= 5 for note in item.mistakes.values()), item.id
        assert 3 <= len(item.options) <= 4, item.id


@pytest.mark.parametrize("domain", SCORED_DOMAINS)
def test_sharp_items_where_the_routing_is_decided(real_bank: Bank, domain: str) -> None:
    """At least 4 items per scored domain written to separate "needs the basics" from "first
    steps": difficulty between -1.5 and -0.5, and a task people can do or cannot (a ≥ 1.5)."""
    at_cut = [
        item.id for item in real_bank.in_domain(domain) if -1.5 <= item.b <= -0.5 and item.a >= 1.5
    ]
    assert len(at_cut) >= 4, at_cut


def test_guessing_is_in_the_item_model(real_bank: Bank) -> None:
    for item in real_bank.items:
        if item.kind == "single":
            assert item.c == pytest.approx(bank_module.GUESSING_SHARE / len(item.options))
        else:
            assert item.c == 0.0


def test_typed_answers_can_be_typed_on_an_arabic_keyboard(real_bank: Bank) -> None:
    """A typed answer is made of digits (an Arabic keyboard types them, read as 0-9), or one of
    its accepted answers is written in Arabic letters (as the Arabic page names it)."""
    for item in real_bank.items:
        if item.kind != "text":
            continue
        digits = any(all(c.isdigit() or c.isspace() for c in a) for a in item.accepted)
        arabic = any(any("\u0600" <= c <= "\u06ff" for c in a) for a in item.accepted)
        assert digits or arabic, item.id


def test_every_item_scores_its_own_answer_right_and_a_wrong_one_wrong(real_bank: Bank) -> None:
    for item in real_bank.items:
        if item.kind == "single":
            (right,) = item.answer
            assert is_correct(item, str(right)) is True, item.id
            wrong = next(i for i in range(1, len(item.options) + 1) if i != right)
            assert is_correct(item, str(wrong)) is False, item.id
        else:
            for accepted in item.accepted:
                assert is_correct(item, accepted) is True, item.id
                assert is_correct(item, f"  {accepted.upper()} ") is True, item.id
            assert is_correct(item, "zzz") is False, item.id
        assert is_correct(item, DONT_KNOW) is None, item.id


# --------------------------------------------------------------------------- pictures


def test_pictures_have_alt_and_are_safe_svg(real_bank: Bank) -> None:
    with_picture = [item for item in real_bank.items if item.picture is not None]
    assert len(with_picture) >= 30
    for item in real_bank.items:
        assert (item.picture is None) == (item.alt is None), item.id
    for item in with_picture:
        assert item.alt and len(item.alt.split()) >= 8, item.id
        assert item.picture.startswith("<svg"), item.id
        root = ET.fromstring(item.picture)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "viewBox" in root.attrib
        assert "<script" not in item.picture.lower()


def test_pictures_use_current_color_only(real_bank: Bank) -> None:
    """Pictures follow the text colour, so they keep the page's contrast (dark mode too)."""
    for item in real_bank.items:
        if item.picture is None:
            continue
        for element in ET.fromstring(item.picture).iter():
            for attribute in ("fill", "stroke", "color"):
                value = element.attrib.get(attribute)
                assert value in (None, "currentColor", "none"), (item.id, attribute, value)
            assert "style" not in element.attrib, item.id


def test_every_picture_file_is_used_and_small(real_bank: Bank) -> None:
    files = {path.stem: path for path in (DEFAULT_DIRECTORY / "pictures").glob("*.svg")}
    used = {
        item.picture: item for item in real_bank.items if item.picture is not None
    }  # markup → item
    assert len(used) == len(files)
    for path in files.values():
        assert path.stat().st_size <= 1500, path.name
        assert path.read_text(encoding="utf-8").strip() in used, path.name


# --------------------------------------------------------------------------- API, cache, version


def test_bank_lookup(real_bank: Bank) -> None:
    first = real_bank.items[0]
    assert real_bank.by_id[first.id] is first
    assert real_bank.get(first.id) is first
    assert real_bank.get("nope") is None
    assert first.id in real_bank
    assert isinstance(real_bank.by_id, Mapping)
    with pytest.raises(TypeError):
        real_bank.by_id["x"] = first  # type: ignore[index]
    with pytest.raises(ValueError, match="unknown domain"):
        real_bank.in_domain("cooking")
    assert isinstance(real_bank.in_domain("protection"), tuple)


def test_bank_rejects_duplicate_ids_when_built_directly(real_bank: Bank) -> None:
    item = real_bank.items[0]
    with pytest.raises(BankError, match=item.id):
        Bank(items=(item, item), version="x")


def test_items_and_bank_are_immutable(real_bank: Bank) -> None:
    with pytest.raises(AttributeError):
        real_bank.items[0].b = 0.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        real_bank.version = "x"  # type: ignore[misc]


def test_default_bank_is_cached() -> None:
    assert load_bank() is load_bank()


def test_version_stable_and_changes_with_content(tmp_path: Path, real_bank: Bank) -> None:
    copy = tmp_path / "content"
    shutil.copytree(DEFAULT_DIRECTORY, copy)
    first, second = load_bank(copy), load_bank(copy)
    assert first is not second
    assert first.version == second.version == real_bank.version
    assert first == real_bank

    protection = copy / "items" / "protection.toml"
    original = protection.read_text(encoding="utf-8")
    edited = re.sub(r"^b = (-?[\d.]+)$", "b = 2.9", original, count=1, flags=re.MULTILINE)
    assert edited != original
    protection.write_text(edited, encoding="utf-8")
    after_item_edit = load_bank(copy).version
    assert after_item_edit != real_bank.version

    picture = sorted((copy / "pictures").glob("*.svg"))[0]
    picture.write_bytes(picture.read_bytes() + b"\n")
    after_picture_edit = load_bank(copy).version
    assert after_picture_edit not in (real_bank.version, after_item_edit)

    protection.write_text(original, encoding="utf-8")
    shutil.copy(DEFAULT_DIRECTORY / "pictures" / picture.name, picture)
    assert load_bank(copy).version == real_bank.version


def test_bank_module_imports_only_the_standard_library() -> None:
    source = Path(bank_module.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    relative: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level:
            relative.add(str(node.module))
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
    assert relative <= {"domains"}, relative


def test_bank_module_runs_without_flask() -> None:
    """bank.py loads the real bank on its own: no Flask, no app package (only the assessment
    package, imported without app/__init__.py)."""
    package = str(Path(bank_module.__file__).resolve().parent.parent)
    script = (
        "import sys\n"
        f"sys.path.insert(0, {package!r})\n"
        "from assessment.bank import load_bank\n"
        "bank = load_bank()\n"
        "assert 'flask' not in sys.modules and 'app' not in sys.modules\n"
        "print(len(bank.items), bank.version)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[1] == load_bank().version


# --------------------------------------------------------------------------- validation


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


GOOD_ITEM: dict[str, object] = {
    "id": "secu-test",
    "text": "Quelqu'un vous demande votre code par SMS. Que faites-vous ?",
    "options": ["Je donne le code", "Je ne donne rien", "Je donne la moitié"],
    "answer": 2,
    "can_do": "Vous savez garder un code secret.",
    "a": 1.5,
    "b": 0.0,
    "mistakes": {
        1: "Trusts whoever asks for the code.",
        3: "Thinks half a code cannot be used.",
    },
}

GOOD_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    '<rect width="10" height="10" fill="currentColor"/></svg>'
)


def _item_toml(item: Mapping[str, object]) -> str:
    lines = ["[[item]]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in item.items()]
    return "\n".join(lines) + "\n"


def write_bank(
    root: Path,
    items: Sequence[Mapping[str, object]] = (GOOD_ITEM,),
    *,
    file_domain: str | None = "protection",
    file_name: str = "protection.toml",
    pictures: Mapping[str, str | bytes] | None = None,
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    (root / "items").mkdir(parents=True)
    (root / "pictures").mkdir()
    head = f'domain = "{file_domain}"\n\n' if file_domain else ""
    body = "\n".join(_item_toml(item) for item in items)
    (root / "items" / file_name).write_text(head + body, encoding="utf-8")
    for name, text in (extra_files or {}).items():
        (root / "items" / name).write_text(text, encoding="utf-8")
    for name, svg in (pictures or {}).items():
        path = root / "pictures" / f"{name}.svg"
        if isinstance(svg, bytes):
            path.write_bytes(svg)
        else:
            path.write_text(svg, encoding="utf-8")
    return root


def item_with(**changes: object) -> dict[str, object]:
    """GOOD_ITEM with keys changed; a value of None removes the key."""
    item = dict(GOOD_ITEM)
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def test_minimal_bank_loads(tmp_path: Path) -> None:
    root = write_bank(
        tmp_path,
        [
            GOOD_ITEM,
            item_with(id="secu-pic", picture="ok", alt="Un carré noir, plein."),
            item_with(
                id="secu-typed",
                kind="text",
                options=None,
                answer=None,
                mistakes=None,
                answers=["Élodie"],
            ),
        ],
        pictures={"ok": GOOD_SVG},
    )
    bank = load_bank(root)
    assert [item.id for item in bank.items] == ["secu-test", "secu-pic", "secu-typed"]
    single, pictured, typed = bank.items
    assert single == Item(
        id="secu-test",
        domain="protection",
        kind="single",
        text=str(GOOD_ITEM["text"]),
        options=("Je donne le code", "Je ne donne rien", "Je donne la moitié"),
        answer=frozenset({2}),
        accepted=(),
        can_do="Vous savez garder un code secret.",
        a=1.5,
        b=0.0,
        picture=None,
        alt=None,
    )
    assert pictured.picture == GOOD_SVG and pictured.alt == "Un carré noir, plein."
    assert dict(single.mistakes) == {
        1: "Trusts whoever asks for the code.",
        3: "Thinks half a code cannot be used.",
    }
    assert typed.mistakes == {} and typed.c == 0.0
    assert single.c == pytest.approx(bank_module.GUESSING_SHARE / 3)
    assert single.pilot and not single.a_estimated and single.b_se is None
    assert typed.options == () and typed.answer == frozenset() and typed.accepted == ("Élodie",)
    assert bank.in_domain("protection") == bank.items
    assert bank.in_domain("information") == ()


def test_domain_may_be_set_per_item(tmp_path: Path) -> None:
    root = write_bank(
        tmp_path,
        [item_with(domain="protection"), item_with(id="info-test", domain="information")],
        file_domain=None,
        file_name="mixed.toml",
    )
    assert [item.domain for item in load_bank(root).items] == ["protection", "information"]


def test_integer_parameters_are_accepted(tmp_path: Path) -> None:
    item = load_bank(write_bank(tmp_path, [item_with(a=1, b=-2)])).items[0]
    assert (item.a, item.b) == (1.0, -2.0)
    assert isinstance(item.a, float)


BAD_ITEMS: list[tuple[str, dict[str, object], str]] = [
    ("unknown key", {"anwser": 2}, "unknown key(s) anwser"),
    ("unknown domain", {"domain": "cooking"}, "unknown domain 'cooking'"),
    ("domain differs from file", {"domain": "information"}, "differs from the file"),
    ("unknown kind", {"kind": "essay"}, "unknown kind 'essay'"),
    ("id not kebab-case", {"id": "secu_Test"}, "kebab-case"),
    ("id without domain prefix", {"id": "info-test"}, "must start with 'secu-'"),
    ("text missing", {"text": None}, "'text' is missing"),
    ("text empty", {"text": "  "}, "'text' is empty"),
    ("text not a string", {"text": 3}, "'text' must be text"),
    ("text too long", {"text": "Mot " * 40 + "trop ?"}, "41 words"),
    ("two options", {"options": ["Oui", "Non"], "answer": 1}, "3 to 4 options"),
    ("five options", {"options": list("ABCDE"), "answer": 1}, "3 to 4 options"),
    ("options missing", {"options": None}, "'options' is missing"),
    ("option not a string", {"options": ["A", 2, "C"]}, "list of texts"),
    ("empty option", {"options": ["A", "", "C"]}, "empty entry"),
    ("option repeated", {"options": ["Oui", "Non", "oui"]}, "has 'oui' twice"),
    ("option repeated with accent", {"options": ["Été", "Non", "ete"]}, "twice"),
    ("dont-know option", {"options": ["Oui", "Non", "Je ne sais pas"]}, "the page adds it"),
    ("dont-know option case", {"options": ["Oui", "Non", "je  ne sais PAS"]}, "the page adds it"),
    ("answer missing", {"answer": None}, "'answer' is missing"),
    ("answer out of range", {"answer": 4}, "'answer' 4 is not an option number"),
    ("answer zero", {"answer": 0}, "'answer' 0 is not an option number"),
    ("answer boolean", {"answer": True}, "one option number"),
    ("answer list for single", {"answer": [2]}, "one option number"),
    ("answer as text", {"answer": "2"}, "one option number"),
    ("answers on a single item", {"answers": ["x"]}, "only for text items"),
    ("tick all", {"kind": "multiple", "answer": [1, 3]}, "tick-all items are not accepted"),
    ("mistakes missing", {"mistakes": None}, "'mistakes' is missing"),
    ("mistakes not a table", {"mistakes": "no"}, "'mistakes' must be a table"),
    ("mistake for the right option", {"mistakes": {1: "x y", 2: "x y", 3: "x y"}}, "one entry"),
    ("mistake left out", {"mistakes": {1: "Trusts whoever asks."}}, "one entry per wrong option"),
    ("mistake empty", {"mistakes": {1: " ", 3: "x y"}}, "non-empty text"),
    ("notes empty", {"notes": ""}, "'notes' is empty"),
    (
        "text: has options",
        {"kind": "text", "answer": None, "mistakes": None, "answers": ["x"]},
        "no 'options'",
    ),
    (
        "text: has mistakes",
        {"kind": "text", "options": None, "answer": None, "answers": ["x"]},
        "no 'mistakes'",
    ),
    (
        "text: uses answer",
        {"kind": "text", "options": None, "mistakes": None, "answers": ["x"]},
        "uses 'answers'",
    ),
    (
        "text: no answers",
        {"kind": "text", "options": None, "answer": None, "mistakes": None},
        "'answers' is missing",
    ),
    (
        "text: empty answers",
        {"kind": "text", "options": None, "answer": None, "mistakes": None, "answers": []},
        "'answers' is empty",
    ),
    (
        "text: answers not a list",
        {"kind": "text", "options": None, "answer": None, "mistakes": None, "answers": "x"},
        "list of texts",
    ),
    (
        "text: answer repeated",
        {
            "kind": "text",
            "options": None,
            "answer": None,
            "mistakes": None,
            "answers": ["Élodie", "elodie"],
        },
        "twice",
    ),
    ("can_do missing", {"can_do": None}, "'can_do' is missing"),
    ("can_do empty", {"can_do": ""}, "'can_do' is empty"),
    ("can_do not Vous", {"can_do": "Savoir garder un code."}, "must start with 'Vous'"),
    ("a missing", {"a": None}, "'a' is missing"),
    ("a too small", {"a": 0.4}, "'a' = 0.4 is out of range"),
    ("a too large", {"a": 2.6}, "'a' = 2.6 is out of range"),
    ("a not a number", {"a": "1.5"}, "'a' must be a number"),
    ("a boolean", {"a": True}, "'a' must be a number"),
    ("b missing", {"b": None}, "'b' is missing"),
    ("b too small", {"b": -3.5}, "'b' = -3.5 is out of range"),
    ("b too large", {"b": 3.01}, "'b' = 3.01 is out of range"),
    ("b not a number", {"b": float("nan")}, "'b' = nan is out of range"),
    ("picture file missing", {"picture": "nope", "alt": "Un dessin."}, "does not exist"),
    ("picture without alt", {"picture": "ok"}, "'alt' is missing"),
    ("picture with empty alt", {"picture": "ok", "alt": " "}, "'alt' is empty"),
    ("alt without picture", {"alt": "Un dessin."}, "no 'picture'"),
    ("picture path", {"picture": "../ok", "alt": "Un dessin."}, "file name without extension"),
    ("picture with extension", {"picture": "ok.svg", "alt": "Un dessin."}, "without extension"),
]


@pytest.mark.parametrize(
    ("changes", "message"),
    [pytest.param(changes, message, id=name) for name, changes, message in BAD_ITEMS],
)
def test_bad_item_is_rejected_with_file_item_and_reason(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    bad = item_with(**changes)
    root = write_bank(tmp_path, [GOOD_ITEM | {"id": "secu-fine"}, bad], pictures={"ok": GOOD_SVG})
    with pytest.raises(BankError) as caught:
        load_bank(root)
    text = str(caught.value)
    assert "items/protection.toml" in text
    assert f"item '{bad['id']}'" in text
    assert message in text


def test_item_without_id_is_named_by_position(tmp_path: Path) -> None:
    root = write_bank(tmp_path, [GOOD_ITEM, item_with(id=None)])
    with pytest.raises(BankError, match=r"items/protection\.toml: item #2 \(no id\): 'id' is"):
        load_bank(root)


def test_good_item_in_bad_company_is_not_named(tmp_path: Path) -> None:
    """The error names the bad item, not the first item of the file."""
    root = write_bank(tmp_path, [GOOD_ITEM, item_with(id="secu-bad", a=9)])
    with pytest.raises(BankError, match="item 'secu-bad'") as caught:
        load_bank(root)
    assert "secu-test" not in str(caught.value)


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    root = write_bank(tmp_path, [GOOD_ITEM, GOOD_ITEM])
    with pytest.raises(BankError, match=r"protection\.toml: item 'secu-test': .*already used"):
        load_bank(root)


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    other = 'domain = "protection"\n\n' + _item_toml(GOOD_ITEM)
    root = write_bank(tmp_path, extra_files={"zz-more.toml": other})
    with pytest.raises(BankError) as caught:
        load_bank(root)
    assert "items/zz-more.toml: item 'secu-test'" in str(caught.value)
    assert "already used in items/protection.toml" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param('domain = "protection"\n[[item]\nid = 1\n', "not valid TOML", id="toml"),
        pytest.param('domain = "protection"\n', "no [[item]] table", id="no-items"),
        pytest.param('domain = "cooking"\n' + _item_toml(GOOD_ITEM), "unknown domain", id="dom"),
        pytest.param(
            'domian = "protection"\n' + _item_toml(GOOD_ITEM), "unknown top-level key", id="key"
        ),
        pytest.param("item = 3\n", "no [[item]] table", id="item-not-table"),
        pytest.param("item = [1]\n", "item #1 (no id): must be a table", id="item-not-tables"),
    ],
)
def test_bad_file_is_rejected(tmp_path: Path, content: str, message: str) -> None:
    root = write_bank(tmp_path, extra_files={"broken.toml": content})
    with pytest.raises(BankError, match=re.escape(message)) as caught:
        load_bank(root)
    assert "items/broken.toml" in str(caught.value)


def test_empty_directory_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "items").mkdir()
    with pytest.raises(BankError, match="no item file"):
        load_bank(tmp_path)


def test_missing_domain_is_rejected(tmp_path: Path) -> None:
    root = write_bank(tmp_path, file_domain=None)
    with pytest.raises(BankError, match="item 'secu-test': 'domain' is missing"):
        load_bank(root)


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'

BAD_SVGS: list[tuple[str, str | bytes, str]] = [
    ("too big", SVG_HEAD + "<!--" + "x" * 1500 + "--></svg>", "at most 1500"),
    ("not utf-8", SVG_HEAD.encode() + b"<text>\xe9</text></svg>", "not UTF-8"),
    ("not xml", SVG_HEAD + "<rect></svg>", "not well-formed"),
    ("not svg root", '<svg-ish xmlns="http://www.w3.org/2000/svg"/>', "root element"),
    ("html root", "<div><svg/></div>", "must start with <svg"),
    ("no namespace", '<svg viewBox="0 0 10 10"><rect/></svg>', "root element"),
    ("no viewBox", '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "viewBox"),
    ("xml declaration", '<?xml version="1.0"?>' + SVG_HEAD + "</svg>", "must start with <svg"),
    (
        "entity",
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><!ENTITY x "y"></svg>',
        "DOCTYPE",
    ),
    ("script", SVG_HEAD + "<script>alert(1)</script></svg>", "<script> is not allowed"),
    ("script uppercase", SVG_HEAD + "<SCRIPT/></svg>", "<SCRIPT> is not allowed"),
    ("style element", SVG_HEAD + "<style>body{display:none}</style></svg>", "<style>"),
    ("foreignObject", SVG_HEAD + "<foreignObject/></svg>", "<foreignObject>"),
    ("onload on root", SVG_HEAD.replace("<svg", '<svg onload="x()"') + "</svg>", "onload"),
    ("onclick on child", SVG_HEAD + '<rect onClick="x()"/></svg>', "onclick"),
    ("external href", SVG_HEAD + '<a href="https://example.org"><rect/></a></svg>', "link"),
    (
        "external xlink:href",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'viewBox="0 0 1 1"><image xlink:href="http://example.org/a.png"/></svg>',
        "link",
    ),
    ("external url()", SVG_HEAD + '<rect fill="url(https://x.org/p.svg#g)"/></svg>', "url("),
    ("javascript", SVG_HEAD + '<a href="javascript:alert(1)"/></svg>', "javascript:"),
]


@pytest.mark.parametrize(
    ("svg", "message"),
    [pytest.param(svg, message, id=name) for name, svg, message in BAD_SVGS],
)
def test_bad_picture_is_rejected(tmp_path: Path, svg: str | bytes, message: str) -> None:
    root = write_bank(
        tmp_path,
        [item_with(picture="bad", alt="Un dessin de test.")],
        pictures={"bad": svg},
    )
    with pytest.raises(BankError) as caught:
        load_bank(root)
    text = str(caught.value)
    assert "items/protection.toml: item 'secu-test': picture bad.svg:" in text
    assert message in text


def test_internal_links_in_pictures_are_allowed(tmp_path: Path) -> None:
    svg = (
        SVG_HEAD + '<defs><path id="p" d="M0 0h5"/></defs><use href="#p" fill="url(#p)"/>'
        "<!-- a comment --></svg>"
    )
    root = write_bank(tmp_path, [item_with(picture="ok", alt="Un trait.")], pictures={"ok": svg})
    assert load_bank(root).items[0].picture == svg


# --------------------------------------------------------------------------- scoring


def make_item(kind: str, **changes: object) -> Item:
    values: dict[str, object] = {
        "id": f"secu-{kind}",
        "domain": "protection",
        "kind": kind,
        "text": "Question ?",
        "options": ("Un", "Deux", "Trois", "Quatre") if kind != "text" else (),
        "answer": frozenset({2}) if kind == "single" else frozenset(),
        "accepted": ("Élodie", "l'avion", "Jean Pierre") if kind == "text" else (),
        "can_do": "Vous savez.",
        "a": 1.0,
        "b": 0.0,
    }
    values.update(changes)
    return Item(**values)  # type: ignore[arg-type]


SINGLE = make_item("single")
TEXT = make_item("text")


@pytest.mark.parametrize(
    ("response", "expected"),
    [("2", True), (" 2 ", True), ("02", True), ("1", False), ("3", False), ("4", False)],
)
def test_single(response: str, expected: bool) -> None:
    assert is_correct(SINGLE, response) is expected


@pytest.mark.parametrize(
    "response",
    ["", " ", "0", "5", "-1", "+2", "2.0", "deux", "²", "١", "1,2", ["2"], ("2",), None, 2],
)
def test_single_invalid(response: object) -> None:
    with pytest.raises(ValueError):
        is_correct(SINGLE, response)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Élodie", True),
        ("  Élodie  ", True),
        ("elodie", True),
        ("ELODIE", True),
        ("E\u0301lodie", True),  # decomposed accent
        ("l'avion", True),
        ("l’avion", True),  # typographic apostrophe
        ("L ’ avion", False),
        ("jean   pierre", True),
        ("Jean\u00a0Pierre", True),  # non-breaking space
        ("\tJean Pierre\n", True),
        ("JeanPierre", False),
        ("Élodie.", False),
        ("Mélodie", False),
        ("Elodi", False),
    ],
)
def test_text_tolerant_matching(response: str, expected: bool) -> None:
    assert is_correct(TEXT, response) is expected


@pytest.mark.parametrize("response", ["", "   ", "\u00a0", ["Élodie"], None])
def test_text_invalid(response: object) -> None:
    with pytest.raises(ValueError):
        is_correct(TEXT, response)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item", "response"),
    [(SINGLE, DONT_KNOW), (TEXT, DONT_KNOW)],
)
def test_dont_know_is_none(item: Item, response: str) -> None:
    assert is_correct(item, response) is None


def test_dont_know_is_not_a_label() -> None:
    assert DONT_KNOW == "dont-know"
    assert DONT_KNOW_LABEL == "Je ne sais pas"


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("  Élodie  ", "elodie"),
        ("CŒUR", "coeur"),
        ("l’été", "l'ete"),
        ("a \t\n b", "a b"),
        ("Jean\u202fPierre", "jean pierre"),
        ("Straße", "strasse"),
        ("ÇA", "ca"),
        ("", ""),
    ],
)
def test_normalise_text(raw: str, folded: str) -> None:
    assert normalise_text(raw) == folded


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Vous recevez ce SMS : « Bonjour ! »", 5),
        ("Que faites-vous ?", 2),
        ("Payez 1,99 € ici", 3),
        ("", 0),
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


def test_digits_typed_on_an_arabic_keyboard_are_read() -> None:
    from app.assessment.bank import is_correct, load_bank

    item = load_bank().get("base-sms-code")
    assert item is not None and item.kind == "text"
    assert is_correct(item, "٥٣١٩") is True
    assert is_correct(item, "۵۳۱۹") is True
    assert is_correct(item, "٥٣١٨") is False
