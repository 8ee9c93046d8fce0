"""`flask purge`: the retention periods of the privacy notice, with a frozen clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from app.assessment.bank import load_bank
from app.config import load_config
from app.extensions import db
from app.models import AccessRecord, Consent, ContactRequest, DetachedAnswer, Person
from app.mydata import purge
from app.times import add_months

from .conftest import make_test_app
from .flow import ask_to_be_contacted, make_organisation, share_results, take_test


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def run(app: Flask, now: datetime) -> str:
    result = app.test_cli_runner().invoke(args=["purge", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_inactive_people_are_erased_and_their_answers_kept_detached(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    take_test(app.test_client(), load_bank())
    now = datetime.now(UTC)
    assert run(app, add_months(now, 11)).startswith("0 personne(s) effacée(s)")
    assert count(app, Person) == 1
    output = run(app, add_months(now, 13))
    assert output.startswith("1 personne(s) effacée(s)"), output
    assert count(app, Person) == 0 and count(app, DetachedAnswer) > 0
    detached = count(app, DetachedAnswer)
    assert run(app, add_months(now, 13)).startswith("0 personne(s) effacée(s)")  # idempotent
    assert count(app, DetachedAnswer) == detached


def test_a_running_consent_keeps_the_journey(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    person = app.test_client()
    take_test(person, load_bank())
    share_results(person)  # for 6 months
    now = datetime.now(UTC)
    with app.app_context():
        settings = {"consent_days_after_end": 0, "access_record_years": 3}
        report = purge(db.session, now=add_months(now, 2), inactive_months=1, **settings)
        assert report.people_erased == 0 and report.consents_deleted == 0
        report = purge(db.session, now=add_months(now, 7), inactive_months=1, **settings)
        assert report.people_erased == 1
    assert count(app, Consent) == 0


def test_consents_past_their_end_and_old_contact_details_go(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    organisation = make_organisation(app)
    person = app.test_client()
    take_test(person, load_bank())
    share_results(person, organisation)
    ask_to_be_contacted(person, organisation)
    now = datetime.now(UTC)
    with app.app_context():
        settings = {"inactive_months": 12, "consent_days_after_end": 0, "access_record_years": 3}
        report = purge(db.session, now=now + timedelta(days=31), **settings)
        assert report.requests_expired == 1 and report.contact_details_erased == 0
        # the contact consent (1 month) ended, but its request still refers to it
        assert report.consents_deleted == 0
        report = purge(db.session, now=now + timedelta(days=62), **settings)
        assert report.contact_details_erased == 1
        request = db.session.scalars(select(ContactRequest)).one()
        assert request.phone is None and request.email is None
        report = purge(db.session, now=add_months(now, 7), **settings)
        assert report.consents_deleted == 1  # the 6-month share
        assert [c.purpose for c in db.session.scalars(select(Consent))] == ["contact"]
        again = purge(db.session, now=add_months(now, 7), **settings)
        assert (again.consents_deleted, again.contact_details_erased, again.requests_expired) == (
            0,
            0,
            0,
        )


def test_access_records_are_kept_three_years(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    now = datetime.now(UTC)
    with app.app_context():
        for years, ref in ((4, "old"), (2, "recent")):
            db.session.add(
                AccessRecord(
                    person_ref=ref,
                    staff_id=1,
                    staff_name="Awa",
                    organisation_id=1,
                    organisation_name="France Services",
                    what="person",
                    at=add_months(now, -12 * years),
                )
            )
        db.session.commit()
    output = run(app, now)
    assert "1 ligne(s) du journal des accès supprimée(s)" in output
    with app.app_context():
        assert list(db.session.scalars(select(AccessRecord.person_ref))) == ["recent"]
    assert "0 ligne(s) du journal" in run(app, now)


def test_retention_settings() -> None:
    assert load_config({"REPERE_ENV": "test", "SECRET_KEY": "k"})["RETENTION_MONTHS_INACTIVE"] == 12
    config = load_config(
        {"REPERE_ENV": "test", "SECRET_KEY": "k", "RETENTION_INACTIVE_MONTHS": "6"}
    )
    assert config["RETENTION_MONTHS_INACTIVE"] == 6
    assert config["RETENTION_ACCESS_RECORD_YEARS"] == 3


def test_purge_prints_counts_only_and_a_second_run_erases_nothing(tmp_path: Path) -> None:
    app = make_test_app(tmp_path)
    organisation = make_organisation(app)
    person = app.test_client()
    take_test(person, load_bank())
    share_results(person, organisation)
    ask_to_be_contacted(person, organisation)
    later = add_months(datetime.now(UTC), 14)
    first = run(app, later)
    counts = [int(n) for n in re.findall(r"\d+", first)]
    assert counts[0] == 1 and sum(counts) > 1, first  # the journey, its answers, its request…
    assert "06" not in first.replace("0 ", "") and "@" not in first  # counts, never data
    second = run(app, later)
    assert [int(n) for n in re.findall(r"\d+", second)] == [0] * len(counts), second
    assert count(app, Person) == 0 and count(app, ContactRequest) == 0
