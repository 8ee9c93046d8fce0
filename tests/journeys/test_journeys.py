"""Tests of the journeys: the real content, the loader's validation, the rule and the plan."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_from_file

from app.assessment import engine
from app.assessment.bank import SCORED_DOMAINS, count_words, load_bank
from app.journeys import content as content_module
from app.journeys import rules as rules_module
from app.journeys.content import (
    BASICS_FILE,
    BASICS_STEP_ID,
    DEFAULT_DIRECTORY,
    Journey,
    JourneyError,
    Step,
    Way,
    load_journeys,
    translatable_strings,
)
from app.journeys.rules import (
    DEFAULT_ORDER,
    REASONS,
    WAY_LABELS,
    Levels,
    Reason,
    order_ways,
    plan,
)

ROOT = Path(__file__).resolve().parents[2]
ALONE, MEDIATOR, COUNSELLOR = Way.ALONE, Way.MEDIATOR, Way.COUNSELLOR

# The outline of CONTENT.md, in order.
EXPECTED_STEPS = {
    "futur-metier": (
        "mes-atouts",
        "decouvrir-metiers",
        "essayer-metier",
        "trouver-formation",
        "bilan-conseiller",
    ),
    "recherche-emploi": (
        "adresse-mail",
        "cv",
        "trouver-offres",
        "postuler",
        "entretien",
        "suivre-candidatures",
    ),
}
EXPECTED_TITLES = {
    "futur-metier": "Je choisis mon futur métier",
    "recherche-emploi": "Je recherche un emploi",
}
# The public services a step may link to.
ALLOWED_HOSTS = {
    "www.francetravail.fr",
    "candidat.francetravail.fr",
    "labonneboite.francetravail.fr",
    "immersion-facile.beta.gouv.fr",
    "www.moncompteformation.gouv.fr",
    "www.onisep.fr",
    "www.laposte.net",
    "www.lesbonsclics.fr",
}
# Abbreviations the person may not know (CONTENT.md): spell them out.
ABBREVIATIONS = ("CCAS", "EPN", "PMSMP", "CPF", "CAF", "APTIC", "ROME", "ARE", "RSA")
MAX_SENTENCE_WORDS = 15  # CONTENT.md: "under 15 words where you can"
MAX_REASON_WORDS = 18  # the reasons repeat "Nous vous proposons d'abord …": a little longer


def all_bands(band: int) -> dict[str, int]:
    return dict.fromkeys(SCORED_DOMAINS, band)


def make_step(**changes: Any) -> Step:
    values: dict[str, Any] = {
        "id": "etape",
        "title": "Une étape",
        "why": "Pourquoi.",
        "domain": "creation",
        "band_needed": 2,
        "how_to": ("Un.", "Deux."),
        "link_url": "https://www.francetravail.fr/",
        "link_label": "Un lien",
    }
    values.update(changes)
    return Step(**values)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!:])\s+", text) if s]


# --------------------------------------------------------------------------- real content


@pytest.fixture(scope="module")
def journeys() -> Mapping[str, Journey]:
    return load_journeys()


def test_both_journeys_load_with_their_france_travail_names(
    journeys: Mapping[str, Journey],
) -> None:
    assert list(journeys) == ["futur-metier", "recherche-emploi"]
    assert {j.id: j.title for j in journeys.values()} == EXPECTED_TITLES
    assert all(j.intro for j in journeys.values())


@pytest.mark.parametrize("journey_id", sorted(EXPECTED_STEPS))
def test_each_journey_has_the_steps_of_content_md(
    journeys: Mapping[str, Journey], journey_id: str
) -> None:
    journey = journeys[journey_id]
    assert tuple(step.id for step in journey.steps) == EXPECTED_STEPS[journey_id]
    assert journey.step("cv") is (journey.steps[1] if journey_id == "recherche-emploi" else None)
    assert journey.step(BASICS_STEP_ID) is journey.basics


def test_every_step_needs_a_scored_domain_and_a_band(journeys: Mapping[str, Journey]) -> None:
    for journey in journeys.values():
        for step in (journey.basics, *journey.steps):
            assert step.domain in SCORED_DOMAINS, step.id
            assert step.band_needed in range(4), step.id
            assert 2 <= len(step.how_to) <= 4, step.id


def test_the_steps_need_what_the_brief_says(journeys: Mapping[str, Journey]) -> None:
    search = journeys["recherche-emploi"]
    cv = search.step("cv")
    assert cv is not None and (cv.domain, cv.band_needed) == ("creation", 2)
    check = journeys["futur-metier"].step("bilan-conseiller")
    assert check is not None and check.first_way is COUNSELLOR
    assert search.basics.first_way is MEDIATOR
    others = [s for j in journeys.values() for s in j.steps if s.id != "bilan-conseiller"]
    assert all(step.first_way is None for step in others)


def test_both_journeys_share_the_basics_step(journeys: Mapping[str, Journey]) -> None:
    basics = {journey.basics for journey in journeys.values()}
    assert len(basics) == 1
    step = basics.pop()
    assert (step.id, step.title) == (BASICS_STEP_ID, "Apprendre les bases du numérique")
    facts = " ".join(step.good_to_know)
    for needed in (
        "Pass numérique",
        "10 €",
        "1 atelier",
        "France Travail",
        "mairie",
        "centre d'action sociale",
        "Caisse d'allocations familiales",
        "Mission",
        "date écrite",
        "Seuls certains lieux",
        "gratuit",
    ):
        assert needed in facts, needed


def test_links_go_to_public_services_over_https(journeys: Mapping[str, Journey]) -> None:
    for journey in journeys.values():
        for step in (journey.basics, *journey.steps):
            parts = urlsplit(step.link_url)
            assert parts.scheme == "https", step.id
            assert parts.hostname in ALLOWED_HOSTS, step.id
            assert step.link_label and "cliquez" not in step.link_label.lower(), step.id


def test_texts_follow_the_plain_language_rules(journeys: Mapping[str, Journey]) -> None:
    for text in translatable_strings(journeys):
        for sentence in sentences(text):
            assert count_words(sentence) <= MAX_SENTENCE_WORDS, sentence
        words = set(re.findall(r"[\w']+", text))
        assert not words & set(ABBREVIATIONS), text
        assert not re.search(r"\b(tu|ton|ta|tes|toi)\b", text, re.IGNORECASE), text
        assert "·" not in text, text  # no middle-dot inclusive writing
        assert "  " not in text, text
    for journey in journeys.values():
        for step in (journey.basics, *journey.steps):
            assert count_words(step.title) <= 9, step.title
            assert 1 <= len(sentences(step.why)) <= 2, step.why


def test_translatable_strings_cover_every_text_of_the_files() -> None:
    """Every French text in the files is a msgid; ids, domains and links are not."""
    not_texts = {"id", "domain", "link_url", "first_way", "band_needed"}
    in_files: set[str] = set()

    def collect(table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            if key in not_texts:
                continue
            if isinstance(value, str):
                in_files.add(value)
            elif isinstance(value, list):
                for entry in value:
                    collect(entry) if isinstance(entry, dict) else in_files.add(entry)
            elif isinstance(value, dict):
                collect(value)

    for path in DEFAULT_DIRECTORY.glob("*.toml"):
        collect(tomllib.loads(path.read_text(encoding="utf-8")))
    strings = translatable_strings()
    assert set(strings) == in_files
    assert len(strings) == len(set(strings))


def test_the_babel_extractor_yields_every_text_with_its_line() -> None:
    expected = set(translatable_strings()) | set(rules_module.translatable_strings())
    found: set[str] = set()
    for path in sorted(DEFAULT_DIRECTORY.glob("*.toml")):
        source_lines = path.read_text(encoding="utf-8").splitlines()
        for line, message, _comments, _context in extract_from_file(
            "app.i18n_extract:extract_journeys", str(path)
        ):
            found.add(message)
            if message in translatable_strings():
                assert json.dumps(message, ensure_ascii=False) in source_lines[line - 1]
    assert found == expected


def test_the_default_content_is_loaded_once(tmp_path: Path) -> None:
    assert load_journeys() is load_journeys()
    copy = tmp_path / "journeys"
    shutil.copytree(DEFAULT_DIRECTORY, copy)
    first = load_journeys(copy)
    path = copy / "futur-metier.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'title = "Je choisis mon futur métier"', 'title = "Un autre titre"'
        ),
        encoding="utf-8",
    )
    assert load_journeys(copy)["futur-metier"].title == "Un autre titre"
    assert first["futur-metier"].title == "Je choisis mon futur métier"
    assert load_journeys()["futur-metier"].title == "Je choisis mon futur métier"


def test_loaded_content_cannot_be_changed(journeys: Mapping[str, Journey]) -> None:
    journey = journeys["futur-metier"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        journey.title = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        journey.steps[0].band_needed = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        journeys["x"] = journey  # type: ignore[index]


def test_journey_modules_import_no_web_code() -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    allowed_app = {"app.assessment.bank", "app.assessment.engine", "app.journeys.content"}
    allowed_app |= {"app.journeys.rules"}
    for module in (content_module, rules_module):
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed or name in allowed_app, (module, name)


def test_journeys_run_without_flask() -> None:
    """The package works on its own: the app package (and Flask) is never imported."""
    script = (
        "import sys, types\n"
        "package = types.ModuleType('app')\n"
        f"package.__path__ = [{str(ROOT / 'app')!r}]\n"
        "sys.modules['app'] = package\n"
        "from app.journeys import Levels, load_journeys, plan\n"
        "journey = load_journeys()['recherche-emploi']\n"
        "bands = dict.fromkeys(('information', 'communication', 'creation', 'protection',"
        " 'environment'), 0)\n"
        "result = plan(journey, Levels(bands, needs_basics=True))\n"
        "assert 'flask' not in sys.modules\n"
        "print(result.steps[0].step.id)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert out == BASICS_STEP_ID


# --------------------------------------------------------------------------- validation

VALID_STEP: dict[str, Any] = {
    "id": "faire-mon-cv",
    "title": "Faire mon CV",
    "why": "Les entreprises le demandent.",
    "domain": "creation",
    "band_needed": 2,
    "how_to": ["Notez vos emplois.", "Créez votre CV."],
    "link_url": "https://www.francetravail.fr/",
    "link_label": "Conseils pour votre CV",
}
VALID_BASICS: dict[str, Any] = {
    **VALID_STEP,
    "id": BASICS_STEP_ID,
    "title": "Apprendre les bases du numérique",
    "first_way": "mediator",
    "good_to_know": ["Le Pass numérique donne des chèques de 10 €."],
}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def toml_table(values: Mapping[str, Any]) -> str:
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in values.items())


def write_content(
    directory: Path,
    *,
    journey: Mapping[str, Any] | None = None,
    steps: list[dict[str, Any]] | None = None,
    basics: Mapping[str, Any] | None = None,
    name: str = "mon-parcours",
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    head = journey if journey is not None else {"id": name, "title": "Titre", "intro": "Intro."}
    body = toml_table(head)
    for step in steps if steps is not None else [dict(VALID_STEP)]:
        body += "\n[[step]]\n" + toml_table(step)
    (directory / f"{name}.toml").write_text(body, encoding="utf-8")
    basics_values = basics if basics is not None else VALID_BASICS
    (directory / BASICS_FILE).write_text("[step]\n" + toml_table(basics_values), encoding="utf-8")
    return directory


def with_step(**changes: Any) -> dict[str, Any]:
    step = {**VALID_STEP, **changes}
    return {key: value for key, value in step.items() if value is not None}


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in VALID_STEP.items() if k != key}


def test_the_valid_example_loads(tmp_path: Path) -> None:
    journeys = load_journeys(write_content(tmp_path))
    journey = journeys["mon-parcours"]
    assert journey.steps[0] == Step(
        id="faire-mon-cv",
        title="Faire mon CV",
        why="Les entreprises le demandent.",
        domain="creation",
        band_needed=2,
        how_to=("Notez vos emplois.", "Créez votre CV."),
        link_url="https://www.francetravail.fr/",
        link_label="Conseils pour votre CV",
    )
    assert journey.basics.first_way is MEDIATOR
    assert journey.basics.good_to_know == ("Le Pass numérique donne des chèques de 10 €.",)


STEP_PROBLEMS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown key", with_step(lien="https://x.fr"), "unknown key(s) in the step: lien"),
    ("missing why", without("why"), "missing key(s) in the step: why"),
    ("missing domain", without("domain"), "missing key(s) in the step: domain"),
    ("empty title", with_step(title=""), "title is empty"),
    ("blank why", with_step(why="   "), "why is empty"),
    ("padded label", with_step(link_label=" Lien"), "link_label starts or ends with spaces"),
    ("title not text", with_step(title=3), "title must be a text"),
    ("unscored domain", with_step(domain="foundation"), "unknown domain 'foundation'"),
    ("unknown domain", with_step(domain="numerique"), "unknown domain 'numerique'"),
    ("band too high", with_step(band_needed=4), "band_needed must be a whole number"),
    ("band negative", with_step(band_needed=-1), "band_needed must be a whole number"),
    ("band as text", with_step(band_needed="2"), "band_needed must be a whole number"),
    ("band as bool", with_step(band_needed=True), "band_needed must be a whole number"),
    ("band as float", with_step(band_needed=1.0), "band_needed must be a whole number"),
    ("http link", with_step(link_url="http://www.francetravail.fr/"), "plain https://"),
    ("script link", with_step(link_url="javascript:alert(1)"), "plain https://"),
    ("relative link", with_step(link_url="/offres"), "plain https://"),
    ("no host", with_step(link_url="https:///offres"), "plain https://"),
    ("space in link", with_step(link_url="https://www.x.fr/a b"), "plain https://"),
    ("credentials", with_step(link_url="https://a:b@www.x.fr/"), "plain https://"),
    ("one how-to", with_step(how_to=["Un."]), "how_to needs 2 to 4 steps, not 1"),
    ("five how-to", with_step(how_to=["1.", "2.", "3.", "4.", "5."]), "not 5"),
    ("how-to text", with_step(how_to="Faites-le."), "how_to must be a list of texts"),
    ("empty how-to", with_step(how_to=["Un.", ""]), "how_to text 2 is empty"),
    ("first way alone", with_step(first_way="alone"), "first_way must be 'mediator' or"),
    ("first way typo", with_step(first_way="conseiller"), "first_way must be"),
    ("empty facts", with_step(good_to_know=[]), "good_to_know is empty"),
    ("bad id", with_step(id="Mon CV"), "the id must be kebab-case"),
]


@pytest.mark.parametrize(
    ("step", "problem"),
    [(step, problem) for _name, step, problem in STEP_PROBLEMS],
    ids=[name for name, _step, _problem in STEP_PROBLEMS],
)
def test_a_broken_step_is_rejected_naming_file_and_step(
    tmp_path: Path, step: dict[str, Any], problem: str
) -> None:
    write_content(tmp_path, steps=[dict(VALID_STEP, id="premiere"), step])
    with pytest.raises(JourneyError) as error:
        load_journeys(tmp_path)
    message = str(error.value)
    assert message.startswith("mon-parcours.toml: ")
    assert problem in message
    step_id = step.get("id")
    if isinstance(step_id, str):
        assert f"step '{step_id}'" in message


def _files(**kwargs: Any) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        write_content(directory, **kwargs)

    return write


def _replace(name: str, content: bytes) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        write_content(directory)
        (directory / name).write_bytes(content)

    return write


def _remove(name: str) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        write_content(directory)
        (directory / name).unlink()

    return write


FILE_PROBLEMS: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "step id twice",
        _files(steps=[dict(VALID_STEP), dict(VALID_STEP)]),
        "mon-parcours.toml: step 'faire-mon-cv': the id is used twice",
    ),
    (
        "basics id in a journey",
        _files(steps=[dict(VALID_STEP, id=BASICS_STEP_ID)]),
        f"mon-parcours.toml: step '{BASICS_STEP_ID}': the id is kept for {BASICS_FILE}",
    ),
    (
        "id is not the file name",
        _files(journey={"id": "autre", "title": "Titre", "intro": "Intro."}),
        "mon-parcours.toml: the id 'autre' must be the file name 'mon-parcours'",
    ),
    (
        "unknown journey key",
        _files(journey={"id": "mon-parcours", "title": "T", "intro": "I.", "ordre": 1}),
        "mon-parcours.toml: unknown key(s) in the file: ordre",
    ),
    (
        "missing intro",
        _files(journey={"id": "mon-parcours", "title": "T"}),
        "mon-parcours.toml: missing key(s) in the file: intro",
    ),
    (
        "empty journey title",
        _files(journey={"id": "mon-parcours", "title": "", "intro": "I."}),
        "mon-parcours.toml: title is empty",
    ),
    ("no step", _files(steps=[]), "mon-parcours.toml: missing key(s) in the file: step"),
    (
        "step is a table",
        _replace(
            "mon-parcours.toml",
            (
                'id = "mon-parcours"\ntitle = "T"\nintro = "I."\n[step]\n' + toml_table(VALID_STEP)
            ).encode(),
        ),
        "mon-parcours.toml: needs at least one [[step]]",
    ),
    (
        "basics with another id",
        _files(basics=dict(VALID_BASICS, id="les-bases")),
        f"{BASICS_FILE}: step 'les-bases': the id must be '{BASICS_STEP_ID}'",
    ),
    (
        "basics as an array",
        _replace(BASICS_FILE, ("[[step]]\n" + toml_table(VALID_BASICS)).encode()),
        f"{BASICS_FILE}: needs one [step] table",
    ),
    (
        "broken basics step",
        _files(basics=dict(VALID_BASICS, band_needed=7)),
        f"{BASICS_FILE}: step '{BASICS_STEP_ID}': band_needed must be a whole number",
    ),
    ("no basics file", _remove(BASICS_FILE), f"no {BASICS_FILE}"),
    ("no journey file", _remove("mon-parcours.toml"), "no journey file"),
    (
        "invalid TOML",
        _replace("mon-parcours.toml", b'id = "x\n'),
        "mon-parcours.toml: invalid TOML",
    ),
    (
        "not UTF-8",
        _replace("mon-parcours.toml", 'title = "Métier"'.encode("latin-1")),
        "mon-parcours.toml: the file is not UTF-8",
    ),
]


@pytest.mark.parametrize(
    ("write", "problem"),
    [(write, problem) for _name, write, problem in FILE_PROBLEMS],
    ids=[name for name, _write, _problem in FILE_PROBLEMS],
)
def test_a_broken_file_is_rejected_with_a_clear_message(
    tmp_path: Path, write: Callable[[Path], None], problem: str
) -> None:
    write(tmp_path)
    with pytest.raises(JourneyError, match=re.escape(problem)):
        load_journeys(tmp_path)


# --------------------------------------------------------------------------- the rule


def test_without_a_result_the_ways_keep_the_default_order() -> None:
    for needed in range(4):
        assert order_ways(make_step(band_needed=needed), None) == (
            (ALONE, MEDIATOR, COUNSELLOR),
            Reason.NO_RESULT,
        )


OK = ((ALONE, MEDIATOR, COUNSELLOR), Reason.LEVEL_OK)
CLOSE = ((MEDIATOR, ALONE, COUNSELLOR), Reason.CLOSE)
FAR = ((MEDIATOR, COUNSELLOR, ALONE), Reason.FAR)
BASICS_CLOSE = ((MEDIATOR, ALONE, COUNSELLOR), Reason.BASICS)
BASICS_FAR = ((MEDIATOR, COUNSELLOR, ALONE), Reason.BASICS)

RULE_CASES = [
    # needed, band, needs_basics, expected
    (2, 3, False, OK),
    (2, 2, False, OK),  # boundary: exactly the band needed
    (2, 1, False, CLOSE),  # boundary: one band below
    (2, 0, False, FAR),  # two bands below
    (3, 1, False, FAR),
    (3, 0, False, FAR),  # three bands below
    (3, 2, False, CLOSE),
    (0, 0, False, OK),
    (1, 0, False, CLOSE),
    (2, 3, True, OK),  # a band above is enough even with the basics to learn
    (2, 2, True, BASICS_CLOSE),  # the basics make the difference
    (0, 0, True, BASICS_CLOSE),
    (2, 1, True, BASICS_FAR),  # the basics make the difference
    (2, 0, True, FAR),  # far anyway
    (3, 0, True, FAR),
]


@pytest.mark.parametrize(("needed", "band", "needs_basics", "expected"), RULE_CASES)
def test_the_rule(
    needed: int, band: int, needs_basics: bool, expected: tuple[tuple[Way, ...], Reason]
) -> None:
    step = make_step(domain="creation", band_needed=needed)
    # The other domains are the opposite level: only the step's domain may count.
    bands = all_bands(3 - band) | {"creation": band}
    assert order_ways(step, Levels(bands, needs_basics)) == expected


@pytest.mark.parametrize(
    ("band", "needs_basics", "expected"),
    [
        (None, False, (COUNSELLOR, ALONE, MEDIATOR)),
        (3, False, (COUNSELLOR, ALONE, MEDIATOR)),
        (1, False, (COUNSELLOR, ALONE, MEDIATOR)),
        (0, False, (COUNSELLOR, MEDIATOR, ALONE)),
        (1, True, (COUNSELLOR, MEDIATOR, ALONE)),
    ],
)
def test_a_step_done_with_the_counsellor_puts_the_counsellor_first(
    band: int | None, needs_basics: bool, expected: tuple[Way, ...]
) -> None:
    step = make_step(domain="communication", band_needed=1, first_way=COUNSELLOR)
    levels = None if band is None else Levels(all_bands(band), needs_basics)
    assert order_ways(step, levels) == (expected, Reason.COUNSELLOR_STEP)


@pytest.mark.parametrize(
    ("band", "needs_basics", "expected"),
    [
        (None, False, (MEDIATOR, ALONE, COUNSELLOR)),
        (3, True, (MEDIATOR, ALONE, COUNSELLOR)),
        (0, True, (MEDIATOR, COUNSELLOR, ALONE)),
    ],
)
def test_a_step_done_with_a_mediator_puts_the_mediator_first(
    band: int | None, needs_basics: bool, expected: tuple[Way, ...]
) -> None:
    step = make_step(domain="environment", band_needed=1, first_way=MEDIATOR)
    levels = None if band is None else Levels(all_bands(band), needs_basics)
    assert order_ways(step, levels) == (expected, Reason.MEDIATOR_STEP)


def test_more_skill_never_pushes_alone_back_and_basics_never_bring_it_forward() -> None:
    for needed, first_way in product(range(4), (None, MEDIATOR, COUNSELLOR)):
        step = make_step(band_needed=needed, first_way=first_way)
        positions = {}
        for band, basics in product(range(4), (False, True)):
            ways, reason = order_ways(step, Levels(all_bands(band), basics))
            assert sorted(ways) == sorted(Way), (needed, band, basics)
            assert reason in REASONS
            positions[band, basics] = ways.index(ALONE)
        for band in range(3):
            assert positions[band + 1, False] <= positions[band, False]
            assert positions[band + 1, True] <= positions[band, True]
        for band in range(4):
            assert positions[band, True] >= positions[band, False]


def test_alone_comes_first_only_when_the_level_is_enough() -> None:
    for needed, band, basics in product(range(4), range(4), (False, True)):
        ways, _ = order_ways(make_step(band_needed=needed), Levels(all_bands(band), basics))
        assert (ways[0] is ALONE) == (band - (1 if basics else 0) >= needed)


@pytest.mark.parametrize(
    ("bands", "needs_basics"),
    [
        ({d: 1 for d in SCORED_DOMAINS if d != "creation"}, False),  # a domain missing
        (all_bands(1) | {"foundation": 1}, False),  # not a scored domain
        (all_bands(1) | {"creation": 4}, False),
        (all_bands(1) | {"creation": -1}, False),
        (all_bands(1) | {"creation": True}, False),
        (all_bands(1) | {"creation": 1.0}, False),
        (all_bands(1), "yes"),
    ],
)
def test_levels_reject_what_the_engine_cannot_produce(
    bands: dict[str, Any], needs_basics: Any
) -> None:
    with pytest.raises(ValueError, match="levels"):
        Levels(bands, needs_basics)


def test_levels_come_from_the_engine_result_and_from_the_stored_result() -> None:
    bank = load_bank()
    outcome = engine.result(bank.items, [])
    levels = Levels.from_assessment(outcome)
    assert dict(levels.bands) == {d: r.band for d, r in outcome.domains.items()}
    assert levels.needs_basics is outcome.needs_basics

    details = {
        "domains": {
            d: {"theta": 0.1, "sd": 0.5, "band": i % 4, "items": 2}
            for i, d in enumerate(SCORED_DOMAINS)
        },
        "can_do": [],
    }
    stored = Levels.from_stored(details, needs_basics=True)
    assert dict(stored.bands) == {d: i % 4 for i, d in enumerate(SCORED_DOMAINS)}
    assert stored.needs_basics is True
    with pytest.raises(TypeError):
        stored.bands["creation"] = 3  # type: ignore[index]


# --------------------------------------------------------------------------- the plan


@pytest.mark.parametrize("journey_id", sorted(EXPECTED_STEPS))
def test_a_person_who_needs_the_basics_starts_with_them(
    journeys: Mapping[str, Journey], journey_id: str
) -> None:
    journey = journeys[journey_id]
    result = plan(journey, Levels(all_bands(1), needs_basics=True))
    ids = [planned.step.id for planned in result.steps]
    assert ids == [BASICS_STEP_ID, *EXPECTED_STEPS[journey_id]]
    first = result.steps[0]
    assert first.first is MEDIATOR and first.reason is Reason.MEDIATOR_STEP
    assert result.has_result and result.needs_basics
    # With the basics to learn, no step offers "alone" first at band 1.
    assert all(planned.first is not ALONE for planned in result.steps)


def test_without_the_basics_to_learn_the_journey_is_unchanged(
    journeys: Mapping[str, Journey],
) -> None:
    journey = journeys["recherche-emploi"]
    result = plan(journey, Levels(all_bands(3), needs_basics=False))
    assert tuple(planned.step for planned in result.steps) == journey.steps
    assert all(planned.reason is Reason.LEVEL_OK for planned in result.steps)
    assert not result.needs_basics


def test_the_plan_follows_each_domain(journeys: Mapping[str, Journey]) -> None:
    journey = journeys["recherche-emploi"]
    bands = all_bands(3) | {"creation": 0}
    by_id = {p.step.id: p for p in plan(journey, Levels(bands, needs_basics=False)).steps}
    assert by_id["cv"].ways == (MEDIATOR, COUNSELLOR, ALONE)
    assert by_id["cv"].reason is Reason.FAR
    assert by_id["trouver-offres"].ways == (ALONE, MEDIATOR, COUNSELLOR)


@pytest.mark.parametrize("journey_id", sorted(EXPECTED_STEPS))
def test_without_a_result_every_step_shows_all_three_ways(
    journeys: Mapping[str, Journey], journey_id: str
) -> None:
    journey = journeys[journey_id]
    result = plan(journey, None)
    assert not result.has_result and not result.needs_basics
    assert tuple(planned.step for planned in result.steps) == journey.steps
    for planned in result.steps:
        assert len(planned.ways) == 3 and set(planned.ways) == set(Way)
        if planned.step.first_way is None:
            assert planned.ways == DEFAULT_ORDER
            assert planned.reason is Reason.NO_RESULT
        else:
            assert planned.reason is Reason.COUNSELLOR_STEP


def test_every_reason_and_every_way_has_a_french_sentence() -> None:
    assert set(REASONS) == set(Reason)
    assert set(WAY_LABELS) == set(Way)
    assert len(set(REASONS.values())) == len(Reason)
    for reason, sentence in REASONS.items():
        assert sentence.startswith("Nous vous proposons "), reason
        assert re.search(r"\bparce qu(e |')", sentence), reason
        assert sentence.endswith("."), reason
        assert count_words(sentence) <= MAX_REASON_WORDS, reason
    # Each reason names the way it puts first in the glossary's words (docs/content.md).
    first_way_named = {
        Reason.LEVEL_OK: WAY_LABELS[Way.ALONE].lower(),
        Reason.CLOSE: WAY_LABELS[Way.MEDIATOR][len("Avec ") :],
        Reason.FAR: WAY_LABELS[Way.MEDIATOR][len("Avec ") :],
        Reason.BASICS: WAY_LABELS[Way.MEDIATOR][len("Avec ") :],
        Reason.MEDIATOR_STEP: WAY_LABELS[Way.MEDIATOR][len("Avec ") :],
        Reason.COUNSELLOR_STEP: WAY_LABELS[Way.COUNSELLOR][len("Avec ") :],
        Reason.NO_RESULT: "3 façons",
    }
    for reason, words in first_way_named.items():
        assert words in REASONS[reason], reason


def test_a_planned_step_gives_its_sentence(journeys: Mapping[str, Journey]) -> None:
    result = plan(journeys["futur-metier"], Levels(all_bands(0), needs_basics=False))
    for planned in result.steps:
        assert planned.sentence == REASONS[planned.reason]
    assert {p.reason for p in result.steps} == {Reason.FAR, Reason.CLOSE, Reason.COUNSELLOR_STEP}
