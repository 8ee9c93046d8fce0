"""The recordings the tests use: built once per run into build/test-audio/, kept between runs.

Each recording is listed with the fingerprints of its text and of everything that made it
(voice, eSpeak NG version, human recordings, the code in app/audio), so a run makes again only
what changed: the first run on a clean clone makes them all, the next ones check and keep.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from app.assessment.bank import load_bank
from app.audio import site_clips
from app.audio.library import BuildReport, build
from app.config import DEFAULT_RECORDINGS, LOCALES, PROJECT_ROOT

TEST_AUDIO_DIR = PROJECT_ROOT / "build" / "test-audio"
TRANSLATIONS = PROJECT_ROOT / "translations"


@lru_cache(maxsize=1)
def test_recordings() -> BuildReport:
    """Make the site's recordings that are missing or stale in TEST_AUDIO_DIR (once per run)."""
    clips = site_clips(load_bank(), LOCALES, TRANSLATIONS)
    return build(clips, TEST_AUDIO_DIR, DEFAULT_RECORDINGS, jobs_count=2)


def audio_dir() -> Path:
    test_recordings()
    return TEST_AUDIO_DIR


if __name__ == "__main__":  # `make test` makes them once, before its three runs share them
    print(test_recordings().summary())
