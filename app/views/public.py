"""Home, information pages and the return code form."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from ..forms import ReturnCodeForm

bp = Blueprint("public", __name__)


@bp.route("/")
def home() -> str:
    return render_template("public/home.html")


@bp.route("/commencer")
def start() -> str:
    return render_template("public/start.html")


@bp.route("/revenir", methods=["GET", "POST"])
def resume() -> str:
    form = ReturnCodeForm()
    if form.validate_on_submit():
        # No test can be saved yet, so no code can match one.
        form.code.errors.append(
            _("Nous ne trouvons pas ce code. Vérifiez les chiffres et recommencez.")
        )
    return render_template("public/resume.html", form=form)


@bp.route("/accessibilite")
def accessibility() -> str:
    return render_template("public/accessibility.html")


@bp.route("/donnees-personnelles")
def privacy() -> str:
    return render_template("public/privacy.html")


@bp.route("/mentions-legales")
def legal() -> str:
    return render_template("public/legal.html")


@bp.route("/plan-du-site")
def sitemap() -> str:
    return render_template("public/sitemap.html")
