"""Import a file of the national standard « lieux de médiation numérique » into ``Place``.

Version followed: 1.0.2 (``|`` between values); the legacy 0.1.x columns are read too
(see schema.py for both and where they come from). The version is told by the header: a
file with any column that only 0.1.x has, and none that only 1.0.x has, is legacy.

Rules:

* **Every row is checked before anything is written.** On any error, nothing is imported
  and ``ImportFailed`` lists each one: line of the file (the header is line 1), column and
  what is wrong, in plain French for the operators.
* **Errors** are what would make a place wrong or unreachable in Repère: a required column
  empty, a postcode not of five digits, coordinates that are not numbers, out of range or
  outside France, a value outside a closed vocabulary, a date that is not YYYY-MM-DD, an
  identifier used twice, a phone number, e-mail or web address that cannot be used.
* **Warnings** do not stop the import: ``horaires`` that the OpenStreetMap parser cannot read
  (the standard makes the field optional: the raw text is kept and shown as is, and the
  hours count as unknown), a summary longer than the standard's 280 characters (kept),
  coordinates (0, 0) (dropped: the place is kept without a position).
* Columns that Repère does not store (``pivot``, ``typologie``, ``itinerance``, labels,
  ``structure_parente``…) are not checked, so that a change of their vocabularies in the
  national file cannot block an import.
* **Idempotent.** A row whose stored values are all equal is left alone (not even its
  ``updated_at``): importing the same file twice reports 0 created, 0 updated, N unchanged.
  A row whose ``date_maj`` is older than the stored one does not overwrite it.
* **Places absent from a new file are kept.** The standard describes a file, not how a
  consumer should treat deletions, and Repère keeps what a place's staff may have set.
* **Pass numérique.** ``accepts_pass_numerique`` is Repère's own flag. The legacy column
  ``conditions_acces`` (read in a file of either version) sets it when it says
  « Accepte le Pass numérique ». Nothing else changes it: an import never resets it, so
  that a v1 file (which has no such value) keeps what a legacy file or the staff set.
* One transaction: the session is committed at the end, or rolled back on a database
  error.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import IO, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..models import Place
from ..times import utcnow
from . import hours
from .schema import (
    DEPARTEMENT_PATTERN,
    INSEE_PATTERN,
    LEGACY_CONDITIONS,
    LEGACY_CONDITIONS_COLUMN,
    LEGACY_MODES,
    LEGACY_PUBLICS,
    LEGACY_SERVICES,
    PASS_NUMERIQUE_LABEL,
    PHONE_PATTERN,
    POSTCODE_PATTERN,
    REQUIRED,
    SEPARATOR,
    SUMMARY_MAX_LENGTH,
    V0_ONLY,
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

#: Errors listed at most; a file with more is surely not the right file.
MAX_ERRORS = 200
#: Longest values of the columns stored with a length.
MAX_ID_LENGTH = 128
MAX_COMMUNE_LENGTH = 200


@dataclass(frozen=True)
class RowProblem:
    """One problem in the file: its line (1 is the header), its column, what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        if not self.field:
            return f"ligne {self.line} : {self.message}"
        return f"ligne {self.line}, champ « {self.field} » : {self.message}"


class ImportFailed(Exception):
    """The file has errors: nothing was imported. ``errors`` says where and why."""

    def __init__(self, errors: list[RowProblem], more: int = 0) -> None:
        self.errors = errors
        #: Errors found beyond MAX_ERRORS, not listed.
        self.more = more
        super().__init__(self.describe())

    def describe(self) -> str:
        count = len(self.errors) + self.more
        lines = [f"Import refusé : {count} erreur{'s' if count > 1 else ''}, rien n'a été importé."]
        lines += [f"- {error}" for error in self.errors]
        if self.more:
            lines.append(f"- et {self.more} autres erreurs.")
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    created: int
    updated: int
    unchanged: int
    #: Rows older (``date_maj``) than the place already stored: not applied.
    older: int
    format: Format
    warnings: tuple[RowProblem, ...] = ()

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.older

    def summary(self) -> str:
        """ "3 créés, 1 mis à jour, 41 inchangés", for the operator."""

        def count(n: int, word: str) -> str:
            return f"{n} {word}{'s' if n > 1 and not word.endswith('jour') else ''}"

        parts = [count(self.created, "créé"), count(self.updated, "mis à jour")]
        parts.append(count(self.unchanged, "inchangé"))
        if self.older:
            parts.append(
                f"{self.older} plus ancien{'s' if self.older > 1 else ''} ignoré"
                f"{'s' if self.older > 1 else ''}"
            )
        if self.warnings:
            parts.append(
                f"{len(self.warnings)} avertissement{'s' if len(self.warnings) > 1 else ''}"
            )
        return ", ".join(parts)


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
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowProblem(self.line, column, message))

    def warn(self, column: str, message: str) -> None:
        self.warnings.append(RowProblem(self.line, column, message))

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
        """The values of a closed-vocabulary column, spelled as the standard spells them."""
        canonical = _canonical(allowed)
        result = []
        for value in self.values(column):
            found = canonical.get(value_key(value))
            if found is None:
                self.error(
                    column, f"« {value} » n'est pas une valeur permise ({_choices(allowed)})"
                )
            else:
                result.append(found)
        return result


@lru_cache(maxsize=64)
def _canonical(allowed: tuple[str, ...]) -> dict[str, str]:
    return {value_key(value): value for value in allowed}


def _choices(allowed: Iterable[str]) -> str:
    return "valeurs permises : " + ", ".join(f"« {value} »" for value in allowed)


def import_places(
    db: Session, csv_text: str | bytes | IO[str] | IO[bytes], *, now: datetime | None = None
) -> ImportReport:
    """Import a CSV of places; all rows or none. Raises ``ImportFailed`` with every error."""
    now = now or utcnow()
    text = _read(csv_text)
    rows, file_format, warnings = _parse(text)
    created = updated = unchanged = older = 0
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
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                created += 1
                continue
            changed = False
            if row.pass_numerique and not place.accepts_pass_numerique:
                place.accepts_pass_numerique = True
                changed = True
            if row.values["date_maj"] < place.date_maj:
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
        db.commit()
    except Exception:
        db.rollback()
        raise
    return ImportReport(created, updated, unchanged, older, file_format, tuple(warnings))


def _stored(db: Session, ids: list[str]) -> dict[str, Place]:
    """The places already stored among ``ids``, by id.

    A large file (the national one) is compared with every stored place, read in one
    query; a small one is looked up by id. Long ``IN`` lists, repeated, are slow on
    PostgreSQL once the driver prepares them.
    """
    if len(ids) > 500:
        wanted = set(ids)
        return {place.id: place for place in db.scalars(select(Place)) if place.id in wanted}
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


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for every record of the file."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    previous_end = 0
    for cells in reader:
        yield previous_end + 1, cells
        previous_end = reader.line_num


def _parse(text: str) -> tuple[list[_Row], Format, list[RowProblem]]:
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    more = 0
    try:
        records = list(_records(text))
    except csv.Error as error:
        raise ImportFailed(
            [RowProblem(1, "", f"le fichier n'est pas un CSV lisible ({error})")]
        ) from None
    if not records or not any(cell.strip() for cell in records[0][1]):
        raise ImportFailed([RowProblem(1, "", "le fichier est vide : il faut une ligne d'en-tête")])
    header_line, header = records[0]
    columns = [header_key(title) for title in header]
    seen: dict[str, int] = {}
    for position, column in enumerate(columns):
        if column and column in seen:
            errors.append(
                RowProblem(
                    1,
                    column,
                    f"la colonne est en double (colonnes {seen[column] + 1} et {position + 1})",
                )
            )
        seen.setdefault(column, position)
    present = set(columns)
    file_format = Format.V0 if present & V0_ONLY and not present & V1_ONLY else Format.V1
    for column in REQUIRED:
        if column not in present:
            errors.append(
                RowProblem(header_line, column, "cette colonne obligatoire manque dans l'en-tête")
            )
    if errors:
        raise ImportFailed(errors)

    rows: list[_Row] = []
    first_line_of: dict[str, int] = {}
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(columns):
            problem = RowProblem(
                line,
                "",
                f"{len(cells)} colonnes au lieu de {len(columns)} "
                "(un guillemet ou un séparateur en trop ?)",
            )
            if len(errors) < MAX_ERRORS:
                errors.append(problem)
            else:
                more += 1
            continue
        checker = _Checker(line, dict(zip(columns, cells, strict=True)), SEPARATOR[file_format])
        row = _check_row(checker, file_format)
        if row is not None:
            if row.id in first_line_of:
                checker.error(
                    "id",
                    f"l'identifiant « {row.id} » est déjà celui de la ligne "
                    f"{first_line_of[row.id]}",
                )
            else:
                first_line_of[row.id] = line
        for problem in checker.errors:
            if len(errors) < MAX_ERRORS:
                errors.append(problem)
            else:
                more += 1
        if not checker.errors and row is not None:
            rows.append(row)
        warnings.extend(checker.warnings)
    if errors:
        raise ImportFailed(errors, more)
    return rows, file_format, warnings


# --------------------------------------------------------------------------------------------
# Checking one row


def _check_row(c: _Checker, file_format: Format) -> _Row | None:
    for column in REQUIRED:
        if c.text(column) is None:
            c.error(column, "ce champ est obligatoire et il est vide")

    place_id = c.text("id")
    if place_id is not None and len(place_id) > MAX_ID_LENGTH:
        c.error("id", f"l'identifiant dépasse {MAX_ID_LENGTH} caractères")

    postcode = c.text("code_postal")
    if postcode is not None and not POSTCODE_PATTERN.match(postcode):
        c.error("code_postal", f"« {postcode} » n'est pas un code postal à 5 chiffres")
        postcode = None
    elif postcode is not None and not DEPARTEMENT_PATTERN.match(departement_of(postcode)):
        c.error("code_postal", f"« {postcode} » ne correspond à aucun département")
        postcode = None

    commune = c.text("commune")
    if commune is not None and len(commune) > MAX_COMMUNE_LENGTH:
        c.error("commune", f"le nom dépasse {MAX_COMMUNE_LENGTH} caractères")
    if commune is not None and not commune_key(commune):
        c.error("commune", f"« {commune} » n'est pas un nom de commune")

    insee = c.text("code_insee")
    if insee is not None and not INSEE_PATTERN.match(insee.upper()):
        c.error(
            "code_insee",
            f"« {insee} » n'est pas un code INSEE (5 caractères, comme 93066 ou 2A004)",
        )

    latitude, longitude = _coordinates(c, postcode)
    date_maj = _date(c, "date_maj")

    phones = [_phone(c, value) for value in c.values("telephone")]
    emails = c.values("courriels" if file_format is Format.V1 else "courriel")
    for email in emails:
        if not re.match(r"^[^@\s|;,]+@[^@\s|;,]+\.[^@\s|;,]+$", email):
            c.error(
                "courriels" if file_format is Format.V1 else "courriel",
                f"« {email} » n'est pas une adresse e-mail",
            )
    websites = [_url(c, "site_web", value) for value in c.values("site_web")]
    prise_rdv = _url(c, "prise_rdv", c.text("prise_rdv"))
    accessibility_column = "fiche_acces_libre" if file_format is Format.V1 else "accessibilite"
    accessibilite = _url(c, accessibility_column, c.text(accessibility_column))

    horaires = c.text("horaires")
    if horaires is not None and not hours.is_valid(horaires):
        c.warn(
            "horaires",
            f"« {horaires} » ne suit pas la syntaxe OpenStreetMap : gardé tel "
            "quel, affiché sans « ouvert maintenant »",
        )

    summary = c.raw("presentation_resume")
    if summary is not None and len(summary) > SUMMARY_MAX_LENGTH:
        c.warn(
            "presentation_resume",
            f"{len(summary)} caractères, plus que les "
            f"{SUMMARY_MAX_LENGTH} du standard : gardé en entier",
        )

    if file_format is Format.V1:
        lists = {column: c.vocabulary(column, allowed) for column, allowed in VOCABULARIES.items()}
    else:
        lists = _legacy_lists(c)
    pass_numerique = None
    if LEGACY_CONDITIONS_COLUMN in c.cells:
        pass_numerique = _legacy_conditions(c, lists, merge_fees=file_format is Format.V0)

    if c.errors or place_id is None or postcode is None or date_maj is None:
        return None
    assert commune is not None
    values: dict[str, Any] = {
        "name": c.text("nom"),
        "address": c.text("adresse"),
        "address_details": c.text("complement_adresse"),
        "postcode": postcode,
        "commune": commune,
        "commune_key": commune_key(commune),
        "insee_code": insee.upper() if insee else None,
        "departement": departement_of(postcode),
        "latitude": latitude,
        "longitude": longitude,
        "phone": join_values([p for p in phones if p]) or None,
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


def _coordinates(c: _Checker, postcode: str | None) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = c.text("latitude"), c.text("longitude")
    if raw_lat is None and raw_lon is None:
        return None, None
    if raw_lat is None or raw_lon is None:
        missing = "latitude" if raw_lat is None else "longitude"
        c.error(missing, "la latitude et la longitude vont ensemble : l'une est vide")
        return None, None
    lat, lon = _number(c, "latitude", raw_lat), _number(c, "longitude", raw_lon)
    if lat is None or lon is None:
        return None, None
    if not -90 <= lat <= 90:
        c.error("latitude", f"« {raw_lat} » n'est pas une latitude (entre -90 et 90)")
        return None, None
    if not -180 <= lon <= 180:
        c.error("longitude", f"« {raw_lon} » n'est pas une longitude (entre -180 et 180)")
        return None, None
    if lat == 0 and lon == 0:
        c.warn("latitude", "coordonnées (0, 0) : lieu gardé sans position")
        return None, None
    if postcode is not None and not postcode.startswith(("97", "98")):
        south, north, west, east = _METROPOLE
        if not (south <= lat <= north and west <= lon <= east):
            swapped = south <= lon <= north and west <= lat <= east
            hint = " (latitude et longitude inversées ?)" if swapped else ""
            c.error(
                "latitude",
                f"({raw_lat}, {raw_lon}) est hors de France métropolitaine, "
                f"alors que le code postal est {postcode}{hint}",
            )
            return None, None
    return lat, lon


def _number(c: _Checker, column: str, raw: str) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        c.error(column, f"« {raw} » n'est pas un nombre (exemple : 48.8566)")
        return None
    if not math.isfinite(value):
        c.error(column, f"« {raw} » n'est pas un nombre (exemple : 48.8566)")
        return None
    return value


def _date(c: _Checker, column: str) -> date | None:
    raw = c.text(column)
    if raw is None:
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.+\-Z]*)?$", raw)
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1))
    except ValueError:
        c.error(column, f"« {raw} » n'est pas une date au format AAAA-MM-JJ (exemple : 2024-04-02)")
        return None


def _phone(c: _Checker, raw: str) -> str | None:
    """``+33199001234``; French national numbers (01 99 00 12 34) are converted to it."""
    compact = re.sub(r"[\s.\-()]", "", raw)
    if re.fullmatch(r"0[1-9]\d{8}", compact):
        compact = "+33" + compact[1:]
    if not PHONE_PATTERN.match(compact):
        c.error("telephone", f"« {raw} » n'est pas un numéro de téléphone (format +33199001234)")
        return None
    return compact


_URL = re.compile(r"^https?://[^\s/?#.]+(\.[^\s/?#.]+)+(:\d+)?([/?#]\S*)?$", re.IGNORECASE)


def _url(c: _Checker, column: str, raw: str | None) -> str | None:
    """An http(s) address; ``www.exemple.fr`` becomes ``https://www.exemple.fr``."""
    if raw is None:
        return None
    value = "https://" + raw if raw.lower().startswith("www.") else raw
    if not _URL.match(value):
        c.error(column, f"« {raw} » n'est pas une adresse web (elle commence par https://)")
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
    services = _LEGACY_SERVICES_BY_KEY
    for value in c.values("services"):
        found = services.get(value_key(_head(value)))
        if found is None:
            c.error(
                "services",
                f"« {value} » n'est pas une valeur permise ({_choices(LEGACY_SERVICES)})",
            )
        else:
            lists["services"].extend(found)
    publics = _LEGACY_PUBLICS_BY_KEY
    for value in c.values("publics_accueillis"):
        pair = publics.get(value_key(_head(value)))
        if pair is None:
            c.error(
                "publics_accueillis",
                f"« {value} » n'est pas une valeur permise ({_choices(LEGACY_PUBLICS)})",
            )
            continue
        public, support = pair
        if public:
            lists["publics_specifiquement_adresses"].append(public)
        if support:
            lists["prise_en_charge_specifique"].append(support)
    modes = _LEGACY_MODES_BY_KEY
    for value in c.values("modalites_accompagnement"):
        mode = modes.get(value_key(_head(value)))
        if mode is None:
            c.error(
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
    conditions = _LEGACY_CONDITIONS_BY_KEY
    accepts = False
    raw = c.cells.get(LEGACY_CONDITIONS_COLUMN, "").replace("|", ";")
    for value in split_values(raw, ";"):
        label = value_key(_head(value))
        fee = conditions.get(label)
        if fee is None:
            c.error(
                LEGACY_CONDITIONS_COLUMN,
                f"« {value} » n'est pas une valeur permise ({_choices(LEGACY_CONDITIONS)})",
            )
            continue
        if label == value_key(PASS_NUMERIQUE_LABEL):
            accepts = True
        if merge_fees and fee not in lists["frais_a_charge"]:
            lists["frais_a_charge"].append(fee)
    return True if accepts else None
