"""Organisations, staff accounts, signing in with a lockout per account."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from app.models import Organisation, StaffUser
from app.staff import accounts
from app.staff.accounts import (
    LOCK_MINUTES,
    MAX_FAILED_SIGN_INS,
    SHARE_CODE_ALPHABET,
    AccountError,
    SignInRefused,
    create_organisation,
    create_staff,
    find_organisation_by_code,
    organisations_near,
    sign_in,
)

from . import NOW, add_place, new_session

ROOT = Path(__file__).resolve().parents[2]

PASSWORD = "correct horse battery"


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


@pytest.fixture()
def organisation(db: Session) -> Organisation:
    return create_organisation(
        db, name="France Services Bondy", kind="france-services", postcode="93140"
    )


@pytest.fixture()
def staff(db: Session, organisation: Organisation) -> StaffUser:
    return create_staff(
        db,
        email="Awa.Diallo@Example.FR ",
        name="Awa Diallo",
        password=PASSWORD,
        role="mediator",
        organisation_id=organisation.id,
    )


# --------------------------------------------------------------------------------------------
# Organisations


def test_an_organisation_gets_an_unambiguous_share_code(db: Session) -> None:
    codes = {
        create_organisation(
            db, name=f"Structure {i}", kind="association", postcode="75011"
        ).share_code
        for i in range(30)
    }
    assert len(codes) == 30
    for code in codes:
        assert len(code) == 6
        assert set(code) <= set(SHARE_CODE_ALPHABET)
        assert not set(code) & set("01OIL")
    assert accounts.format_share_code("K7QMX4") == "K7Q-MX4"


def test_a_share_code_already_taken_is_drawn_again(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = iter(["AAAAAA", "AAAAAA", "BBBBBB"])
    monkeypatch.setattr(accounts, "new_share_code", lambda: next(drawn))
    first = create_organisation(db, name="Une", kind="mairie", postcode="93140")
    second = create_organisation(db, name="Deux", kind="mairie", postcode="93140")
    assert (first.share_code, second.share_code) == ("AAAAAA", "BBBBBB")
    assert db.scalar(select(func.count()).select_from(Organisation)) == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "entreprise"}, "kind"),
        ({"postcode": "9314"}, "postcode"),
        ({"postcode": "93 140"}, "postcode"),
        ({"place_id": "no-such-place"}, "place_id"),
    ],
)
def test_an_organisation_must_be_valid(db: Session, values: dict[str, str], field: str) -> None:
    arguments = {"name": "Mairie", "kind": "mairie", "postcode": "93140", **values}
    with pytest.raises(AccountError) as error:
        create_organisation(db, **arguments)
    assert error.value.field == field
    assert str(error.value)  # a French message for the form
    assert db.scalar(select(func.count()).select_from(Organisation)) == 0


def test_an_organisation_may_be_a_known_place(db: Session) -> None:
    place = add_place(db)
    organisation = create_organisation(
        db, name="  EPN   de Bondy ", kind="association", postcode="93140", place_id=place.id
    )
    assert organisation.place_id == place.id
    assert organisation.name == "EPN de Bondy"


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {a}-{b} ", "{a} {b}", "{lower_a}-{b}"])
def test_an_organisation_is_found_by_its_code_however_typed(
    db: Session, organisation: Organisation, typed: str
) -> None:
    code = organisation.share_code
    text = typed.format(
        code=code, lower=code.lower(), a=code[:3], b=code[3:], lower_a=code[:3].lower()
    )
    assert find_organisation_by_code(db, text) is organisation


@pytest.mark.parametrize("typed", ["", "ABC", "AAAAAAA", "OOOOOO", "A1B2C3"])
def test_a_wrong_code_finds_no_organisation(db: Session, typed: str) -> None:
    create_organisation(db, name="Une", kind="mairie", postcode="93140")
    assert find_organisation_by_code(db, typed) is None


def test_organisations_near_a_postcode_come_first(db: Session) -> None:
    def add(name: str, postcode: str) -> None:
        create_organisation(db, name=name, kind="association", postcode=postcode)

    add("Zèbre Bondy", "93140")
    add("Alpha Paris", "75011")
    add("Bravo Montreuil", "93100")
    add("Alpha Bondy", "93140")
    add("Charlie Ajaccio", "20000")
    add("Delta Bastia", "20200")
    names = [o.name for o in organisations_near(db, "93140")]
    assert names == [
        "Alpha Bondy",
        "Zèbre Bondy",
        "Bravo Montreuil",
        "Alpha Paris",
        "Charlie Ajaccio",
        "Delta Bastia",
    ]
    assert [o.name for o in organisations_near(db, "93140", limit=2)] == names[:2]
    # Corse-du-Sud (2A) and Haute-Corse (2B) share the "20" prefix but not the département.
    assert [o.name for o in organisations_near(db, "20090")][:2] == [
        "Charlie Ajaccio",
        "Alpha Bondy",
    ]
    assert [o.name for o in organisations_near(db, "not a postcode")] == sorted(names)


# --------------------------------------------------------------------------------------------
# Staff accounts


def test_a_staff_account_keeps_a_slow_hash_and_a_normalised_email(staff: StaffUser) -> None:
    assert staff.email == "awa.diallo@example.fr"
    assert PASSWORD not in staff.password_hash
    assert staff.password_hash.startswith("scrypt:")
    assert check_password_hash(staff.password_hash, PASSWORD)
    assert staff.failed_sign_ins == 0 and staff.active


def test_the_site_hashes_passwords_at_full_cost() -> None:
    """The tests lower the cost of scrypt (tests/conftest.py); the site, in a process of its
    own, keeps N = 2**15, r = 8, p = 1."""
    code = "from app.staff.accounts import hash_password; print(hash_password('x'))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.startswith("scrypt:32768:8:1$"), out


def test_an_email_has_one_account_whatever_its_case(
    db: Session, staff: StaffUser, organisation: Organisation
) -> None:
    with pytest.raises(AccountError, match=r"^Cette adresse e-mail a déjà un compte\.$"):
        create_staff(
            db,
            email="AWA.DIALLO@example.fr",
            name="Quelqu'un d'autre",
            password=PASSWORD,
            role="counsellor",
            organisation_id=organisation.id,
        )
    assert db.scalar(select(func.count()).select_from(StaffUser)) == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": "awa"}, "email"),
        ({"email": "awa@example"}, "email"),
        ({"email": ""}, "email"),
        # Refused by email-validator, not by a home-made pattern:
        ({"email": "awa,diallo@example.fr"}, "email"),
        ({"email": "awa@-example.fr"}, "email"),
        ({"email": "awa@exam_ple.fr"}, "email"),
        ({"name": ""}, "name"),
        ({"role": "boss"}, "role"),
        ({"password": "x" * 11}, "password"),
        ({"organisation_id": None}, "organisation_id"),
        ({"organisation_id": 999}, "organisation_id"),
    ],
)
def test_a_staff_account_must_be_valid(
    db: Session, organisation: Organisation, values: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "email": "awa@example.fr",
        "name": "Awa",
        "password": PASSWORD,
        "role": "mediator",
        "organisation_id": organisation.id,
        **values,
    }
    with pytest.raises(AccountError) as error:
        create_staff(db, **arguments)  # type: ignore[arg-type]
    assert error.value.field == field
    assert db.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_an_administrator_needs_no_organisation(db: Session) -> None:
    admin = create_staff(
        db, email="admin@example.fr", name="Admin", password=PASSWORD, role="admin"
    )
    assert admin.organisation_id is None and admin.role == "admin"


# --------------------------------------------------------------------------------------------
# Signing in


def test_the_right_password_signs_in_whatever_the_email_case(db: Session, staff: StaffUser) -> None:
    assert sign_in(db, email=" AWA.diallo@example.fr", password=PASSWORD, now=NOW) is staff


def test_a_wrong_password_is_refused_without_a_lock(db: Session, staff: StaffUser) -> None:
    with pytest.raises(SignInRefused) as refused:
        sign_in(db, email=staff.email, password="wrong password", now=NOW)
    assert refused.value.locked_until is None
    assert staff.failed_sign_ins == 1


def test_an_unknown_email_is_refused_after_a_hash_check(
    db: Session, staff: StaffUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = accounts.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    with pytest.raises(SignInRefused) as refused:
        sign_in(db, email="nobody@example.fr", password=PASSWORD, now=NOW)
    assert refused.value.locked_until is None
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_five_failures_lock_the_account_even_for_the_right_password(
    db: Session, staff: StaffUser
) -> None:
    for attempt in range(1, MAX_FAILED_SIGN_INS + 1):
        with pytest.raises(SignInRefused) as refused:
            sign_in(db, email=staff.email, password="wrong", now=NOW + timedelta(seconds=attempt))
    lock_end = NOW + timedelta(seconds=MAX_FAILED_SIGN_INS, minutes=LOCK_MINUTES)
    assert refused.value.locked_until == lock_end  # the fifth failure says it is locked

    almost = lock_end - timedelta(seconds=1)
    with pytest.raises(SignInRefused) as refused:
        sign_in(db, email=staff.email, password=PASSWORD, now=almost)
    assert refused.value.locked_until == lock_end

    assert sign_in(db, email=staff.email, password=PASSWORD, now=lock_end) is staff
    db.refresh(staff)
    assert staff.failed_sign_ins == 0 and staff.locked_until is None


def test_after_a_lock_the_count_starts_again(db: Session, staff: StaffUser) -> None:
    for _ in range(MAX_FAILED_SIGN_INS):
        with pytest.raises(SignInRefused):
            sign_in(db, email=staff.email, password="wrong", now=NOW)
    later = NOW + timedelta(minutes=LOCK_MINUTES, seconds=1)
    with pytest.raises(SignInRefused) as refused:
        sign_in(db, email=staff.email, password="wrong", now=later)
    assert refused.value.locked_until is None  # one failure after the lock, not six
    assert sign_in(db, email=staff.email, password=PASSWORD, now=later) is staff


def test_a_success_resets_the_count(db: Session, staff: StaffUser) -> None:
    for _round in range(2):
        for _ in range(MAX_FAILED_SIGN_INS - 1):
            with pytest.raises(SignInRefused) as refused:
                sign_in(db, email=staff.email, password="wrong", now=NOW)
            assert refused.value.locked_until is None
        assert sign_in(db, email=staff.email, password=PASSWORD, now=NOW) is staff
    db.refresh(staff)
    assert staff.failed_sign_ins == 0


def test_the_lock_is_per_account_not_per_address(
    db: Session, staff: StaffUser, organisation: Organisation
) -> None:
    colleague = create_staff(
        db,
        email="colleague@example.fr",
        name="Léa",
        password=PASSWORD,
        role="mediator",
        organisation_id=organisation.id,
    )
    for _ in range(MAX_FAILED_SIGN_INS):
        with pytest.raises(SignInRefused):
            sign_in(db, email=staff.email, password="wrong", now=NOW)
    assert sign_in(db, email=colleague.email, password=PASSWORD, now=NOW) is colleague
    with pytest.raises(SignInRefused) as refused:
        sign_in(db, email=staff.email, password=PASSWORD, now=NOW)
    assert refused.value.locked_until is not None


def test_tries_sent_at_once_cannot_test_more_passwords_than_allowed(
    db: Session, staff: StaffUser
) -> None:
    # As if five other tries were being checked at this very moment.
    staff.failed_sign_ins = MAX_FAILED_SIGN_INS
    db.commit()
    with pytest.raises(SignInRefused) as refused:
        sign_in(db, email=staff.email, password=PASSWORD, now=NOW)
    assert refused.value.locked_until == NOW + timedelta(minutes=LOCK_MINUTES)


def test_an_inactive_account_cannot_sign_in(db: Session, staff: StaffUser) -> None:
    staff.active = False
    db.commit()
    with pytest.raises(SignInRefused) as refused:
        sign_in(db, email=staff.email, password=PASSWORD, now=NOW)
    assert refused.value.locked_until is None


def test_signing_in_needs_an_aware_time(db: Session, staff: StaffUser) -> None:
    with pytest.raises(ValueError, match="aware"):
        sign_in(db, email=staff.email, password=PASSWORD, now=NOW.replace(tzinfo=None))
