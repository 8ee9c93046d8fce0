"""Text as the synthesiser should read it (no Flask).

Arabic is written without most of its vowels; eSpeak NG knows them only for the words of its
dictionary and says the others as clusters of consonants. ``text2tashkeel`` (small ONNX
models, offline) adds the vowel marks (tashkeel) first, so that every word is said whole. The
page keeps the text as it is written: only what the synthesiser reads changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import metadata

__all__ = ["Pronunciation", "pronunciation"]

#: text2tashkeel's most accurate bundled model (2 % of letters wrong on its benchmark).
TASHKEEL_MODEL = "rawi-ensemble"


class Pronunciation:
    """How one language's text is prepared for eSpeak NG: ``prepare`` and a ``label`` that
    says what did it (part of each recording's fingerprint), or a ``problem``."""

    def __init__(
        self, prepare: Callable[[str], str], label: str, problem: str | None = None
    ) -> None:
        self.prepare = prepare
        self.label = label
        self.problem = problem


def _as_written(text: str) -> str:
    return text


@cache
def pronunciation(locale: str) -> Pronunciation:
    if locale != "ar":
        return Pronunciation(_as_written, "as written")
    try:
        from text2tashkeel import Diacritizer
    except ImportError:
        return Pronunciation(
            _as_written,
            "as written",
            "text2tashkeel is not installed: Arabic words outside eSpeak NG's dictionary are "
            "said without their vowels (run `make .venv/.installed` or `pip install -e .`)",
        )
    diacritizer = Diacritizer(TASHKEEL_MODEL)
    version = metadata.version("text2tashkeel")
    return Pronunciation(diacritizer.diacritize, f"text2tashkeel {version} {TASHKEEL_MODEL}")
