"""« Mes données »: everything Repère holds about a person, a copy, and erasing it.

The person is the person of this browser's session; without one, they type their code to
come back (checked by the form of « J'ai un code pour revenir », under its limits). The data
itself comes from app/mydata.py.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from .. import mydata
from ..extensions import db
from ..forms import EmptyForm, ReturnCodeForm
from ..journeys import load_journeys
from ..models import Person
from ..pages import not_a_page, page_examples
from ..staff import consent
from ..times import utcnow as now
from .current import (
    bank,
    change_code,
    code_of,
    current_person,
    forget,
    holds_a_person,
    leave_device,
)

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


@bp.route("/mes-donnees/code", methods=["GET", "POST"])
@page_examples({}, {"retrait": "1"}, states=("finished",))
def new_code() -> str | BaseResponse:
    """The person's code, and a new one if they wish: the old one stops at once, and every
    other browser that held them loses them. Offered after a consent is withdrawn."""
    person = current_person()
    if person is None:
        return redirect(url_for("mydata.my_data"))
    form = EmptyForm()
    if form.validate_on_submit():
        change_code(person)
        return redirect(url_for("mydata.new_code", nouveau="1"), code=303)
    return render_template(
        "mydata/code_change.html",
        form=form,
        code=code_of(person),
        changed=request.args.get("nouveau") == "1",
        withdrawn=request.args.get("retrait") == "1",
    )


@bp.route("/quitter", methods=["POST"])
def leave() -> BaseResponse:
    """« Quitter cet appareil »: this browser forgets the person, and every copy of this
    session (another browser, a copied cookie) stops at once."""
    if EmptyForm().validate_on_submit():
        leave_device()
    return redirect(url_for("mydata.left"), code=303)


@bp.route("/au-revoir")
@page_examples({}, states=("finished",))  # reached only by leaving: not in the site map
def left() -> str:
    return render_template("mydata/left.html", still_here=holds_a_person())


@bp.app_context_processor
def leave_form() -> dict[str, object]:
    """The « Quitter cet appareil » button, on every page while this browser holds a person.
    formdata=None: never read the request here (an error page may be rendering it)."""
    return {"leave_form": EmptyForm(formdata=None) if holds_a_person() else None}


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
