"""The test pages: start, one question per page, pause, come back later, results."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as BaseResponse

from .. import return_code
from ..assessment import service
from ..assessment.bank import DONT_KNOW, Bank, Item
from ..extensions import db
from ..forms import DONT_KNOW_BUTTON, AnswerForm, EmptyForm
from ..journeys import load_journeys
from ..models import Person
from ..pages import page_examples

bp = Blueprint("assessment", __name__)

SESSION_KEY = "person"

#: The five domains, in the words shown to people.
DOMAIN_NAMES = {
    "information": _l("Chercher et comprendre une information"),
    "communication": _l("Communiquer et échanger avec d'autres"),
    "creation": _l("Créer et remplir des documents"),
    "protection": _l("Se protéger sur internet"),
    "environment": _l("Utiliser son appareil et régler un problème"),
}
#: The four bands: name, and what it means for the person.
BANDS = (
    (_l("Découverte"), _l("Vous débutez. Quelqu'un peut vous aider, gratuitement.")),
    (
        _l("Premiers pas"),
        _l("Vous savez faire des choses simples. Quelques séances vous aideront."),
    ),
    (_l("Autonome"), _l("Vous savez faire la plupart des choses sans aide, avec un guide.")),
    (_l("À l'aise"), _l("Vous savez le faire sans aide.")),
)


def bank() -> Bank:
    return current_app.extensions["bank"]


def secret() -> str:
    return current_app.config["SECRET_KEY"]


#: A person with its result and answers, in one query: nearly every page needs the result,
#: and the test pages the answers. Built once: SQLAlchemy then skips rebuilding it per request.
PERSON = (
    select(Person)
    .options(joinedload(Person.result), joinedload(Person.answers))
    .where(Person.id == bindparam("person_id"))
)


def current_person() -> Person | None:
    person_id = session.get(SESSION_KEY)
    if not isinstance(person_id, int):
        return None
    return db.session.execute(PERSON, {"person_id": person_id}).unique().scalar_one_or_none()


def remember(person: Person) -> None:
    """Keep the person in this browser's session (the CSRF token stays valid)."""
    session[SESSION_KEY] = person.id


def where_to_go(person: Person) -> str:
    """The page a person should be on now: the next question or the results."""
    if person.result is not None:
        return url_for("assessment.results")
    state = service.progress(person, bank())
    if state.finished:
        return url_for("assessment.results")
    return url_for("assessment.question", position=state.count + 1)


def require_person() -> Person:
    person = current_person()
    if person is None:
        abort(redirect(url_for("assessment.intro")))
    return person


@bp.route("/test")
def intro() -> str:
    person = current_person()
    return render_template(
        "assessment/intro.html",
        form=EmptyForm(),
        resume_url=where_to_go(person) if person else None,
        has_result=bool(person and person.result),
    )


@bp.route("/test", methods=["POST"])
def start() -> BaseResponse:
    if not EmptyForm().validate_on_submit():
        abort(400)
    person = current_person()
    if person is None or person.result is not None:
        person = service.start(db.session, bank(), secret(), str(get_locale()))
        remember(person)
    return redirect(where_to_go(person), code=303)


def question_page(
    person: Person,
    position: int,
    item: Item,
    form: AnswerForm,
    state: service.Progress | None = None,
) -> str:
    state = state or service.progress(person, bank())
    total = max(state.expected_total, position)
    back = (
        url_for("assessment.question", position=position - 1)
        if position > 1
        else url_for("assessment.intro")
    )
    given = next((a for a in person.answers if a.item_id == item.id), None)
    return render_template(
        "assessment/question.html",
        item=item,
        form=form,
        position=position,
        total=total,
        back_url=back,
        said_dont_know=given is not None and given.response == DONT_KNOW,
    )


@bp.route("/test/question/<int:position>")
@page_examples({"position": 1}, states=("in-test",))
def question(position: int) -> str | BaseResponse:
    person = require_person()
    if person.result is not None:
        return redirect(url_for("assessment.results"))
    state = service.progress(person, bank())
    if 1 <= position <= state.count:
        answer = state.answers[position - 1]
        item = bank().get(answer.item_id)
        if item is None:  # an item taken out of the bank since: skip it
            return redirect(url_for("assessment.question", position=position + 1))
        form = AnswerForm(item, formdata=None, item_id=item.id)
        stored = service.decode_response(item, answer.response)
        if stored != DONT_KNOW:
            form.answer_field.data = stored
        return question_page(person, position, item, form, state)
    if position == state.count + 1 and state.next_item is not None:
        item = state.next_item
        return question_page(person, position, item, AnswerForm(item, item_id=item.id), state)
    return redirect(where_to_go(person))


@bp.route("/test/question/<int:position>", methods=["POST"])
def answer(position: int) -> str | BaseResponse:
    person = require_person()
    item = bank().get(str(request.form.get("item_id", "")))
    if item is None or person.result is not None:
        return redirect(where_to_go(person), code=303)
    state = service.progress(person, bank())
    shown = {a.item_id for a in state.answers} | {state.next_item.id if state.next_item else ""}
    if item.id not in shown:  # a page from another path of the test: show the right one
        return redirect(where_to_go(person), code=303)
    form = AnswerForm(item)
    if DONT_KNOW_BUTTON in request.form:
        response: str | list[str] = DONT_KNOW
    elif form.validate_on_submit():
        response = form.response()
    else:
        return question_page(person, position, item, form, state)
    try:
        saved = service.record_answer(db.session, person, bank(), item.id, response, state)
    except service.NotTheCurrentQuestion:
        return redirect(where_to_go(person), code=303)
    except service.AnswerRejected:
        form.answer_field.errors.append(
            _("Cette réponse n'est pas possible. Choisissez parmi les réponses proposées.")
        )
        return question_page(person, position, item, form)
    state = service.progress(person, bank())
    if state.offer_help:
        service.mark_help_offered(db.session, person)
        return redirect(url_for("assessment.pause"), code=303)
    if state.finished:
        service.finish(db.session, person, bank())
        return redirect(url_for("assessment.results"), code=303)
    return redirect(url_for("assessment.question", position=saved.position + 1), code=303)


@bp.route("/test/pause")
@page_examples({}, states=("in-test",))
def pause() -> str:
    person = require_person()
    return render_template(
        "assessment/pause.html",
        form=EmptyForm(),
        continue_url=where_to_go(person),
        code=return_code.grouped(service.code_of(person, secret())),
    )


@bp.route("/test/fin", methods=["POST"])
def finish_now() -> BaseResponse:
    person = require_person()
    if not EmptyForm().validate_on_submit():
        abort(400)
    service.finish(db.session, person, bank(), early=True)
    return redirect(url_for("assessment.results"), code=303)


@bp.route("/test/plus-tard")
@page_examples({}, states=("in-test",))
def later() -> str:
    person = require_person()
    return render_template(
        "assessment/later.html",
        code=return_code.grouped(service.code_of(person, secret())),
        continue_url=where_to_go(person),
    )


def results_context(person: Person) -> dict[str, object]:
    result = person.result
    assert result is not None
    return {
        "result": result,
        "domains": [
            (DOMAIN_NAMES[name], BANDS[detail["band"]])
            for name, detail in result.details["domains"].items()
            if name in DOMAIN_NAMES
        ],
        "overall": BANDS[result.overall_band],
        "can_do": result.details.get("can_do", []),
        "code": return_code.grouped(service.code_of(person, secret())),
        "journeys": list(load_journeys().values()),
    }


@bp.route("/resultats")
@page_examples({}, states=("finished",))
def results() -> str | BaseResponse:
    person = require_person()
    if person.result is None:
        return redirect(where_to_go(person))
    return render_template("assessment/results.html", **results_context(person))


@bp.route("/resultats/imprimer")
@page_examples({}, states=("finished",))
def results_print() -> str | BaseResponse:
    person = require_person()
    if person.result is None:
        return redirect(where_to_go(person))
    return render_template("assessment/results_print.html", **results_context(person))


def resume_with_code(code: str, target: str | None = None) -> Response | None:
    """Open the person of this code in this browser, then go to ``target`` (a local
    path) or where the person stopped; None if no person has this code."""
    person = service.find_by_code(db.session, secret(), return_code.normalise(code))
    if person is None:
        return None
    remember(person)
    return redirect(target or where_to_go(person), code=303)
