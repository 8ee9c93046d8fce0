"""The staff side (/pro): sign in, people followed with consent, requests, records, figures.

Every page is sent with ``Cache-Control: no-store``: after signing out on a shared
computer, the back button shows nothing of a person. A person exists for a staff member
only while their organisation holds a valid consent; otherwise it is a 404.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from ..extensions import db, limiter
from ..forms import (
    AssistedForm,
    EmptyForm,
    Form,
    NewPasswordForm,
    NoteForm,
    OrganisationForm,
    OrientationForm,
    RequestStatusForm,
    SignInForm,
    StaffAccountForm,
    VouchersForm,
    options,
)
from ..http import form_id, page_number
from ..i18n import french_attributes, safe_next
from ..journeys import load_journeys
from ..models import ContactRequest, Organisation, Person, Place, StaffUser
from ..pages import FromState, not_a_page, page_examples
from ..places.search import search_places
from ..staff import access, accounts, consent, figures, lifecycle, records, requests
from ..times import utcnow as now
from ..words import BANDS, DOMAIN_NAMES
from .current import code_for_slip, current_person, forget, held_through, start_person

bp = Blueprint("staff", __name__, url_prefix="/pro")

SESSION_KEY = "staff"
#: The id of the person a staff member is running the test with, in this browser.
ASSISTED_KEY = "assisted"
IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
View = TypeVar("View", bound=Callable[..., Any])


@bp.context_processor
def staff_forms() -> dict[str, object]:
    # formdata=None: never read the request here (an error page may be rendering it).
    return {"signout_form": EmptyForm(formdata=None)}


@bp.app_context_processor
def staff_bar() -> dict[str, object]:
    """On every page of the site, while a staff member is signed in in this browser: the way
    back to the staff side, and, in an assisted test, the person's slip and « Terminer avec
    cette personne »."""
    if not isinstance(session.get(SESSION_KEY), dict):
        return {"staff_bar": None}
    try:
        staff = g.get("staff") or signed_in_staff()
        person = assisted_person() if staff is not None else None
    except SQLAlchemyError:  # an error page about the database itself
        return {"staff_bar": None}
    if staff is None:
        return {"staff_bar": None}
    return {
        "staff_bar": {"staff": staff, "person": person},
        "finish_form": EmptyForm(formdata=None),
    }


def assisted_person() -> Person | None:
    """The person of this browser, when a staff member started the test with them here."""
    person_id = session.get(ASSISTED_KEY)
    if not isinstance(person_id, int):
        return None
    person = current_person()
    return person if person is not None and person.id == person_id else None


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


@bp.after_app_request
def no_store_during_assisted_test(response: Response) -> Response:
    """During a test a staff member runs with someone, the person's pages are not kept by the
    browser either: after « Terminer avec cette personne », the back button shows nothing."""
    if ASSISTED_KEY in session and "public" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def signed_in_staff() -> StaffUser | None:
    """The staff member of this session, if the session is neither idle nor too old."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    moment = now().timestamp()
    if _expired(data, moment):
        _end_staff_session()
        return None
    staff = db.session.get(StaffUser, data.get("id"))
    if (
        staff is None
        or not staff.active
        or data.get("generation") != staff.session_generation  # ended on the server
    ):
        _end_staff_session()
        return None
    data["seen"] = moment
    session[SESSION_KEY] = data
    return staff


def _expired(data: dict[str, Any], moment: float) -> bool:
    return moment - data.get("since", 0) > LIFETIME.total_seconds() or (
        moment - data.get("seen", 0) > IDLE.total_seconds()
    )


@bp.before_app_request
def end_expired_staff_session() -> None:
    """On any page, before anything is shown: a staff session past its time ends, with the
    person of an assisted test (no database needed to know)."""
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and _expired(data, now().timestamp()):
        _end_staff_session()


def _end_staff_session() -> None:
    """The staff member is signed out; a person they were running the test with leaves this
    browser too (a shared computer left alone must not show them to the next user)."""
    session.pop(SESSION_KEY, None)
    if session.pop(ASSISTED_KEY, None) is not None:
        forget()


def staff_only(view: View) -> View:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        staff = signed_in_staff()
        if staff is None:
            return redirect(url_for("staff.sign_in", suite=request.path))
        if staff.must_set_password:  # signed in with a one-time code
            return redirect(url_for("staff.set_password"))
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


#: A browser that signed in to an account keeps a proof of it (accounts.device_token), so
#: that a stranger who locks the account on purpose does not lock its holder out.
DEVICE_COOKIE = "repere_appareil"
MAX_DEVICES_PER_BROWSER = 5
ONE_YEAR = 365 * 24 * 3600


def _device_tokens() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE, "")
    return [token for token in raw.split(".") if token][:MAX_DEVICES_PER_BROWSER]


def _known_device(email: str) -> bool:
    expected = accounts.device_token(current_app.config["SECRET_KEY"], email)
    return any(hmac.compare_digest(expected, token) for token in _device_tokens())


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("60/hour", methods=["POST"])
def sign_in() -> str | BaseResponse:
    if signed_in_staff() is not None:
        return redirect(url_for("staff.dashboard"), code=303)
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        try:
            staff = accounts.sign_in(
                db.session,
                email=email,
                password=form.password.data,
                now=now(),
                known_device=_known_device(email),
            )
        except accounts.SignInRefused:
            # One answer for every refusal (unknown address, wrong password, locked account):
            # it must not tell a stranger which accounts exist.
            form.add_error(
                form.email,
                _(
                    "Adresse e-mail ou mot de passe incorrect. Après %(tries)s essais "
                    "manqués, un compte est bloqué %(minutes)s minutes, sauf sur les "
                    "ordinateurs où il s'est déjà connecté.",
                    tries=accounts.MAX_FAILED_SIGN_INS,
                    minutes=accounts.LOCK_MINUTES,
                ),
            )
        else:
            moment = now().timestamp()
            session.clear()
            session[SESSION_KEY] = {
                "id": staff.id,
                "since": moment,
                "seen": moment,
                "generation": staff.session_generation,
            }
            target = safe_next(request.args.get("suite"))
            if staff.must_set_password:
                target = url_for("staff.set_password")
            elif not target.startswith("/pro"):
                target = url_for("staff.dashboard")
            response = redirect(target, code=303)
            token = accounts.device_token(current_app.config["SECRET_KEY"], staff.email)
            tokens = [token, *(t for t in _device_tokens() if t != token)]
            response.set_cookie(
                DEVICE_COOKIE,
                ".".join(tokens[:MAX_DEVICES_PER_BROWSER]),
                max_age=ONE_YEAR,
                path="/pro",
                httponly=True,
                samesite="Lax",
                secure=current_app.config["SESSION_COOKIE_SECURE"],
            )
            return response
    return render_template("staff/sign_in.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
def sign_out() -> BaseResponse:
    """Ends every session of the account, on every computer, not only this browser's."""
    staff = signed_in_staff()
    if staff is not None:
        lifecycle.end_sessions(db.session, staff)
        db.session.commit()
    session.clear()
    return redirect(url_for("staff.sign_in"), code=303)


@bp.route("/nouveau-mot-de-passe", methods=["GET", "POST"])
@page_examples({}, states=("one-time-code",))
def set_password() -> str | BaseResponse:
    """After signing in with a one-time code: the holder of the account chooses a password."""
    staff = signed_in_staff()
    if staff is None:
        return redirect(url_for("staff.sign_in"))
    if not staff.must_set_password:
        return redirect(url_for("staff.dashboard"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            lifecycle.set_own_password(
                db.session, staff, form.password.data, form.confirmation.data, now=now()
            )
        except accounts.AccountError as problem:
            form.fail(problem)
        else:
            session[SESSION_KEY] = {**session[SESSION_KEY], "generation": staff.session_generation}
            flash(_("Votre mot de passe est enregistré."))
            return redirect(url_for("staff.dashboard"), code=303)
    return render_template("staff/set_password.html", form=form)


@bp.route("/")
@page_examples({}, states=("mediator", "assisted"))
@staff_only
def dashboard() -> str:
    return render_template("staff/dashboard.html")


@bp.route("/personnes")
@page_examples({}, states=("mediator",))
@staff_only
def people() -> str:
    page = page_number()
    found, total = consent.people(db.session, staff=g.staff, now=now(), page=page)
    return render_template("staff/people.html", people=found, total=total, page=page)


@bp.route("/personnes/<int:person_id>")
@page_examples({"person_id": FromState("person")}, states=("mediator",))
@staff_only
def person(person_id: int) -> str:
    return person_page(person_id)


def person_page(person_id: int, **failed: Form) -> str:
    """The person's page; a record form posted with errors (``vouchers=form``) takes the
    place of its empty one."""
    person = person_or_404(person_id)
    access.record_access(db.session, staff=g.staff, person_id=person_id, what="person", now=now())
    result = person.result
    page_forms: dict[str, Form] = {
        "vouchers": VouchersForm(formdata=None),
        "orientation": OrientationForm(formdata=None),
        "note": NoteForm(formdata=None),
        **failed,
    }
    page_forms["orientation"].place_id.choices = options(
        ((place.id, f"{place.name} ({place.commune})") for place in _nearby_places()),
        french_attributes(),
    )
    journeys = load_journeys()
    found_records = records.records_for(db.session, staff=g.staff, person_id=person_id, now=now())
    return render_template(
        "staff/person.html",
        person=person,
        result=result,
        can_do=result.details.get("can_do", []) if result else [],
        steps_done=[
            (journeys[done.job_journey], step)
            for done in sorted(person.steps_done, key=lambda d: (d.done_at, d.id))
            if done.job_journey in journeys
            and (step := journeys[done.job_journey].step(done.step_id)) is not None
        ],
        places=records.places_for(db.session, found_records),
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
        records=found_records,
        **page_forms,
    )


def _nearby_places() -> list[Place]:
    organisation = g.staff.organisation
    if organisation is None:
        return []
    found = search_places(db.session, organisation.postcode, per_page=20)
    return [hit.place for hit in found.places]


def _record(
    person_id: int, kind: str, form: Form, write: Callable[[], object]
) -> str | BaseResponse:
    """Save what ``form`` records about the person, or show the person's page with its errors."""
    person_or_404(person_id)
    if form.validate_on_submit():
        try:
            write()
        except records.RecordError as error:
            form.fail(error)
        else:
            return redirect(url_for("staff.person", person_id=person_id) + "#actions", code=303)
    return person_page(person_id, **{kind: form})


@bp.route("/personnes/<int:person_id>/cheques", methods=["POST"])
@staff_only
def record_vouchers(person_id: int) -> str | BaseResponse:
    form = VouchersForm()
    return _record(
        person_id,
        "vouchers",
        form,
        lambda: records.record_vouchers(
            db.session,
            staff=g.staff,
            person_id=person_id,
            booklet_number=form.booklet_number.data,
            count=form.voucher_count,
            expires_on=form.expiry,
            form_key=form.form_key.data,
            now=now(),
        ),
    )


@bp.route("/personnes/<int:person_id>/orientation", methods=["POST"])
@staff_only
def record_orientation(person_id: int) -> str | BaseResponse:
    form = OrientationForm()
    return _record(
        person_id,
        "orientation",
        form,
        lambda: records.record_orientation(
            db.session,
            staff=g.staff,
            person_id=person_id,
            place_id=form.place_id.data or "",
            form_key=form.form_key.data,
            now=now(),
        ),
    )


@bp.route("/personnes/<int:person_id>/note", methods=["POST"])
@staff_only
def record_note(person_id: int) -> str | BaseResponse:
    form = NoteForm()
    return _record(
        person_id,
        "note",
        form,
        lambda: records.record_note(
            db.session,
            staff=g.staff,
            person_id=person_id,
            note=form.note.data or "",
            form_key=form.form_key.data,
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
    page = page_number()
    found, total = requests.queue(db.session, staff=g.staff, status=status, now=now(), page=page)
    return render_template(
        "staff/queue.html",
        found=found,
        total=total,
        count_words=queue_count(status, total),
        status=status,
        statuses=requests.STATUSES,
        flagged=lambda r: requests.is_flagged(r, now()),
    )


def queue_count(status: str | None, total: int) -> str:
    """« 1 nouvelle demande », « 3 demandes terminées »: the count, agreeing with it."""
    if status == "new":
        return ngettext("%(num)s nouvelle demande.", "%(num)s nouvelles demandes.", total)
    if status == "in-progress":
        return ngettext("%(num)s demande en cours.", "%(num)s demandes en cours.", total)
    if status == "done":
        return ngettext("%(num)s demande terminée.", "%(num)s demandes terminées.", total)
    if status == "cancelled":
        return ngettext("%(num)s demande annulée.", "%(num)s demandes annulées.", total)
    if status == "expired":
        return ngettext("%(num)s demande expirée.", "%(num)s demandes expirées.", total)
    return ngettext("%(num)s demande ouverte.", "%(num)s demandes ouvertes.", total)


@bp.route("/demandes/<int:request_id>")
@page_examples(
    {"request_id": FromState("request")},
    {"request_id": FromState("request-done")},
    states=("mediator",),
)
@staff_only
def contact_request(request_id: int) -> str:
    found = _request_or_404(request_id)
    access.record_access(
        db.session, staff=g.staff, person_id=found.person_id, what="request", now=now()
    )
    return render_template(
        "staff/request.html",
        found=found,
        history=requests.history(db.session, found),
        form=RequestStatusForm(formdata=None),
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
    form = RequestStatusForm()
    if not form.validate():
        abort(400)  # only the page's buttons post here
    try:
        requests.set_status(
            db.session, staff=g.staff, request_id=request_id, status=form.status.data, now=now()
        )
    except requests.RequestError:
        pass  # a move that is not possible any more (the request was closed meanwhile)
    except consent.NotVisible:
        abort(404)
    return redirect(url_for("staff.contact_request", request_id=request_id), code=303)


@bp.route("/accompagnement", methods=["GET", "POST"])
@page_examples({}, states=("mediator",))
@staff_only
def assisted_start() -> str | BaseResponse:
    form = AssistedForm()
    organisation = g.staff.organisation
    if organisation is not None and form.validate_on_submit():
        person = start_person(locale="fr", via=organisation.id)
        person.assisted = True
        person.display_name = form.display_name.data
        db.session.commit()
        session[ASSISTED_KEY] = person.id
        consent.grant(
            db.session,
            person=person,
            organisation=organisation,
            purpose="share-results",
            months=form.months.data,
            now=now(),
            assisted=True,
        )
        return redirect(url_for("assessment.question", position=1), code=303)
    return render_template("staff/assisted.html", form=form, version=consent.CONSENT_TEXT_VERSION)


@bp.route("/accompagnement/fin", methods=["POST"])
@staff_only
def assisted_finish() -> BaseResponse:
    """« Terminer avec cette personne »: nothing of the person stays in this browser; the
    staff member is back on the staff side, ready for the next person."""
    if EmptyForm().validate_on_submit():
        forget()
        session.pop(ASSISTED_KEY, None)
        flash(_("C'est terminé avec cette personne. Rien d'elle ne reste sur cet ordinateur."))
    return redirect(url_for("staff.dashboard"), code=303)


@bp.route("/personnes/<int:person_id>/fiche")
@page_examples({"person_id": FromState("person")}, states=("mediator",))
@staff_only
def slip(person_id: int) -> str:
    """The person's slip. Their code to come back is on it only during the test a staff
    member runs with them in this browser, for the organisation of that test; each time it
    is shown, the access journal says so, and the person sees it in « Mes données ». The
    consent lets staff see results, not open the person's data as the person would."""
    person = person_or_404(person_id)
    here = assisted_person()
    code = None
    if here is not None and here.id == person.id and held_through() == g.staff.organisation_id:
        access.record_access(db.session, staff=g.staff, person=person, what="code", now=now())
        code = code_for_slip(person)
    return render_template("staff/slip.html", person=person, code=code)


@bp.route("/chiffres")
@page_examples({}, states=("mediator",))
@staff_only
def figures_page() -> str:
    if g.staff.organisation is None:
        abort(404)
    months = figures.monthly_figures(db.session, organisation=g.staff.organisation, now=now())
    return render_template("staff/figures.html", months=months)


@bp.route("/chiffres.csv")
@not_a_page
@staff_only
def figures_csv() -> Response:
    if g.staff.organisation is None:
        abort(404)
    months = figures.monthly_figures(db.session, organisation=g.staff.organisation, now=now())
    return Response(
        figures.figures_csv(months),
        mimetype="text/csv",  # UTF-8, with a byte-order mark for Excel
        headers={"Content-Disposition": 'attachment; filename="repere-chiffres.csv"'},
    )


@bp.route("/chiffres.ods")
@not_a_page
@staff_only
def figures_ods() -> Response:
    if g.staff.organisation is None:
        abort(404)
    months = figures.monthly_figures(db.session, organisation=g.staff.organisation, now=now())
    return Response(
        figures.figures_ods(months),
        mimetype=figures.ODS_MIMETYPE,
        headers={"Content-Disposition": 'attachment; filename="repere-chiffres.ods"'},
    )


@bp.route("/admin")
@page_examples({}, states=("admin",))
@admin_only
def admin() -> str:
    return admin_page()


def admin_page(**failed: Form) -> str:
    """The administrator's page; a form posted with errors takes the place of its empty one."""
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    page_forms: dict[str, Form] = {
        "organisation_form": OrganisationForm(formdata=None),
        "account_form": StaffAccountForm(formdata=None, organisations=organisations),
        "action_form": EmptyForm(formdata=None),
        **failed,
    }
    return render_template(
        "staff/admin.html",
        organisations=organisations,
        accounts=lifecycle.list_accounts(db.session),
        events=lifecycle.account_events(db.session),
        **page_forms,
    )


@bp.route("/admin/organismes", methods=["POST"])
@admin_only
def create_organisation() -> str | BaseResponse:
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            created = accounts.create_organisation(
                db.session, name=form.name.data, kind=form.kind.data, postcode=form.postcode.data
            )
        except accounts.AccountError as problem:
            form.fail(problem)
        else:
            flash(_("Organisme créé. Son code de partage : %(code)s", code=created.share_code))
            return redirect(url_for("staff.admin"), code=303)
    return admin_page(organisation_form=form)


@bp.route("/admin/comptes", methods=["POST"])
@admin_only
def create_account() -> str | BaseResponse:
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form = StaffAccountForm(organisations=organisations)
    if form.validate_on_submit():
        try:
            accounts.create_staff(
                db.session,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
                organisation_id=form_id(form.organisation_id.data),
                by=g.staff,
                now=now(),
            )
        except accounts.AccountError as problem:
            form.fail(problem)
        else:
            flash(_("Compte créé."))
            return redirect(url_for("staff.admin"), code=303)
    return admin_page(account_form=form)


@bp.route(
    "/admin/comptes/<int:account_id>/<any(desactiver, reactiver, 'mot-de-passe'):action>",
    methods=["POST"],
)
@admin_only
def account_action(account_id: int, action: str) -> BaseResponse:
    """One button of the list of accounts (CSRF is checked before any view runs)."""
    account = db.session.get(StaffUser, account_id)
    if account is None:
        abort(404)
    email = account.email
    try:
        if action == "desactiver":
            lifecycle.deactivate(db.session, account, by=g.staff, now=now())
            said = _("Compte désactivé : %(email)s ne peut plus se connecter.", email=email)
        elif action == "reactiver":
            lifecycle.reactivate(db.session, account, by=g.staff, now=now())
            said = _("Compte réactivé : %(email)s peut se connecter.", email=email)
        else:
            code = lifecycle.reset_password(db.session, account, by=g.staff, now=now())
            said = _(
                "Code à usage unique pour %(email)s : %(code)s. Donnez-le à cette personne "
                "de vive voix ou sur papier. Il marche %(days)s jours, une seule fois : elle "
                "se connecte avec, puis choisit son mot de passe.",
                email=email,
                code=code,
                days=lifecycle.RESET_CODE_DAYS,
            )
    except accounts.AccountError as problem:
        said = _(problem.message, **problem.params)
    flash(said)
    return redirect(url_for("staff.admin") + "#comptes", code=303)
