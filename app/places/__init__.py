"""Places of digital help: import of the national standard, search, opening hours.

* ``importer.import_places(db, csv)``: a file of « lieux de médiation numérique » (v1.0.2,
  or the legacy 0.1.x columns) into ``models.Place``, all rows or none;
* ``search.search_places(db, "93200", filters=…)``: nearest places, paged;
* ``hours.status(horaires, at)`` and ``hours.week(horaires, day)``: open now, next change,
  the week's hours.

Pure Python: functions take a SQLAlchemy session; no Flask here (the web layer words it).
"""

from __future__ import annotations

from .hours import DayHours, OpenState, OpenStatus, status, week
from .importer import ImportFailed, ImportReport, RowProblem, import_places
from .schema import SCHEMA_VERSION, Mode
from .search import CommuneChoice, Hit, SearchFilters, SearchResult, Where, WhereKind, search_places

__all__ = [
    "SCHEMA_VERSION",
    "CommuneChoice",
    "DayHours",
    "Hit",
    "ImportFailed",
    "ImportReport",
    "Mode",
    "OpenState",
    "OpenStatus",
    "RowProblem",
    "SearchFilters",
    "SearchResult",
    "Where",
    "WhereKind",
    "import_places",
    "search_places",
    "status",
    "week",
]
