"""`flask demo`: a demo organisation, its accounts and people, to open every staff page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import ContactRequest, Organisation, Person, StaffRecord, StaffUser

from .conftest import make_test_app
from .flow import demo, demo_signed_in, sign_in


@pytest.fixture()
def fresh(tmp_path: Path) -> Flask:
    return make_test_app(tmp_path)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_demo_loads_everything_a_staff_page_can_show(fresh: Flask) -> None:
    loaded = demo(fresh)
    output = loaded["output"]
    assert "France Services de démonstration" in output
    assert set(loaded["accounts"]) == {"mediator", "counsellor", "admin"}
    with fresh.app_context():
        people = [db.session.get(Person, pid) for pid in loaded["people"]]
        assert sorted(p.result.overall_band for p in people) == [0, 1, 2, 3]
        assert any(p.display_name for p in people) and any(not p.display_name for p in people)
        assert all(p.steps_done for p in people)
        statuses = set(db.session.scalars(select(ContactRequest.status)))
        assert statuses == {"new", "in-progress", "done", "cancelled", "expired"}
        kinds = set(db.session.scalars(select(StaffRecord.kind)))
        assert kinds == {"vouchers", "orientation", "note"}
    # Each account signs in with the password printed.
    for role in ("mediator", "counsellor", "admin"):
        client = fresh.test_client()
        demo_signed_in(client, role)
        assert client.get("/pro/").status_code == 200


def test_demo_twice_adds_nothing_and_gives_new_passwords(fresh: Flask) -> None:
    first = fresh.test_cli_runner().invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    people, staff = count(fresh, Person), count(fresh, StaffUser)
    second = fresh.test_cli_runner().invoke(args=["demo"])
    assert second.exit_code == 0 and "existe déjà" in second.output
    assert (count(fresh, Person), count(fresh, StaffUser)) == (people, staff)
    old = re.search(r"mediator: (\S+)  mot de passe : (\S+)", first.output)
    new = re.search(r"mediator: (\S+)  mot de passe : (\S+)", second.output)
    assert old and new and old.group(2) != new.group(2)
    assert sign_in(fresh.test_client(), old.group(1), old.group(2)) == 200  # refused
    assert sign_in(fresh.test_client(), new.group(1), new.group(2)) == 303


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, ENV_NAME="production")
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "production" in result.output
    assert count(app, Organisation) == 0 and count(app, Person) == 0


def test_readme_shows_the_demo() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "flask --app wsgi demo" in readme
