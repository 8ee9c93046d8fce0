"""Import a file of the national standard « lieux de médiation numérique » into ``Place``.

CSV or JSON, version 1.0.2 or the legacy 0.1.x columns (schema.py). Every row that can serve
is imported; what was skipped, dropped or kept as written is reported. The rules (skipped
rows, dropped values, notes, strict, dry run, retirement of a source's places, the Pass
numérique flag, one transaction) are in docs/places-import.md.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import IO, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..contact_details import find_phones, normalise_email, normalise_phone
from ..models import Place
from ..times import utcnow
from . import hours
from .communes import Commune, communes, distance_km, name_key
from .schema import (
    DEPARTEMENT_PATTERN,
    INSEE_PATTERN,
    LEGACY_CONDITIONS,
    LEGACY_CONDITIONS_COLUMN,
    LEGACY_MODES,
    LEGACY_PUBLICS,
    LEGACY_SERVICES,
    PASS_NUMERIQUE_LABEL,
    POSTCODE_PATTERN,
    REQUIRED,
    SEPARATOR,
    SUMMARY_MAX_LENGTH,
    V0_COLUMNS,
    V0_ONLY,
    V1_COLUMNS,
    V1_ONLY,
    VOCABULARIES,
    Format,
    commune_key,
    departement_of,
    header_key,
    join_values,
    split_values,
    value_key,
)

#: Problems listed at most in ``ImportFailed``; a file with more is surely not the right one.
MAX_ERRORS = 200
#: Longest values of the columns stored with a length.
MAX_ID_LENGTH = 128
MAX_COMMUNE_LENGTH = 200
MAX_SOURCE_LENGTH = 100
#: A file may retire at most this share of its source's places, unless told it may.
MAX_RETIRED_SHARE = 0.5
#: Columns Repère reads, other than the standard's (none are unknown).
_KNOWN_COLUMNS = frozenset(V1_COLUMNS) | frozenset(V0_COLUMNS) | {LEGACY_CONDITIONS_COLUMN}


class Kind(StrEnum):
    """What became of what was wrong."""

    #: The row cannot serve: not imported.
    SKIPPED = "ligne écartée"
    #: A value was dropped (or put right); the place is imported.
    DROPPED = "valeur retirée"
    #: Kept as it is, worth knowing.
    NOTE = "remarque"


@dataclass(frozen=True)
class RowProblem:
    """One problem in the file: its line (1 is the header; for JSON, the line where the
    place's object starts), its column, what is wrong, and what became of it."""

    line: int
    field: str
    message: str
    kind: Kind = Kind.DROPPED
    place_id: str = ""

    def __str__(self) -> str:
        if not self.field:
            return f"ligne {self.line} : {self.message}"
        return f"ligne {self.line}, champ « {self.field} » : {self.message}"


class ImportFailed(Exception):
    """The file cannot be imported, or ``strict`` refused it: nothing was written."""

    def __init__(self, errors: list[RowProblem], more: int = 0) -> None:
        self.errors = errors[:MAX_ERRORS]
        #: Errors found beyond MAX_ERRORS, not listed.
        self.more = more + max(0, len(errors) - MAX_ERRORS)
        super().__init__(self.describe())

    def describe(self) -> str:
        count = len(self.errors) + self.more
        lines = [f"Import refusé : {count} erreur{'s' if count > 1 else ''}, rien n'a été importé."]
        lines += [f"- {error}" for error in self.errors]
        if self.more:
            lines.append(f"- et {self.more} autres erreurs.")
        return "\n".join(lines)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n <= 1 else (plural or word + 's')}"


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    created: int
    updated: int
    unchanged: int
    #: Rows older (``date_maj``) than the place already stored: not applied.
    older: int
    format: Format
    #: Values dropped or put right, and notes: the places were imported.
    warnings: tuple[RowProblem, ...] = ()
    #: Rows that could not serve: not imported.
    skipped: tuple[RowProblem, ...] = ()
    #: Places of the same source that the file no longer lists.
    retired: int = 0
    source: str | None = None
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.older

    def warnings_by_field(self) -> list[tuple[str, int]]:
        """(field, number of warnings), the most frequent first."""
        counts = Counter(problem.field or "en-tête" for problem in self.warnings)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def summary(self) -> str:
        """ "3 créés, 1 mis à jour, 41 inchangés, 0 retiré, 2 lignes écartées ; …" """
        parts = [
            _plural(self.created, "créé"),
            f"{self.updated} mis à jour",
            _plural(self.unchanged, "inchangé"),
            _plural(self.retired, "retiré"),
            _plural(len(self.skipped), "ligne écartée", "lignes écartées"),
        ]
        if self.older:
            parts.append(_plural(self.older, "plus ancien ignoré", "plus anciens ignorés"))
        text = ", ".join(parts)
        if self.warnings:
            by_field = ", ".join(f"{name} {count}" for name, count in self.warnings_by_field())
            text += f" ; {_plural(len(self.warnings), 'avertissement')} ({by_field})"
        if self.dry_run:
            text += " — essai : rien n'a été enregistré"
        return text


def write_report(report: ImportReport, out: IO[str]) -> None:
    """Every skipped row and every warning, one a line, in CSV (for a spreadsheet)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ligne", "identifiant", "champ", "suite", "message"])
    problems = sorted((*report.skipped, *report.warnings), key=lambda p: (p.line, p.field))
    for problem in problems:
        writer.writerow(
            [problem.line, problem.place_id, problem.field, problem.kind.value, problem.message]
        )


@dataclass
class _Row:
    line: int
    id: str
    values: dict[str, Any]
    #: True: the file says "Accepte le Pass numérique". None: it says nothing about it.
    pass_numerique: bool | None


@dataclass
class _Checker:
    """Checks the cells of one row, collecting its problems."""

    line: int
    cells: dict[str, str]
    separator: str
    problems: list[RowProblem] = field(default_factory=list)
    place_id: str = ""

    def drop(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.line, column, message, Kind.DROPPED, self.place_id))

    def note(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.line, column, message, Kind.NOTE, self.place_id))

    def skip(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.line, column, message, Kind.SKIPPED, self.place_id))

    @property
    def skipped(self) -> bool:
        return any(problem.kind is Kind.SKIPPED for problem in self.problems)

    def text(self, column: str) -> str | None:
        value = " ".join(self.cells.get(column, "").split())
        return value or None

    def raw(self, column: str) -> str | None:
        """The cell with its line breaks kept (descriptions)."""
        value = self.cells.get(column, "").strip()
        return value or None

    def values(self, column: str) -> list[str]:
        return split_values(self.cells.get(column), self.separator)

    def vocabulary(self, column: str, allowed: tuple[str, ...]) -> list[str]:
        """The values of a closed-vocabulary column, spelled as the standard spells them;
        the others are dropped."""
        canonical = _canonical(allowed)
        result = []
        for value in self.values(column):
            found = canonical.get(value_key(value))
            if found is None:
                self.drop(column, f"« {value} » n'est pas une valeur permise ({_choices(allowed)})")
            else:
                result.append(found)
        return result


@lru_cache(maxsize=64)
def _canonical(allowed: tuple[str, ...]) -> dict[str, str]:
    return {value_key(value): value for value in allowed}


def _choices(allowed: Iterable[str]) -> str:
    return "valeurs permises : " + ", ".join(f"« {value} »" for value in allowed)


def import_places(
    db: Session,
    source_file: str | bytes | IO[str] | IO[bytes],
    *,
    source: str | None = None,
    now: datetime | None = None,
    strict: bool = False,
    dry_run: bool = False,
    partial: bool = False,
    allow_mass_retirement: bool = False,
) -> ImportReport:
    """Import a file of places (CSV or JSON); see the module's rules.

    ``source`` names where the file comes from (``"cartographie-nationale"``): a full file
    retires the places of that source that it no longer lists. Raises ``ImportFailed`` when
    the file cannot be read, or has errors and ``strict`` is set.
    """
    now = now or utcnow()
    if source is not None:
        source = " ".join(source.split())[:MAX_SOURCE_LENGTH] or None
    rows, file_format, problems, seen_ids = _parse(_read(source_file))
    skipped = tuple(p for p in problems if p.kind is Kind.SKIPPED)
    warnings = tuple(p for p in problems if p.kind is not Kind.SKIPPED)
    if strict:
        errors = [p for p in problems if p.kind is not Kind.NOTE]
        if errors:
            raise ImportFailed(errors)
    created = updated = unchanged = older = retired = 0
    try:
        stored = _stored(db, [row.id for row in rows])
        new: list[dict[str, Any]] = []
        for row in rows:
            place = stored.get(row.id)
            if place is None:
                new.append(
                    {
                        "id": row.id,
                        **row.values,
                        "accepts_pass_numerique": bool(row.pass_numerique),
                        "imported_from": source,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                created += 1
                continue
            if source is not None and place.imported_from != source:
                place.imported_from = source  # where it comes from now: no change to show
            changed = False
            if place.retired_at is not None:
                place.retired_at = None
                changed = True
            if row.pass_numerique and not place.accepts_pass_numerique:
                place.accepts_pass_numerique = True
                changed = True
            row_date = row.values["date_maj"]
            if row_date is not None and place.date_maj is not None and row_date < place.date_maj:
                if changed:
                    place.updated_at = now
                    updated += 1
                else:
                    older += 1
                continue
            for column, value in row.values.items():
                if getattr(place, column) != value:
                    setattr(place, column, value)
                    changed = True
            if changed:
                place.updated_at = now
                updated += 1
            else:
                unchanged += 1
        if new:
            db.execute(insert(Place), new)
        if source is not None and not partial:
            retired = _retire(db, source, seen_ids, now, allow_mass_retirement)
        if dry_run:
            db.rollback()
        else:
            db.commit()
    except Exception:
        db.rollback()
        raise
    return ImportReport(
        created,
        updated,
        unchanged,
        older,
        file_format,
        warnings,
        skipped,
        retired,
        source,
        dry_run,
    )


def _retire(
    db: Session, source: str, seen_ids: set[str], now: datetime, allow_mass_retirement: bool
) -> int:
    """Retire the places of ``source`` that the file does not list; how many."""
    active = set(
        db.scalars(
            select(Place.id).where(Place.imported_from == source, Place.retired_at.is_(None))
        )
    )
    gone = sorted(active - seen_ids)
    if not allow_mass_retirement and len(gone) > 10 and len(gone) > MAX_RETIRED_SHARE * len(active):
        raise ImportFailed(
            [
                RowProblem(
                    1,
                    "",
                    f"ce fichier retirerait {len(gone)} des {len(active)} lieux de la source "
                    f"« {source} » : est-il complet ? Si oui, relancez avec "
                    "--allow-mass-retirement ; si c'est un fichier de quelques lieux, avec "
                    "--partial.",
                )
            ]
        )
    for start in range(0, len(gone), 500):
        db.execute(
            update(Place)
            .where(Place.id.in_(gone[start : start + 500]))
            .values(retired_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(gone)


def _stored(db: Session, ids: list[str]) -> dict[str, Place]:
    """The places already stored among ``ids``, by id.

    A large file (the national one) is compared with every stored place, read in one
    query; a small one is looked up by id. Long ``IN`` lists, repeated, are slow on
    PostgreSQL once the driver prepares them.
    """
    if len(ids) > 500:
        wanted = set(ids)
        return {place.id: place for place in db.scalars(select(Place)) if place.id in wanted}
    if not ids:
        return {}
    return {place.id: place for place in db.scalars(select(Place).where(Place.id.in_(ids)))}


# --------------------------------------------------------------------------------------------
# Reading the file


def _read(source: str | bytes | IO[str] | IO[bytes]) -> str:
    data: str | bytes = source if isinstance(source, str | bytes) else source.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFailed(
                [
                    RowProblem(
                        _line_of(data, error.start),
                        "",
                        "le fichier n'est pas en UTF-8 (enregistrez-le en « CSV UTF-8 »)",
                    )
                ]
            ) from None
    return data.removeprefix("\ufeff")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _delimiter(header_line: str) -> str:
    """Comma, as the standard says; a semicolon when a spreadsheet chose it."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    return ";" if outside.count(";") > outside.count(",") else ","


#: (line where the record starts, cells) for each record, after the header's (line, titles).
_Records = tuple[tuple[int, list[str]], list[tuple[int, list[str]]]]


def _csv_records(text: str) -> _Records:
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    records: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for cells in reader:
            records.append((previous_end + 1, cells))
            previous_end = reader.line_num
    except csv.Error as error:
        raise ImportFailed(
            [RowProblem(previous_end + 1, "", f"le fichier n'est pas un CSV lisible ({error})")]
        ) from None
    if not records or not any(cell.strip() for cell in records[0][1]):
        raise ImportFailed([RowProblem(1, "", "le fichier est vide : il faut une ligne d'en-tête")])
    return records[0], records[1:]


def _json_cell(value: Any, separator: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return separator.join(_json_cell(item, separator) for item in value)
    if isinstance(value, str):
        return value
    return ""  # an object where the standard has a value: ignored


def _json_objects(text: str) -> list[tuple[int, Any]]:
    """(line where it starts, object) for each place of a JSON array, or of the array under
    ``features`` (GeoJSON), ``data`` or ``lieux``."""
    decoder = json.JSONDecoder()
    stripped = text.lstrip()
    if stripped.startswith("["):
        objects: list[tuple[int, Any]] = []
        position = text.index("[") + 1
        line = text.count("\n", 0, position) + 1
        counted = position
        while True:
            match = re.compile(r"[\s,]*").match(text, position)
            position = match.end() if match else position
            if position >= len(text) or text[position] == "]":
                break
            line += text.count("\n", counted, position)
            counted = position
            try:
                value, position = decoder.raw_decode(text, position)
            except json.JSONDecodeError as error:
                raise ImportFailed(
                    [RowProblem(error.lineno, "", f"le JSON n'est pas lisible ({error.msg})")]
                ) from None
            objects.append((line, value))
        return objects
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFailed(
            [RowProblem(error.lineno, "", f"le JSON n'est pas lisible ({error.msg})")]
        ) from None
    for key in ("features", "data", "lieux"):
        if isinstance(document, dict) and isinstance(document.get(key), list):
            return [(0, value) for value in document[key]]
    raise ImportFailed(
        [RowProblem(1, "", "le JSON doit être une liste de lieux (ou une FeatureCollection)")]
    )


def _json_records(text: str) -> _Records:
    objects = _json_objects(text)
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, (line, value) in enumerate(objects, start=1):
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("properties"), dict):  # a GeoJSON feature
            cells = dict(value["properties"])
            coordinates = (value.get("geometry") or {}).get("coordinates")
            if isinstance(coordinates, list) and len(coordinates) >= 2:
                cells.setdefault("longitude", coordinates[0])
                cells.setdefault("latitude", coordinates[1])
            value = cells
        rows.append((line or number + 1, value))
    titles: dict[str, None] = {}
    for _line, value in rows:
        titles.update(dict.fromkeys(value))
    columns = list(titles)
    present = {header_key(title) for title in columns}
    separator = SEPARATOR[_format_of(present)]
    records = [
        (line, [_json_cell(value.get(title), separator) for title in columns])
        for line, value in rows
    ]
    return (1, columns), records


def _format_of(columns: set[str]) -> Format:
    return Format.V0 if columns & V0_ONLY and not columns & V1_ONLY else Format.V1


def _parse(text: str) -> tuple[list[_Row], Format, list[RowProblem], set[str]]:
    """The rows that can serve, the file's version, every problem, and every id listed."""
    if text.lstrip()[:1] in ("[", "{"):
        (header_line, header), records = _json_records(text)
    else:
        (header_line, header), records = _csv_records(text)
    columns = [header_key(title) for title in header]
    errors: list[RowProblem] = []
    seen: dict[str, int] = {}
    for position, column in enumerate(columns):
        if column and column in seen:
            errors.append(
                RowProblem(
                    header_line,
                    column,
                    f"la colonne est en double (colonnes {seen[column] + 1} et {position + 1})",
                )
            )
        seen.setdefault(column, position)
    present = set(columns)
    for column in ("id", "nom"):
        if column not in present:
            errors.append(
                RowProblem(header_line, column, "cette colonne obligatoire manque dans l'en-tête")
            )
    if not present & {"code_postal", "code_insee", "commune", "latitude"}:
        errors.append(
            RowProblem(
                header_line,
                "code_postal",
                "il faut une colonne pour situer les lieux : code_postal, commune ou latitude",
            )
        )
    if errors:
        raise ImportFailed(errors)
    file_format = _format_of(present)
    problems: list[RowProblem] = []
    for column in REQUIRED:
        if column not in present:
            problems.append(
                RowProblem(
                    header_line,
                    column,
                    "cette colonne du standard manque dans l'en-tête",
                    Kind.DROPPED,
                )
            )
    unknown = [
        title for title, key in zip(header, columns, strict=True) if key not in _KNOWN_COLUMNS
    ]
    if unknown:
        problems.append(
            RowProblem(
                header_line,
                "",
                "colonnes inconnues de Repère, ignorées : " + ", ".join(unknown),
                Kind.NOTE,
            )
        )

    rows: list[_Row] = []
    first_line_of: dict[str, int] = {}
    listed: set[str] = set()
    check_date = "date_maj" in present
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(columns):
            problems.append(
                RowProblem(
                    line,
                    "",
                    f"{len(cells)} colonnes au lieu de {len(columns)} "
                    "(un guillemet ou un séparateur en trop ?)",
                    Kind.SKIPPED,
                )
            )
            continue
        checker = _Checker(line, dict(zip(columns, cells, strict=True)), SEPARATOR[file_format])
        place_id = checker.text("id")
        checker.place_id = place_id or ""
        if place_id is not None and place_id in first_line_of:
            listed.add(place_id)
            checker.skip(
                "id",
                f"l'identifiant « {place_id} » est déjà celui de la ligne "
                f"{first_line_of[place_id]} : cette ligne-ci est écartée",
            )
            problems.extend(checker.problems)
            continue
        row = _check_row(checker, file_format, check_date=check_date)
        if place_id is not None and len(place_id) <= MAX_ID_LENGTH:
            first_line_of[place_id] = line
            listed.add(place_id)
        problems.extend(checker.problems)
        if row is not None:
            rows.append(row)
    return rows, file_format, problems, listed


# --------------------------------------------------------------------------------------------
# Checking one row


def _check_row(c: _Checker, file_format: Format, *, check_date: bool = True) -> _Row | None:
    place_id = c.text("id")
    if place_id is None:
        c.skip("id", "pas d'identifiant : la ligne ne peut pas être mise à jour plus tard")
        return None
    if len(place_id) > MAX_ID_LENGTH:
        c.skip("id", f"l'identifiant dépasse {MAX_ID_LENGTH} caractères")
        return None
    name = c.text("nom")
    if name is None:
        c.skip("nom", "pas de nom : personne ne reconnaîtrait ce lieu")
        return None

    latitude, longitude = _coordinates(c)
    where = _where(c, latitude, longitude)
    address = c.text("adresse")
    if where is None:
        c.skip(
            "adresse",
            "ni adresse utilisable (une rue avec un code postal ou une commune), ni coordonnées",
        )
        return None
    postcode, commune_name, insee, departement = where
    if address is None and latitude is None:
        c.skip("adresse", "pas d'adresse ni de coordonnées : personne ne trouverait ce lieu")
        return None
    if address is None:
        c.drop("adresse", "adresse vide : le lieu est montré par sa commune et sa position")

    date_maj = _date(c, "date_maj") if check_date else None
    phones = _phones(c)
    email_column = "courriels" if file_format is Format.V1 else "courriel"
    emails = []
    for raw in c.values(email_column):
        email = normalise_email(raw)
        if email is None:
            c.drop(email_column, f"« {raw} » n'est pas une adresse e-mail : retirée")
        else:
            emails.append(email)
    websites = [_url(c, "site_web", value) for value in c.values("site_web")]
    prise_rdv = _url(c, "prise_rdv", c.text("prise_rdv"))
    accessibility_column = "fiche_acces_libre" if file_format is Format.V1 else "accessibilite"
    accessibilite = _url(c, accessibility_column, c.text(accessibility_column))

    horaires = c.text("horaires")
    if horaires is not None and not hours.is_valid(horaires):
        c.note(
            "horaires",
            f"« {horaires} » ne suit pas la syntaxe OpenStreetMap : montré tel quel, "
            "sans « ouvert maintenant »",
        )

    summary = c.raw("presentation_resume")
    if summary is not None and len(summary) > SUMMARY_MAX_LENGTH:
        c.note(
            "presentation_resume",
            f"{len(summary)} caractères, plus que les {SUMMARY_MAX_LENGTH} du standard : "
            "gardé en entier",
        )

    if file_format is Format.V1:
        lists = {column: c.vocabulary(column, allowed) for column, allowed in VOCABULARIES.items()}
    else:
        lists = _legacy_lists(c)
    pass_numerique = None
    if LEGACY_CONDITIONS_COLUMN in c.cells:
        pass_numerique = _legacy_conditions(c, lists, merge_fees=file_format is Format.V0)

    values: dict[str, Any] = {
        "name": name,
        "address": address or "",
        "address_details": c.text("complement_adresse"),
        "postcode": postcode,
        "commune": commune_name,
        "commune_key": commune_key(commune_name),
        "insee_code": insee,
        "departement": departement,
        "latitude": latitude,
        "longitude": longitude,
        "phone": join_values(phones) or None,
        "email": join_values(emails) or None,
        "website": join_values([w for w in websites if w]) or None,
        "horaires": horaires,
        "services": join_values(lists["services"]),
        "publics": join_values(lists["publics_specifiquement_adresses"]),
        "specific_support": join_values(lists["prise_en_charge_specifique"]),
        "modalites_accompagnement": join_values(lists["modalites_accompagnement"]),
        "frais_a_charge": join_values(lists["frais_a_charge"]),
        "modalites_acces": join_values(lists["modalites_acces"]),
        "prise_rdv": prise_rdv,
        "accessibilite": accessibilite,
        "presentation": summary,
        "presentation_detail": c.raw("presentation_detail"),
        "source": c.text("source"),
        "date_maj": date_maj,
    }
    return _Row(c.line, place_id, values, pass_numerique)


#: Metropolitan France and Corsica, with a margin.
_METROPOLE = (41.2, 51.2, -5.3, 9.7)
#: A commune found by its name is this close to the place's coordinates, at most.
_NAMED_COMMUNE_WITHIN_KM = 40.0


def _in_metropole(lat: float, lon: float) -> bool:
    south, north, west, east = _METROPOLE
    return south <= lat <= north and west <= lon <= east


def _coordinates(c: _Checker) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = c.text("latitude"), c.text("longitude")
    if raw_lat is None and raw_lon is None:
        return None, None
    if raw_lat is None or raw_lon is None:
        missing = "latitude" if raw_lat is None else "longitude"
        c.drop(
            missing, "la latitude et la longitude vont ensemble : l'une est vide, position retirée"
        )
        return None, None
    lat, lon = _number(c, "latitude", raw_lat), _number(c, "longitude", raw_lon)
    if lat is None or lon is None:
        return None, None
    if not -90 <= lat <= 90:
        c.drop(
            "latitude", f"« {raw_lat} » n'est pas une latitude (entre -90 et 90) : position retirée"
        )
        return None, None
    if not -180 <= lon <= 180:
        c.drop(
            "longitude",
            f"« {raw_lon} » n'est pas une longitude (entre -180 et 180) : position retirée",
        )
        return None, None
    if lat == 0 and lon == 0:
        c.note("latitude", "coordonnées (0, 0) : lieu gardé sans position")
        return None, None
    postcode = c.text("code_postal") or ""
    overseas = postcode.startswith(("97", "98")) or (c.text("code_insee") or "").startswith(
        ("97", "98")
    )
    if not overseas and not _in_metropole(lat, lon):
        if _in_metropole(lon, lat):
            c.drop(
                "latitude",
                f"latitude et longitude inversées ({raw_lat}, {raw_lon}) : remises dans l'ordre",
            )
            return lon, lat
        c.drop(
            "latitude",
            f"({raw_lat}, {raw_lon}) est hors de France métropolitaine, alors que le lieu y est : "
            "position retirée",
        )
        return None, None
    return lat, lon


def _number(c: _Checker, column: str, raw: str) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        c.drop(column, f"« {raw} » n'est pas un nombre (exemple : 48.8566) : position retirée")
        return None
    return value


def _where(
    c: _Checker, latitude: float | None, longitude: float | None
) -> tuple[str, str, str | None, str] | None:
    """(postcode, commune name, INSEE code, département) of the place, the blanks filled in
    from the official list of communes; None when nothing says where it is."""
    known = communes()
    postcode = c.text("code_postal")
    postcode_problem = None
    if postcode is not None:
        if not POSTCODE_PATTERN.match(postcode):
            postcode_problem = f"« {postcode} » n'est pas un code postal à 5 chiffres"
            postcode = None
        elif not DEPARTEMENT_PATTERN.match(departement_of(postcode)):
            postcode_problem = f"« {postcode} » ne correspond à aucun département"
            postcode = None
    name = c.text("commune")
    if name is not None and (len(name) > MAX_COMMUNE_LENGTH or not commune_key(name)):
        c.drop("commune", f"« {name[:40]} » n'est pas un nom de commune : retiré")
        name = None
    insee = c.text("code_insee")
    commune: Commune | None = None
    if insee is not None:
        insee = insee.upper()
        if not INSEE_PATTERN.match(insee):
            c.drop("code_insee", f"« {insee} » n'est pas un code INSEE (comme 93066 ou 2A004)")
        else:
            commune = known.commune(insee)
            if commune is None:
                c.drop("code_insee", f"« {insee} » n'est le code d'aucune commune d'aujourd'hui")
            elif (
                postcode is not None
                and postcode not in commune.postcodes
                and name is not None
                and name_key(name) != name_key(commune.name)
            ):
                c.drop(
                    "code_insee",
                    f"« {insee} » est le code de {commune.name}, pas de {name} {postcode}",
                )
                commune = None

    if commune is None:
        commune = _commune_of(postcode, name, latitude, longitude)
    if postcode is None and commune is not None and commune.postcodes:
        postcode = commune.postcodes[0]
        why = postcode_problem or "code postal vide"
        c.drop("code_postal", f"{why} : remplacé par {postcode}, celui de {commune.name}")
    elif postcode_problem is not None:
        c.drop("code_postal", f"{postcode_problem} : retiré")
    if postcode is None:
        return None
    if name is None:
        if commune is None:
            return None
        name = commune.name
        c.drop("commune", f"nom de commune vide : {name}, d'après le code postal")
    departement = commune.departement if commune is not None else departement_of(postcode)
    return postcode, name, commune.code if commune is not None else None, departement


def _commune_of(
    postcode: str | None, name: str | None, latitude: float | None, longitude: float | None
) -> Commune | None:
    """The commune the row is in, from its postcode, name and position."""
    known = communes()
    key = name_key(name) if name else None
    if postcode is not None:
        serving = known.postcode(postcode)
        if key is not None:
            same_name = [c for c in serving if name_key(c.name) == key]
            if not same_name:
                same_name = [c for c in known.named(name or "") if c in serving]
            if same_name:
                return same_name[0]
        if len(serving) == 1:
            return serving[0]
        if serving and latitude is not None and longitude is not None:
            return min(
                (c for c in serving if c.latitude is not None),
                key=lambda c: distance_km(latitude, longitude, c.latitude, c.longitude),  # type: ignore[arg-type]
                default=None,
            )
        if key is not None:
            # A postcode of another town of the same département (a CEDEX, a typo).
            for candidate in known.named(name or ""):
                if candidate.departement == departement_of(postcode):
                    return candidate
        return None
    if latitude is not None and longitude is not None:
        if key is not None:
            near = [
                candidate
                for candidate in known.named(name or "")
                if candidate.latitude is not None
                and distance_km(latitude, longitude, candidate.latitude, candidate.longitude)  # type: ignore[arg-type]
                <= _NAMED_COMMUNE_WITHIN_KM
            ]
            if near:
                return near[0]
        return known.nearest(latitude, longitude)
    if key is not None:
        named = known.named(name or "")
        if len(named) == 1:
            return named[0]
    return None


def _date(c: _Checker, column: str) -> date | None:
    raw = c.text(column)
    if raw is None:
        c.drop(column, "date de mise à jour vide : gardée comme inconnue")
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.+\-Z]*)?$", raw)
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1))
    except ValueError:
        c.drop(
            column,
            f"« {raw} » n'est pas une date au format AAAA-MM-JJ (exemple : 2024-04-02) : "
            "gardée comme inconnue",
        )
        return None


def _phones(c: _Checker) -> list[str]:
    """The phone numbers, in E.164; numbers written in a sentence are found in it."""
    found: list[str] = []
    for raw in c.values("telephone"):
        number = normalise_phone(raw)
        if number is not None:
            found.append(number)
            continue
        within = find_phones(raw)
        if within:
            found.extend(within)
            c.drop("telephone", f"« {raw} » : gardé {', '.join(within)}, le reste retiré")
        else:
            c.drop("telephone", f"« {raw} » n'est pas un numéro de téléphone français : retiré")
    return found


_URL = re.compile(r"^https?://[^\s/?#.]+(\.[^\s/?#.]+)+(:\d+)?([/?#]\S*)?$", re.IGNORECASE)


def _url(c: _Checker, column: str, raw: str | None) -> str | None:
    """An http(s) address; ``www.exemple.fr`` becomes ``https://www.exemple.fr``."""
    if raw is None:
        return None
    value = "https://" + raw if raw.lower().startswith("www.") else raw
    if not _URL.match(value):
        c.drop(
            column, f"« {raw} » n'est pas une adresse web (elle commence par https://) : retirée"
        )
        return None
    return value


_LEGACY_SERVICES_BY_KEY = {value_key(label): v1 for label, v1 in LEGACY_SERVICES.items()}
_LEGACY_PUBLICS_BY_KEY = {value_key(label): v1 for label, v1 in LEGACY_PUBLICS.items()}
_LEGACY_MODES_BY_KEY = {value_key(label): mode for label, mode in LEGACY_MODES.items()}
_LEGACY_CONDITIONS_BY_KEY = {value_key(label): v1 for label, v1 in LEGACY_CONDITIONS.items()}


def _head(value: str) -> str:
    """The label of a legacy value: what comes before " : "."""
    return value.split(" : ", 1)[0].strip()


def _legacy_lists(c: _Checker) -> dict[str, list[str]]:
    """The legacy columns, turned into the v1 vocabularies."""
    lists: dict[str, list[str]] = {column: [] for column in VOCABULARIES}
    for value in c.values("services"):
        found = _LEGACY_SERVICES_BY_KEY.get(value_key(_head(value)))
        if found is None:
            c.drop(
                "services",
                f"« {value} » n'est pas une valeur permise ({_choices(LEGACY_SERVICES)})",
            )
        else:
            lists["services"].extend(found)
    for value in c.values("publics_accueillis"):
        pair = _LEGACY_PUBLICS_BY_KEY.get(value_key(_head(value)))
        if pair is None:
            c.drop(
                "publics_accueillis",
                f"« {value} » n'est pas une valeur permise ({_choices(LEGACY_PUBLICS)})",
            )
            continue
        public, support = pair
        if public:
            lists["publics_specifiquement_adresses"].append(public)
        if support:
            lists["prise_en_charge_specifique"].append(support)
    for value in c.values("modalites_accompagnement"):
        mode = _LEGACY_MODES_BY_KEY.get(value_key(_head(value)))
        if mode is None:
            c.drop(
                "modalites_accompagnement",
                f"« {value} » n'est pas une valeur permise ({_choices(LEGACY_MODES)})",
            )
        else:
            lists["modalites_accompagnement"].append(mode.value)
    return lists


def _legacy_conditions(
    c: _Checker, lists: dict[str, list[str]], *, merge_fees: bool
) -> bool | None:
    """Read the legacy ``conditions_acces``: the Pass numérique flag, and in a legacy file
    the fees (into ``frais_a_charge``). Its values are split on ``;`` or ``|``."""
    accepts = False
    raw = c.cells.get(LEGACY_CONDITIONS_COLUMN, "").replace("|", ";")
    for value in split_values(raw, ";"):
        label = value_key(_head(value))
        fee = _LEGACY_CONDITIONS_BY_KEY.get(label)
        if fee is None:
            c.drop(
                LEGACY_CONDITIONS_COLUMN,
                f"« {value} » n'est pas une valeur permise ({_choices(LEGACY_CONDITIONS)})",
            )
            continue
        if label == value_key(PASS_NUMERIQUE_LABEL):
            accepts = True
        if merge_fees and fee not in lists["frais_a_charge"]:
            lists["frais_a_charge"].append(fee)
    return True if accepts else None
