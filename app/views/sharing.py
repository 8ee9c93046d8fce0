"""What a person shares: results with an organisation, a request to be contacted.

Everything here is under a consent the person reads and accepts, and can withdraw at
once from « Mon espace ».
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..assessment import service
from ..extensions import db
from ..forms import EmptyForm
from ..http import form_id
from ..models import Organisation
from ..pages import page_examples
from ..staff import accounts, consent, requests
from ..times import utcnow as now
from . import visit
from .assessment import current_person, remember

bp = Blueprint("sharing", __name__)


def chosen_organisation() -> Organisation | None:
    """The organisation picked in the list, or named by the code a mediator gave."""
    code = request.values.get("code", "").strip()
    if code:
        return accounts.find_organisation_by_code(db.session, code[:20])
    organisation_id = form_id(request.values.get("organisation"))
    return db.session.get(Organisation, organisation_id) if organisation_id else None


def postcode_asked() -> str:
    """The postcode typed on this page, else the one remembered for the visit."""
    typed = request.values.get("cp")
    if typed is None:
        return visit.postcode_typed()
    visit.remember_postcode(typed)
    return typed.strip()[:5]


def nearby(postcode: str) -> list[Organisation]:
    postcode = postcode.strip()[:5]
    if len(postcode) != 5 or not postcode.isdigit():
        return []
    return accounts.organisations_near(db.session, postcode)


@bp.route("/partager", methods=["GET", "POST"])
@page_examples({}, {"cp": "93200"}, states=("finished",))
def share() -> str | Response:
    person = current_person()
    if person is None or person.result is None:
        return redirect(url_for("assessment.intro"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        organisation = chosen_organisation()
        months = request.form.get("months", type=int)
        if organisation is None:
            errors["organisation"] = _(
                "Choisissez un organisme, ou écrivez le code qu'on vous a donné."
            )
        if months not in consent.DURATIONS_MONTHS:
            errors["months"] = _("Choisissez pendant combien de temps vous partagez vos résultats.")
        if not errors:
            consent.grant(
                db.session,
                person=person,
                organisation=organisation,
                purpose="share-results",
                months=months,
                now=now(),
            )
            return redirect(url_for("sharing.my_space"), code=303)
    postcode = postcode_asked()
    return render_template(
        "sharing/share.html",
        form=EmptyForm(),
        errors=errors,
        postcode=postcode,
        organisations=nearby(postcode),
        durations=consent.DURATIONS_MONTHS,
        version=consent.CONSENT_TEXT_VERSION,
    )


@bp.route("/etre-contacte", methods=["GET", "POST"])
@page_examples({}, {"cp": "93200", "origine": "recherche-emploi/cv"})
def contact() -> str | Response:
    errors: dict[str, str] = {}
    values = request.values
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        organisation = chosen_organisation()
        if organisation is None:
            errors["organisation"] = _(
                "Choisissez un organisme, ou écrivez le code qu'on vous a donné."
            )
        else:
            person = current_person()
            if person is None:
                bank = current_app.extensions["bank"]
                person = service.start(
                    db.session, bank, current_app.config["SECRET_KEY"], str(get_locale())
                )
                remember(person)
            try:
                requests.create_request(
                    db.session,
                    person=person,
                    organisation=organisation,
                    channel=values.get("channel", ""),
                    slots=[s for s in values.getlist("slots") if s in requests.SLOTS],
                    phone=values.get("phone", "")[:32] or None,
                    email=values.get("email", "")[:254] or None,
                    origin=values.get("origine", "")[:100],
                    form_key=values.get("form_key", "")[:64] or secrets.token_urlsafe(24),
                    now=now(),
                )
            except requests.RequestError as error:
                errors[error.field or "channel"] = _(error.message, **error.params)
            else:
                return redirect(url_for("sharing.my_space"), code=303)
    postcode = postcode_asked()
    return render_template(
        "sharing/contact.html",
        form=EmptyForm(),
        errors=errors,
        values=values,
        form_key=values.get("form_key") or secrets.token_urlsafe(24),
        postcode=postcode,
        organisations=nearby(postcode),
        channels=requests.CHANNELS,
        days=requests.DAYS,
        halves=requests.HALVES,
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
    )


@bp.route("/mon-espace/accords/<int:consent_id>/retirer", methods=["POST"])
def withdraw(consent_id: int) -> Response:
    person = current_person()
    if person is None or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        consent.withdraw(db.session, person=person, consent_id=consent_id, now=now())
    except consent.NotVisible:
        abort(404)
    return redirect(url_for("sharing.my_space"), code=303)


@bp.route("/mon-espace/demandes/<int:request_id>/annuler", methods=["POST"])
def cancel_request(request_id: int) -> Response:
    person = current_person()
    if person is None or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        requests.cancel_by_person(db.session, person=person, request_id=request_id, now=now())
    except consent.NotVisible:
        abort(404)
    return redirect(url_for("sharing.my_space"), code=303)
