"""A person's rights over their data: see everything, take a copy, erase it; and retention.

No Flask here, like ``app/staff``: the functions take a SQLAlchemy session and ``now`` (an
aware datetime), so they are tested on their own and ``flask purge`` can use them.

- ``collect``: everything Repère holds about a person, as plain data (the « Mes données »
  page, its printable version and its JSON download). Never the code's salt or HMAC.
- ``erase``: delete the person and everything about it. The answers are kept only
  detached from any person (``DetachedAnswer``: item, right/wrong, month), for statistics
  and calibration. The access journal names people by a random ``ref`` that dies with
  the person, so its lines then point to no one.
- ``purge``: the retention periods of the privacy notice, run daily by ``flask purge``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text
from sqlalchemy.orm import Session

from .assessment.bank import DONT_KNOW, Bank
from .models import (
    OPEN_REQUEST_STATUSES,
    AccessRecord,
    Answer,
    Base,
    Consent,
    ContactRequest,
    DetachedAnswer,
    Organisation,
    Person,
    Place,
    RequestEvent,
    Result,
    StaffRecord,
    StaffUser,
    StepDone,
)
from .staff.access import accesses_to
from .staff.requests import expire_and_erase
from .times import add_months, as_utc, utc

__all__ = ["PurgeReport", "collect", "erase", "purge"]

#: How long the access journal is kept at least, as the databases' triggers and functions
#: enforce it (migrations 0006 and 0009s): RETENTION_ACCESS_RECORD_YEARS may not be shorter.
ACCESS_RECORD_KEEP_YEARS = 3

#: The tables that point to a person (person_id), deleted with it.
_ABOUT_A_JOURNEY = (ContactRequest, StaffRecord, Consent, Answer, StepDone, Result)


# --------------------------------------------------------------------------------------------
# See everything

#: Stored columns about a person that their copy leaves out, and why. Every other column of
#: every table that points to a person is in the copy (``stored``): a new column is copied
#: unless it is named here (tests/test_mydata.py compares with the models).
NOT_EXPORTED = {
    ("journey", "code_salt"): "with the site's secret key it gives the code: a copy left on "
    "a shared computer must not open the person's data",
    ("journey", "code_lookup"): "a keyed hash of the code, for the same reason",
    ("journey", "ref"): "the random token that names the person in their browser's session "
    "and in the access journal: it means nothing to them",
    ("access_record", "journey_ref"): "the same token",
    ("contact_request", "form_key"): "a one-time key of the form, so that posting it twice "
    "makes one request; it says nothing about the person",
    ("staff_record", "form_key"): "the same, for what staff record",
}


def tables_about_a_person() -> list[Any]:
    """``journey`` and every table whose column points to it, then the access journal."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name == "journey" or any(
            key.column.table.name == "journey"
            for column in table.columns
            for key in column.foreign_keys
        ):
            found.append(table)
    found.append(Base.metadata.tables["access_record"])
    return found


def stored(db: Session, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Every stored row about the person, table by table, every column (but ``NOT_EXPORTED``)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in tables_about_a_person():
        if table.name == "journey":
            condition = table.c.id == person.id
        elif table.name == "access_record":
            condition = table.c.journey_ref == person.ref
        else:
            pointing = [
                column
                for column in table.columns
                if any(key.column.table.name == "journey" for key in column.foreign_keys)
            ]
            condition = or_(*(column == person.id for column in pointing))
        rows[table.name] = [
            {name: value for name, value in row.items() if (table.name, name) not in NOT_EXPORTED}
            for row in db.execute(
                select(table).where(condition).order_by(*table.primary_key.columns)
            ).mappings()
        ]
    return rows


def _outcome(answer: Answer) -> str:
    if answer.response == DONT_KNOW or answer.correct is None:
        return "dont-know"
    return "right" if answer.correct else "wrong"


def _given(bank: Bank, answer: Answer) -> list[str]:
    """The answer in words: the options chosen, or the text typed; [] for "Je ne sais pas"."""
    if answer.response == DONT_KNOW:
        return []
    item = bank.get(answer.item_id)
    if item is None or item.kind == "text":
        return [answer.response]
    words = []
    for part in answer.response.split(","):
        index = int(part) if part.isdigit() else 0
        words.append(item.options[index - 1] if 1 <= index <= len(item.options) else part)
    return words


def consent_status(consent: Consent, now: datetime) -> str:
    """ "active", "withdrawn" or "ended"."""
    if consent.withdrawn_at is not None:
        return "withdrawn"
    return "active" if as_utc(consent.expires_at) > utc(now) else "ended"


def collect(
    db: Session, person: Person, bank: Bank, journeys: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Everything held about ``person``, as plain data (times aware, in UTC).

    ``journeys`` are the job journeys (app.journeys.load_journeys()), to name the steps.
    Question texts and option words are the bank's French source texts: translate them
    when showing them.
    """
    answers = [
        {
            "position": answer.position,
            "item_id": answer.item_id,
            "question": item.text if (item := bank.get(answer.item_id)) else None,
            "given": _given(bank, answer),
            "typed": (item := bank.get(answer.item_id)) is None or item.kind == "text",
            "outcome": _outcome(answer),
            "answered_at": as_utc(answer.answered_at),
        }
        for answer in person.answers
    ]
    result = None
    if person.result is not None:
        found = person.result
        result = {
            "created_at": as_utc(found.created_at),
            "overall_band": found.overall_band,
            "domains": {
                name: detail.get("band")
                for name, detail in found.details.get("domains", {}).items()
            },
            "needs_basics": found.needs_basics,
            "stopped_early": found.stopped_early,
            "engine_version": found.engine_version,
            "bank_version": found.bank_version,
        }
    steps = []
    for done in sorted(person.steps_done, key=lambda s: (s.done_at, s.id)):
        job = journeys.get(done.job_journey)
        step = job.step(done.step_id) if job is not None else None
        steps.append(
            {
                "job_journey": done.job_journey,
                "job_journey_title": job.title if job is not None else None,
                "step": done.step_id,
                "step_title": step.title if step is not None else None,
                "done_at": as_utc(done.done_at),
            }
        )
    consents = [
        {
            "id": consent.id,
            "organisation": consent.organisation.name,
            "purpose": consent.purpose,
            "text_version": consent.text_version,
            "assisted": consent.assisted,
            "granted_at": as_utc(consent.granted_at),
            "expires_at": as_utc(consent.expires_at),
            "withdrawn_at": as_utc(consent.withdrawn_at) if consent.withdrawn_at else None,
            "status": consent_status(consent, now),
        }
        for consent in db.scalars(
            select(Consent)
            .where(Consent.person_id == person.id)
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    ]
    contact_requests = [
        {
            "organisation": asked.organisation.name,
            "channel": asked.channel,
            "slots": [slot for slot in asked.slots.split("|") if slot],
            "phone": asked.phone,
            "email": asked.email,
            "origin": asked.origin,
            "status": asked.status,
            "created_at": as_utc(asked.created_at),
            "answered_at": as_utc(asked.answered_at) if asked.answered_at else None,
            "closed_at": as_utc(asked.closed_at) if asked.closed_at else None,
        }
        for asked in db.scalars(
            select(ContactRequest)
            .where(ContactRequest.person_id == person.id)
            .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
        )
    ]
    records = []
    for record, organisation, staff, place in db.execute(
        select(StaffRecord, Organisation.name, StaffUser.name, Place.name)
        .join(Organisation, Organisation.id == StaffRecord.organisation_id)
        .outerjoin(StaffUser, StaffUser.id == StaffRecord.staff_id)
        .outerjoin(Place, Place.id == StaffRecord.place_id)
        .where(StaffRecord.person_id == person.id)
        .order_by(StaffRecord.created_at.desc(), StaffRecord.id.desc())
    ).all():
        records.append(
            {
                "kind": record.kind,
                "organisation": organisation,
                "staff": staff,
                "created_at": as_utc(record.created_at),
                "booklet_number": record.booklet_number,
                "voucher_count": record.voucher_count,
                "vouchers_expire_on": record.vouchers_expire_on,
                "place": place,
                "note": record.note,
            }
        )
    accesses = [
        {
            "staff": line.staff_name,
            "organisation": line.organisation_name,
            "what": line.what,
            "at": as_utc(line.at),
        }
        for line in accesses_to(db, person)
    ]
    return {
        "person": {
            "created_at": as_utc(person.created_at),
            "last_seen_at": as_utc(person.last_seen_at),
            "locale": person.locale,
            "assisted": person.assisted,
            "bank_version": person.bank_version,
            "display_name": person.display_name,
            "reference": person.reference,
        },
        "answers": answers,
        "result": result,
        "steps_done": steps,
        "consents": consents,
        "contact_requests": contact_requests,
        "staff_records": records,
        "accesses": accesses,
        # Everything above, and every other stored field, as kept: table by table.
        "stored": stored(db, person),
    }


def as_json(value: Any) -> Any:
    """``collect``'s data with dates as ISO 8601 strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------
# Erase


def _month(moment: datetime) -> date:
    return as_utc(moment).date().replace(day=1)


def erase(db: Session, person: Person, now: datetime, *, commit: bool = True) -> int:
    """Erase the person and everything about it; return the number of answers detached.

    The answers are copied, without any link to the person, into ``detached_answer``
    (item, right/wrong/"Je ne sais pas", month; a random ``respondent`` token that groups
    them and is stored nowhere else). Everything else is deleted, whatever the database's
    cascades. Commits, unless ``commit=False`` (``purge``: one transaction).
    """
    utc(now)  # a naive datetime is a programming error
    person_id = person.id
    respondent = secrets.token_hex(16)
    rows = db.execute(
        select(Answer.item_id, Answer.correct, Answer.answered_at).where(
            Answer.person_id == person_id
        )
    ).all()
    db.add_all(
        DetachedAnswer(
            respondent=respondent,
            item_id=item_id,
            correct=correct,
            answered_month=_month(answered_at),
        )
        for item_id, correct, answered_at in rows
    )
    db.flush()
    if person in db:
        db.expunge(person)
    db.execute(
        delete(RequestEvent)
        .where(
            RequestEvent.request_id.in_(
                select(ContactRequest.id).where(ContactRequest.person_id == person_id)
            )
        )
        .execution_options(synchronize_session=False)
    )
    for model in _ABOUT_A_JOURNEY:
        db.execute(
            delete(model)
            .where(model.person_id == person_id)
            .execution_options(synchronize_session=False)
        )
    db.execute(
        delete(Person).where(Person.id == person_id).execution_options(synchronize_session=False)
    )
    if commit:
        db.commit()
    return len(rows)


# --------------------------------------------------------------------------------------------
# Retention


@dataclass(frozen=True)
class PurgeReport:
    people_erased: int = 0
    answers_detached: int = 0
    requests_expired: int = 0
    contact_details_erased: int = 0
    consents_deleted: int = 0
    access_records_deleted: int = 0

    def summary(self) -> str:
        return (
            f"{self.people_erased} personne(s) effacée(s) ({self.answers_detached} réponse(s) "
            f"gardée(s) sans lien avec la personne), {self.requests_expired} demande(s) "
            f"expirée(s), {self.contact_details_erased} coordonnée(s) effacée(s), "
            f"{self.consents_deleted} accord(s) terminé(s) supprimé(s), "
            f"{self.access_records_deleted} ligne(s) du journal des accès supprimée(s)."
        )


def years_before(moment: datetime, years: int) -> datetime:
    return add_months(moment, -12 * years)


def inactive_people(db: Session, *, now: datetime, months: int) -> list[int]:
    """Ids of people with no activity for ``months``: not seen, no step done, no staff
    record since, no consent still running, no request still open."""
    now = utc(now)
    cutoff = add_months(now, -months)
    return list(
        db.scalars(
            select(Person.id)
            .where(
                Person.last_seen_at < cutoff,
                ~exists().where(StepDone.person_id == Person.id, StepDone.done_at >= cutoff),
                ~exists().where(
                    StaffRecord.person_id == Person.id, StaffRecord.created_at >= cutoff
                ),
                ~exists().where(
                    Consent.person_id == Person.id,
                    Consent.withdrawn_at.is_(None),
                    Consent.expires_at > now,
                ),
                ~exists().where(
                    ContactRequest.person_id == Person.id,
                    ContactRequest.status.in_(OPEN_REQUEST_STATUSES),
                ),
            )
            .order_by(Person.id)
        )
    )


def delete_old_access_records(db: Session, *, before: datetime) -> int:
    """Delete the journal's lines older than ``before`` and than the retention period by the
    database's own clock (its trigger refuses younger ones). On PostgreSQL the app's role
    may not DELETE them itself: ``purge_access_records``, owned by the owner role, does
    (migration 0009s, docs/deploy.md). Does not commit."""
    if db.get_bind().dialect.name == "postgresql":
        return int(
            db.execute(text("SELECT purge_access_records(:before)"), {"before": before}).scalar()
            or 0
        )
    youngest = func.datetime("now", f"-{ACCESS_RECORD_KEEP_YEARS} years")
    return db.execute(
        delete(AccessRecord)
        .where(AccessRecord.at < before, AccessRecord.at < youngest)
        .execution_options(synchronize_session=False)
    ).rowcount


def purge(
    db: Session,
    *,
    now: datetime,
    inactive_months: int,
    consent_days_after_end: int,
    access_record_years: int,
) -> PurgeReport:
    """Apply the retention periods at ``now``. Running it again at once does nothing more.

    1. Requests to be contacted left unanswered expire; contact details are erased 30 days
       after a request is closed (app.staff.requests.expire_and_erase). First, so that a
       person whose last open request expires now is erased by this same run (2), not by
       the next one.
    2. People inactive for ``inactive_months`` are erased (``erase``: answers detached).
    3. Consents ended (expired or withdrawn) more than ``consent_days_after_end`` days ago
       are deleted, except those a request to be contacted still refers to (they go with
       the request, when the person is erased).
    4. Access records older than ``access_record_years`` years are deleted (one day of
       margin, so that the PostgreSQL trigger, which counts with the database's clock
       and time zone, always agrees).
    """
    now = utc(now)
    try:
        expired, contact_erased = expire_and_erase(db, now=now, commit=False)
        people = answers = 0
        for person_id in inactive_people(db, now=now, months=inactive_months):
            person = db.get(Person, person_id)
            if person is not None:
                answers += erase(db, person, now, commit=False)
                people += 1
        ended_before = now - timedelta(days=consent_days_after_end)
        consents = db.execute(
            delete(Consent)
            .where(
                or_(
                    Consent.withdrawn_at < ended_before,
                    and_(Consent.withdrawn_at.is_(None), Consent.expires_at < ended_before),
                ),
                ~exists().where(ContactRequest.consent_id == Consent.id),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        lines = delete_old_access_records(
            db, before=years_before(now, access_record_years) - timedelta(days=1)
        )
        db.commit()
    except BaseException:
        db.rollback()  # all or nothing: a failure leaves everything as it was
        raise
    return PurgeReport(
        people_erased=people,
        answers_detached=answers,
        requests_expired=expired,
        contact_details_erased=contact_erased,
        consents_deleted=consents,
        access_records_deleted=lines,
    )
