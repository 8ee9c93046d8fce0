"""Every period the privacy notice and the README promise is kept by a job of docs/deploy.md.

The promises are read from the privacy notice as a visitor sees it (each line of « Combien
de temps ») and from the README (its retention table, and every command it says to run
from cron); each one names the job that keeps it. The jobs are read from the guide: its
``cron`` blocks, and its ``logrotate`` block. A new promise without its job, or a job
dropped from the guide, fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from app.config import PROJECT_ROOT, RETENTION_BACKUP_DAYS, RETENTION_SERVER_LOG_DAYS

from .html_checks import read

GUIDE = PROJECT_ROOT / "docs" / "deploy.md"
README = PROJECT_ROOT / "README.md"


@dataclass(frozen=True)
class CronJob:
    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str
    user: str
    command: str

    @property
    def daily(self) -> bool:
        return (
            self.minute.isdigit()
            and self.hour.isdigit()
            and self.day_of_month == "*"
            and (self.month == "*" and self.day_of_week == "*")
        )


def blocks(guide: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", guide, flags=re.MULTILINE | re.DOTALL)


def cron_jobs(guide: str) -> list[CronJob]:
    """Every job of the guide's ``cron`` blocks (comments and variables left out)."""
    jobs = []
    for block in blocks(guide, "cron"):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
                continue
            fields = line.split(None, 6)
            assert len(fields) == 7, f"not a cron.d line: {line!r}"
            jobs.append(CronJob(*fields))
    return jobs


def flask_command(name: str) -> Callable[[CronJob], bool]:
    """A job that runs ``flask --app wsgi NAME`` (through the guide's repere-flask wrapper)."""
    pattern = re.compile(rf"(repere-flask|flask --app wsgi) {re.escape(name)}(\s|$)")
    return lambda job: bool(pattern.search(job.command))


def nightly_backup(job: CronJob) -> bool:
    """The dump, and the deletion of dumps older than the privacy notice says."""
    return "pg_dump" in job.command and f"-mtime +{RETENTION_BACKUP_DAYS} -delete" in job.command


@dataclass(frozen=True)
class Duty:
    """A job the guide must schedule: what it is, and how to recognise it."""

    name: str
    matches: Callable[[CronJob], bool]


PURGE = Duty("daily `flask purge`", flask_command("purge"))
BACKUP = Duty(f"nightly backup kept {RETENTION_BACKUP_DAYS} days", nightly_backup)
SERVER_LOGS = Duty(f"web server logs kept {RETENTION_SERVER_LOG_DAYS} days", lambda _job: False)

#: The lines of the privacy notice's « Combien de temps », in order: a word of each, and the
#: job that keeps it. A new line there needs its job here, and in the guide.
PRIVACY_PROMISES = (
    ("sans activité", PURGE),
    ("accords", PURGE),
    ("e-mail : effacé 30 jours", PURGE),
    ("journal des accès", PURGE),
    ("sauvegarde", BACKUP),
    ("journal technique du serveur", SERVER_LOGS),
)
#: The rows of the README's retention table (« A person's data »), in order.
README_PROMISES = (
    ("a person without activity", PURGE),
    ("consents past their end", PURGE),
    ("contact details of a closed request", PURGE),
    ("access journal", PURGE),
)


def missing(guide: str, duties: list[Duty]) -> list[str]:
    """The duties no job of the guide does, by name."""
    jobs = cron_jobs(guide)
    absent = []
    for duty in dict.fromkeys(duties):
        if duty is SERVER_LOGS:
            rotations = [
                b
                for b in blocks(guide, "logrotate")
                if re.search(r"^\s*daily\s*$", b, re.MULTILINE)
                and re.search(rf"^\s*rotate {RETENTION_SERVER_LOG_DAYS}\s*$", b, re.MULTILINE)
            ]
            if not rotations:
                absent.append(duty.name)
        elif not any(job.daily and duty.matches(job) for job in jobs):
            absent.append(duty.name)
    return absent


def privacy_lines(app: Flask) -> list[str]:
    """The text of each line of « Combien de temps » on the privacy notice, in French."""
    page = read(app.test_client().get("/donnees-personnelles").get_data(as_text=True))
    heading = next(h for h in page.iter("h2") if "".join(h.itertext()) == "Combien de temps")
    siblings = list(page.iter())
    after = siblings[siblings.index(heading) + 1 :]
    listing = next(element for element in after if element.tag == "ul")
    return [" ".join("".join(li.itertext()).split()) for li in listing.iter("li")]


def readme_retention_rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("| data | kept | setting |", 1)[1].split("\n\n", 1)[0]
    return [row.split("|")[1].strip() for row in table.strip().splitlines()[1:]]


def test_every_promised_period_is_kept_by_a_job_of_the_guide(app: Flask) -> None:
    lines = privacy_lines(app)
    assert len(lines) == len(PRIVACY_PROMISES), (
        "the privacy notice's « Combien de temps » changed: name the job that keeps each line "
        f"in PRIVACY_PROMISES: {lines}"
    )
    for line, (word, _duty) in zip(lines, PRIVACY_PROMISES, strict=True):
        assert word in line, (word, line)
    rows = readme_retention_rows()
    assert len(rows) == len(README_PROMISES), rows
    for row, (words, _duty) in zip(rows, README_PROMISES, strict=True):
        assert words in row, (words, row)
    duties = [duty for _word, duty in PRIVACY_PROMISES + README_PROMISES]
    assert missing(GUIDE.read_text(encoding="utf-8"), duties) == []


def test_every_command_the_readme_says_to_schedule_is_scheduled() -> None:
    text = README.read_text(encoding="utf-8")
    promised = set()
    for line in text.splitlines():
        if re.search(r"\bcron\b|\bdaily\b|every day|once a (day|month)", line):
            promised |= set(re.findall(r"`flask --app wsgi ([a-z-]+)", line))
    assert "purge" in promised
    guide = GUIDE.read_text(encoding="utf-8")
    duties = [Duty(f"`flask {name}`", flask_command(name)) for name in sorted(promised)]
    assert missing(guide, duties) == []


@pytest.mark.parametrize(
    ("remove", "reported"),
    [
        (r"\n[^\n]*repere-flask purge[^\n]*", PURGE.name),
        (r"-mtime \+14 ", BACKUP.name),
        (r"\n\s*rotate 14", SERVER_LOGS.name),
    ],
)
def test_a_guide_without_a_promised_job_is_caught(remove: str, reported: str) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    broken, changes = re.subn(remove, " " if "mtime" in remove else "", guide, count=1)
    assert changes == 1
    duties = [PURGE, BACKUP, SERVER_LOGS]
    assert missing(guide, duties) == []
    assert missing(broken, duties) == [reported]


def test_the_guide_runs_gunicorn_with_the_one_settings_file() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert "gunicorn --config gunicorn.conf.py wsgi:app" in guide
    assert (PROJECT_ROOT / "gunicorn.conf.py").exists()
    tests = (Path(__file__).parent / "test_two_servers.py").read_text(encoding="utf-8")
    bench = (PROJECT_ROOT / "bench" / "common.py").read_text(encoding="utf-8")
    assert '"gunicorn.conf.py"' in tests and '"gunicorn.conf.py"' in bench
