"""Home, information pages and the return code form."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import return_code, rgaa
from ..extensions import limiter
from ..forms import ReturnCodeForm
from ..http import page_number
from ..i18n import safe_next
from ..journeys import load_journeys
from ..words import CONFORMITY
from .assessment import where_to_go
from .current import change_code, open_with_code

bp = Blueprint("public", __name__)


@bp.app_context_processor
def accessibility_status() -> dict[str, object]:
    """The site's RGAA status, from the grid: every page names it in its footer."""
    return {"accessibility_status": CONFORMITY[rgaa.grid().conformity]}


@bp.route("/")
def home() -> str:
    return render_template("public/home.html")


def _wrong_code(response: Response) -> bool:
    """Only codes that open nothing count against the limits."""
    return request.method == "POST" and response.status_code != 303


def _legacy_code() -> bool:
    """A 12-digit code: from before codes had 16 digits."""
    typed = return_code.normalise(ReturnCodeForm().code.data or "")
    return len(typed) == return_code.LEGACY_DIGITS


@bp.route("/revenir", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RETURN_CODE_LIMIT_PER_CLIENT"],
    methods=["POST"],
    deduct_when=_wrong_code,
)
@limiter.limit(
    lambda: current_app.config["RETURN_CODE_LIMIT_LEGACY"],
    key_func=lambda: "everyone",
    scope="return-code-legacy",
    methods=["POST"],
    deduct_when=_wrong_code,
    exempt_when=lambda: not _legacy_code(),
)
def resume() -> str | Response:
    form = ReturnCodeForm()
    if form.validate_on_submit():
        legacy = len(form.code.data) == return_code.LEGACY_DIGITS
        person = open_with_code(form.code.data)
        if person is not None:
            if legacy:  # a short code is easier to guess: the person gets a 16-digit one
                change_code(person)
                return redirect(url_for("mydata.new_code", nouveau="1"), code=303)
            target = safe_next(form.suite.data) if form.suite.data else where_to_go(person)
            return redirect(target, code=303)
        form.add_error(
            form.code, _("Nous ne trouvons pas ce code. Vérifiez les chiffres et recommencez.")
        )
    return render_template("public/resume.html", form=form)


#: Criteria not met listed on each page of the statement, so that every page stays light.
CRITERIA_PER_PAGE = 8


@bp.route("/accessibilite")
def accessibility() -> str:
    """The accessibility statement, computed from the RGAA grid (app/rgaa/grid.toml); the
    criteria not met, when many, go on to further pages (?page=2…)."""
    grid = rgaa.grid()
    failing = grid.non_compliant
    pages = max(1, -(-len(failing) // CRITERIA_PER_PAGE))
    page = min(page_number(), pages)
    shown = failing[(page - 1) * CRITERIA_PER_PAGE : page * CRITERIA_PER_PAGE]
    return render_template(
        "public/accessibility.html", grid=grid, rgaa=rgaa, shown=shown, page=page, pages=pages
    )


@bp.route("/donnees-personnelles")
def privacy() -> str:
    return render_template("public/privacy.html")


@bp.route("/mentions-legales")
def legal() -> str:
    return render_template("public/legal.html")


@bp.route("/plan-du-site")
def sitemap() -> str:
    return render_template("public/sitemap.html", journeys=list(load_journeys().values()))
