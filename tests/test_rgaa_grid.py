"""The RGAA grid (app/rgaa) is complete, agrees with the code, and makes the statement.

Fails when the grid and the code disagree: a criterion that names a test that does not exist,
a page of the sample that no longer exists or leads elsewhere, a kind of page the sample
lacks. When a test named by a criterion marked « conforme » fails, the run's summary says
which criterion it breaks (tests/conftest.py, pytest_terminal_summary).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime
import gzip
import re
from pathlib import Path

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from app import rgaa, words
from app.pages import iter_pages
from app.rgaa import (
    CONFORME,
    NON_APPLICABLE,
    NON_CONFORME,
    PARTIALLY,
    TOTALLY,
    GridError,
    conformity,
    load_grid,
)

from .conftest import get_page
from .test_quality_gates import PAGE_BUDGET

ROOT = Path(__file__).resolve().parent.parent
#: The number of criteria of each theme of RGAA 4.1.2 (the official list).
PER_THEME = {1: 9, 2: 2, 3: 3, 4: 13, 5: 8, 6: 2, 7: 5, 8: 10, 9: 4, 10: 14, 11: 13, 12: 11, 13: 12}


def test_the_grid_has_every_criterion_of_the_official_list() -> None:
    grid = load_grid()
    assert len(grid.assessments) == 106
    per_theme: dict[int, int] = {}
    for assessment in grid.assessments:
        theme = int(assessment.criterion.id.split(".")[0])
        per_theme[theme] = per_theme.get(theme, 0) + 1
        assert assessment.criterion.title.endswith("?") or "respectée" in assessment.criterion.title
    assert per_theme == PER_THEME
    assert grid.version == "4.1.2"
    assert re.fullmatch(r"[0-9a-f]{40}", grid.commit)
    assert grid.commit in grid.source and "DISIC/accessibilite.numerique.gouv.fr" in grid.source
    assert "Licence Ouverte" in grid.licence
    assert grid.kind == "auto-évaluation"


def _grid_file(tmp_path: Path, change: str, by: str) -> Path:
    text = rgaa.GRID_FILE.read_text(encoding="utf-8")
    assert change in text
    path = tmp_path / "grid.toml"
    path.write_text(text.replace(change, by, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "by", "complaint"),
    [
        ('id = "13.12"', 'id = "13.13"', "missing"),
        ('status = "non applicable"', 'status = "à voir"', "status"),
        ('pages = ["plan"]', 'pages = ["nulle-part"]', "not in the sample"),
        ("instead = ", "ailleurs = ", "instead"),
        (
            'id = "1.2"\nstatus = "non applicable"\nmethod = ',
            'id = "1.2"\nstatus = "non applicable"\nm = ',
            "how is it known",
        ),
    ],
    ids=["a criterion missing", "unknown status", "unknown page", "no way instead", "no method"],
)
def test_an_incomplete_grid_is_refused(
    tmp_path: Path, change: str, by: str, complaint: str
) -> None:
    with pytest.raises(GridError, match=complaint):
        load_grid(_grid_file(tmp_path, change, by))


def test_the_rate_and_the_words_follow_the_rgaa() -> None:
    assert set(words.CONFORMITY) == set(rgaa.CONFORMITIES)
    assert conformity(met=10, failed=0) == TOTALLY
    assert conformity(met=50, failed=50) == PARTIALLY
    assert conformity(met=49, failed=51) == rgaa.NOT
    grid = load_grid()
    met, failed = grid.count(CONFORME), grid.count(NON_CONFORME)
    assert met + failed + grid.count(NON_APPLICABLE) == 106
    # Criteria that do not apply count neither for nor against.
    assert grid.rate == pytest.approx(100 * met / (met + failed))


def _with_statuses(statuses: dict[str, str]) -> rgaa.Grid:
    grid = load_grid()
    changed = []
    for assessment in grid.assessments:
        status = statuses.get(assessment.criterion.id, assessment.status)
        extra = {}
        if status == NON_CONFORME and not assessment.problem:
            extra = {"problem": "Un problème de test.", "instead": "Une autre façon de faire."}
        changed.append(dataclasses.replace(assessment, status=status, known=(), **extra))
    return dataclasses.replace(grid, assessments=tuple(changed))


def test_the_statement_says_what_the_grid_says(client: FlaskClient) -> None:
    grid = load_grid()
    page = get_page(client, "/accessibilite", "fr").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", page).replace("&#39;", "'").split())
    rate = f"{int(grid.rate * 10) / 10:.1f}".replace(".", ",").replace(",0", "")
    assert f"{rate} % des critères du RGAA" in text
    assert f"Repère est {grid.conformity} au RGAA version 4.1.2" in text
    assert "auto-évaluation" in text
    assert f"{grid.count(CONFORME)} critères respectés" in text
    for assessment in grid.non_compliant:
        assert f"Critère {assessment.criterion.id}" in text
        assert assessment.problem in text and assessment.instead in text
    assert f"établie le {format_date(grid.date, 'long', locale='fr')}" in text
    for page_of_sample in grid.sample:
        assert page_of_sample.name in text
    footer = f"Accessibilité : {grid.conformity}"
    assert footer in get_page(client, "/", "fr").get_data(as_text=True)


@pytest.mark.parametrize(
    ("statuses", "words", "listed"),
    [
        (
            {
                "8.6": CONFORME,
                "8.7": CONFORME,
                "8.10": CONFORME,
                "11.10": CONFORME,
                "12.1": CONFORME,
                "13.1": CONFORME,
            },
            "totalement conforme",
            False,
        ),
        (
            {f"{t}.{n}": NON_CONFORME for t in (1, 3, 6, 8, 9, 10, 11, 12) for n in range(1, 10)},
            "non conforme",
            True,
        ),
    ],
    ids=["all met", "most not met"],
)
def test_the_statement_follows_the_grid(
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    statuses: dict[str, str],
    words: str,
    listed: bool,
) -> None:
    fake = _with_statuses(statuses)
    monkeypatch.setattr(rgaa, "grid", lambda: fake)
    page = get_page(client, "/accessibilite", "fr").get_data(as_text=True)
    assert f"Repère est {words} au RGAA" in page
    assert f"Accessibilité : {words}" in page
    assert ("<h3>Critère " in page) is listed
    if not listed:
        assert "Tous les critères qui s'appliquent à Repère sont respectés." in page


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_the_statement_is_translated_and_says_the_titles_are_french(
    client: FlaskClient, locale: str
) -> None:
    page = get_page(client, "/accessibilite", locale).get_data(as_text=True)
    grid = load_grid()
    assert "partiellement conforme" not in page and "Ce que vous pouvez faire" not in page
    for assessment in grid.non_compliant:
        title = assessment.criterion.title.replace("'", "&#39;")
        assert f'<p lang="fr">{title}</p>' in page
        assert assessment.problem.replace("'", "&#39;") not in page
    note = {
        "en": "The titles of the criteria are the RGAA's own, in French.",
        "ar": "بالفرنسية",
    }
    assert note[locale] in page


# --- The grid agrees with the code --------------------------------------------------


def test_every_kind_of_page_is_in_the_sample(app: Flask) -> None:
    """A new page (a new endpoint) must join the sample, so that the grid covers it."""
    kinds = {page.endpoint for page in iter_pages(app)}
    missing = sorted(kinds - load_grid().sample_endpoints())
    assert not missing, f"pages not in the RGAA sample (app/rgaa/grid.toml): {missing}"


def test_every_page_of_the_sample_still_exists(app: Flask, client: FlaskClient) -> None:
    kinds = {page.endpoint for page in iter_pages(app)}
    adapter = app.url_map.bind("localhost")
    for page in load_grid().sample:
        path, _, query = page.url.partition("?")
        if not page.endpoint:
            assert client.get(page.url).status_code == 404, page
            continue
        assert page.endpoint in kinds, f"{page.id}: {page.endpoint} is no longer a page"
        endpoint, _arguments = adapter.match(path, method="GET", query_args=query)
        assert endpoint == page.endpoint, f"{page.id}: {page.url} leads to {endpoint}"
        if not page.state:
            assert client.get(page.url).status_code == 200, page


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_test_the_grid_names_exists(app: Flask) -> None:
    grid = load_grid()
    browser_tests = _test_functions(ROOT / "tests" / "test_rgaa_browser.py")
    kinds = {page.endpoint for page in iter_pages(app)}
    for assessment in grid.assessments:
        for name in assessment.tests:
            file, _, function = name.partition("::")
            path = ROOT / file
            assert path.is_file(), f"{assessment.criterion.id}: no file {file}"
            assert function in _test_functions(path), f"{assessment.criterion.id}: no {name}"
        for issue in assessment.known:
            assert issue.test in browser_tests, f"{assessment.criterion.id}: no {issue.test}"
            assert set(issue.endpoints) <= kinds, f"{assessment.criterion.id}: {issue.endpoints}"


def test_a_conforme_criterion_is_checked_on_pages_and_known_by_a_test_or_a_method() -> None:
    for assessment in load_grid().assessments:
        if assessment.status == CONFORME:
            assert assessment.pages and (assessment.tests or assessment.method), assessment


def test_the_grid_is_dated_today_or_before() -> None:
    assert load_grid().date <= datetime.date.today()


def test_a_failed_test_names_the_criteria_it_breaks() -> None:
    """tests/conftest.py reports, after a run, the criteria marked conforme whose test failed."""
    grid = load_grid()
    headings = "tests/test_rgaa_browser.py::test_headings_in_order"
    assert ("9.1", headings) in grid.broken_by({headings})
    titles = "tests/test_rgaa_browser.py::test_page_titles_unique_and_relevant"
    assert [criterion for criterion, _ in grid.broken_by({titles})] == ["8.5", "8.6"]
    assert grid.broken_by({"tests/test_cli.py::test_something_else"}) == []


def test_many_criteria_not_met_go_on_further_pages_each_light(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were every criterion that applies not met, the statement would list them all, over
    pages that each fit in the first round trip (as the quality gates measure)."""
    applicable = [a for a in load_grid().assessments if a.status != NON_APPLICABLE]
    long_words = "Une phrase assez longue pour dire ce qui ne va pas sur la page, et où. " * 3
    fake = _with_statuses({a.criterion.id: NON_CONFORME for a in applicable})
    fake = dataclasses.replace(
        fake,
        assessments=tuple(
            dataclasses.replace(a, problem=long_words, instead=long_words)
            if a.status == NON_CONFORME
            else a
            for a in fake.assessments
        ),
    )
    monkeypatch.setattr(rgaa, "grid", lambda: fake)
    listed: list[str] = []
    url: str | None = "/accessibilite"
    while url:
        response = get_page(client, url, "ar", **{"Accept-Encoding": "gzip"})
        html = gzip.decompress(response.data).decode()
        weight = len(response.data) + sum(
            len(client.get(asset, headers={"Accept-Encoding": "gzip"}).data)
            for asset in re.findall(r'href="(/static/[^"]+)"', html)
        )
        assert weight <= PAGE_BUDGET, f"{url} weighs {weight} bytes compressed"
        listed += re.findall(r"<h3>المعيار ([0-9.]+)</h3>", html)
        following = re.search(r'<a href="([^"]+)#non-conformites">الصفحة التالية</a>', html)
        url = following.group(1).replace("&amp;", "&") if following else None
    assert listed == [a.criterion.id for a in applicable]
