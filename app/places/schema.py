"""The national standard of digital-mediation places: columns, vocabularies, legacy mapping.

Followed: « Lieux de médiation numérique », La MedNum / ANCT, **version 1.0.2**, the
vocabularies and field rules as published for the 1.0.x series on schema.data.gouv.fr
(https://schema.data.gouv.fr/LaMednum/standard-mediation-num/ , documentation of 1.0.1, of
which 1.0.2 is a corrective release) and in the repository LaMednum/standard-mediation-num
(schema.json, « descriptif-des-evolutions »). One CSV file, comma between columns, UTF-8,
``|`` between the values of a multi-valued field, ``horaires`` in the OpenStreetMap
``opening_hours`` syntax, dates as YYYY-MM-DD.

The legacy format is the standard's 0.1.x series (same site, documentation of 0.1.0 and
0.1.1): other column names for some fields (``courriel``, ``conditions_acces``,
``publics_accueillis``, ``accessibilite``…), ``;`` between values, and longer labels
("Seul : j'ai accès à du matériel et une connexion"…). Its ``conditions_acces`` column is the
only place where the standard ever said that a place accepts the Pass numérique, with the
value « Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder
au lieu ». Version 1 has no such value any more: Repère keeps its own flag (see importer.py).

Pure Python: no database, no Flask.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

SCHEMA_NAME = "Lieux de médiation numérique"
SCHEMA_VERSION = "1.0.2"
SCHEMA_URL = "https://schema.data.gouv.fr/LaMednum/standard-mediation-num/"


class Format(StrEnum):
    """Which version of the standard a file follows."""

    V1 = "v1"  # 1.0.x: ``|`` between values
    V0 = "v0"  # 0.1.x, the legacy columns: ``;`` between values


SEPARATOR = {Format.V1: "|", Format.V0: ";"}

# --------------------------------------------------------------------------------------------
# Version 1.0.x columns

#: Columns a row must fill, in both versions (the ones Repère cannot do without).
REQUIRED = ("id", "nom", "commune", "code_postal", "adresse", "date_maj")

V1_COLUMNS = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
)

V0_COLUMNS = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "cle_ban",
    "typologie",
    "telephone",
    "courriel",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "structure_parente",
    "date_maj",
    "services",
    "publics_accueillis",
    "conditions_acces",
    "labels_nationaux",
    "labels_autres",
    "modalites_accompagnement",
    "accessibilite",
    "prise_rdv",
)

#: Columns that only one version has: they tell the versions apart.
V1_ONLY = frozenset(V1_COLUMNS) - frozenset(V0_COLUMNS)
V0_ONLY = frozenset(V0_COLUMNS) - frozenset(V1_COLUMNS)

#: The legacy column that may say "Accepte le Pass numérique"; read in v1 files too.
LEGACY_CONDITIONS_COLUMN = "conditions_acces"

SERVICE_ADMIN = "Aide aux démarches administratives"
SERVICE_EVERYDAY_TOOLS = "Maîtrise des outils numériques du quotidien"
#: The v1 service that helps with the job search.
SERVICE_JOB_SEARCH = "Insertion professionnelle via le numérique"
SERVICE_SAFETY = "Utilisation sécurisée du numérique"
SERVICE_PARENTING = "Parentalité et éducation avec le numérique"
SERVICE_LEISURE = "Loisirs et créations numériques"
SERVICE_UNDERSTANDING = "Compréhension du monde numérique"
SERVICE_ACCESS = "Accès internet et matériel informatique"
SERVICE_EQUIPMENT = "Acquisition de matériel informatique à prix solidaire"

SERVICES = (
    SERVICE_ADMIN,
    SERVICE_EVERYDAY_TOOLS,
    SERVICE_JOB_SEARCH,
    SERVICE_SAFETY,
    SERVICE_PARENTING,
    SERVICE_LEISURE,
    SERVICE_UNDERSTANDING,
    SERVICE_ACCESS,
    SERVICE_EQUIPMENT,
)

FEE_FREE = "Gratuit"
FEE_FREE_WITH_CONDITIONS = "Gratuit sous condition"
FEE_PAID = "Payant"
FRAIS_A_CHARGE = (FEE_FREE, FEE_FREE_WITH_CONDITIONS, FEE_PAID)


class Mode(StrEnum):
    """The four values of ``modalites_accompagnement`` (how a person is helped)."""

    ALONE = "En autonomie"
    INDIVIDUAL = "Accompagnement individuel"
    GROUP = "Dans un atelier collectif"
    REMOTE = "À distance"


MODALITES_ACCOMPAGNEMENT = tuple(mode.value for mode in Mode)

MODALITES_ACCES = (
    "Se présenter",
    "Téléphoner",
    "Contacter par mail",
    "Prendre un RDV en ligne",
    "Ce lieu n'accueille pas de public",
    "Envoyer un mail avec une fiche de prescription",
)

PUBLICS = ("Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes")

PRISE_EN_CHARGE_SPECIFIQUE = (
    "Surdité",
    "Handicaps moteurs",
    "Handicaps mentaux",
    "Illettrisme",
    "Langues étrangères (anglais)",
    "Langues étrangères (autres)",
    "Déficience visuelle",
)

#: Closed vocabularies Repère stores, by column (v1 names).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "services": SERVICES,
    "publics_specifiquement_adresses": PUBLICS,
    "prise_en_charge_specifique": PRISE_EN_CHARGE_SPECIFIQUE,
    "frais_a_charge": FRAIS_A_CHARGE,
    "modalites_acces": MODALITES_ACCES,
    "modalites_accompagnement": MODALITES_ACCOMPAGNEMENT,
}

POSTCODE_PATTERN = re.compile(r"^\d{5}$")
INSEE_PATTERN = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
#: Not in the standard; the length of the summary it asks for.
SUMMARY_MAX_LENGTH = 280

# --------------------------------------------------------------------------------------------
# Legacy 0.1.x values, mapped to version 1

#: The legacy label (before " : ") that sets Repère's own Pass numérique flag.
PASS_NUMERIQUE_LABEL = "Accepte le Pass numérique"  # noqa: S105 (not a password)

LEGACY_SERVICES: dict[str, tuple[str, ...]] = {
    "Devenir autonome dans les démarches administratives": (SERVICE_ADMIN,),
    "Réaliser des démarches administratives avec un accompagnement": (SERVICE_ADMIN,),
    "Prendre en main un smartphone ou une tablette": (SERVICE_EVERYDAY_TOOLS,),
    "Prendre en main un ordinateur": (SERVICE_EVERYDAY_TOOLS,),
    "Utiliser le numérique au quotidien": (SERVICE_EVERYDAY_TOOLS,),
    "Approfondir ma culture numérique": (SERVICE_UNDERSTANDING,),
    "Favoriser mon insertion professionnelle": (SERVICE_JOB_SEARCH,),
    "Accéder à une connexion internet": (SERVICE_ACCESS,),
    "Accéder à du matériel": (SERVICE_ACCESS,),
    "S'équiper en matériel informatique": (SERVICE_EQUIPMENT,),
    "Créer et développer mon entreprise": (SERVICE_JOB_SEARCH,),
    "Créer avec le numérique": (SERVICE_LEISURE,),
    "Accompagner les démarches de santé": (SERVICE_ADMIN,),
    "Promouvoir la citoyenneté numérique": (SERVICE_UNDERSTANDING,),
    "Soutenir la parentalité et l'éducation avec le numérique": (SERVICE_PARENTING,),
}

#: Legacy ``publics_accueillis`` → (v1 ``publics_specifiquement_adresses``,
#: v1 ``prise_en_charge_specifique``); "Adultes" means everyone, so it maps to neither.
LEGACY_PUBLICS: dict[str, tuple[str | None, str | None]] = {
    "Seniors (+ 65 ans)": ("Seniors", None),
    "Familles/enfants": ("Familles et/ou enfants", None),
    "Adultes": (None, None),
    "Jeunes (16-26 ans)": ("Jeunes", None),
    "Public langues étrangères": (None, "Langues étrangères (autres)"),
    "Déficience visuelle": (None, "Déficience visuelle"),
    "Surdité": (None, "Surdité"),
    "Handicaps psychiques": (None, "Handicaps mentaux"),
    "Handicaps mentaux": (None, "Handicaps mentaux"),
    "Uniquement femmes": ("Femmes", None),
    "Personnes en situation d'illettrisme": (None, "Illettrisme"),
}

#: Legacy ``conditions_acces`` label → v1 ``frais_a_charge``. A Pass numérique pays for
#: the help: the v1 wording of "Gratuit sous condition" names it among the conditions.
LEGACY_CONDITIONS: dict[str, str] = {
    "Gratuit": FEE_FREE,
    "Gratuit sous condition": FEE_FREE_WITH_CONDITIONS,
    "Payant": FEE_PAID,
    "Adhésion": FEE_PAID,
    PASS_NUMERIQUE_LABEL: FEE_FREE_WITH_CONDITIONS,
}

LEGACY_MODES: dict[str, Mode] = {
    "Seul": Mode.ALONE,
    "Avec de l'aide": Mode.INDIVIDUAL,
    "Dans un atelier": Mode.GROUP,
    "A ma place": Mode.INDIVIDUAL,
}

# --------------------------------------------------------------------------------------------
# Headers: the column names, or the titles the standard gives them (tableur templates)

HEADER_ALIASES: dict[str, str] = {
    "identifiant": "id",
    "identifiant_unique_local_du_lieu": "id",
    "siret_ou_rna": "pivot",
    "siret_ou_rna_ou_ridet": "pivot",
    "code_officiel_geographique": "code_insee",
    "complement_d_adresse": "complement_adresse",
    "cle_nationale_d_interoperabilite_de_l_adresse": "cle_ban",
    "numero_de_telephone": "telephone",
    "courriel_s": "courriels",
    "presentation_resume": "presentation_resume",
    "presentation_resumee": "presentation_resume",
    "presentation_detaillee": "presentation_detail",
    "structure_collectant_la_donnee": "source",
    "date_de_mise_a_jour": "date_maj",
    "conditions_d_acces": "conditions_acces",
    "autres_labels": "labels_autres",
    "modalites_d_accompagnement": "modalites_accompagnement",
    "modalite_acces": "modalites_acces",
    "modalites_d_acces": "modalites_acces",
    "accessibilite_accueil_handicap": "accessibilite",
    "prise_de_rdv": "prise_rdv",
    "dispositifs_et_programmes_nationaux": "dispositif_programmes_nationaux",
    "formations_et_labels": "formations_labels",
    "autres_formations_et_labels": "autres_formations_labels",
    "frais_a_charge": "frais_a_charge",
    "fiche_acces_libre": "fiche_acces_libre",
}


def header_key(title: str) -> str:
    """The column a header names: ``Code postal``, ``code_postal`` → ``code_postal``."""
    key = re.sub(r"[^a-z0-9]+", "_", fold(title)).strip("_")
    return HEADER_ALIASES.get(key, key)


# --------------------------------------------------------------------------------------------
# Text keys


def fold(text: str) -> str:
    """Lower case, without accents, ligatures or typographic apostrophes."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = text.replace("’", "'").replace("ʼ", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=8192)
def value_key(value: str) -> str:
    """How two vocabulary values compare: case, accents, spaces and apostrophes aside."""
    return " ".join(fold(value).split())


_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARRONDISSEMENT = re.compile(r"\s\d{1,2}\s?(e|er|eme|ieme)?\s?arrondissement$")
_CEDEX = re.compile(r"\scedex(\s\d+)?$")


def commune_key(name: str) -> str:
    """The name of a commune as searched: no accents, case, hyphens or "St" abbreviations.

    ``Saint-Ouen-sur-Seine``, ``ST OUEN SUR SEINE`` and ``saint ouen sur seine`` share one
    key; ``Paris 11e Arrondissement`` and ``Lyon Cedex 03`` become ``paris`` and ``lyon``.
    """
    text = re.sub(r"[^a-z0-9]+", " ", fold(name)).strip()
    text = _CEDEX.sub("", text)
    text = _ARRONDISSEMENT.sub("", text)
    return " ".join(_ABBREVIATIONS.get(word, word) for word in text.split())


def departement_of(postcode: str) -> str:
    """The département a five-digit postcode belongs to: ``93200`` → ``93``.

    Corsica's postcodes start with 20: below 20200 is Corse-du-Sud (``2A``), the rest
    Haute-Corse (``2B``). Overseas postcodes (97x, 98x) give three characters.
    """
    if postcode.startswith("20"):
        return "2A" if postcode < "20200" else "2B"
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    return postcode[:2]


DEPARTEMENT_PATTERN = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8]|98[6-8])$")


def split_values(raw: str | None, separator: str = "|") -> list[str]:
    """The values of a multi-valued cell, stripped, without empty ones."""
    if not raw:
        return []
    return [part.strip() for part in raw.split(separator) if part.strip()]


def join_values(values: list[str] | tuple[str, ...]) -> str:
    """How Repère stores a list: the v1 way, ``|`` between values, no duplicates."""
    return "|".join(dict.fromkeys(values))
