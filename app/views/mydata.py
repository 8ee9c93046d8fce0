"""« Mes données »: everything Repère holds about a person, a copy, and erasing it.

The person is the person of this browser's session; without one, they type their code to
come back (checked by the form of « J'ai un code pour revenir », under its limits). The data
itself comes from app/mydata.py.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from .. import mydata
from ..extensions import db
from ..forms import EmptyForm, ReturnCodeForm
from ..journeys import load_journeys
from ..models import Person
from ..pages import not_a_page, page_examples
from ..staff import consent
from ..times import utcnow as now
from .current import bank, current_person, forget

bp = Blueprint("mydata", __name__)


def everything(person: Person) -> dict[str, object]:
    return mydata.collect(db.session, person, bank(), load_journeys(), now())


def page_context(person: Person) -> dict[str, object]:
    return {
        "data": everything(person),
        "person": person,
        "form": EmptyForm(),
        "now": now(),
    }


@bp.route("/mes-donnees")
@page_examples({}, states=(None, "shared"))
def my_data() -> str:
    person = current_person()
    if person is not None:
        return render_template("mydata/my_data.html", **page_context(person))
    # The code is checked by the one form that checks codes (/revenir), under its limits.
    return render_template("mydata/code.html", form=ReturnCodeForm(suite=url_for("mydata.my_data")))


@bp.route("/mes-donnees.json")
@not_a_page
def download() -> BaseResponse:
    person = current_person()
    if person is None:
        return redirect(url_for("mydata.my_data"))
    body = json.dumps(mydata.as_json(everything(person)), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees-repere.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/mes-donnees/imprimer")
@page_examples({}, states=("shared",))
def print_page() -> str | BaseResponse:
    person = current_person()
    if person is None:
        return redirect(url_for("mydata.my_data"))
    return render_template("mydata/print.html", **page_context(person))


@bp.route("/mes-donnees/supprimer", methods=["GET", "POST"])
@page_examples({}, states=("shared",))
def delete() -> str | BaseResponse:
    person = current_person()
    if person is None:
        return redirect(url_for("mydata.my_data"))
    form = EmptyForm()
    if form.validate_on_submit():
        mydata.erase(db.session, person, now())
        forget()
        return redirect(url_for("mydata.deleted"), code=303)
    return render_template("mydata/delete.html", form=form)


@bp.route("/mes-donnees/nom/retirer", methods=["POST"])
def remove_display_name() -> BaseResponse:
    """The person takes back the name or initials they gave: staff see their reference."""
    person = current_person()
    form = EmptyForm()
    if person is not None and form.validate_on_submit():
        consent.set_display_name(db.session, person, None)
    return redirect(url_for("mydata.my_data") + "#nom", code=303)


@bp.route("/mes-donnees/supprimees")
@page_examples({}, states=("finished",))
def deleted() -> str:
    return render_template("mydata/deleted.html")
