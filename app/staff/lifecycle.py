"""A staff account's life after its creation: deactivated, reactivated, its password reset.

Each action is written in the journal of account actions (``AccountEvent``), with who did it:
an administrator (from their page) or the command line. Deactivating an account and resetting
its password end every session of the account at once (``end_sessions``). A reset replaces
the password with a one-time code that the administrator hands over; it works once, for
``RESET_CODE_DAYS`` days, and only to choose a new password (``set_own_password``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import AccountEvent, Organisation, StaffUser
from ..times import utc
from . import N_
from .accounts import AccountError, check_new_password, hash_password, record_event

__all__ = [
    "RESET_CODE_DAYS",
    "account_events",
    "deactivate",
    "end_sessions",
    "find_account",
    "list_accounts",
    "reactivate",
    "reset_password",
    "set_own_password",
]

RESET_CODE_DAYS = 3
#: Groups of four lowercase letters and digits, without the ones read alike (0/o, 1/l).
RESET_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def end_sessions(db: Session, account: StaffUser) -> None:
    """Every browser session of this account stops at its next request."""
    db.execute(
        update(StaffUser)
        .where(StaffUser.id == account.id)
        .values(session_generation=StaffUser.session_generation + 1)
        .execution_options(synchronize_session=False)
    )
    db.flush()
    db.refresh(account)


def list_accounts(db: Session) -> list[StaffUser]:
    """Every account: administrators first, then by organisation and name."""
    return list(
        db.scalars(
            select(StaffUser)
            .outerjoin(Organisation, StaffUser.organisation_id == Organisation.id)
            .order_by(Organisation.name.is_not(None), Organisation.name, StaffUser.name)
        )
    )


def find_account(db: Session, account: int | str) -> StaffUser:
    """The account of this id or e-mail address, or ``AccountError``."""
    if isinstance(account, int):
        found = db.get(StaffUser, account)
    else:
        found = db.scalar(select(StaffUser).where(StaffUser.email == account.strip().lower()))
    if found is None:
        raise AccountError(N_("Ce compte n'existe pas."), "account")
    return found


def _not_yourself(account: StaffUser, by: StaffUser | None) -> None:
    if by is not None and by.id == account.id:
        raise AccountError(N_("Vous ne pouvez pas faire cela sur votre propre compte."), "account")


def deactivate(db: Session, account: StaffUser, *, by: StaffUser | None, now: datetime) -> bool:
    """The account can no longer sign in, and its sessions end. False if it already was
    inactive (nothing written)."""
    _not_yourself(account, by)
    if not account.active:
        return False
    account.active = False
    end_sessions(db, account)
    record_event(db, account, "deactivated", by, now)
    db.commit()
    return True


def reactivate(db: Session, account: StaffUser, *, by: StaffUser | None, now: datetime) -> bool:
    """The account can sign in again, with its password. False if it already was active."""
    if account.active:
        return False
    account.active = True
    account.failed_sign_ins = 0
    account.locked_until = None
    record_event(db, account, "reactivated", by, now)
    db.commit()
    return True


def new_reset_code() -> str:
    """12 characters in three groups of four, about 60 bits: « k7qm-x4pa-3hdn »."""
    raw = "".join(secrets.choice(RESET_CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def reset_password(db: Session, account: StaffUser, *, by: StaffUser | None, now: datetime) -> str:
    """A one-time code replaces the password (the old one stops at once, and so do the
    account's sessions); the code is returned to be handed over, and stored only hashed."""
    _not_yourself(account, by)
    code = new_reset_code()
    account.password_hash = hash_password(code)
    account.must_set_password = True
    account.password_expires_at = utc(now) + timedelta(days=RESET_CODE_DAYS)
    account.failed_sign_ins = 0
    account.locked_until = None
    end_sessions(db, account)
    record_event(db, account, "password-reset", by, now)
    db.commit()
    return code


def set_own_password(
    db: Session, account: StaffUser, password: object, confirmation: object, *, now: datetime
) -> None:
    """The account's holder chooses their password (after signing in with a one-time
    code). Every other session of the account ends."""
    chosen = check_new_password(password)
    if confirmation != chosen:
        raise AccountError(
            N_("Les deux mots de passe ne sont pas les mêmes. Tapez le même deux fois."),
            "confirmation",
        )
    account.password_hash = hash_password(chosen)
    account.must_set_password = False
    account.password_expires_at = None
    end_sessions(db, account)
    record_event(db, account, "password-set", account, now)
    db.commit()


def account_events(db: Session, limit: int = 20) -> list[AccountEvent]:
    """The latest actions on accounts, newest first."""
    return list(
        db.scalars(
            select(AccountEvent)
            .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
            .limit(limit)
        )
    )
