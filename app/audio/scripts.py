"""What the recordings say: every item of the bank, the pages read aloud, the results.

Pure Python, no Flask. A *clip* is one recording the site links to; it is made of *pieces*
said one after the other, and a piece of *parts* (sentences) said with a pause between them.
Human recordings replace synthetic speech piece by piece (app/audio/library.py), so the
results, which differ per person, are put together from a few pieces (the level, then the
next step) rather than recorded once per person.

Texts are French msgids, translated by the ``translate`` function given (gettext for one
language); the pages show the same msgids, and tests/test_audio.py checks that what a
recording says is on its page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..assessment.bank import DONT_KNOW_LABEL, Bank, Item, count_words
from ..words import BAND_TEXTS

__all__ = [
    "BANDS",
    "Clip",
    "Piece",
    "all_clips",
    "item_clip_key",
    "results_clip_key",
    "test_intro_clip_key",
]

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a French msgid for extraction; it is translated where it is said."""
    return message


#: Said before each option: « Réponse 1 : Dans l'appareil photo ».
OPTION = N_("Réponse %(number)s : %(option)s")
#: Said for a button the person can press: « Bouton : Commencer le test ».
BUTTON = N_("Bouton : %(label)s")

#: The pages read aloud: their heading and paragraphs, and the buttons they show
#: (("button", label)), in page order. Same msgids as the templates.
Line = str | tuple[str, str]
HOME: tuple[Line, ...] = (
    N_("Vos compétences numériques pour trouver un emploi"),
    N_("Repère mesure vos compétences numériques, en 10 minutes environ."),
    N_("Ensuite, il vous montre les étapes pour trouver un emploi, à votre niveau."),
    N_("Si vous avez besoin d'aide, il vous dit où en trouver près de chez vous."),
    ("button", N_("Mesurer mes compétences numériques")),
    N_("C'est gratuit. Vous n'avez pas besoin de compte."),
)
TEST_INTRO: tuple[Line, ...] = (
    N_("Mesurer mes compétences numériques"),
    N_("Le test dure environ 10 minutes."),
    N_("Il y a une question par page. Vous répondez, puis vous appuyez sur « Continuer »."),
    N_("Si vous ne savez pas, appuyez sur « Je ne sais pas ». Personne ne sait tout."),
    N_(
        "Vos réponses sont gardées à chaque page. Vous pouvez arrêter et revenir plus tard "
        "avec un code."
    ),
    N_("Nous ne vous demandons ni votre nom, ni votre adresse e-mail."),
)
#: The test's start page shows one of three buttons: its clip ends with that one.
TEST_INTRO_BUTTONS = {
    "start": N_("Commencer le test"),
    "continue": N_("Continuer mon test"),
    "results": N_("Voir mes résultats"),
}
PAUSE: tuple[Line, ...] = (
    N_("Voulez-vous continuer le test ?"),
    N_(
        "Ces questions sont peut-être difficiles pour vous aujourd'hui. C'est normal, "
        "beaucoup de personnes débutent."
    ),
    ("button", N_("Continuer le test")),
    N_("Voir vos résultats maintenant"),
    N_("Nous vous montrons ce que vous savez déjà faire, et où trouver de l'aide."),
    ("button", N_("Voir mes résultats")),
    N_("Faire le test avec une aide près de chez vous"),
    N_("Un médiateur ou une médiatrice numérique peut faire le test avec vous, gratuitement."),
    ("button", N_("Trouver de l'aide près de chez vous")),
)
#: The four bands: name and what it means (the results page's words).
BANDS = BAND_TEXTS
YOUR_LEVEL = N_("Votre niveau :")
NEXT = N_("Et maintenant ?")
NEXT_STEP = {
    True: N_(
        "Commencez par apprendre les bases du numérique. C'est possible près de chez vous, "
        "gratuitement."
    ),
    False: N_(
        "Voici les étapes pour trouver un emploi. Pour chaque étape, nous vous proposons la "
        "façon qui vous convient."
    ),
}
#: Where the level stands among the four: « niveau 1 sur 4 ».
SCALE = N_("niveau %(number)s sur %(count)s")
#: The main button of the results, after the next step is said.
NEXT_BUTTON = {
    True: N_("Trouver de l'aide près de chez vous"),
    False: N_("Voir mes étapes pour trouver un emploi"),
}


@dataclass(frozen=True)
class Piece:
    """Sentences said one after the other; the unit a human recording replaces."""

    key: str
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.parts)

    @property
    def mark(self) -> str:
        """A short fingerprint of the text: a human recording's file name carries it, so
        that a recording of an older text is never used for a new one."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Clip:
    """One recording, in one language: its pieces in order."""

    key: str
    locale: str
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return "\n".join(piece.text for piece in self.pieces)

    @property
    def fingerprint(self) -> str:
        """What is said, in which language: a recording is fresh while this is unchanged."""
        return hashlib.sha256(f"{self.locale}\n{self.text}".encode()).hexdigest()[:16]

    @property
    def words(self) -> int:
        return sum(count_words(part) for piece in self.pieces for part in piece.parts)


def item_clip_key(item_id: str) -> str:
    return f"items/{item_id}"


def test_intro_clip_key(button: str) -> str:
    """``button``: "start", "continue" or "results" (see TEST_INTRO_BUTTONS)."""
    return f"pages/test/{button}"


def results_clip_key(band: int, needs_basics: bool) -> str:
    return f"results/{band}/{'basics' if needs_basics else 'journeys'}"


def _lines(lines: Sequence[Line], translate: Translate) -> tuple[str, ...]:
    said = []
    for line in lines:
        if isinstance(line, tuple):
            said.append(translate(BUTTON) % {"label": translate(line[1])})
        else:
            said.append(translate(line))
    return tuple(said)


def item_piece(item: Item, translate: Translate) -> Piece:
    """The question, each option with its number, then « Je ne sais pas »."""
    parts = [translate(item.text)]
    parts += [
        translate(OPTION) % {"number": number, "option": translate(option)}
        for number, option in enumerate(item.options, start=1)
    ]
    parts.append(translate(DONT_KNOW_LABEL))
    return Piece(item_clip_key(item.id), tuple(parts))


def all_clips(bank: Bank, locale: str, translate: Translate) -> Iterator[Clip]:
    """Every recording of the site in one language, items first."""
    for item in bank:
        piece = item_piece(item, translate)
        yield Clip(piece.key, locale, (piece,))
    yield Clip("pages/home", locale, (Piece("pages/home", _lines(HOME, translate)),))
    intro = Piece("pages/test", _lines(TEST_INTRO, translate))
    for button, label in TEST_INTRO_BUTTONS.items():
        said = _lines([("button", label)], translate)
        pieces = (intro, Piece(f"buttons/{button}-test", said))
        yield Clip(test_intro_clip_key(button), locale, pieces)
    yield Clip("pages/pause", locale, (Piece("pages/pause", _lines(PAUSE, translate)),))
    levels = [
        Piece(
            f"results/level-{band}",
            (
                f"{translate(YOUR_LEVEL)} {translate(name)}",
                translate(SCALE) % {"number": band + 1, "count": len(BANDS)},
                translate(meaning),
            ),
        )
        for band, (name, meaning) in enumerate(BANDS)
    ]
    steps = {
        basics: Piece(
            f"results/next-{'basics' if basics else 'journeys'}",
            (
                translate(NEXT),
                translate(NEXT_STEP[basics]),
                *_lines([("button", NEXT_BUTTON[basics])], translate),
            ),
        )
        for basics in (True, False)
    }
    for band, level in enumerate(levels):
        for basics, step in steps.items():
            yield Clip(results_clip_key(band, basics), locale, (level, step))
