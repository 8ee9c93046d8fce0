"""Places: import of the national standard, search, opening hours. Shared helpers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from app.models import Base
from app.places.schema import V0_COLUMNS, V1_COLUMNS

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_FILE = ROOT / "app" / "content" / "places" / "lieux-demo.csv"

PASS_VALUE = (
    "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu"
)


@contextmanager
def sqlite_session(tmp_path: Path | None = None) -> Iterator[Session]:
    """A session on a new in-memory SQLite database with every table (no file to sync: the
    import tests each make one)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def v1_row(**cells: Any) -> dict[str, str]:
    """A valid v1.0.2 row (a place in Saint-Denis), with ``cells`` changed."""
    row = {
        "id": "lieu-1",
        "pivot": "00000000000000",
        "nom": "Espace numérique de test",
        "commune": "Saint-Denis",
        "code_postal": "93200",
        "code_insee": "93066",
        "adresse": "1 rue de la République",
        "latitude": "48.9360",
        "longitude": "2.3570",
        "telephone": "+33199001234",
        "courriels": "contact@lieu.example",
        "site_web": "https://lieu.example/",
        "horaires": "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00",
        "presentation_resume": "Aide pour vos démarches et votre recherche d'emploi.",
        "date_maj": "2026-01-15",
        "services": "Aide aux démarches administratives|Insertion professionnelle via le numérique",
        "frais_a_charge": "Gratuit",
        "modalites_acces": "Se présenter|Téléphoner",
        "modalites_accompagnement": "Accompagnement individuel|Dans un atelier collectif",
    }
    row.update({key: str(value) for key, value in cells.items()})
    return row


def v0_row(**cells: Any) -> dict[str, str]:
    """A valid legacy 0.1.x row, with ``cells`` changed."""
    row = {
        "id": "lieu-1",
        "pivot": "00000000000000",
        "nom": "Espace numérique de test",
        "commune": "Saint-Denis",
        "code_postal": "93200",
        "adresse": "1 rue de la République",
        "latitude": "48.9360",
        "longitude": "2.3570",
        "courriel": "contact@lieu.example",
        "horaires": "Mo-Fr 09:00-17:00",
        "date_maj": "2025-06-01",
        "services": "Favoriser mon insertion professionnelle;Prendre en main un ordinateur",
        "publics_accueillis": "Adultes;Personnes en situation d'illettrisme",
        "conditions_acces": "Gratuit : Je peux accéder gratuitement au lieu et à ses services",
        "modalites_accompagnement": (
            "Avec de l'aide : je suis accompagné seul dans l'usage du numérique;"
            "Dans un atelier : j'apprends collectivement à utiliser le numérique"
        ),
        "accessibilite": "https://acceslibre.example/erp/lieu-1/",
    }
    row.update({key: str(value) for key, value in cells.items()})
    return row


def to_csv(rows: list[dict[str, str]], columns: tuple[str, ...] | list[str] = V1_COLUMNS) -> str:
    """A CSV file with these columns (in the standard's order) and rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, f"columns not in the header: {unknown}"
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue()


def v0_csv(rows: list[dict[str, str]]) -> str:
    return to_csv(rows, V0_COLUMNS)
