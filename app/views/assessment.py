"""The test pages: start, one question per page, pause, come back later, results."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from ..assessment import service
from ..assessment.bank import DONT_KNOW, Item
from ..extensions import db
from ..forms import AnswerForm, EmptyForm
from ..journeys import load_journeys
from ..models import Person
from ..pages import page_examples
from ..words import BANDS, DOMAIN_NAMES
from .current import bank, code_of, current_person, start_person

bp = Blueprint("assessment", __name__)

#: Most people who take the test are looking for a job: their results lead to this journey.
MAIN_JOURNEY = "recherche-emploi"


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
    person = current_person()
    if person is None or person.result is not None:
        person = start_person()
    return redirect(where_to_go(person), code=303)


def question_page(
    person: Person,
    position: int,
    item: Item,
    form: AnswerForm,
    state: service.Progress | None = None,
) -> str:
    state = state or service.progress(person, bank())
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
        total=service.MAX_QUESTIONS,
        back_url=back,
        said_dont_know=given is not None and given.response == DONT_KNOW,
        stop_form=EmptyForm() if state.may_stop and position == state.count + 1 else None,
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
    form = AnswerForm()
    item = bank().get(str(form.item_id.data or ""))
    if item is None or person.result is not None:
        return redirect(where_to_go(person), code=303)
    state = service.progress(person, bank())
    shown = {a.item_id for a in state.answers} | {state.next_item.id if state.next_item else ""}
    if item.id not in shown:  # a page from another path of the test: show the right one
        return redirect(where_to_go(person), code=303)
    form.bind(item)
    if form.said_dont_know:
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
        form.add_error(
            form.answer_field,
            _("Cette réponse n'est pas possible. Choisissez parmi les réponses proposées."),
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
        code=code_of(person),
    )


@bp.route("/test/fin", methods=["POST"])
def finish_now() -> BaseResponse:
    person = require_person()
    service.finish(db.session, person, bank(), early=True)
    return redirect(url_for("assessment.results"), code=303)


@bp.route("/test/plus-tard")
@page_examples({}, states=("in-test",))
def later() -> str:
    person = require_person()
    return render_template(
        "assessment/later.html",
        code=code_of(person),
        continue_url=where_to_go(person),
    )


def results_context(person: Person) -> dict[str, object]:
    result = person.result
    assert result is not None
    journeys = load_journeys()
    return {
        "result": result,
        # A domain band that rests on too few answers says so (results before engine 3 do not
        # know: they are shown as they were).
        "domains": [
            (
                DOMAIN_NAMES[name],
                BANDS[detail["band"]],
                detail.get("sure", True),
                detail["band"] + 1,
            )
            for name, detail in result.details["domains"].items()
            if name in DOMAIN_NAMES
        ],
        "overall": BANDS[result.overall_band],
        "band_count": len(BANDS),
        "can_do": result.details.get("can_do", []),
        "code": code_of(person),
        "journeys": journeys,
        # The journey the main button leads to, once the basics are not the first step.
        "main_journey": journeys.get(MAIN_JOURNEY) or next(iter(journeys.values())),
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
