"""A staff account's life: deactivated, reactivated, its password reset, each action journaled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AccountEvent, Organisation, StaffUser
from app.staff import lifecycle
from app.staff.accounts import (
    COMMAND_LINE,
    AccountError,
    SignInRefused,
    create_organisation,
    create_staff,
    sign_in,
)

from . import NOW, new_session

PASSWORD = "correct horse battery"
NEW_PASSWORD = "une phrase que je retiens"


@pytest.fixture()
def db() -> Iterator[Session]:
    with new_session() as session:
        yield session


@pytest.fixture()
def organisation(db: Session) -> Organisation:
    return create_organisation(db, name="Médiathèque", kind="association", postcode="93200")


@pytest.fixture()
def admin(db: Session) -> StaffUser:
    return create_staff(
        db, email="admin@repere.example", name="Alex", password=PASSWORD, role="admin", now=NOW
    )


@pytest.fixture()
def mediator(db: Session, organisation: Organisation, admin: StaffUser) -> StaffUser:
    return create_staff(
        db,
        email="camille@repere.example",
        name="Camille",
        password=PASSWORD,
        role="mediator",
        organisation_id=organisation.id,
        by=admin,
        now=NOW,
    )


def journal(db: Session, account: StaffUser) -> list[tuple[str, str]]:
    return [
        (event.action, event.by_name)
        for event in db.scalars(
            select(AccountEvent)
            .where(AccountEvent.account_id == account.id)
            .order_by(AccountEvent.id)
        )
    ]


def test_a_deactivated_account_cannot_sign_in_until_reactivated(
    db: Session, admin: StaffUser, mediator: StaffUser
) -> None:
    generation = mediator.session_generation
    assert lifecycle.deactivate(db, mediator, by=admin, now=NOW)
    assert mediator.session_generation > generation  # its sessions end
    with pytest.raises(SignInRefused):
        sign_in(db, email=mediator.email, password=PASSWORD, now=NOW)
    assert not lifecycle.deactivate(db, mediator, by=admin, now=NOW)  # twice: nothing more
    assert lifecycle.reactivate(db, mediator, by=None, now=NOW)
    assert sign_in(db, email=mediator.email, password=PASSWORD, now=NOW).id == mediator.id
    assert journal(db, mediator) == [
        ("created", "Alex"),
        ("deactivated", "Alex"),
        ("reactivated", COMMAND_LINE),
    ]


def test_an_administrator_cannot_lock_themselves_out(db: Session, admin: StaffUser) -> None:
    with pytest.raises(AccountError):
        lifecycle.deactivate(db, admin, by=admin, now=NOW)
    with pytest.raises(AccountError):
        lifecycle.reset_password(db, admin, by=admin, now=NOW)
    assert admin.active


def test_a_reset_gives_a_one_time_code_to_choose_a_password(
    db: Session, admin: StaffUser, mediator: StaffUser
) -> None:
    generation = mediator.session_generation
    code = lifecycle.reset_password(db, mediator, by=admin, now=NOW)
    assert len(code) == 14 and code.count("-") == 2
    assert mediator.session_generation > generation
    assert code not in mediator.password_hash  # stored hashed only
    with pytest.raises(SignInRefused):  # the old password stops at once
        sign_in(db, email=mediator.email, password=PASSWORD, now=NOW)
    signed_in = sign_in(db, email=mediator.email, password=code, now=NOW)
    assert signed_in.must_set_password

    with pytest.raises(AccountError) as short:
        lifecycle.set_own_password(db, mediator, "court", "court", now=NOW)
    assert short.value.field == "password"
    with pytest.raises(AccountError) as different:
        lifecycle.set_own_password(db, mediator, NEW_PASSWORD, NEW_PASSWORD + "!", now=NOW)
    assert different.value.field == "confirmation"
    assert mediator.must_set_password

    lifecycle.set_own_password(db, mediator, NEW_PASSWORD, NEW_PASSWORD, now=NOW)
    assert not mediator.must_set_password
    with pytest.raises(SignInRefused):  # the code worked once
        sign_in(db, email=mediator.email, password=code, now=NOW)
    assert sign_in(db, email=mediator.email, password=NEW_PASSWORD, now=NOW).id == mediator.id
    assert [action for action, _by in journal(db, mediator)] == [
        "created",
        "password-reset",
        "password-set",
    ]


def test_a_one_time_code_expires(db: Session, admin: StaffUser, mediator: StaffUser) -> None:
    code = lifecycle.reset_password(db, mediator, by=admin, now=NOW)
    later = NOW + timedelta(days=lifecycle.RESET_CODE_DAYS, minutes=1)
    with pytest.raises(SignInRefused):
        sign_in(db, email=mediator.email, password=code, now=later)


def test_accounts_are_listed_and_found_by_address_or_id(
    db: Session, admin: StaffUser, mediator: StaffUser
) -> None:
    assert [account.email for account in lifecycle.list_accounts(db)] == [
        admin.email,
        mediator.email,
    ]
    assert lifecycle.find_account(db, " Camille@Repere.example ").id == mediator.id
    assert lifecycle.find_account(db, mediator.id).id == mediator.id
    with pytest.raises(AccountError):
        lifecycle.find_account(db, "nobody@repere.example")
