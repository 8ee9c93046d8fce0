"""The staff side (/pro): sign in, people followed with consent, requests, records, figures.

Every page is sent with ``Cache-Control: no-store``: after signing out on a shared
computer, the back button shows nothing of a person. A person exists for a staff member
only while their organisation holds a valid consent; otherwise it is a 404.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from .. import return_code
from ..assessment import service
from ..extensions import db, limiter
from ..forms import EmptyForm
from ..http import form_id
from ..models import ContactRequest, Organisation, Place, StaffUser
from ..pages import FromState, not_a_page, page_examples
from ..staff import access, accounts, consent, figures, records, requests
from ..times import utcnow as now
from .assessment import BANDS, DOMAIN_NAMES, remember

bp = Blueprint("staff", __name__, url_prefix="/pro")

SESSION_KEY = "staff"
IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
View = TypeVar("View", bound=Callable[..., Any])


@bp.context_processor
def staff_forms() -> dict[str, object]:
    # formdata=None: never read the request here (an error page may be rendering it).
    return {"signout_form": EmptyForm(formdata=None)}


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def signed_in_staff() -> StaffUser | None:
    """The staff member of this session, if the session is neither idle nor too old."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    moment = now().timestamp()
    if moment - data.get("since", 0) > LIFETIME.total_seconds() or (
        moment - data.get("seen", 0) > IDLE.total_seconds()
    ):
        session.pop(SESSION_KEY, None)
        return None
    staff = db.session.get(StaffUser, data.get("id"))
    if staff is None or not staff.active:
        session.pop(SESSION_KEY, None)
        return None
    data["seen"] = moment
    session[SESSION_KEY] = data
    return staff


def staff_only(view: View) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        staff = signed_in_staff()
        if staff is None:
            return redirect(url_for("staff.sign_in", suite=request.path))
        g.staff = staff
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def admin_only(view: View) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.staff.role != "admin":
            abort(404)
        return view(*args, **kwargs)

    return staff_only(wrapper)  # type: ignore[arg-type]


def person_or_404(person_id: int) -> Any:
    try:
        return consent.visible_person(db.session, staff=g.staff, person_id=person_id, now=now())
    except consent.NotVisible:
        abort(404)


def form_key() -> str:
    """A one-time key for a form: posting it twice records one thing."""
    return secrets.token_urlsafe(24)


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("60/hour", methods=["POST"])
def sign_in() -> str | BaseResponse:
    error = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            staff = accounts.sign_in(
                db.session,
                email=request.form.get("email", "")[:254],
                password=request.form.get("password", "")[:200],
                now=now(),
            )
        except accounts.SignInRefused as refused:
            error = (
                _(
                    "Trop d'essais : ce compte est bloqué %(minutes)s minutes.",
                    minutes=accounts.LOCK_MINUTES,
                )
                if refused.locked_until
                else _("Adresse e-mail ou mot de passe incorrect.")
            )
        else:
            moment = now().timestamp()
            session.clear()
            session[SESSION_KEY] = {"id": staff.id, "since": moment, "seen": moment}
            target = request.args.get("suite", "")
            if not target.startswith("/pro") or target.startswith("//"):
                target = url_for("staff.dashboard")
            return redirect(target, code=303)
    return render_template(
        "staff/sign_in.html", form=EmptyForm(), error=error, email=request.form.get("email", "")
    )


@bp.route("/deconnexion", methods=["POST"])
def sign_out() -> BaseResponse:
    if not EmptyForm().validate_on_submit():
        abort(400)
    session.clear()
    return redirect(url_for("staff.sign_in"), code=303)


@bp.route("/")
@page_examples({}, states=("mediator",))
@staff_only
def dashboard() -> str:
    return render_template("staff/dashboard.html", form=EmptyForm())


@bp.route("/personnes")
@page_examples({}, states=("mediator",))
@staff_only
def people() -> str:
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)
    found, total = consent.people(db.session, staff=g.staff, now=now(), page=page)
    return render_template("staff/people.html", people=found, total=total, page=page)


@bp.route("/personnes/<int:person_id>")
@page_examples({"person_id": FromState("person")}, states=("mediator",))
@staff_only
def person(person_id: int) -> str:
    person = person_or_404(person_id)
    access.record_access(db.session, staff=g.staff, person_id=person_id, what="person", now=now())
    result = person.result
    return render_template(
        "staff/person.html",
        person=person,
        result=result,
        overall=BANDS[result.overall_band] if result else None,
        domains=[
            (DOMAIN_NAMES[name], BANDS[detail["band"]])
            for name, detail in (result.details["domains"].items() if result else [])
            if name in DOMAIN_NAMES
        ],
        consents=[
            c
            for c in consent.active_consents(db.session, person, now())
            if c.organisation_id == g.staff.organisation_id
        ],
        records=records.records_for(db.session, staff=g.staff, person_id=person_id, now=now()),
        form=EmptyForm(),
        form_key=form_key(),
        places=_nearby_places(g.staff.organisation),
        errors={},
    )


def _nearby_places(organisation: Organisation | None) -> list[Place]:
    if organisation is None:
        return []
    from ..places.search import search_places

    found = search_places(db.session, organisation.postcode, per_page=20)
    return [hit.place for hit in found.places]


def _record(person_id: int, write: Callable[[], object]) -> str | BaseResponse:
    person_or_404(person_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        write()
    except records.RecordError as error:
        return _person_with_error(person_id, _(error.message, **error.params))
    return redirect(url_for("staff.person", person_id=person_id) + "#actions", code=303)


def _person_with_error(person_id: int, message: str) -> str:
    g.record_error = message
    return person(person_id)


@bp.route("/personnes/<int:person_id>/cheques", methods=["POST"])
@staff_only
def record_vouchers(person_id: int) -> str | BaseResponse:
    from datetime import date

    def write() -> object:
        try:
            count = int(request.form.get("count", ""))
            expires_on = date.fromisoformat(request.form.get("expires_on", ""))
        except ValueError as error:
            raise records.RecordError(
                _("Écrivez le nombre de chèques et leur date de fin (jour, mois, année).")
            ) from error
        return records.record_vouchers(
            db.session,
            staff=g.staff,
            person_id=person_id,
            booklet_number=request.form.get("booklet", "")[:40],
            count=count,
            expires_on=expires_on,
            form_key=request.form.get("form_key", "")[:64],
            now=now(),
        )

    return _record(person_id, write)


@bp.route("/personnes/<int:person_id>/orientation", methods=["POST"])
@staff_only
def record_orientation(person_id: int) -> str | BaseResponse:
    return _record(
        person_id,
        lambda: records.record_orientation(
            db.session,
            staff=g.staff,
            person_id=person_id,
            place_id=request.form.get("place_id", "")[:128],
            form_key=request.form.get("form_key", "")[:64],
            now=now(),
        ),
    )


@bp.route("/personnes/<int:person_id>/note", methods=["POST"])
@staff_only
def record_note(person_id: int) -> str | BaseResponse:
    return _record(
        person_id,
        lambda: records.record_note(
            db.session,
            staff=g.staff,
            person_id=person_id,
            note=request.form.get("note", "")[: records.MAX_NOTE_LENGTH + 1],
            form_key=request.form.get("form_key", "")[:64],
            now=now(),
        ),
    )


@bp.route("/demandes")
@page_examples({}, {"statut": "done"}, states=("mediator",))
@staff_only
def queue() -> str:
    status = request.args.get("statut")
    if status not in requests.STATUSES:
        status = None
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)
    found, total = requests.queue(db.session, staff=g.staff, status=status, now=now(), page=page)
    return render_template(
        "staff/queue.html",
        found=found,
        total=total,
        status=status,
        statuses=requests.STATUSES,
        flagged=lambda r: requests.is_flagged(r, now()),
    )


@bp.route("/demandes/<int:request_id>")
@page_examples({"request_id": FromState("request")}, states=("mediator",))
@staff_only
def contact_request(request_id: int) -> str:
    found = _request_or_404(request_id)
    access.record_access(
        db.session, staff=g.staff, person_id=found.person_id, what="request", now=now()
    )
    return render_template(
        "staff/request.html",
        found=found,
        form=EmptyForm(),
        flagged=requests.is_flagged(found, now()),
    )


def _request_or_404(request_id: int) -> Any:
    found = db.session.get(ContactRequest, request_id)
    if found is None or found.organisation_id != g.staff.organisation_id:
        abort(404)
    person_or_404(found.person_id)  # only while the person's consent lasts
    return found


@bp.route("/demandes/<int:request_id>/statut", methods=["POST"])
@staff_only
def request_status(request_id: int) -> BaseResponse:
    _request_or_404(request_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    status = request.form.get("statut", "")
    if status not in requests.STATUSES:
        abort(400)
    try:
        requests.set_status(
            db.session, staff=g.staff, request_id=request_id, status=status, now=now()
        )
    except requests.RequestError:
        pass  # a move that is not possible any more (the request was closed meanwhile)
    except consent.NotVisible:
        abort(404)
    return redirect(url_for("staff.contact_request", request_id=request_id), code=303)


@bp.route("/accompagnement")
@page_examples({}, states=("mediator",))
@staff_only
def assisted_start() -> str:
    return render_template(
        "staff/assisted.html",
        form=EmptyForm(),
        durations=consent.DURATIONS_MONTHS,
        version=consent.CONSENT_TEXT_VERSION,
    )


@bp.route("/accompagnement", methods=["POST"])
@staff_only
def assisted_begin() -> str | BaseResponse:
    if not EmptyForm().validate_on_submit():
        abort(400)
    organisation = g.staff.organisation
    months = request.form.get("months", type=int)
    if organisation is None or months not in consent.DURATIONS_MONTHS:
        return render_template(
            "staff/assisted.html",
            form=EmptyForm(),
            durations=consent.DURATIONS_MONTHS,
            version=consent.CONSENT_TEXT_VERSION,
            error=_("Choisissez pendant combien de temps la personne partage ses résultats."),
        )
    bank = current_app.extensions["bank"]
    person = service.start(db.session, bank, current_app.config["SECRET_KEY"], "fr")
    person.assisted = True
    db.session.commit()
    consent.grant(
        db.session,
        person=person,
        organisation=organisation,
        purpose="share-results",
        months=months,
        now=now(),
        assisted=True,
    )
    remember(person)
    return redirect(url_for("assessment.question", position=1), code=303)


@bp.route("/personnes/<int:person_id>/fiche")
@page_examples({"person_id": FromState("person")}, states=("mediator",))
@staff_only
def slip(person_id: int) -> str:
    person = person_or_404(person_id)
    code = return_code.grouped(service.code_of(person, current_app.config["SECRET_KEY"]))
    return render_template("staff/slip.html", person=person, code=code)


@bp.route("/chiffres")
@page_examples({}, states=("mediator",))
@staff_only
def figures_page() -> str:
    if g.staff.organisation is None:
        abort(404)
    months = figures.monthly_figures(db.session, organisation=g.staff.organisation, now=now())
    return render_template("staff/figures.html", months=months, domain_names=DOMAIN_NAMES)


@bp.route("/chiffres.csv")
@not_a_page
@staff_only
def figures_csv() -> Response:
    if g.staff.organisation is None:
        abort(404)
    months = figures.monthly_figures(db.session, organisation=g.staff.organisation, now=now())
    return Response(
        figures.figures_csv(months),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="repere-chiffres.csv"'},
    )


@bp.route("/admin", methods=["GET", "POST"])
@page_examples({}, states=("admin",))
@admin_only
def admin() -> str | BaseResponse:
    message = error = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("what") == "organisation":
                created = accounts.create_organisation(
                    db.session,
                    name=request.form.get("name", "")[:200],
                    kind=request.form.get("kind", ""),
                    postcode=request.form.get("postcode", "")[:5],
                    place_id=request.form.get("place_id") or None,
                )
                message = _(
                    "Organisme créé. Son code de partage : %(code)s", code=created.share_code
                )
            else:
                organisation_id = form_id(request.form.get("organisation_id"))
                accounts.create_staff(
                    db.session,
                    email=request.form.get("email", "")[:254],
                    name=request.form.get("name", "")[:200],
                    password=request.form.get("password", "")[:200],
                    role=request.form.get("role", ""),
                    organisation_id=organisation_id,
                )
                message = _("Compte créé.")
        except accounts.AccountError as problem:
            error = _(problem.message, **problem.params)
    from sqlalchemy import select

    return render_template(
        "staff/admin.html",
        form=EmptyForm(),
        organisations=db.session.scalars(select(Organisation).order_by(Organisation.name)).all(),
        kinds=accounts.KINDS,
        roles=accounts.ROLES,
        message=message,
        error=error,
    )
