"""The recordings on disk: building them, and knowing which are fresh (no Flask).

A folder (``AUDIO_DIR``, default ``instance/audio``) holds one MP3 file per recording, named
by the fingerprint of everything that makes it: its text, the voice and eSpeak NG's version,
human recordings, the code (``3f2a9c1b0d4e5f60.mp3``). A new text gives a new name, so
browsers may keep a file for a year, and every server that builds the same release names
the same recording alike. (Not by the hash of its bytes: eSpeak NG carries a little state
from one sentence to the next, so the same text made after other ones differs by a few
samples.) ``recordings.json`` says for each clip and language which file reads it, for what
text (:attr:`Clip.fingerprint`) and how it was made.

A human recording wins over synthetic speech, piece by piece: a file
``<RECORDINGS_DIR>/<language>/<piece key>.<mark>.<wav|flac|ogg|mp3>``, where the mark is the
fingerprint of the piece's text (``flask build-audio --script fr`` lists every piece with
its file name). A recording of an older text has another mark, so it is left aside.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from . import sound
from .pronounce import Pronunciation, pronunciation
from .scripts import Clip, Piece
from .speech import Speaker, SpeechUnavailable, Voice

__all__ = [
    "HUMAN_FORMATS",
    "MANIFEST",
    "MAX_BYTES",
    "VOICES",
    "BuildReport",
    "Recording",
    "build",
    "fresh_recordings",
    "human_file_name",
    "read_manifest",
]

MANIFEST = "recordings.json"
MAX_BYTES = 40_000
"""A question's recording stays under this size: 20 s at 16 kbit/s; a longer question gets
a lower average bit rate (8 kbit/s at least). Pages read aloud have no such limit."""
HUMAN_FORMATS = ("wav", "flac", "ogg", "mp3")
#: eSpeak NG voice and speed (words a minute; eSpeak's default is 175) for each language.
#: French is a little slower than the default, for people who follow with effort.
VOICES: Mapping[str, Voice] = {
    "fr": Voice("fr", 160),
    "en": Voice("en", 165),
    "ar": Voice("ar", 175),
}
#: Pauses, in seconds: between the sentences of a piece, between pieces, before and after.
PAUSE_BETWEEN_PARTS = 0.4
PAUSE_BETWEEN_PIECES = 0.6
LEAD_IN, TAIL = 0.15, 0.35


def _method() -> str:
    """The code that makes recordings: when it changes (pauses, loudness, encoding), every
    recording is made again."""
    digest = hashlib.sha256()
    for name in ("library.py", "pronounce.py", "sound.py", "speech.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


METHOD = _method()
_FILE_RE = re.compile(r"[0-9a-f]{16}\.mp3")


@dataclass(frozen=True)
class Recording:
    """One built recording: which clip, in which language, in which file, made how."""

    key: str
    locale: str
    file: str
    text: str
    """The clip's fingerprint when it was made: fresh while the clip's is the same."""
    source: str
    """Fingerprint of everything that made it (text, voice, human files, method)."""
    made_with: str
    """"eSpeak NG 1.52.0 (fr, 145)", "human" or both, for people to read."""
    seconds: float
    bytes: int
    kbps: float
    """Average bit rate: 16 kbit/s for speech, less for a long question fitted in MAX_BYTES."""


def read_manifest(folder: Path) -> dict[tuple[str, str], Recording]:
    """The recordings listed in ``folder/recordings.json`` (empty if there is none)."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    recordings = {}
    for entry in data.get("recordings", []):
        try:
            recording = Recording(**entry)
        except TypeError:
            continue  # written by another version: made again by the next build
        recordings[(recording.locale, recording.key)] = recording
    return recordings


def fresh_recordings(clips: Iterable[Clip], folder: Path) -> dict[tuple[str, str], Recording]:
    """The recordings that read the clips' current texts and whose file is there."""
    manifest = read_manifest(folder)
    fresh = {}
    for clip in clips:
        recording = manifest.get((clip.locale, clip.key))
        if (
            recording is not None
            and recording.text == clip.fingerprint
            and (folder / recording.file).is_file()
        ):
            fresh[(clip.locale, clip.key)] = recording
    return fresh


def human_file_name(piece: Piece, extension: str = "wav") -> str:
    return f"{piece.key}.{piece.mark}.{extension}"


@dataclass
class BuildReport:
    """What ``build`` did (or, on a dry run, would do), in words for the person who ran it."""

    built: list[Recording] = field(default_factory=list)
    to_make: list[str] = field(default_factory=list)
    """On a dry run: the recordings that would be made, with why."""
    kept: int = 0
    human_pieces: set[tuple[str, str]] = field(default_factory=set)
    missing: list[tuple[str, str, str]] = field(default_factory=list)
    """(language, clip, why) of every clip left without a fresh recording."""
    warnings: list[str] = field(default_factory=list)
    removed: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"{len(self.built)} recording(s) made, {self.kept} up to date, "
            f"{self.removed} old file(s) removed, in {self.seconds:.1f} s."
        ]
        if self.human_pieces:
            lines.append(f"{len(self.human_pieces)} piece(s) read by a human voice.")
        problems: dict[tuple[str, str], int] = {}
        for locale, _key, problem in self.missing:
            problems[(locale, problem)] = problems.get((locale, problem), 0) + 1
        for (locale, problem), count in sorted(problems.items()):
            lines.append(
                f"MISSING {locale}: {count} recording(s) not made, so not linked: {problem}"
            )
        return "\n".join(lines)


class _Sources:
    """Where each piece's sound comes from: a human recording, else eSpeak NG."""

    def __init__(
        self,
        recordings_dir: Path | None,
        speaker: Callable[[], Speaker],
        report: BuildReport,
    ) -> None:
        self.recordings_dir = recordings_dir
        self._speaker_factory = speaker
        self._speaker: Speaker | None = None
        self.unavailable: str | None = None
        self.report = report
        self._voices: dict[str, str | None] = {}
        self._human: dict[tuple[str, str], Path | None] = {}
        self._warned: set[str] = set()

    def speaker(self) -> Speaker | None:
        if self._speaker is None and self.unavailable is None:
            try:
                self._speaker = self._speaker_factory()
            except SpeechUnavailable as error:
                self.unavailable = str(error)
        return self._speaker

    def voice_problem(self, locale: str) -> str | None:
        """Why this language cannot be synthesised here, or None."""
        if locale not in self._voices:
            speaker = self.speaker()
            voice = VOICES.get(locale)
            if speaker is None:
                self._voices[locale] = f"no speech synthesis: {self.unavailable}"
            elif voice is None:
                self._voices[locale] = f"no eSpeak NG voice is chosen for {locale!r} (VOICES)"
            elif not speaker.has_voice(voice.name):
                self._voices[locale] = (
                    f"eSpeak NG {speaker.version} has no voice {voice.name!r} for {locale!r}"
                )
            else:
                self._voices[locale] = None
        return self._voices[locale]

    def pronunciation(self, locale: str) -> Pronunciation:
        reading = pronunciation(locale)
        if reading.problem:
            self.warn(f"{locale}: {reading.problem}")
        return reading

    def human(self, locale: str, piece: Piece) -> Path | None:
        """The human recording of this piece, if there is one that can be read."""
        if (locale, piece.key) in self._human:
            return self._human[(locale, piece.key)]
        found = None
        folder = (self.recordings_dir or Path("/nonexistent")) / locale / Path(piece.key).parent
        stem = Path(piece.key).name
        for path in sorted(folder.glob(f"{stem}.*")) if folder.is_dir() else []:
            parts = path.name.split(".")
            if parts[0] != stem or parts[-1] not in HUMAN_FORMATS:
                continue
            if len(parts) != 3 or parts[1] != piece.mark:
                self.warn(
                    f"{path}: not used: recorded for another text, or named without the "
                    f"text's mark; the current text's file is {human_file_name(piece, parts[-1])}"
                    f" (flask build-audio --script {locale})"
                )
                continue
            try:
                sound.probe(path)
            except sound.SoundError as error:
                self.warn(f"{path}: not used: {error}")
                continue
            found = path
            self.report.human_pieces.add((locale, piece.key))
            break
        self._human[(locale, piece.key)] = found
        return found

    def warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self.report.warnings.append(message)

    def describe(self, locale: str, pieces: Sequence[Piece]) -> tuple[str, str] | None:
        """(source fingerprint, how it is made) for a clip, or None if it cannot be made."""
        recipe: list[object] = [METHOD, lameenc_version(), locale]
        made_with = []
        for piece in pieces:
            human = self.human(locale, piece)
            if human is not None:
                recipe.append(["human", hashlib.sha256(human.read_bytes()).hexdigest()])
                made_with.append("human")
                continue
            if self.voice_problem(locale) is not None:
                return None
            speaker = self.speaker()
            assert speaker is not None
            voice = VOICES[locale]
            reading = self.pronunciation(locale).label
            recipe.append(
                ["espeak-ng", speaker.version, voice.name, voice.rate, reading, piece.text]
            )
            made_with.append(f"eSpeak NG {speaker.version} ({voice.name}, {voice.rate})")
        source = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:16]
        return source, " + ".join(dict.fromkeys(made_with))

    def sound(self, locale: str, piece: Piece) -> np.ndarray:
        """The piece's samples at sound.SAMPLE_RATE, loudness not yet set. A piece said in
        several clips is simply made again: a build holds only one clip's sounds at once."""
        human = self.human(locale, piece)
        if human is not None:
            return sound.decode(human.read_bytes())
        speaker = self.speaker()
        assert speaker is not None
        voice = VOICES[locale]
        prepare = self.pronunciation(locale).prepare
        parts = [
            sound.resample(speaker.speak(prepare(part), voice) / 32768.0, speaker.sample_rate)
            for part in piece.parts
        ]
        return sound.join(parts, PAUSE_BETWEEN_PARTS)


def lameenc_version() -> str:
    try:
        return metadata.version("lameenc")
    except metadata.PackageNotFoundError:
        return "none"


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)


def build(
    clips: Iterable[Clip],
    folder: Path,
    recordings_dir: Path | None = None,
    *,
    speaker: Callable[[], Speaker] | None = None,
    force: bool = False,
    prune: bool = True,
    dry_run: bool = False,
    jobs_count: int = 1,
) -> BuildReport:
    """Make every clip's recording that is missing or stale in ``folder``; keep the others.

    A recording is made again when what made it changed: its text, a human recording, the
    voice or eSpeak NG's version, or the code that makes it (:data:`METHOD`). When a clip
    cannot be made (no synthesis, no voice for its language, a silent sound), a recording of
    its current text already there is kept, and anything else is reported in ``missing``.
    ``prune`` removes the files no clip uses any more. ``dry_run`` changes nothing and lists
    in ``to_make`` what would be made. ``jobs_count`` processes make the recordings (with
    the default speaker only).
    """
    from .speech import speaker as default_speaker

    started = time.perf_counter()
    report = BuildReport()
    sources = _Sources(recordings_dir, speaker or default_speaker, report)
    old = read_manifest(folder)
    new: dict[tuple[str, str], Recording] = {}
    jobs: list[_Job] = []
    for clip in clips:
        decided = _decide(clip, old, folder, sources, force=force, dry_run=dry_run)
        if isinstance(decided, _Job):
            jobs.append(decided)
        elif decided is not None:
            new[(clip.locale, clip.key)] = decided
    if jobs:
        folder.mkdir(parents=True, exist_ok=True)
    parallel = (
        speaker is None
        and jobs_count > 1
        and len(jobs) >= 2 * jobs_count
        and "fork" in multiprocessing.get_all_start_methods()
    )
    made = (
        _made_in_processes(jobs, folder, recordings_dir, jobs_count)
        if parallel
        else (_attempt(job, folder, sources) for job in jobs)
    )
    for job, outcome in zip(jobs, made, strict=True):
        where = (job.clip.locale, job.clip.key)
        if isinstance(outcome, Recording):
            new[where] = outcome
            report.built.append(outcome)
            if outcome.bytes > MAX_BYTES and job.clip.key.startswith("items/"):
                report.warnings.append(
                    f"{job.clip.locale} {job.clip.key}: {outcome.bytes} bytes "
                    f"({outcome.seconds:.0f} s), more than {MAX_BYTES} even at "
                    f"{sound.SILENCE_KBPS} kbit/s: shorten the text"
                )
        elif job.usable is None:
            report.missing.append((*where, outcome))
        else:
            new[where] = job.usable
            report.warnings.append(f"{where[0]} {where[1]}: {outcome}; the last one is kept")
    if sources.unavailable:
        report.warnings.append(f"no speech synthesis: {sources.unavailable}")
    if not dry_run and (new or folder.is_dir()):
        folder.mkdir(parents=True, exist_ok=True)
        manifest = {
            "about": "Recordings built by `flask build-audio`: see README.md, « Listening ».",
            "recordings": [asdict(r) for _, r in sorted(new.items())],
        }
        _write_atomically(folder / MANIFEST, json.dumps(manifest, indent=1).encode())
        if prune:
            used = {r.file for r in new.values()}
            for path in folder.iterdir():
                if _FILE_RE.fullmatch(path.name) and path.name not in used:
                    path.unlink(missing_ok=True)
                    report.removed += 1
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _Job:
    """A recording to make."""

    clip: Clip
    source: str
    made_with: str
    usable: Recording | None
    """The recording of the same text already there, kept if this one cannot be made."""


def _decide(
    clip: Clip,
    old: Mapping[tuple[str, str], Recording],
    folder: Path,
    sources: _Sources,
    *,
    force: bool,
    dry_run: bool,
) -> Recording | _Job | None:
    """What to do for a clip: keep a recording, make one (a job), or nothing (reported)."""
    report = sources.report
    previous = old.get((clip.locale, clip.key))
    usable = (
        previous
        if previous is not None
        and previous.text == clip.fingerprint
        and (folder / previous.file).is_file()
        else None
    )
    recipe = sources.describe(clip.locale, clip.pieces)
    if recipe is None:
        if usable is None:
            report.missing.append((clip.locale, clip.key, str(sources.voice_problem(clip.locale))))
        else:
            report.kept += 1
        return usable
    source, made_with = recipe
    if usable is not None and usable.source == source and not force:
        report.kept += 1
        return usable
    if dry_run:
        why = (
            "no recording yet"
            if previous is None
            else "its text changed"
            if previous.text != clip.fingerprint
            else "its file is missing"
            if usable is None
            else "made again by request"
            if force
            else "the voice, a human recording or the way recordings are made changed"
        )
        report.to_make.append(f"{clip.locale} {clip.key}: {why}")
        return usable
    return _Job(clip, source, made_with, usable)


def _attempt(job: _Job, folder: Path, sources: _Sources) -> Recording | str:
    """The recording, or why it cannot be made."""
    try:
        return _make(job.clip, folder, sources, job.source, job.made_with)
    except sound.SoundError as error:
        return str(error)


_WORKER: _Sources | None = None


def _start_worker(recordings_dir: Path | None) -> None:
    global _WORKER
    from .speech import speaker

    _WORKER = _Sources(recordings_dir, speaker, BuildReport())


def _work(job: _Job, folder: Path) -> Recording | str:
    assert _WORKER is not None
    return _attempt(job, folder, _WORKER)


def _made_in_processes(
    jobs: list[_Job], folder: Path, recordings_dir: Path | None, processes: int
) -> list[Recording | str]:
    """Make the recordings in several processes (eSpeak NG and LAME use one core each).

    The processes are forked: they start at once, and the parent has loaded eSpeak NG but
    started no thread (the Arabic model's session is built in each process when first used).
    """
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    with ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(recordings_dir,),
    ) as pool:
        return list(pool.map(partial(_work, folder=folder), jobs, chunksize=4))


def _make(clip: Clip, folder: Path, sources: _Sources, source: str, made_with: str) -> Recording:
    pieces = [sources.sound(clip.locale, piece) for piece in clip.pieces]
    samples = sound.join(pieces, PAUSE_BETWEEN_PIECES)
    samples = sound.normalise(samples)
    samples = np.concatenate([sound.silence(LEAD_IN), samples, sound.silence(TAIL)])
    data = sound.encode_mp3(samples, MAX_BYTES if clip.key.startswith("items/") else None)
    name = f"{source}.mp3"
    _write_atomically(folder / name, data)
    info = sound.mp3_info(data)
    return Recording(
        key=clip.key,
        locale=clip.locale,
        file=name,
        text=clip.fingerprint,
        source=source,
        made_with=made_with,
        seconds=round(info.seconds, 2),
        bytes=len(data),
        kbps=round(info.kbps, 1),
    )
