"""Recordings read aloud: served by Repère itself, and which one each page links to.

The files are built by ``flask build-audio`` (app/audio/library.py). A page shows its
« Écouter » control only when a fresh recording of its current text exists in the person's
language: a missing or stale one is never linked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, send_from_directory
from flask_babel import get_locale

from ..assessment.bank import Bank
from ..audio import site_clips
from ..audio.library import MANIFEST, Recording, fresh_recordings
from ..audio.scripts import Clip, item_clip_key, results_clip_key, test_intro_clip_key
from ..pages import not_a_page

bp = Blueprint("audio", __name__)

ONE_YEAR = 60 * 60 * 24 * 365
_FILE_RE = re.compile(r"[0-9a-f]{16}\.mp3")


@dataclass(frozen=True)
class Listen:
    """What a page needs to offer a recording."""

    url: str
    seconds: int


class Recordings:
    """The fresh recordings of the app's folder, read again when a build rewrites it."""

    def __init__(self, folder: Path, clips: list[Clip]) -> None:
        self.folder = folder
        self.clips = clips
        self._stamp: int | None = -1
        self._fresh: dict[tuple[str, str], Recording] = {}

    def get(self, locale: str, key: str) -> Recording | None:
        try:
            stamp: int | None = (self.folder / MANIFEST).stat().st_mtime_ns
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._fresh = fresh_recordings(self.clips, self.folder) if stamp else {}
            self._stamp = stamp
        return self._fresh.get((locale, key))


def recording_for(key: str) -> Listen | None:
    """The recording of clip ``key`` in the page's language, or None (then no control)."""
    recording = current_app.extensions["recordings"].get(str(get_locale() or "fr"), key)
    if recording is None:
        return None
    return Listen(url=f"/ecouter/{recording.file}", seconds=max(1, round(recording.seconds)))


@bp.route("/ecouter/<name>")
@not_a_page
def recording_file(name: str) -> Response:
    if not _FILE_RE.fullmatch(name):
        abort(404)
    response = send_from_directory(
        current_app.extensions["recordings"].folder,
        name,
        mimetype="audio/mpeg",
        conditional=True,
        max_age=ONE_YEAR,
    )
    # The name is the file's hash: it never changes, so any cache may keep it.
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable, no-transform"
    return response


def init_app(app: Flask, bank: Bank) -> None:
    clips: list[Clip] = []
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    for locale in app.config["LOCALES"]:
        try:
            clips += site_clips(bank, [locale], directory)
        except LookupError:
            app.logger.warning("no compiled catalogue for %s: no recordings in it", locale)
    app.extensions["recordings"] = Recordings(Path(app.config["AUDIO_DIR"]), clips)
    app.jinja_env.globals.update(
        recording_for=recording_for,
        item_clip_key=item_clip_key,
        results_clip_key=results_clip_key,
        test_intro_clip_key=test_intro_clip_key,
    )
    app.register_blueprint(bp)
