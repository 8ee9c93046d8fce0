"""Places that help with digital tools: search near a postcode or a town, and each place."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import contact_details
from ..extensions import db
from ..http import page_number
from ..i18n import hour_words
from ..models import Place
from ..pages import page_examples
from ..places import hours
from ..places.schema import (
    FEE_FREE,
    FEE_FREE_WITH_CONDITIONS,
    FEE_PAID,
    SERVICE_ACCESS,
    SERVICE_ADMIN,
    SERVICE_EQUIPMENT,
    SERVICE_EVERYDAY_TOOLS,
    SERVICE_JOB_SEARCH,
    SERVICE_LEISURE,
    SERVICE_PARENTING,
    SERVICE_SAFETY,
    SERVICE_UNDERSTANDING,
    Mode,
)
from ..places.search import Area, Problem, SearchFilters, WhereKind, search_places
from . import visit

bp = Blueprint("places", __name__)

#: The standard's services, in plain words.
SERVICE_WORDS = {
    SERVICE_ADMIN: _l("Vous aider à faire vos démarches en ligne"),
    SERVICE_EVERYDAY_TOOLS: _l("Apprendre à utiliser un téléphone, un ordinateur, internet"),
    SERVICE_JOB_SEARCH: _l("Vous aider à chercher un emploi en ligne"),
    SERVICE_SAFETY: _l("Apprendre à vous protéger sur internet"),
    SERVICE_PARENTING: _l("Aider les parents avec le numérique"),
    SERVICE_LEISURE: _l("Loisirs et créations avec le numérique"),
    SERVICE_UNDERSTANDING: _l("Comprendre le monde numérique"),
    SERVICE_ACCESS: _l("Un accès à internet et à un ordinateur"),
    SERVICE_EQUIPMENT: _l("Acheter un ordinateur ou un téléphone moins cher"),
}
FEE_WORDS = {
    FEE_FREE: _l("Gratuit"),
    FEE_FREE_WITH_CONDITIONS: _l("Gratuit sous conditions"),
    FEE_PAID: _l("Payant"),
}
#: The accompaniment modes, as filters (query value, mode, words).
MODES = (
    ("seul", Mode.ALONE, _l("Seul ou seule, avec un ordinateur du lieu")),
    ("individuel", Mode.INDIVIDUAL, _l("Avec une personne, rien que pour vous")),
    ("atelier", Mode.GROUP, _l("Dans un atelier, en groupe")),
    ("distance", Mode.REMOTE, _l("À distance, par téléphone ou en vidéo")),
)
MODE_WORDS = {mode: words for _value, mode, words in MODES}
ACCESS_WORDS = {
    "Se présenter": _l("Venir sur place"),
    "Téléphoner": _l("Téléphoner avant"),
    "Contacter par mail": _l("Écrire un e-mail avant"),
    "Prendre un RDV en ligne": _l("Prendre rendez-vous en ligne"),
    "Ce lieu n'accueille pas de public": _l("Ce lieu ne reçoit pas de public"),
    "Envoyer un mail avec une fiche de prescription": _l(
        "Venir envoyé ou envoyée par un professionnel, avec une fiche"
    ),
}


def day_words(moment: datetime, now: datetime) -> str:
    days = (moment.date() - now.date()).days
    if days == 0:
        return ""
    if days == 1:
        return _("demain")
    return format_date(moment.date(), "EEEE")


def status_words(place: Place, now: datetime) -> str:
    """'Ouvert maintenant — ferme à 18 h', 'Fermé — ouvre lundi à 9 h', or unknown."""
    state = hours.status(place.horaires, now, hours.zone_for(place.departement))
    change = state.next_change
    if state.state == hours.OpenState.OPEN:
        if change is None:
            return _("Ouvert maintenant")
        return _("Ouvert maintenant — ferme à %(time)s", time=hour_words(change.time()))
    if state.state == hours.OpenState.CLOSED:
        if change is None:
            return _("Fermé")
        day = day_words(change, now.astimezone(change.tzinfo))
        at = hour_words(change.time())
        if day:
            return _("Fermé — ouvre %(day)s à %(time)s", day=day, time=at)
        return _("Fermé — ouvre à %(time)s", time=at)
    return _("Horaires non connus : appelez avant de venir.")


def week_words(place: Place, today: date) -> list[tuple[str, str]] | None:
    week = hours.week(place.horaires, today)
    if week is None:
        return None
    lines = []
    for day in week:
        name = format_date(today + timedelta(days=day.weekday - today.weekday()), "EEEE")
        if not day.ranges:
            lines.append((name, _("fermé")))
            continue
        ranges = [
            _("%(start)s à %(end)s", start=hour_words(start), end=hour_words(end))
            for start, end in day.ranges
        ]
        words = ranges[0]
        for later in ranges[1:]:
            words = _("%(earlier)s, %(later)s", earlier=words, later=later)
        lines.append((name, words))
    return lines


def today_hours(place: Place, now: datetime) -> str | None:
    """Today's opening hours in words (« 9 h à 12 h, 14 h à 17 h 30 », « fermé »), or None
    when the place's hours are not known."""
    week = week_words(place, now.date())
    if week is None:
        return None
    today = format_date(now.date(), "EEEE")
    return next((words for day, words in week if day == today), None)


def filters_from_request() -> tuple[SearchFilters, list[str]]:
    values = request.args
    modes = [value for value in values.getlist("mode") if value in {m[0] for m in MODES}]
    filters = SearchFilters(
        pass_numerique=values.get("pass") == "1",
        free=values.get("gratuit") == "1",
        job_search=values.get("emploi") == "1",
        modes=frozenset(mode for value, mode, _words in MODES if value in modes),
    )
    return filters, modes


#: The national map of places of digital help, for those Repère knows none near.
NATIONAL_MAP_URL = "https://cartographie.societenumerique.gouv.fr/"
#: France Travail's phone line for job seekers.
FRANCE_TRAVAIL_PHONE = "3949"


@bp.route("/lieux")
@page_examples(
    {},
    {"q": "93200", "pass": "1"},
    {"q": "Lille", "page": "2"},
    {"q": "00000"},
    {"q": "03000"},
    {"q": "Saint-Denis"},
    {"q": "Moullins"},
)
def search() -> str:
    typed = request.args.get("q")
    query = (typed if typed is not None else visit.where_typed()).strip()[:100]
    filters, modes = filters_from_request()
    page = page_number()
    result = None
    if typed is not None:
        result = search_places(db.session, query, filters=filters, page=page)
        if not result.places and 1 <= result.pages < page:  # past the last page: show it
            result = search_places(db.session, query, filters=filters, page=result.pages)
        visit.remember_where(result.where)
    now = datetime.now().astimezone()
    return render_template(
        "places/search.html",
        query=query,
        filters=filters,
        modes=MODES,
        chosen_modes=modes,
        result=result,
        WhereKind=WhereKind,
        Problem=Problem,
        Area=Area,
        status_of=lambda place: status_words(place, now),
        page_url=page_url,
        without_filters_url=url_for("places.search", q=query) + "#resultats",
        national_map_url=NATIONAL_MAP_URL,
        france_travail_phone=FRANCE_TRAVAIL_PHONE,
    )


def page_url(page: int) -> str:
    """This search, on another page of results."""
    arguments = request.args.to_dict(flat=False)
    arguments["page"] = [str(page)]
    return url_for("places.search", **arguments) + "#resultats"


#: +33199008385 shown as people write it: 01 99 00 83 85 (here and on the staff pages).
bp.add_app_template_filter(contact_details.phone_words, "phone_words")


@bp.route("/lieux/<place_id>")
@page_examples({"place_id": "repere-demo-93-001"})
def place(place_id: str) -> str:
    found = db.session.scalar(select(Place).where(Place.id == place_id))
    if found is None:
        abort(404)
    now = datetime.now(hours.zone_for(found.departement))
    return render_template(
        "places/place.html",
        place=found,
        status=status_words(found, now),
        week=week_words(found, now.date()),
        hours_as_written=None if hours.is_valid(found.horaires) else found.horaires,
        services=[SERVICE_WORDS.get(s, s) for s in found.values("services")],
        modes=[MODE_WORDS.get(Mode(m), m) for m in found.values("modalites_accompagnement")],
        access=[ACCESS_WORDS.get(a, a) for a in found.values("modalites_acces")],
        fee=FEE_WORDS.get(found.frais_a_charge, found.frais_a_charge),
    )
