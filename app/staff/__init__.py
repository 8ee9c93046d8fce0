"""Staff follow-up: organisations and accounts, consents, contact requests, records, figures.

Mediators (France Services, associations) and France Travail counsellors follow people up,
with the person's consent. Like ``app/assessment/service.py``, nothing here imports Flask:
the functions take a SQLAlchemy session and the time ``now`` (an aware datetime), so they
are tested on their own and the views stay thin.

- ``accounts``: organisations (with their share code), staff accounts, signing in with a
  lockout per account.
- ``consent``: what a person allowed, to which organisation, until when; who may see whom.
- ``requests``: a person's request to be contacted, the organisation's queue, expiry and
  erasure of contact details.
- ``records``: what staff did for a person (chèques, orientation, note).
- ``access``: the append-only journal of who opened a person's data.
- ``figures``: monthly figures for an organisation, without personal data.

Times follow ``app/times.py``: stored in UTC, calendar things counted in Paris.
"""

from __future__ import annotations

__all__ = ["FORM_KEY_LENGTH", "N_", "FormError", "clean_form_key"]

#: Length of ``form_key`` columns.
FORM_KEY_LENGTH = 64


def N_(message: str) -> str:
    """Mark a message for translation without translating it (no Flask here).

    ``N_`` is one of Babel's default keywords: ``make translations-update`` extracts these
    messages, and the views translate them when they show them:
    ``_(error.message, **error.params)``.
    """
    return message


class FormError(ValueError):
    """What to fix in a form, in plain French.

    ``message`` is the French text with ``%(name)s`` placeholders (the msgid to translate),
    ``params`` their values, ``field`` the form field to link from the error summary (None
    when the whole form is at fault). ``str(error)`` is the French text, filled in.
    """

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


def clean_form_key(form_key: str) -> str:
    """A form's one-time key, as given by the view: 1 to 64 printable characters."""
    key = form_key.strip() if isinstance(form_key, str) else ""
    if not key or len(key) > FORM_KEY_LENGTH or not key.isprintable():
        raise ValueError("form_key: 1 to 64 printable characters")
    return key
