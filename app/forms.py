"""Forms (Flask-WTF): CSRF protection and server-side validation for every POST."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from babel.support import Translations
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, StringField
from wtforms.i18n import messages_path
from wtforms.validators import InputRequired, ValidationError

from . import return_code
from .assessment.bank import Item
from .assessment.service import MAX_RESPONSE_LENGTH

MAX_TYPED_ANSWER = MAX_RESPONSE_LENGTH


@lru_cache(maxsize=8)
def wtforms_messages(locale: str) -> Translations:
    """WTForms' own messages in this language, read from disk once per process."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """Every form of the site: Flask-WTF's CSRF token, and WTForms' messages in the person's
    language from a catalogue kept in memory (Flask-WTF would read it again on every request)."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> Translations:
            return wtforms_messages(str(get_locale() or "fr"))


class ReturnCodeForm(Form):
    #: Where to go once the code is found (a page of this site), if not the test.
    suite = HiddenField()
    code = StringField(
        _l("Votre code pour revenir"),
        description=_l("12 chiffres, par exemple 1234 5678 9012."),
        validators=[InputRequired(message=_l("Écrivez votre code pour revenir."))],
    )

    def validate_code(self, field: StringField) -> None:
        digits = return_code.normalise(field.data)
        if not return_code.is_well_formed(digits):
            raise ValidationError(
                _l("Le code a 12 chiffres. Vérifiez les chiffres et recommencez.")
            )
        field.data = digits


class EmptyForm(Form):
    """A form with only its CSRF token: for buttons that start or finish something."""


#: The name of the "Je ne sais pas" button; its presence means the person does not know.
DONT_KNOW_BUTTON = "je_ne_sais_pas"


class AnswerForm(Form):
    """One answer to one question; the fields used depend on the item's kind."""

    item_id = HiddenField()
    choice = RadioField(validate_choice=False)
    text = StringField()

    def __init__(self, item: Item, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.choice.choices = [
            (str(number), _(option)) for number, option in enumerate(item.options, 1)
        ]

    @property
    def answer_field(self) -> Field:
        return {"single": self.choice, "text": self.text}[self.item.kind]

    def response(self) -> str:
        """What was answered, after validate(): an option number or the text."""
        return str(self.answer_field.data).strip()

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.item_id.data != self.item.id:
            self.answer_field.errors.append(_("Cette question a changé. Répondez à nouveau."))
            return False
        field, valid = self.answer_field, {str(n) for n in range(1, len(self.item.options) + 1)}
        if self.item.kind == "single" and field.data not in valid:
            field.errors.append(_("Choisissez une réponse, ou appuyez sur « Je ne sais pas »."))
        elif self.item.kind == "text":
            text = " ".join((field.data or "").split())
            if not text:
                field.errors.append(_("Écrivez votre réponse, ou appuyez sur « Je ne sais pas »."))
            elif len(text) > MAX_TYPED_ANSWER:
                field.errors.append(
                    _(
                        "Votre réponse est trop longue. Écrivez %(limit)s caractères au plus.",
                        limit=MAX_TYPED_ANSWER,
                    )
                )
        return not field.errors
