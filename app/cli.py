"""Command-line tools: ``flask --app wsgi db upgrade`` and friends."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from . import migrate
from .assessment.bank import CALIBRATION_LINKS
from .assessment.domains import DOMAINS
from .config import LOCALES
from .models import StaffUser
from .staff.accounts import KINDS, ROLES

#: Problems printed by import-places; --report writes them all.
MAX_PROBLEMS_SHOWN = 20

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Bring the database up to REVISION (default: the newest)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Take the database back to REVISION."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
def revision(message: str) -> None:
    """Write a new migration from the models (review it before committing)."""
    migrate.revision(current_app.config["DATABASE_URL"], message)


@click.command("calibrate")
@with_appcontext
@click.option(
    "--write", is_flag=True, help="Write app/content/calibration.toml (default: dry run)."
)
@click.option("--all", "all_items", is_flag=True, help="List every item, not only changed ones.")
@click.option(
    "--min-answers",
    default=200,
    show_default=True,
    help="Items with fewer answers keep their values.",
)
@click.option(
    "--link",
    type=click.Choice(list(CALIBRATION_LINKS)),
    default="auto",
    show_default=True,
    help="What holds the scale (docs/calibration.md).",
)
@click.option(
    "--content-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the item bank (default: app/content).",
)
@click.option(
    "--check-correlation",
    is_flag=True,
    help="Also compare how well correlations between domains fit the answers (slow).",
)
def calibrate_command(
    write: bool,
    all_items: bool,
    min_answers: int,
    link: str,
    content_dir: Path | None,
    check_correlation: bool,
) -> None:
    """Re-estimate the items' difficulty and discrimination, and the people's mean and spread,
    from the stored answers (those of erased people included)."""
    from sqlalchemy import select

    from .assessment import engine
    from .assessment.bank import CALIBRATION_FILE, DEFAULT_DIRECTORY, load_bank
    from .assessment.calibrate import (
        calibrate,
        correlation_profile,
        responses_from_rows,
        write_calibration,
    )
    from .extensions import db
    from .models import Answer, DetachedAnswer

    directory = content_dir or DEFAULT_DIRECTORY
    bank = load_bank(directory)
    rows = db.session.execute(select(Answer.person_id, Answer.item_id, Answer.correct)).all()
    detached = db.session.execute(
        select(DetachedAnswer.respondent, DetachedAnswer.item_id, DetachedAnswer.correct)
    ).all()
    responses = responses_from_rows(rows) + [
        (f"erased:{key}", item_id, correct) for key, item_id, correct in detached
    ]
    correlation = engine.DEFAULT_POPULATION.correlation
    report = calibrate(
        responses, bank.items, correlation=correlation, min_answers=min_answers, link=link
    )
    click.echo(report.summary(all_items=all_items))
    if check_correlation:
        for rho, loglik in correlation_profile(responses, bank.items).items():
            click.echo(f"correlation {rho}: log-likelihood {loglik:.1f}")
    if not write:
        click.echo("Dry run: nothing written. Add --write to keep these values.")
        return
    try:
        path = write_calibration(
            report,
            directory / CALIBRATION_FILE,
            bank_version=bank.version,
            engine_version=engine.ENGINE_VERSION,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    new_version = load_bank(directory).version
    click.echo(f"Wrote {path}. New bank version {new_version}. Restart the app to use it.")


@click.command("items-report")
@with_appcontext
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write every row to this CSV file.",
)
@click.option(
    "--language",
    type=click.Choice(list(LOCALES)),
    default=None,
    help="Show only this language's rows (the CSV keeps them all).",
)
@click.option(
    "--domain",
    type=click.Choice(list(DOMAINS)),
    default=None,
    help="Show only this domain's items (the CSV keeps them all).",
)
@click.option("--flagged", is_flag=True, help="Show only the rows with a flag.")
@click.option(
    "--min-answers",
    default=None,
    type=click.IntRange(min=1),
    help="Answers a row needs for fit and DIF figures (default: 50).",
)
def items_report_command(
    csv_path: Path | None,
    language: str | None,
    domain: str | None,
    flagged: bool,
    min_answers: int | None,
) -> None:
    """How each item behaves, per language: answers, share right, share « Je ne sais pas »,
    fit, differential functioning between languages, exposure (docs/items.md)."""
    from sqlalchemy import select

    from .assessment import service
    from .assessment.items_report import (
        MIN_ANSWERS,
        PersonAnswers,
        format_table,
        items_report,
        summary,
        to_csv,
    )
    from .extensions import db
    from .models import Answer, Person

    bank = current_app.extensions["bank"]
    rows = db.session.execute(
        select(Answer.person_id, Person.locale, Person.seed, Answer.item_id, Answer.correct)
        .join(Person, Person.id == Answer.person_id)
        .order_by(Answer.person_id, Answer.position)
    ).all()
    people: dict[int, PersonAnswers] = {}
    for person_id, locale, seed, item_id, correct in rows:
        entry = people.setdefault(person_id, PersonAnswers(person_id, locale, seed, []))
        entry.answers.append((item_id, correct))  # type: ignore[attr-defined]
    report = items_report(
        bank.items,
        people.values(),
        LOCALES,
        population=service.population(bank),
        min_answers=min_answers or MIN_ANSWERS,
    )
    shown = [
        row
        for row in report
        if (language is None or row.locale == language) and (domain is None or row.domain == domain)
    ]
    click.echo(f"{len(people)} tests, {len(rows)} answers, {len(bank.items)} items.")
    click.echo(format_table(shown, flagged_only=flagged))
    flags = summary(report)
    click.echo(
        "Flags: " + (", ".join(f"{kind} {n}" for kind, n in sorted(flags.items())) or "none")
    )
    if csv_path is not None:
        csv_path.write_text(to_csv(report), encoding="utf-8")
        click.echo(f"Wrote {csv_path}.")


def source_name(path: str) -> str:
    """The source a file's name says, its dates left out: ``lieux-2026-11-01.csv`` and
    ``lieux_20261201.json`` are both ``lieux``."""
    stem = Path(path).stem.lower()
    stem = re.sub(r"(19|20)\d{2}[-_.]?\d{2}[-_.]?\d{2}(t\d+)?", "", stem)
    stem = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")
    return stem or "lieux"


@click.command("import-places")
@click.argument("places_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    default=None,
    help="Where the file comes from (default: its name without dates). A full file retires "
    "the places of the same source that it no longer lists.",
)
@click.option("--partial", is_flag=True, help="A file of a few places: retire nothing.")
@click.option(
    "--strict", is_flag=True, help="All or nothing: refuse the file for any skipped row or value."
)
@click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write every skipped row and every warning, with its line, to this CSV file.",
)
@click.option(
    "--allow-mass-retirement",
    is_flag=True,
    help="Accept a file that retires more than half of its source's places.",
)
@with_appcontext
def import_places_command(
    places_file: str,
    source: str | None,
    partial: bool,
    strict: bool,
    dry_run: bool,
    report_path: str | None,
    allow_mass_retirement: bool,
) -> None:
    """Import or update places from a « lieux de médiation numérique » file (CSV or JSON).

    Every place that can serve is imported: a bad value is dropped with a warning, a row
    that cannot serve is skipped with its reason.
    """
    from .extensions import db
    from .places.importer import ImportFailed, import_places, write_report

    try:
        report = import_places(
            db.session,
            Path(places_file).read_bytes(),
            source=source or source_name(places_file),
            strict=strict,
            dry_run=dry_run,
            partial=partial,
            allow_mass_retirement=allow_mass_retirement,
        )
    except ImportFailed as failure:
        raise click.ClickException(failure.describe()) from failure
    if report_path:
        with open(report_path, "w", encoding="utf-8", newline="") as out:
            write_report(report, out)
    for problem in report.skipped[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"écartée : {problem}")
    for problem in report.warnings[: max(0, MAX_PROBLEMS_SHOWN - len(report.skipped))]:
        click.echo(f"attention : {problem}")
    hidden = len(report.skipped) + len(report.warnings) - MAX_PROBLEMS_SHOWN
    if hidden > 0:
        where = f"dans {report_path}" if report_path else "avec --report FICHIER"
        click.echo(f"… et {hidden} autres, tous {where}.")
    click.echo(f"Source « {report.source} » : {report.summary()}.")


@click.command("create-organisation")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--postcode", required=True)
@click.option("--place-id", default=None, help="The id of its place in the places file, if any.")
@with_appcontext
def create_organisation_command(name: str, kind: str, postcode: str, place_id: str | None) -> None:
    """Create an organisation; print its share code."""
    from .extensions import db
    from .staff.accounts import AccountError, create_organisation

    try:
        organisation = create_organisation(
            db.session, name=name, kind=kind, postcode=postcode, place_id=place_id
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Organisme n° {organisation.id} créé, code de partage {organisation.share_code}.")


@click.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--organisation-id", type=int, default=None)
@click.password_option(help="At least 12 characters (asked if not given).")
@with_appcontext
def create_staff_command(
    email: str, name: str, role: str, organisation_id: int | None, password: str
) -> None:
    """Create a staff account."""
    from .extensions import db
    from .staff.accounts import AccountError, create_staff

    try:
        staff = create_staff(
            db.session,
            email=email,
            name=name,
            password=password,
            role=role,
            organisation_id=organisation_id,
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Compte n° {staff.id} créé pour {staff.email}.")


@click.command("list-staff")
@with_appcontext
def list_staff_command() -> None:
    """Every staff account: id, address, role, organisation, state."""
    from .extensions import db
    from .staff.lifecycle import list_accounts

    for account in list_accounts(db.session):
        state = (
            "désactivé"
            if not account.active
            else "doit choisir son mot de passe"
            if account.must_set_password
            else "actif"
        )
        organisation = account.organisation.name if account.organisation else "—"
        click.echo(f"{account.id}\t{account.email}\t{account.role}\t{organisation}\t{state}")


def _account_command(
    name: str, help_text: str
) -> Callable[[Callable[[Session, StaffUser], None]], click.Command]:
    """A command that acts on one account, named by its e-mail address or its id."""

    def decorate(act: Callable[[Session, StaffUser], None]) -> click.Command:
        @click.command(name, help=help_text)
        @click.argument("account")
        @with_appcontext
        def command(account: str) -> None:
            from .extensions import db
            from .staff.accounts import AccountError
            from .staff.lifecycle import find_account

            try:
                found = find_account(db.session, int(account) if account.isdigit() else account)
                act(db.session, found)
            except AccountError as error:
                raise click.ClickException(str(error)) from error

        return command

    return decorate


@_account_command("deactivate-staff", "Deactivate an account (by e-mail or id): its sessions end.")
def deactivate_staff_command(db: Session, account: StaffUser) -> None:
    from .staff.lifecycle import deactivate
    from .times import utcnow

    done = deactivate(db, account, by=None, now=utcnow())
    click.echo(f"{account.email} : {'désactivé' if done else 'était déjà désactivé'}.")


@_account_command("reactivate-staff", "Reactivate an account (by e-mail or id).")
def reactivate_staff_command(db: Session, account: StaffUser) -> None:
    from .staff.lifecycle import reactivate
    from .times import utcnow

    done = reactivate(db, account, by=None, now=utcnow())
    click.echo(f"{account.email} : {'réactivé' if done else 'était déjà actif'}.")


@_account_command(
    "reset-staff-password",
    "Replace an account's password with a one-time code, printed: hand it over; the holder "
    "signs in with it and chooses a password. The account's sessions end.",
)
def reset_staff_password_command(db: Session, account: StaffUser) -> None:
    from .staff.lifecycle import RESET_CODE_DAYS, reset_password
    from .times import utcnow

    code = reset_password(db, account, by=None, now=utcnow())
    click.echo(
        f"Code à usage unique pour {account.email} : {code} "
        f"(valable {RESET_CODE_DAYS} jours, une seule fois)."
    )


@click.command("expire-requests")
@with_appcontext
def expire_requests_command() -> None:
    """Close requests to be contacted left without answer for 30 days, and erase the
    contact details of requests closed for 30 days. Safe to run again: run it daily."""
    from .extensions import db
    from .staff.requests import expire_and_erase
    from .times import utcnow

    expired, erased = expire_and_erase(db.session, now=utcnow())
    click.echo(f"{expired} demande(s) expirée(s), {erased} coordonnée(s) effacée(s).")


@click.command("purge")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="ISO 8601 date and time to purge as of (for tests; default: now, UTC).",
)
@with_appcontext
def purge_command(now_text: str | None) -> None:
    """Apply the retention periods of the privacy notice; print what was deleted.

    Erases people inactive for RETENTION_MONTHS_INACTIVE months (their answers stay,
    detached from any person), expires unanswered requests to be contacted and erases
    contact details 30 days after a request is closed, deletes consents past their end,
    and deletes access records older than RETENTION_ACCESS_RECORD_YEARS years.

    Safe to run again: run it daily, e.g. from cron:
    ``15 3 * * * cd /srv/repere && .venv/bin/flask --app wsgi purge``
    (it also does what ``expire-requests`` does).
    """
    from datetime import UTC, datetime

    from .extensions import db
    from .mydata import purge
    from .times import utcnow

    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--now") from error
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    else:
        now = utcnow()
    config = current_app.config
    report = purge(
        db.session,
        now=now,
        inactive_months=config["RETENTION_MONTHS_INACTIVE"],
        consent_days_after_end=config["RETENTION_CONSENT_DAYS_AFTER_END"],
        access_record_years=config["RETENTION_ACCESS_RECORD_YEARS"],
    )
    click.echo(report.summary())


@click.command("build-audio")
@click.option("--check", is_flag=True, help="Make nothing: list what is missing or stale.")
@click.option("--force", is_flag=True, help="Make every recording again.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=lambda: min(4, os.cpu_count() or 1),
    show_default="the processors, at most 4",
    help="Processes that make recordings at once.",
)
@click.option(
    "--script",
    "script_locale",
    metavar="LANGUAGE",
    default=None,
    help="Print what to record in LANGUAGE (fr, en, ar) for human voices, and stop.",
)
@with_appcontext
def build_audio_command(check: bool, force: bool, jobs: int, script_locale: str | None) -> None:
    """Make the recordings read aloud (every question, the pages, the results) that are
    missing or stale, into AUDIO_DIR. Human recordings in RECORDINGS_DIR win over eSpeak NG.

    Safe to run again: what is up to date is kept. `make run` runs it. Without speech
    synthesis or a voice, it says what is missing and the site runs without those links.
    With --check, exits with status 1 when a recording is missing or stale.
    """
    from .audio import site_clips
    from .audio.library import build, human_file_name

    config = current_app.config
    bank = current_app.extensions["bank"]
    translations = Path(config["BABEL_TRANSLATION_DIRECTORIES"])
    if script_locale is not None:
        if script_locale not in config["LOCALES"]:
            raise click.BadParameter(
                f"one of {', '.join(config['LOCALES'])}", param_hint="--script"
            )
        recordings = Path(config["RECORDINGS_DIR"]) / script_locale
        seen: set[str] = set()
        for clip in site_clips(bank, [script_locale], translations):
            for piece in clip.pieces:
                if piece.key not in seen:
                    seen.add(piece.key)
                    click.echo(f"# {recordings / human_file_name(piece)}")
                    click.echo(piece.text.replace("\n", "\n\n") + "\n")
        return
    clips = []
    for locale in config["LOCALES"]:
        try:
            clips += site_clips(bank, [locale], translations)
        except LookupError as error:
            click.echo(f"MISSING {locale}: {error}: run `make translations`", err=True)
    report = build(
        clips,
        Path(config["AUDIO_DIR"]),
        Path(config["RECORDINGS_DIR"]),
        force=force,
        dry_run=check,
        jobs_count=jobs,
    )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if check:
        for line in report.to_make:
            click.echo(f"stale: {line}")
        for locale, key, problem in report.missing:
            click.echo(f"missing: {locale} {key}: {problem}")
        click.echo(
            f"{report.kept} recording(s) up to date, {len(report.to_make)} to make, "
            f"{len(report.missing)} that cannot be made here."
        )
        if report.to_make or report.missing:
            raise SystemExit(1)
        return
    click.echo(f"{report.summary()}\nRecordings in {config['AUDIO_DIR']}.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load a demo organisation, its accounts and people, to try or audit every staff page.

    Prints the accounts and their passwords. Run again, it adds nothing and prints new
    passwords. Refused in production.
    """
    from .demo import load_demo
    from .extensions import db
    from .times import utcnow

    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException(
            "flask demo is refused in production (REPERE_ENV=production): it would add "
            "fictitious people and accounts with known passwords."
        )
    demo = load_demo(
        db.session,
        bank=current_app.extensions["bank"],
        secret=current_app.config["SECRET_KEY"],
        now=utcnow(),
    )
    organisation = demo.organisation
    if demo.created:
        click.echo(
            f"Organisme de démonstration « {organisation.name} » créé "
            f"(code de partage {organisation.share_code}), avec {len(demo.people)} personnes "
            f"et {len(demo.requests)} demandes de contact."
        )
    else:
        click.echo(
            f"L'organisme de démonstration « {organisation.name} » existe déjà : "
            "rien n'est ajouté, les comptes ont de nouveaux mots de passe."
        )
    for role, (email, password) in demo.accounts.items():
        click.echo(f"{role}: {email}  mot de passe : {password}")
    click.echo("Connexion : /pro/connexion")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(calibrate_command)
    app.cli.add_command(items_report_command)
    app.cli.add_command(import_places_command)
    app.cli.add_command(create_organisation_command)
    app.cli.add_command(create_staff_command)
    app.cli.add_command(list_staff_command)
    app.cli.add_command(deactivate_staff_command)
    app.cli.add_command(reactivate_staff_command)
    app.cli.add_command(reset_staff_password_command)
    app.cli.add_command(expire_requests_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(build_audio_command)
    app.cli.add_command(demo_command)
