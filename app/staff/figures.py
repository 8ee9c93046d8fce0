"""Monthly figures for an organisation: counts only, never a person.

Months are calendar months in Paris time, the current one included, newest first.

- **tests** (``tests_alone``, ``tests_assisted``, ``bands``, ``weakest_domains``): the people
  with a result who gave this organisation a consent (to see their results or to be
  contacted), counted once, in the month of their *first* consent to it, even if they
  withdrew it since. Alone or assisted follows ``Person.assisted`` (the test was run with
  a mediator). ``bands``: how many reached each overall band (0 Découverte … 3 À l'aise).
  ``weakest_domains``: for each scored domain, how many people have their lowest band there
  (ties: the lower estimate, then the domains' order).
- **chèques**: ``vouchers_handed`` the chèques handed over (``voucher_records`` the
  handovers recorded), by the day they were recorded.
- **requests**: ``requests_received`` made in the month; ``requests_answered`` first
  answered in the month (moved out of "new" by staff), with the median time it took,
  in hours.

Counts come from GROUP BY queries, one per kind of figure; only the domain levels (kept as
JSON) and the answer times (for a median) are read row by row, in one query each.
"""

from __future__ import annotations

import csv
import io
import statistics
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from ..assessment.bank import SCORED_DOMAINS
from ..models import Consent, ContactRequest, Organisation, Person, Result, StaffRecord
from ..times import PARIS, add_months, as_utc, utc

__all__ = [
    "BANDS",
    "CSV_HEADER",
    "MonthFigures",
    "figures_csv",
    "figures_ods",
    "figures_rows",
    "monthly_figures",
]

#: The four overall bands, 0 to 3.
BANDS = (0, 1, 2, 3)
_BAND_COLUMNS = ("niveau_decouverte", "niveau_premiers_pas", "niveau_autonome", "niveau_a_l_aise")
_DOMAIN_COLUMNS = {
    "information": "plus_faible_information",
    "communication": "plus_faible_communication",
    "creation": "plus_faible_creation",
    "protection": "plus_faible_protection",
    "environment": "plus_faible_environnement",
}
CSV_HEADER = (
    "mois",
    "tests_seuls",
    "tests_accompagnes",
    *_BAND_COLUMNS,
    *(_DOMAIN_COLUMNS[d] for d in SCORED_DOMAINS),
    "cheques_remis",
    "remises_de_cheques",
    "demandes_recues",
    "demandes_repondues",
    "delai_median_reponse_heures",
)


@dataclass
class MonthFigures:
    month: date
    tests_alone: int = 0
    tests_assisted: int = 0
    bands: dict[int, int] = field(default_factory=lambda: dict.fromkeys(BANDS, 0))
    weakest_domains: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(SCORED_DOMAINS, 0)
    )
    vouchers_handed: int = 0
    voucher_records: int = 0
    requests_received: int = 0
    requests_answered: int = 0
    median_hours_to_answer: float | None = None

    @property
    def tests(self) -> int:
        return self.tests_alone + self.tests_assisted


def _month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instant (UTC) of each month, newest first, and of the month after it."""
    local = utc(now).astimezone(PARIS)
    first = datetime(local.year, local.month, 1, tzinfo=PARIS).astimezone(UTC)
    # starts[0] is next month; starts[i] the i-th month back from it.
    return [add_months(first, 1 - i) for i in range(months + 1)]


def _bucket(column: Any, starts: list[datetime]) -> ColumnElement[Any]:
    """The index of the month ``column`` falls in (0: the current month), else NULL."""
    return case(
        *((and_(column >= starts[i + 1], column < starts[i]), i) for i in range(len(starts) - 1)),
        else_=None,
    )


def _in_window(column: Any, starts: list[datetime]) -> ColumnElement[bool]:
    return and_(column >= starts[-1], column < starts[0])


def _weakest(details: dict[str, Any]) -> str | None:
    """The scored domain of the lowest band (then lowest estimate), or None."""
    domains = details.get("domains") or {}
    scored = [
        (int(domains[d]["band"]), float(domains[d].get("theta", 0.0)), i, d)
        for i, d in enumerate(SCORED_DOMAINS)
        if isinstance(domains.get(d), dict) and "band" in domains[d]
    ]
    return min(scored)[3] if scored else None


def monthly_figures(
    db: Session, *, organisation: Organisation, months: int = 12, now: datetime
) -> list[MonthFigures]:
    """The organisation's figures for the last ``months`` months, newest first."""
    if months < 1:
        raise ValueError("months: at least 1")
    starts = _month_starts(now, months)
    figures = [
        MonthFigures(month=as_utc(starts[i + 1]).astimezone(PARIS).date()) for i in range(months)
    ]
    org = organisation.id

    # Tests: each person once, in the month of their first consent to this organisation.
    first = (
        select(Consent.person_id, func.min(Consent.granted_at).label("first_at"))
        .where(Consent.organisation_id == org)
        .group_by(Consent.person_id)
        .subquery()
    )
    people = (
        select(
            _bucket(first.c.first_at, starts).label("month"),
            Person.assisted.label("assisted"),
            Result.overall_band.label("band"),
            Result.details.label("details"),
        )
        .join(Person, Person.id == first.c.person_id)
        .join(Result, Result.person_id == Person.id)
        .where(_in_window(first.c.first_at, starts))
        .subquery()
    )
    counts = db.execute(
        select(people.c.month, people.c.assisted, people.c.band, func.count()).group_by(
            people.c.month, people.c.assisted, people.c.band
        )
    ).all()
    for month, assisted, band, count in counts:
        figure = figures[month]
        if assisted:
            figure.tests_assisted += count
        else:
            figure.tests_alone += count
        figure.bands[band] = figure.bands.get(band, 0) + count
    for month, details in db.execute(select(people.c.month, people.c.details)).all():
        weakest = _weakest(details or {})
        if weakest is not None:
            figures[month].weakest_domains[weakest] += 1

    # Chèques handed over.
    vouchers = (
        select(
            _bucket(StaffRecord.created_at, starts).label("month"),
            StaffRecord.voucher_count.label("count"),
        )
        .where(
            StaffRecord.organisation_id == org,
            StaffRecord.kind == "vouchers",
            _in_window(StaffRecord.created_at, starts),
        )
        .subquery()
    )
    for month, handed, records in db.execute(
        select(vouchers.c.month, func.sum(vouchers.c.count), func.count()).group_by(
            vouchers.c.month
        )
    ).all():
        figures[month].vouchers_handed = int(handed or 0)
        figures[month].voucher_records = records

    # Requests received.
    received = (
        select(_bucket(ContactRequest.created_at, starts).label("month"))
        .where(
            ContactRequest.organisation_id == org,
            _in_window(ContactRequest.created_at, starts),
        )
        .subquery()
    )
    for month, count in db.execute(
        select(received.c.month, func.count()).group_by(received.c.month)
    ).all():
        figures[month].requests_received = count

    # Requests answered, and how long it took.
    hours: dict[int, list[float]] = {}
    for month, created_at, answered_at in db.execute(
        select(
            _bucket(ContactRequest.answered_at, starts),
            ContactRequest.created_at,
            ContactRequest.answered_at,
        ).where(
            ContactRequest.organisation_id == org,
            _in_window(ContactRequest.answered_at, starts),
        )
    ).all():
        waited = as_utc(answered_at) - as_utc(created_at)
        hours.setdefault(month, []).append(waited.total_seconds() / 3600)
    for month, waits in hours.items():
        figures[month].requests_answered = len(waits)
        figures[month].median_hours_to_answer = round(statistics.median(waits), 1)
    return figures


def figures_rows(figures: list[MonthFigures]) -> list[tuple[str | int | float | None, ...]]:
    """One row per month, in CSV_HEADER's order: the month (``2026-11``), then numbers
    (the median delay is None when no request was answered that month)."""
    return [
        (
            f.month.strftime("%Y-%m"),
            f.tests_alone,
            f.tests_assisted,
            *(f.bands.get(band, 0) for band in BANDS),
            *(f.weakest_domains.get(d, 0) for d in SCORED_DOMAINS),
            f.vouchers_handed,
            f.voucher_records,
            f.requests_received,
            f.requests_answered,
            f.median_hours_to_answer,
        )
        for f in figures
    ]


def _french_number(value: str | int | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def figures_csv(figures: list[MonthFigures]) -> str:
    """The figures as CSV for French spreadsheets (Excel, LibreOffice Calc in French): a
    byte-order mark first (so that Excel reads UTF-8), ``;`` between fields, decimal commas
    (``24,5``), a header row in French, one row per month."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in figures_rows(figures):
        writer.writerow([_french_number(value) for value in row])
    return out.getvalue()


ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" \
xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" \
xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="{name}">
{rows}
</table:table></office:spreadsheet></office:body></office:document-content>
"""


def _ods_cell(value: str | int | float | None) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        # A number, not text: the spreadsheet shows it in its own locale (24,5 in French).
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{_french_number(value)}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
        "</table:table-cell>"
    )


def figures_ods(figures: list[MonthFigures], sheet_name: str = "Chiffres") -> bytes:
    """The same table as an OpenDocument spreadsheet (.ods), written here with the standard
    library: a zip holding ``mimetype`` (first, not compressed), the manifest and
    ``content.xml``; numbers are typed cells, so no spreadsheet has to guess them."""
    rows = [CSV_HEADER, *figures_rows(figures)]
    xml_rows = "\n".join(
        "<table:table-row>" + "".join(_ods_cell(value) for value in row) + "</table:table-row>"
        for row in rows
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        content = _ODS_CONTENT.format(name=escape(sheet_name, {'"': "&quot;"}), rows=xml_rows)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()
