"""Listening: every question, and the pages that matter, read aloud (no Flask).

- scripts.py: what each recording says (items, pages, results), from the bank and the
  catalogues;
- speech.py: eSpeak NG, the offline speech synthesiser;
- sound.py: silences, loudness, MP3 files;
- library.py: building the recordings into a folder, and which ones are fresh.

``flask build-audio`` (app/cli.py) builds them; app/views/audio.py serves them and tells the
templates which recording a page has.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from babel.support import NullTranslations, Translations

from ..assessment.bank import Bank
from .scripts import Clip, Translate, all_clips

__all__ = ["site_clips", "translator"]


def translator(locale: str, directory: Path) -> Translate:
    """gettext for one language, from the compiled catalogues in ``directory``.

    French is the source language. Raises LookupError when another language has no compiled
    catalogue (run `make translations`): its recordings would be in French.
    """
    if locale == "fr":
        return NullTranslations().gettext
    translations = Translations.load(str(directory), [locale])
    if not isinstance(translations, Translations):
        raise LookupError(f"no compiled catalogue for {locale!r} in {directory}")
    return translations.gettext


def site_clips(bank: Bank, locales: Iterable[str], translations_dir: Path) -> list[Clip]:
    """Every recording of the site, in every language that has its catalogue."""
    clips: list[Clip] = []
    for locale in locales:
        clips += all_clips(bank, locale, translator(locale, translations_dir))
    return clips
