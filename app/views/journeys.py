"""The two job journeys, fitted to the person's results, and the pages they lead to."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms import StepDoneForm
from ..journeys import (
    WAY_LABELS,
    Journey,
    Levels,
    PlannedStep,
    Way,
    load_journeys,
    plan,
)
from ..journeys import progress as step_progress
from ..journeys.rules import order_ways
from ..models import Person
from ..pages import page_examples
from .current import current_person, person_or_start

bp = Blueprint("journeys", __name__)

JOURNEY_EXAMPLES = ({"journey_id": "futur-metier"}, {"journey_id": "recherche-emploi"})
STATES = (None, "finished", "needs-basics")


def levels_of(person: Person | None) -> Levels | None:
    if person is None or person.result is None:
        return None
    return Levels.from_stored(person.result.details, person.result.needs_basics)


def journey_or_404(journey_id: str) -> Journey:
    journey = load_journeys().get(journey_id)
    if journey is None:
        abort(404)
    return journey


@bp.route("/parcours")
@page_examples({}, states=(None, "finished"))
def index() -> str:
    person = current_person()
    return render_template(
        "journeys/index.html",
        journeys=list(load_journeys().values()),
        has_result=levels_of(person) is not None,
    )


@bp.route("/parcours/<journey_id>")
@page_examples(*JOURNEY_EXAMPLES, states=STATES)
def journey(journey_id: str) -> str:
    person = current_person()
    levels = levels_of(person)
    journey_plan = plan(journey_or_404(journey_id), levels)
    return render_template(
        "journeys/journey.html",
        plan=journey_plan,
        done=step_progress.done_steps(person, journey_id),
        way_labels=WAY_LABELS,
    )


@bp.route("/parcours/<journey_id>/<step_id>")
@page_examples(
    {"journey_id": "recherche-emploi", "step_id": "cv"},
    {"journey_id": "futur-metier", "step_id": "apprendre-bases"},
    states=(None, "needs-basics"),
)
def step(journey_id: str, step_id: str) -> str:
    person = current_person()
    journey = journey_or_404(journey_id)
    # The basics step belongs to every journey, even when it is not suggested first.
    found = journey.step(step_id)
    if found is None:
        abort(404)
    ways, reason = order_ways(found, levels_of(person))
    planned = PlannedStep(found, ways, reason)
    return render_template(
        "journeys/step.html",
        journey=journey,
        planned=planned,
        done=step_id in step_progress.done_steps(person, journey_id),
        form=StepDoneForm(formdata=None),
        way_labels=WAY_LABELS,
        Way=Way,
    )


@bp.route("/parcours/<journey_id>/<step_id>/fait", methods=["POST"])
def mark_done(journey_id: str, step_id: str) -> Response:
    journey = journey_or_404(journey_id)
    if journey.step(step_id) is None:
        abort(404)
    form = StepDoneForm()
    if not form.validate():
        abort(400)  # only the page's two buttons post here
    person = person_or_start()
    step_progress.mark(db.session, person, journey_id, step_id, done=form.is_done)
    return redirect(url_for("journeys.journey", journey_id=journey_id) + f"#{step_id}", 303)


@bp.route("/pass-numerique")
def pass_numerique() -> str:
    return render_template("journeys/pass_numerique.html")


@bp.route("/conseiller")
def counsellor() -> str:
    return render_template("journeys/counsellor.html")
