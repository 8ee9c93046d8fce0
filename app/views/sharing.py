"""What a person shares: results with an organisation, a request to be contacted.

Everything here is under a consent the person reads and accepts, and can withdraw at
once from « Mon espace ».
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms import (
    ContactChannelForm,
    ContactDetailsForm,
    ContactOrganisationForm,
    ContactSendForm,
    ContactSlotsForm,
    EmptyForm,
    ShareForm,
)
from ..i18n import safe_next
from ..models import ContactRequest, Organisation, Person, Place
from ..pages import page_examples
from ..staff import consent, requests
from ..times import PARIS, as_utc
from ..times import utcnow as now
from . import visit
from .current import current_person, person_or_start
from .places import status_words, today_hours

bp = Blueprint("sharing", __name__)


def postcode_asked() -> str:
    """The postcode that lists the organisations: the one in the address, else the one
    remembered for the visit (see visit.py); one typed here is remembered."""
    typed = request.args.get("cp")
    if typed is None:
        return visit.postcode_typed()
    visit.remember_postcode(typed)
    return typed


@bp.route("/partager", methods=["GET", "POST"])
@page_examples({}, {"cp": "93200"}, states=("finished",))
def share() -> str | Response:
    person = current_person()
    if person is None or person.result is None:
        return redirect(url_for("assessment.intro"))
    form = ShareForm(cp=postcode_asked())
    if form.validate_on_submit():
        consent.grant(
            db.session,
            person=person,
            organisation=form.chosen,
            purpose="share-results",
            months=form.months.data,
            now=now(),
        )
        if form.display_name.data:
            consent.set_display_name(db.session, person, form.display_name.data)
        return redirect(url_for("sharing.my_space"), code=303)
    return render_template(
        "sharing/share.html",
        form=form,
        version=consent.CONSENT_TEXT_VERSION,
    )


# --------------------------------------------------------------------------------------------
# Asking to be contacted: one question per page, then every answer to check, then sent.
#
# The answers of the pages already seen are kept in the visit's session, for this person
# only, until the request is sent: nothing is stored on the server before the person
# presses « Envoyer ma demande » under what they accept.

DRAFT = "contact"
#: The questions, in order: (endpoint, the answer it gives).
CONTACT_STEPS = (
    ("sharing.contact", "organisation"),
    ("sharing.contact_channel", "channel"),
    ("sharing.contact_slots", "slots"),
    ("sharing.contact_details", "details"),
)
#: Channels that need a phone number or an e-mail.
NEEDS_DETAILS = ("phone", "video")


def draft() -> dict[str, Any]:
    """The answers given so far, by the person of this browser (none for anyone else)."""
    person = current_person()
    kept = session.get(DRAFT)
    if person is None or not isinstance(kept, dict) or kept.get("person") != person.id:
        return {}
    return dict(kept)


def keep(**answers: object) -> None:
    person = person_or_start()
    kept = draft()
    kept.pop("sent", None)  # a new request begins
    kept.update(answers, person=person.id)
    session[DRAFT] = kept


def missing_step(answers: dict[str, Any]) -> str | None:
    """The first question not answered yet, or None when the request can be checked."""
    for endpoint, answer in CONTACT_STEPS:
        if answer == "details":
            if answers.get("channel") in NEEDS_DETAILS and not (
                answers.get("phone") or answers.get("email")
            ):
                return endpoint
        elif not answers.get(answer):
            return endpoint
    return None


def next_page(answers: dict[str, Any]) -> Response:
    return redirect(url_for(missing_step(answers) or "sharing.contact_check"), code=303)


def chosen_organisation(answers: dict[str, Any]) -> Organisation | None:
    organisation_id = answers.get("organisation")
    return db.session.get(Organisation, organisation_id) if organisation_id else None


def contact_page(template: str, form: object, back: str, **context: object) -> str:
    return render_template(template, form=form, back_url=back, **context)


@bp.route("/etre-contacte", methods=["GET", "POST"])
@page_examples({}, {"cp": "93200", "origine": "recherche-emploi/cv"})
def contact() -> str | Response:
    answers = draft()
    form = ContactOrganisationForm(
        cp=postcode_asked(), origine=request.args.get("origine", answers.get("origin", ""))
    )
    if form.validate_on_submit() and form.chosen is not None:
        keep(organisation=form.chosen.id, origin=" ".join((form.origine.data or "").split())[:100])
        return next_page(draft())
    if request.method == "GET" and answers.get("organisation"):
        form.organisation.data = str(answers["organisation"])
    # Back to the page the person came from, on this site only.
    came_from = urlsplit(request.referrer or "")
    back = safe_next(came_from.path if came_from.netloc == request.host else None)
    return contact_page("sharing/contact.html", form, back, answers=answers)


@bp.route("/etre-contacte/comment", methods=["GET", "POST"])
@page_examples({}, states=("contacting",))
def contact_channel() -> str | Response:
    answers = draft()
    if not answers.get("organisation"):
        return next_page(answers)
    form = ContactChannelForm(channel=answers.get("channel"))
    if form.validate_on_submit():
        keep(channel=form.channel.data)
        if form.channel.data not in NEEDS_DETAILS:
            keep(phone=None, email=None)
        return next_page(draft())
    return contact_page("sharing/contact_channel.html", form, url_for("sharing.contact"))


@bp.route("/etre-contacte/quand", methods=["GET", "POST"])
@page_examples({}, states=("contacting-when",))
def contact_slots() -> str | Response:
    answers = draft()
    if not answers.get("organisation") or not answers.get("channel"):
        return next_page(answers)
    form = ContactSlotsForm(slots=answers.get("slots") or [])
    if form.validate_on_submit():
        keep(slots=[value for value in requests.SLOTS if value in form.slots.data])
        return next_page(draft())
    return contact_page("sharing/contact_slots.html", form, url_for("sharing.contact_channel"))


@bp.route("/etre-contacte/coordonnees", methods=["GET", "POST"])
@page_examples({}, states=("contacting-by-phone",))
def contact_details() -> str | Response:
    answers = draft()
    first_missing = missing_step(answers)
    if answers.get("channel") not in NEEDS_DETAILS or first_missing not in (
        None,
        "sharing.contact_details",
    ):
        return next_page(answers)
    form = ContactDetailsForm(phone=answers.get("phone"), email=answers.get("email"))
    if form.is_submitted() and form.check(answers["channel"]):
        phone = form.phone.data if form.phone.data and form.phone.data.strip() else None
        email = form.email.data if form.email.data and form.email.data.strip() else None
        keep(phone=phone, email=email if answers["channel"] == "video" else None)
        return next_page(draft())
    return contact_page(
        "sharing/contact_details.html",
        form,
        url_for("sharing.contact_slots"),
        channel=answers["channel"],
    )


@bp.route("/etre-contacte/verifier", methods=["GET", "POST"])
@page_examples({}, states=("contact-ready",))
def contact_check() -> str | Response:
    answers = draft()
    if answers.get("sent"):  # sent already (a second tap, the back button): show it
        return redirect(url_for("sharing.contact_sent"), code=303)
    organisation = chosen_organisation(answers)
    if missing_step(answers) or organisation is None:
        return next_page(answers if organisation else {})
    form = ContactSendForm()
    if form.validate_on_submit():
        try:
            sent = requests.create_request(
                db.session,
                person=person_or_start(),
                organisation=organisation,
                channel=answers["channel"],
                slots=answers["slots"],
                phone=answers.get("phone"),
                email=answers.get("email"),
                origin=answers.get("origin") or "",
                form_key=form.form_key.data,
                now=now(),
            )
        except requests.RequestError as error:
            form.fail(error)
        else:
            session[DRAFT] = {"person": sent.person_id, "sent": sent.id}
            return redirect(url_for("sharing.contact_sent"), code=303)
    back = url_for(
        "sharing.contact_details"
        if answers["channel"] in NEEDS_DETAILS
        else "sharing.contact_slots"
    )
    return contact_page(
        "sharing/contact_check.html",
        form,
        back,
        answers=answers,
        organisation=organisation,
    )


def _sent_request() -> ContactRequest | None:
    person, sent_id = current_person(), draft().get("sent")
    if person is None or not sent_id:
        return None
    return next((r for r in requests.requests_of(db.session, person) if r.id == sent_id), None)


def request_reference(asked: ContactRequest) -> str:
    """The number a person gives when they call or arrive: the one staff read in their
    queue (« Demande n° 42 »)."""
    return str(asked.id)


@bp.route("/etre-contacte/envoyee")
@page_examples({}, states=("contact-sent",))
def contact_sent() -> str | Response:
    sent = _sent_request()
    if sent is None:
        return redirect(url_for("sharing.my_space"))
    place = (
        db.session.get(Place, sent.organisation.place_id) if sent.organisation.place_id else None
    )
    today = datetime.now(PARIS)
    return render_template(
        "sharing/contact_sent.html",
        asked=sent,
        reference=request_reference(sent),
        answer_by=as_utc(sent.created_at) + timedelta(days=requests.FLAG_AFTER_DAYS),
        open_until=as_utc(sent.created_at) + timedelta(days=requests.EXPIRE_AFTER_DAYS),
        place=place,
        place_status=status_words(place, today) if place else None,
        today_hours=today_hours(place, today) if place else None,
    )


@bp.route("/mon-espace")
@page_examples({}, states=(None, "shared"))
def my_space() -> str:
    person = current_person()
    return render_template(
        "sharing/my_space.html",
        form=EmptyForm(),
        consents=consent.consents_of(db.session, person) if person else [],
        contact_requests=requests.requests_of(db.session, person) if person else [],
        active=lambda c: consent.is_active(c, now()),
        reference=request_reference,
    )


def _in_my_space(change: Callable[[Person], object]) -> Response:
    """Make a change the person asked for in « Mon espace », then show it there; anything
    that is not theirs (or no person in this browser) is not found."""
    person = current_person()
    if person is None:
        abort(404)
    try:
        change(person)
    except consent.NotVisible:
        abort(404)
    return redirect(url_for("sharing.my_space"), code=303)


@bp.route("/mon-espace/accords/<int:consent_id>/retirer", methods=["POST"])
def withdraw(consent_id: int) -> Response:
    """Withdraw a consent, then offer a new code: someone of that organisation may know it."""
    _in_my_space(
        lambda person: consent.withdraw(db.session, person=person, consent_id=consent_id, now=now())
    )
    return redirect(url_for("mydata.new_code", retrait="1"), code=303)


@bp.route("/mon-espace/demandes/<int:request_id>/annuler", methods=["POST"])
def cancel_request(request_id: int) -> Response:
    return _in_my_space(
        lambda person: requests.cancel_by_person(
            db.session, person=person, request_id=request_id, now=now()
        )
    )
