"""Forms (Flask-WTF): CSRF protection and server-side validation for every POST."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, ValidationError

RETURN_CODE_LENGTH = 12


def normalise_return_code(value: str) -> str:
    """Keep the digits of a typed code: '1234 5678-9012' gives '123456789012'."""
    return re.sub(r"[\s\-.]", "", value or "")


class ReturnCodeForm(FlaskForm):
    code = StringField(
        _l("Votre code pour revenir"),
        description=_l("12 chiffres, par exemple 1234 5678 9012."),
        validators=[InputRequired(message=_l("Écrivez votre code pour revenir."))],
    )

    def validate_code(self, field: StringField) -> None:
        digits = normalise_return_code(field.data)
        if not digits.isascii() or not digits.isdigit() or len(digits) != RETURN_CODE_LENGTH:
            raise ValidationError(
                _l("Le code a 12 chiffres. Vérifiez les chiffres et recommencez.")
            )
        field.data = digits
