"""Places of digital help: import of the national standard, search, opening hours.

* ``importer.import_places(db, file, source=…)``: a file of « lieux de médiation
  numérique » (v1.0.2 as CSV or JSON, or the legacy 0.1.x columns) into ``models.Place``:
  every place that can serve, the rest reported (``ImportReport``);
* ``communes.communes()``: every French commune and postcode, from the official lists;
* ``search.search_places(db, "93200", filters=…)``: places from near to far, paged;
* ``hours.status(horaires, at)`` and ``hours.week(horaires, day)``: open now, next change,
  the week's hours.

Pure Python: functions take a SQLAlchemy session; no Flask here (the web layer words it).
"""

from __future__ import annotations

from .hours import DayHours, OpenState, OpenStatus, status, week
from .importer import ImportFailed, ImportReport, Kind, RowProblem, import_places, write_report
from .schema import SCHEMA_VERSION, Mode
from .search import (
    Area,
    CommuneChoice,
    Hit,
    Problem,
    SearchFilters,
    SearchResult,
    Where,
    WhereKind,
    search_places,
)

__all__ = [
    "SCHEMA_VERSION",
    "Area",
    "CommuneChoice",
    "DayHours",
    "Hit",
    "ImportFailed",
    "ImportReport",
    "Kind",
    "Mode",
    "OpenState",
    "OpenStatus",
    "Problem",
    "RowProblem",
    "SearchFilters",
    "SearchResult",
    "Where",
    "WhereKind",
    "import_places",
    "search_places",
    "status",
    "week",
    "write_report",
]
