"""Organisations and staff accounts; signing in, with a lockout per account.

An organisation gets a short *share code* (6 characters from an alphabet without 0, O, 1,
I or L, shown "K7Q-MX4") that a mediator gives a person, so that the person can share
their results with this organisation.

Signing in is limited per account, not per address: mediators work on shared computers
in public spaces, many people behind one address. After ``MAX_FAILED_SIGN_INS``
consecutive failures the account is locked ``LOCK_MINUTES``; while it is locked even the
right password is refused, except from a browser where the account signed in before
(``device_token``): a stranger cannot keep the holder out. Each attempt first *reserves* a
try with one atomic UPDATE, so that many attempts sent at once cannot test more than
``MAX_FAILED_SIGN_INS`` passwords. Every refusal (unknown address, inactive or locked
account, wrong password) costs one password hash, so that the time taken does not tell
whether an account exists.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..contact_details import normalise_email as checked_email
from ..models import AccountEvent, Organisation, Place, StaffUser
from ..places.schema import departement_of
from ..times import as_utc, utc, utcnow
from . import N_, FormError, passwords

__all__ = [
    "ACTIONS",
    "COMMAND_LINE",
    "KINDS",
    "LOCK_MINUTES",
    "MAX_FAILED_SIGN_INS",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "SHARE_CODE_ALPHABET",
    "SHARE_CODE_LENGTH",
    "AccountError",
    "SignInRefused",
    "check_new_password",
    "create_organisation",
    "create_staff",
    "device_token",
    "find_organisation_by_code",
    "format_share_code",
    "hash_password",
    "normalise_email",
    "organisations_near",
    "organisations_near_postcode",
    "record_event",
    "sign_in",
]

ROLES = ("mediator", "counsellor", "admin")
#: What the journal of account actions records (``AccountEvent``).
ACTIONS = ("created", "deactivated", "reactivated", "password-reset", "password-set")
#: Who did it, when no administrator's account did.
COMMAND_LINE = "ligne de commande"
#: How passwords are hashed: werkzeug's scrypt (N = 2**15, r = 8, p = 1), about 0.1 s of CPU
#: for each hash and each check. A stored hash names its own method, so a later change here
#: leaves the old ones readable. Only the tests lower it (tests/conftest.py), for speed.
HASHING = "scrypt:32768:8:1"
KINDS = ("france-travail", "france-services", "association", "mairie", "other")
MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
#: Longer passwords are refused, the same everywhere (web forms, command line, signing in):
#: hashing megabytes would be a cheap way to load the server, and a password that one place
#: accepts and another cuts could never be used.
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
#: No 0/O, 1/I/L: nothing a person could read or type as another character.
SHARE_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHARE_CODE_LENGTH = 6

_POSTCODE = re.compile(r"^\d{5}$")


class AccountError(FormError):
    """What to fix, in plain French (see ``app.staff.FormError``)."""


class SignInRefused(Exception):
    """Signing in failed: ``locked_until`` is None for a wrong address or password, else
    the time until which the account is locked."""

    def __init__(self, locked_until: datetime | None = None) -> None:
        super().__init__("sign-in refused" if locked_until is None else "account locked")
        self.locked_until = locked_until


# --------------------------------------------------------------------------------------------
# Organisations


def clean_name(name: object) -> str:
    """A name as shown to people: without control or format characters (right-to-left
    overrides, zero-width marks: they could make a name read as another), spaces single."""
    spaced = " ".join(str(name or "").split())  # a tab or a line break is a space first
    kept = "".join(c for c in spaced if unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(kept.split())


def _clean_name(name: str, field: str = "name") -> str:
    text = clean_name(name)
    if not text:
        raise AccountError(N_("Écrivez un nom."), field)
    if len(text) > MAX_NAME_LENGTH:
        raise AccountError(
            N_("Écrivez un nom de %(max)s caractères au plus."), field, max=MAX_NAME_LENGTH
        )
    return text


def new_share_code() -> str:
    return "".join(secrets.choice(SHARE_CODE_ALPHABET) for _ in range(SHARE_CODE_LENGTH))


def format_share_code(code: str) -> str:
    """How a share code is shown: ``K7QMX4`` → ``K7Q-MX4``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def create_organisation(
    db: Session, *, name: str, kind: str, postcode: str, place_id: str | None = None
) -> Organisation:
    """A new organisation, with a share code no other organisation has."""
    name = _clean_name(name)
    if kind not in KINDS:
        raise AccountError(N_("Choisissez le type de structure."), "kind")
    postcode = str(postcode or "").strip()
    if not _POSTCODE.match(postcode):
        raise AccountError(N_("Écrivez un code postal à 5 chiffres."), "postcode")
    if place_id is not None and db.get(Place, place_id) is None:
        raise AccountError(
            N_("Ce lieu n'existe pas. Choisissez un lieu dans la liste."), "place_id"
        )
    for _attempt in range(10):
        organisation = Organisation(
            name=name, kind=kind, postcode=postcode, share_code=new_share_code(), place_id=place_id
        )
        db.add(organisation)
        try:
            db.commit()
        except IntegrityError:  # the code is taken: draw another
            db.rollback()
            continue
        return organisation
    raise RuntimeError("could not draw a unique share code")


def normalise_share_code(code: str) -> str | None:
    """``"k7q mx4"``, ``"K7Q-MX4"`` → ``"K7QMX4"``; None when it cannot be a share code."""
    compact = re.sub(r"[\s\-.]", "", str(code or "")).upper()
    if len(compact) != SHARE_CODE_LENGTH or any(c not in SHARE_CODE_ALPHABET for c in compact):
        return None
    return compact


def find_organisation_by_code(db: Session, code: str) -> Organisation | None:
    compact = normalise_share_code(code)
    if compact is None:
        return None
    return db.scalar(select(Organisation).where(Organisation.share_code == compact))


def _in_departement(departement: str) -> ColumnElement[bool]:
    """Organisations whose postcode is in this département ("2A"/"2B": Corsica's ranges)."""
    if departement == "2A":
        return Organisation.postcode.between("20000", "20199")
    if departement == "2B":
        return Organisation.postcode.between("20200", "20999")
    return Organisation.postcode.like(f"{departement}%")


def organisations_near_postcode(db: Session, typed: str | None) -> list[Organisation]:
    """The organisations near a postcode as typed by a person; none for anything else."""
    postcode = (typed or "").strip()
    if len(postcode) != 5 or not postcode.isascii() or not postcode.isdigit():
        return []
    return organisations_near(db, postcode)


def organisations_near(db: Session, postcode: str, limit: int = 10) -> list[Organisation]:
    """Organisations of the same postcode first, then of the same département, then the
    others; by name within each group. A postcode that is not 5 digits: all, by name."""
    postcode = str(postcode or "").strip()
    query = select(Organisation)
    if _POSTCODE.match(postcode):
        nearness = case(
            (Organisation.postcode == postcode, 0),
            (_in_departement(departement_of(postcode)), 1),
            else_=2,
        )
        query = query.order_by(nearness)
    query = query.order_by(Organisation.name, Organisation.id).limit(max(0, limit))
    return list(db.scalars(query))


# --------------------------------------------------------------------------------------------
# Staff accounts


def normalise_email(email: str) -> str:
    return str(email or "").strip().lower()


def _clean_email(email: str) -> str:
    value = normalise_email(email)
    if not value:
        raise AccountError(N_("Écrivez une adresse e-mail."), "email")
    # Checked by email-validator (app/contact_details.py); kept in lower case, as signing in
    # looks it up.
    checked = checked_email(value)
    if checked is None:
        raise AccountError(
            N_("Écrivez une adresse e-mail complète, par exemple nom@exemple.fr."), "email"
        )
    return checked.lower()


def create_staff(
    db: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    organisation_id: int | None = None,
    by: StaffUser | None = None,
    now: datetime | None = None,
) -> StaffUser:
    """A new staff account, created by the administrator ``by`` (None: the command line).
    The password is kept only as a slow salted hash (scrypt)."""
    email = _clean_email(email)
    name = _clean_name(name)
    if role not in ROLES:
        raise AccountError(N_("Choisissez un rôle."), "role")
    if organisation_id is None:
        if role != "admin":
            raise AccountError(N_("Choisissez la structure de cette personne."), "organisation_id")
    elif db.get(Organisation, organisation_id) is None:
        raise AccountError(
            N_("Cette structure n'existe pas. Choisissez une structure dans la liste."),
            "organisation_id",
        )
    check_new_password(password, about=(email, name))
    taken = AccountError(N_("Cette adresse e-mail a déjà un compte."), "email")
    if db.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise taken
    staff = StaffUser(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation_id,
        failed_sign_ins=0,
        active=True,
    )
    db.add(staff)
    try:
        db.flush()
    except IntegrityError:  # created at the same moment by someone else
        db.rollback()
        raise taken from None
    record_event(db, staff, "created", by, now or utcnow())
    db.commit()
    return staff


def device_token(secret: str, email: str) -> str:
    """What a browser keeps (a signed cookie, app/views/staff.py) once it signed in to the
    account of ``email``: it proves the browser is the holder's, not a stranger's."""
    message = f"staff-device:{normalise_email(email)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def check_new_password(password: object, field: str = "password", about: Iterable[str] = ()) -> str:
    """The password, if it may be chosen; else ``AccountError`` saying what to choose. The
    one place of the rules for a new password (accounts, resets, the command line): from
    ``MIN_PASSWORD_LENGTH`` to ``MAX_PASSWORD_LENGTH`` characters, and not common or
    guessable (app/staff/passwords.py; ``about``: the holder's e-mail and name)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            N_("Choisissez un mot de passe d'au moins %(min)s caractères."),
            field,
            min=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            N_("Choisissez un mot de passe de %(max)s caractères au plus."),
            field,
            max=MAX_PASSWORD_LENGTH,
        )
    if passwords.is_guessable(password, about):
        raise AccountError(
            N_(
                "Ce mot de passe est trop facile à deviner. Choisissez par exemple quatre mots "
                "sans lien entre eux."
            ),
            field,
        )
    return password


def record_event(
    db: Session, account: StaffUser, action: str, by: StaffUser | None, now: datetime
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"action: one of {ACTIONS}, not {action!r}")
    db.add(
        AccountEvent(
            account_id=account.id,
            account_email=account.email,
            by_id=by.id if by else None,
            by_name=by.name if by else COMMAND_LINE,
            action=action,
            at=utc(now),
        )
    )


def hash_password(password: str) -> str:
    """The slow salted hash a password is kept as (never the password)."""
    return generate_password_hash(password, method=HASHING)


@cache
def _dummy_hash() -> str:
    """A hash to check unknown addresses against, so that they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def _not_expired(staff: StaffUser, now: datetime) -> bool:
    """A one-time code (password reset) stops working when it expires."""
    return staff.password_expires_at is None or as_utc(staff.password_expires_at) > now


def sign_in(
    db: Session, *, email: str, password: str, now: datetime, known_device: bool = False
) -> StaffUser:
    """The account for this address and password, or ``SignInRefused``.

    Every refusal costs one password hash, whether the account exists, is locked, inactive
    or not: the time taken does not tell them apart (the view shows one message for all).
    ``known_device``: this browser signed in to this account before (``device_token``). The
    lock does not apply to it, so that a stranger who types wrong passwords on purpose
    cannot keep the holder out; its tries are still limited per address (app/views/staff.py).
    """
    now = utc(now)
    password = password if isinstance(password, str) else ""
    address = normalise_email(email)
    staff = (
        db.scalar(select(StaffUser).where(StaffUser.email == address))
        if address and len(address) <= MAX_EMAIL_LENGTH
        else None
    )
    if staff is None or not staff.active:
        check_password_hash(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        raise SignInRefused(None)

    if known_device:
        if (
            len(password) <= MAX_PASSWORD_LENGTH
            and check_password_hash(staff.password_hash, password)
            and _not_expired(staff, now)
        ):
            return staff
        raise SignInRefused(None)

    # Reserve one try, atomically, unless the account is locked.
    attempt = db.execute(
        update(StaffUser)
        .where(
            StaffUser.id == staff.id,
            or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= now),
        )
        .values(failed_sign_ins=StaffUser.failed_sign_ins + 1)
        .returning(StaffUser.failed_sign_ins)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.commit()
    if attempt is None:  # locked
        check_password_hash(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        db.refresh(staff)
        locked_until = as_utc(staff.locked_until) if staff.locked_until else now
        raise SignInRefused(locked_until)

    hashed = len(password) <= MAX_PASSWORD_LENGTH and check_password_hash(
        staff.password_hash, password if attempt <= MAX_FAILED_SIGN_INS else ""
    )
    if len(password) > MAX_PASSWORD_LENGTH:
        check_password_hash(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
    # more tries sent at once than allowed: never right, but hashed all the same
    right = attempt <= MAX_FAILED_SIGN_INS and hashed and _not_expired(staff, now)
    if right:
        db.execute(
            update(StaffUser)
            .where(StaffUser.id == staff.id)
            .values(failed_sign_ins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        db.commit()
        db.refresh(staff)
        return staff
    if attempt >= MAX_FAILED_SIGN_INS:
        locked_until = now + timedelta(minutes=LOCK_MINUTES)
        db.execute(
            update(StaffUser)
            .where(StaffUser.id == staff.id)
            .values(failed_sign_ins=0, locked_until=locked_until)
            .execution_options(synchronize_session=False)
        )
        db.commit()
        db.refresh(staff)
        raise SignInRefused(locked_until)
    db.refresh(staff)
    raise SignInRefused(None)
