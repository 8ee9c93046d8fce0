"""Whether a staff password is guessable: zxcvbn, not a home-made rule.

zxcvbn (Dropbox's estimator, the ``zxcvbn`` package, offline) knows the most common
passwords of leaked lists, English words, names, keyboard rows, dates, repeats and
sequences, and estimates how many guesses a password takes. Repère adds the words an
attacker would try first against it (its name, the organisations' kinds, French words of
the trade, the AZERTY rows) and the account's own e-mail and name. A password is accepted
from ``MIN_SCORE`` on: about 10¹⁰ guesses or more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

#: zxcvbn's score (0 to 4) from which a password is accepted: 3 means at least about 10¹⁰
#: guesses, "safely unguessable" for an online attacker and slow for one holding the hashes.
MIN_SCORE = 3

#: The longest password zxcvbn reads.
ZXCVBN_MAX_LENGTH = 72

#: Words tried first against Repère, on top of zxcvbn's lists (which are English).
SITE_WORDS = (
    "repere",
    "repère",
    "france",
    "services",
    "travail",
    "francetravail",
    "franceservices",
    "mediateur",
    "mediatrice",
    "mediation",
    "numerique",
    "conseiller",
    "conseillere",
    "association",
    "mairie",
    "motdepasse",
    "mot de passe",
    "bonjour",
    "soleil",
    "azerty",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "azertyuiopqsdfghjklmwxcvbn",
)


def is_guessable(password: str, about_the_holder: Iterable[str] = ()) -> bool:
    """True when ``password`` is common or easy to guess (zxcvbn), counting the words of the
    site and ``about_the_holder`` (their e-mail, their name) as known to the attacker."""
    hints = [*SITE_WORDS]
    for value in about_the_holder:
        value = str(value or "").lower()
        hints.append(value)
        parts = re.split(r"[\s@._\-+]+", value)
        hints.extend(part for part in parts if part)
        hints.append("".join(parts))
        if "@" in value:  # the e-mail's name, without its dots: awa.diallo -> awadiallo
            hints.append(re.sub(r"[^a-z0-9]", "", value.split("@")[0]))
    # zxcvbn reads at most ZXCVBN_MAX_LENGTH characters (its cost grows with the length): a
    # longer password is judged by its beginning, which must be hard to guess on its own.
    return zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=hints)["score"] < MIN_SCORE
