"""The words shown for each code the site stores: one table per kind of code, defined once.

The domain keeps codes ("in-person", "share-results", "mediator"); people read words, in
their language. Every table here maps each code of a domain list to its words (a lazy
translation, resolved when the page is rendered); templates read them through the global
``words`` (``words.CHANNELS[asked.channel]``), views import them. A test checks that each
table covers its domain list exactly, so a new code cannot be shown raw.

Texts that come with the content (items, journeys, their ways and reasons) are French
msgids kept with that content and translated with the ``translated`` filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


def _table(entries: dict[str, LazyString]) -> Mapping[str, LazyString]:
    return MappingProxyType(entries)


#: The five scored domains (app.assessment.bank.SCORED_DOMAINS).
DOMAIN_NAMES = _table(
    {
        "information": _l("Chercher et comprendre une information"),
        "communication": _l("Communiquer et échanger avec d'autres"),
        "creation": _l("Créer et remplir des documents"),
        "protection": _l("Se protéger sur internet"),
        "environment": _l("Utiliser son appareil et régler un problème"),
    }
)


def N_(message: str) -> str:
    """A French msgid kept as it is, for code that runs without a request (recordings)."""
    return message


#: The four bands, by number: name, and what it means for the person (French msgids).
BAND_TEXTS: tuple[tuple[str, str], ...] = (
    (N_("Découverte"), N_("Vous débutez. Quelqu'un peut vous aider, gratuitement.")),
    (
        N_("Premiers pas"),
        N_("Vous savez faire des choses simples. Quelques séances vous aideront."),
    ),
    (N_("Autonome"), N_("Vous savez faire la plupart des choses sans aide, avec un guide.")),
    (N_("À l'aise"), N_("Vous savez le faire sans aide.")),
)
#: The same, translated when shown.
BANDS: tuple[tuple[LazyString, LazyString], ...] = tuple(
    (_l(name), _l(meaning)) for name, meaning in BAND_TEXTS
)

#: How a person asks to be contacted (app.staff.requests.CHANNELS), in their own words.
CHANNELS = _table(
    {
        "in-person": _l("Je viens à l'agence ou au lieu"),
        "phone": _l("Par téléphone"),
        "video": _l("En vidéo"),
    }
)
#: The same channels, as staff read them about the person.
CHANNELS_FOR_STAFF = _table(
    {
        "in-person": _l("Vient à l'agence ou au lieu"),
        "phone": _l("Par téléphone"),
        "video": _l("En vidéo"),
    }
)

#: Where a request to be contacted stands (app.staff.requests.STATUSES), for the person.
REQUEST_STATUSES = _table(
    {
        "new": _l("Envoyée"),
        "in-progress": _l("En cours"),
        "done": _l("Terminée"),
        "cancelled": _l("Annulée"),
        "expired": _l("Sans réponse, fermée"),
    }
)
#: The same statuses as the headings of the staff queue.
QUEUE_STATUSES = _table(
    {
        "new": _l("Nouvelles"),
        "in-progress": _l("En cours"),
        "done": _l("Terminées"),
        "cancelled": _l("Annulées"),
        "expired": _l("Expirées"),
    }
)

#: The status of one request, as staff read it on the request and in each row of the queue.
REQUEST_STATUSES_FOR_STAFF = _table(
    {
        "new": _l("Nouvelle"),
        "in-progress": _l("En cours"),
        "done": _l("Terminée"),
        "cancelled": _l("Annulée"),
        "expired": _l("Fermée sans réponse"),
    }
)

#: Days and half-days a person is available (app.staff.requests.DAYS, HALVES).
DAYS = _table(
    {
        "mon": _l("Lundi"),
        "tue": _l("Mardi"),
        "wed": _l("Mercredi"),
        "thu": _l("Jeudi"),
        "fri": _l("Vendredi"),
        "sat": _l("Samedi"),
    }
)
HALVES = _table({"am": _l("matin"), "pm": _l("après-midi")})

#: What a consent is for (app.staff.consent.PURPOSES), for the person.
PURPOSES = _table(
    {
        "share-results": _l("Partager vos résultats"),
        "contact": _l("Être contacté ou contactée"),
    }
)

#: What a staff member opened (app.staff.access.WHAT), as the person reads it.
ACCESS_WHAT = _table(
    {
        "person": _l("vos résultats et ce qui a été noté pour vous"),
        "request": _l("votre demande de contact"),
        "records": _l("ce qui a été noté pour vous"),
        "code": _l("votre code pour revenir, pour l'imprimer sur votre fiche"),
    }
)

#: Kinds of organisation (app.staff.accounts.KINDS).
ORGANISATION_KINDS = _table(
    {
        "france-travail": _l("Agence France Travail"),
        "france-services": _l("France Services"),
        "association": _l("Association"),
        "mairie": _l("Mairie"),
        "other": _l("Autre"),
    }
)
#: Staff roles (app.staff.accounts.ROLES).
ROLES = _table(
    {
        "mediator": _l("Médiateur ou médiatrice numérique"),
        "counsellor": _l("Conseiller ou conseillère France Travail"),
        "admin": _l("Administrateur ou administratrice du site"),
    }
)

#: What the journal of account actions records (app.staff.accounts.ACTIONS).
ACCOUNT_ACTIONS = _table(
    {
        "created": _l("compte créé"),
        "deactivated": _l("compte désactivé"),
        "reactivated": _l("compte réactivé"),
        "password-reset": _l("code à usage unique donné"),
        "password-set": _l("mot de passe choisi"),
    }
)


def slot(value: str) -> str:
    """ "mon-am" → "Lundi matin"."""
    day, half = value.split("-")
    return _("%(day)s %(half)s", day=DAYS[day], half=HALVES[half])


def slots(values: Iterable[str]) -> str:
    """Several slots, in the order given: "Lundi matin, Jeudi après-midi"."""
    words = ""
    for value in values:
        if value:
            words = (
                slot(value)
                if not words
                else _("%(earlier)s, %(later)s", earlier=words, later=slot(value))
            )
    return words


#: What the accessibility statement says of the site (app.rgaa.CONFORMITIES).
CONFORMITY = _table(
    {
        "totalement conforme": _l("totalement conforme"),
        "partiellement conforme": _l("partiellement conforme"),
        "non conforme": _l("non conforme"),
    }
)
