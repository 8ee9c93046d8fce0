"""Command-line tools, run as an operator would."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from flask import Flask

from app.assessment import engine
from app.assessment.bank import CALIBRATION_FILE, DEFAULT_DIRECTORY, load_bank
from app.extensions import db
from app.models import Answer, Person

from .conftest import make_test_app


def store_simulated_answers(app: Flask, people: int, per_person: int, seed: int = 7) -> None:
    """People of known ability answering random items, as the 2PL says they would."""
    rng = random.Random(seed)
    items = [item for item in load_bank() if item.domain != "foundation"]
    with app.app_context():
        for number in range(people):
            theta = rng.gauss(-0.5, 1.0)
            person = Person(
                seed=number, code_salt=f"s{number}", code_lookup=f"l{number}", bank_version="x"
            )
            db.session.add(person)
            for position, item in enumerate(rng.sample(items, per_person), start=1):
                correct = rng.random() < engine.probability(theta, item.a, item.b)
                db.session.add(
                    Answer(
                        person=person,
                        item_id=item.id,
                        response="1",
                        correct=correct,
                        position=position,
                    )
                )
        db.session.commit()


def copy_of_the_bank(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_DIRECTORY, content)
    (content / CALIBRATION_FILE).unlink(missing_ok=True)
    return content


def test_calibrate_is_a_dry_run_by_default(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    store_simulated_answers(app, people=60, per_person=10)
    content = copy_of_the_bank(tmp_path)
    result = app.test_cli_runner().invoke(
        args=["calibrate", "--min-answers", "5", "--content-dir", str(content)]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output
    assert not (content / CALIBRATION_FILE).exists()


def test_calibrate_writes_a_new_bank_version(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    store_simulated_answers(app, people=120, per_person=12)
    content = copy_of_the_bank(tmp_path)
    before = load_bank(content).version
    result = app.test_cli_runner().invoke(
        args=["calibrate", "--write", "--min-answers", "10", "--content-dir", str(content)]
    )
    assert result.exit_code == 0, result.output
    assert (content / CALIBRATION_FILE).exists()
    after = load_bank(content)
    assert after.version != before and after.version in result.output
    changed = [item for item in after if (item.a, item.b) != (item.author_a, item.author_b)]
    assert changed, "no item was re-estimated"
