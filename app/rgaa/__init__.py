"""The RGAA grid of Repère: the 106 criteria of RGAA 4.1.2 and how Repère meets each one.

Two files, read together:

- ``criteria.json``: the official list of criteria (DINUM, Licence Ouverte 2.0), its source,
  version and commit, written by scripts/build_rgaa_criteria.py and never edited by hand;
- ``grid.toml``: Repère's self-assessment: the sample of pages, and for each criterion its
  status, the pages where it was checked and how it is known (the automatic tests that check
  it, or the manual method followed).

The accessibility statement (/accessibilite) is computed from them; tests/test_rgaa_grid.py
fails when the grid and the code disagree. Pure Python: no Flask here.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRITERIA_FILE = HERE / "criteria.json"
GRID_FILE = HERE / "grid.toml"

CONFORME = "conforme"
NON_CONFORME = "non conforme"
NON_APPLICABLE = "non applicable"
STATUSES = (CONFORME, NON_CONFORME, NON_APPLICABLE)

#: What the statement may say, from the compliance rate (RGAA, « déclaration d'accessibilité »).
TOTALLY = "totalement conforme"
PARTIALLY = "partiellement conforme"
NOT = "non conforme"
CONFORMITIES = (TOTALLY, PARTIALLY, NOT)
#: Every page of the sample: the value of ``pages`` for a criterion checked on all of them.
ALL_PAGES = "toutes"


class GridError(ValueError):
    """The grid is incomplete or contradicts the official list."""


@dataclass(frozen=True)
class Criterion:
    id: str
    theme: str
    title: str
    wcag: tuple[str, ...]

    @property
    def sort_key(self) -> tuple[int, int]:
        theme, number = self.id.split(".")
        return int(theme), int(number)


@dataclass(frozen=True)
class KnownIssue:
    """Where an automatic test finds the non-conformity of a criterion: the test fails
    there, for a reason the grid states (the test says so instead of failing)."""

    test: str
    endpoints: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    criterion: Criterion
    status: str
    pages: tuple[str, ...]
    tests: tuple[str, ...]
    method: str
    problem: str = ""
    instead: str = ""
    known: tuple[KnownIssue, ...] = ()


@dataclass(frozen=True)
class SamplePage:
    """A page of the sample: its kind (the Flask endpoint), an address, and how to reach it."""

    id: str
    name: str
    endpoint: str
    url: str
    state: str = ""
    process: str = ""


@dataclass(frozen=True)
class Grid:
    version: str
    source: str
    commit: str
    licence: str
    date: datetime.date
    kind: str
    tools: tuple[str, ...]
    auditors: str
    sample: tuple[SamplePage, ...]
    assessments: tuple[Assessment, ...]

    def count(self, status: str) -> int:
        return sum(1 for a in self.assessments if a.status == status)

    @property
    def rate(self) -> float:
        """The RGAA rate: criteria met over criteria that apply, in percent."""
        met, failed = self.count(CONFORME), self.count(NON_CONFORME)
        return 100.0 * met / (met + failed) if met + failed else 100.0

    @property
    def conformity(self) -> str:
        return conformity(self.count(CONFORME), self.count(NON_CONFORME))

    @property
    def non_compliant(self) -> list[Assessment]:
        return [a for a in self.assessments if a.status == NON_CONFORME]

    def assessment(self, criterion_id: str) -> Assessment:
        return next(a for a in self.assessments if a.criterion.id == criterion_id)

    def broken_by(self, failed_tests: set[str]) -> list[tuple[str, str]]:
        """(criterion, test) for each failed test that a criterion marked conforme names."""
        return [
            (a.criterion.id, test)
            for a in self.assessments
            if a.status == CONFORME
            for test in a.tests
            if test in failed_tests
        ]

    def sample_endpoints(self) -> set[str]:
        return {page.endpoint for page in self.sample if page.endpoint}


def conformity(met: int, failed: int) -> str:
    """« totalement » when every criterion that applies is met, « partiellement » from
    half of them, else « non conforme » (RGAA 4.1, the statement's wording)."""
    if met + failed == 0 or failed == 0:
        return TOTALLY
    return PARTIALLY if met / (met + failed) >= 0.5 else NOT


def load_criteria(path: Path = CRITERIA_FILE) -> tuple[dict, list[Criterion]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    themes = {theme["number"]: theme["title"] for theme in data["themes"]}
    criteria = [
        Criterion(c["id"], themes[int(c["id"].split(".")[0])], c["title"], tuple(c["wcag"]))
        for c in data["criteria"]
    ]
    return data, criteria


def load_grid(grid_path: Path = GRID_FILE, criteria_path: Path = CRITERIA_FILE) -> Grid:
    """Read and check the grid; raise GridError when a criterion is missing or unknown, a
    status is not one of the RGAA's, or a criterion names a page that is not in the sample."""
    source, criteria = load_criteria(criteria_path)
    data = tomllib.loads(grid_path.read_text(encoding="utf-8"))
    sample = tuple(
        SamplePage(
            id=page["id"],
            name=page["name"],
            endpoint=page.get("endpoint", ""),
            url=page["url"],
            state=page.get("state", ""),
            process=page.get("process", ""),
        )
        for page in data["sample"]
    )
    page_ids = {page.id for page in sample}
    if len(page_ids) != len(sample):
        raise GridError("two pages of the sample have the same id")
    by_id = {c.id: c for c in criteria}
    entries = data["criterion"]
    seen = [entry["id"] for entry in entries]
    missing = sorted(set(by_id) - set(seen), key=lambda i: by_id[i].sort_key)
    unknown = sorted(set(seen) - set(by_id))
    if missing or unknown or len(seen) != len(set(seen)):
        raise GridError(f"criteria missing {missing}, unknown {unknown}, or repeated")
    assessments = []
    for entry in entries:
        status = entry["status"]
        if status not in STATUSES:
            raise GridError(f"{entry['id']}: status {status!r} is not one of {STATUSES}")
        pages = tuple(entry.get("pages", []))
        if status != NON_APPLICABLE and not pages:
            raise GridError(f"{entry['id']}: on which pages of the sample was it checked?")
        strangers = [p for p in pages if p != ALL_PAGES and p not in page_ids]
        if strangers:
            raise GridError(f"{entry['id']}: pages {strangers} are not in the sample")
        tests = tuple(entry.get("tests", []))
        method = entry.get("method", "").strip()
        if not tests and not method:
            raise GridError(f"{entry['id']}: how is it known? Name a test or a method")
        if status == NON_CONFORME and not (entry.get("problem") and entry.get("instead")):
            raise GridError(f"{entry['id']}: say what fails and what the person can do instead")
        known = tuple(
            KnownIssue(issue["test"], tuple(issue["endpoints"])) for issue in entry.get("known", [])
        )
        if known and status != NON_CONFORME:
            raise GridError(f"{entry['id']}: a known failure makes the criterion non conforme")
        assessments.append(
            Assessment(
                criterion=by_id[entry["id"]],
                status=status,
                pages=pages,
                tests=tests,
                method=" ".join(method.split()),
                problem=" ".join(entry.get("problem", "").split()),
                instead=" ".join(entry.get("instead", "").split()),
                known=known,
            )
        )
    assessments.sort(key=lambda a: a.criterion.sort_key)
    return Grid(
        version=source["version"],
        source=source["source"],
        commit=source["commit"],
        licence=source["licence"],
        date=data["date"],
        kind=data["kind"],
        tools=tuple(data["tools"]),
        auditors=data["auditors"].strip(),
        sample=sample,
        assessments=tuple(assessments),
    )


@cache
def grid() -> Grid:
    """The grid of this version of Repère (read once)."""
    return load_grid()
