"""What a person shares: results with an organisation, a request to be contacted.

Everything here is under a consent the person reads and accepts, and can withdraw at
once from « Mon espace ».
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms import ContactRequestForm, EmptyForm, ShareForm
from ..models import Person
from ..pages import page_examples
from ..staff import consent, requests
from ..times import utcnow as now
from . import visit
from .current import current_person, person_or_start

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


@bp.route("/etre-contacte", methods=["GET", "POST"])
@page_examples({}, {"cp": "93200", "origine": "recherche-emploi/cv"})
def contact() -> str | Response:
    form = ContactRequestForm(cp=postcode_asked(), origine=request.args.get("origine", ""))
    if form.validate_on_submit():
        try:
            requests.create_request(
                db.session,
                person=person_or_start(),
                organisation=form.chosen,
                channel=form.channel.data,
                slots=form.slots.data,
                phone=form.phone.data,
                email=form.email.data,
                origin=form.origine.data or "",
                form_key=form.form_key.data,
                now=now(),
            )
        except requests.RequestError as error:
            form.fail(error)
        else:
            return redirect(url_for("sharing.my_space"), code=303)
    return render_template("sharing/contact.html", form=form)


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
