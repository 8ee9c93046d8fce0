"""Every POST of the site is one of these form classes (Flask-WTF).

A form gives the CSRF token, reads and checks what was posted, keeps what was typed when
the page comes back with an error, and carries the errors that the domain finds
(``app.staff.FormError``) to the field they name: ``form.fail(error)``. Templates render
every field with the macros of ``templates/components/forms.html``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from babel.support import Translations
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import AnyOf, InputRequired, ValidationError

from . import return_code
from .assessment.bank import Item
from .assessment.service import MAX_RESPONSE_LENGTH
from .extensions import db
from .http import form_id
from .models import DISPLAY_NAME_LENGTH, Organisation
from .staff import FORM_KEY_LENGTH, FormError, accounts, consent, records, requests
from .times import parse_date
from .words import CHANNELS, ORGANISATION_KINDS, ROLES, slot

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

    #: The field that takes an error about the whole form (``FormError.field`` None).
    whole_form_field: str | None = None

    def add_error(self, field: Field, message: str) -> None:
        """Show ``message`` on ``field``, after the form was validated or not."""
        field.errors = [*field.errors, message]
        self._errors = None  # WTForms keeps the errors it has counted

    def fail(self, error: FormError) -> None:
        """Put an error found by the domain on the field it names."""
        name = error.field if error.field in self._fields else self.whole_form_field
        field = self._fields.get(name or "") or next(
            (f for f in self if f.widget.input_type != "hidden"),
            # a form of buttons only (a check-your-answers page): its one-time key carries it
            next(f for f in self if f.name != "csrf_token"),
        )
        self.add_error(field, _(error.message, **error.params))


def options(
    pairs: Iterable[tuple[Any, Any]], attributes: dict[str, str] | None = None
) -> list[SelectChoice]:
    """The choices of a radio, checkbox or select field: (value, words) pairs; ``attributes``
    for each choice's element (a select's options: ``lang`` when the words are in French)."""
    return [SelectChoice(value=value, label=label, render_kw=attributes) for value, label in pairs]


def form_key() -> str:
    """A one-time key: a form posted twice records one thing."""
    return secrets.token_urlsafe(24)


class FormKeyField(HiddenField):
    """The form's one-time key, kept across an error so that the retry is the same form."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default=form_key, **kwargs)

    def pre_validate(self, form: Form) -> None:
        value = self.data or ""
        if not value or len(value) > FORM_KEY_LENGTH or not value.isprintable():
            raise ValidationError(
                _("Ce formulaire n'est pas valable. Recommencez, s'il vous plaît.")
            )


class DateTypedField(StringField):
    """A date, typed the way people in France type it: rendered as ``<input type="date">``
    (a browser without a date field shows a text box instead, and sends what was typed).

    Reads 31/12/2027, 31-12-2027, 31 12 2027 and 2027-12-31 (app.times.parse_date). Its
    hint and its error give the same example as each other; what was typed comes back as
    it was when it is not a date, and as the browser's field expects it (2027-12-31) when
    it is. ``field.date`` is the date read, after validation.
    """

    EXAMPLE = "31/12/2027"

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(
            label,
            description=_l("Jour, mois, année : par exemple %(example)s.", example=self.EXAMPLE),
            **kwargs,
        )
        self.date: date | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        self.date = parse_date(self.data)

    def pre_validate(self, form: Form) -> None:
        if self.date is None:
            raise ValidationError(
                _(
                    "Écrivez la date avec le jour, le mois et l'année : par exemple %(example)s.",
                    example=self.EXAMPLE,
                )
            )

    def _value(self) -> str:
        return self.date.isoformat() if self.date else super()._value()


class DisplayNameField(StringField):
    """A name or initials the person chooses to show staff: optional."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault(
            "description",
            _l("Si la personne le veut : son prénom, ou ses initiales. Sinon, laissez vide."),
        )
        super().__init__(label, **kwargs)

    def pre_validate(self, form: Form) -> None:
        try:
            self.data = consent.clean_display_name(self.data)
        except ValueError:
            raise ValidationError(
                _("Écrivez %(max)s caractères au plus.", max=DISPLAY_NAME_LENGTH)
            ) from None


class EmptyForm(Form):
    """A form with only its CSRF token: for buttons that start or finish something."""


# --------------------------------------------------------------------------------------------
# The person: the test, the code to come back, steps done


class ReturnCodeForm(Form):
    #: Where to go once the code is found (a page of this site), if not the test.
    suite = HiddenField()
    code = StringField(
        _l("Votre code pour revenir"),
        description=_l("16 chiffres, par exemple 1234 5678 9012 3456."),
        validators=[InputRequired(message=_l("Écrivez votre code pour revenir."))],
    )

    def validate_code(self, field: StringField) -> None:
        digits = return_code.normalise(field.data)
        if not return_code.is_well_formed(digits):
            raise ValidationError(
                _l("Le code a 16 chiffres. Vérifiez les chiffres et recommencez.")
            )
        field.data = digits


#: The name of the "Je ne sais pas" button; its presence means the person does not know.
DONT_KNOW_BUTTON = "je_ne_sais_pas"


class AnswerForm(Form):
    """One answer to one question; the fields used depend on the item's kind.

    A posted answer names its question (``item_id``): the view reads it, finds the item,
    then ``bind``s the form to it before validating.
    """

    item_id = HiddenField()
    choice = RadioField(validate_choice=False)
    text = StringField()
    #: The « Je ne sais pas » button: posted only when the person pressed it.
    dont_know = StringField(name=DONT_KNOW_BUTTON)

    def __init__(self, item: Item | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if item is not None:
            self.bind(item)

    def bind(self, item: Item) -> None:
        self.item = item
        self.choice.choices = options(
            (str(number), _(option)) for number, option in enumerate(item.options, 1)
        )

    @property
    def said_dont_know(self) -> bool:
        return bool(self.dont_know.raw_data)

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
            self.add_error(self.answer_field, _("Cette question a changé. Répondez à nouveau."))
            return False
        field, valid = self.answer_field, {str(n) for n in range(1, len(self.item.options) + 1)}
        if self.item.kind == "single" and field.data not in valid:
            self.add_error(field, _("Choisissez une réponse, ou appuyez sur « Je ne sais pas »."))
        elif self.item.kind == "text":
            text = " ".join((field.data or "").split())
            if not text:
                self.add_error(
                    field, _("Écrivez votre réponse, ou appuyez sur « Je ne sais pas ».")
                )
            elif len(text) > MAX_TYPED_ANSWER:
                self.add_error(
                    field,
                    _(
                        "Votre réponse est trop longue. Écrivez %(limit)s caractères au plus.",
                        limit=MAX_TYPED_ANSWER,
                    ),
                )
        return not field.errors


class StepDoneForm(Form):
    """« J'ai fait cette étape » / « Je n'ai pas fini cette étape »: the button's value."""

    done = StringField(name="fait", validators=[AnyOf(("oui", "non"))])

    @property
    def is_done(self) -> bool:
        return self.done.data == "oui"


# --------------------------------------------------------------------------------------------
# Sharing with an organisation, asking to be contacted


def duration_choices() -> list[SelectChoice]:
    """How long a consent lasts (app.staff.consent.DURATIONS_MONTHS), in words."""
    return options(
        (months, ngettext("%(num)s mois", "%(num)s mois", months) if months < 12 else _("1 an"))
        for months in consent.DURATIONS_MONTHS
    )


class DurationField(RadioField):
    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(
            _l("Pendant combien de temps ?"),
            coerce=int,
            choices=options((months, str(months)) for months in consent.DURATIONS_MONTHS),
            validate_choice=False,
            **kwargs,
        )
        self.message = message

    def pre_validate(self, form: Form) -> None:
        if self.data not in consent.DURATIONS_MONTHS:
            raise ValidationError(self.message)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = form_id(valuelist[0]) if valuelist else None


class OrganisationChoiceForm(Form):
    """The organisation a person chooses: from those near their postcode, or by the code a
    mediator gave them. ``cp`` keeps the postcode that listed the organisations."""

    cp = HiddenField()
    organisation = RadioField(_l("Avec quel organisme ?"), validate_choice=False)
    code = StringField(_l("Le code donné par un médiateur ou une médiatrice (si vous en avez un)"))

    whole_form_field = "organisation"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chosen: Organisation | None = None
        self.organisation.choices = options(
            (str(found.id), f"{found.name} ({found.postcode})")
            for found in accounts.organisations_near_postcode(db.session, self.cp.data)
        )

    def validate_organisation(self, field: RadioField) -> None:
        code = (self.code.data or "").strip()
        if code:
            self.chosen = accounts.find_organisation_by_code(db.session, code)
        elif (organisation_id := form_id(field.data)) is not None:
            self.chosen = db.session.get(Organisation, organisation_id)
        if self.chosen is None:
            raise ValidationError(
                _("Choisissez un organisme, ou écrivez le code qu'on vous a donné.")
            )


class ShareForm(OrganisationChoiceForm):
    months = DurationField(_l("Choisissez pendant combien de temps vous partagez vos résultats."))
    display_name = DisplayNameField(
        _l("Votre prénom ou vos initiales (si vous voulez)"),
        description=_l("Pour que l'organisme vous retrouve. Sinon, laissez vide."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.months.choices = duration_choices()


# Asking to be contacted: one question per page (app/views/sharing.py keeps the answers of
# the pages already seen in the visit's session until the request is sent).


class ContactOrganisationForm(OrganisationChoiceForm):
    """Who contacts the person: an organisation near them, or the code they were given.
    ``origine`` keeps the page the person came from (a step of a journey, the results)."""

    origine = HiddenField()


class ContactChannelForm(Form):
    channel = RadioField(
        _l("Comment voulez-vous être contacté ou contactée ?"),
        choices=options(CHANNELS.items()),
        validate_choice=False,
    )

    def validate_channel(self, field: RadioField) -> None:
        if field.data not in requests.CHANNELS:
            raise ValidationError(_("Choisissez comment vous voulez être contacté ou contactée."))


class ContactSlotsForm(Form):
    slots = SelectMultipleField(
        _l("Quand êtes-vous disponible ?"),
        description=_l("Cochez un ou plusieurs moments."),
        validate_choice=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots.choices = options((value, slot(value)) for value in requests.SLOTS)

    def validate_slots(self, field: SelectMultipleField) -> None:
        try:
            requests.check_contact(channel="in-person", slots=field.data or [], phone="", email="")
        except requests.RequestError as error:
            raise ValidationError(_(error.message, **error.params)) from None


class ContactDetailsForm(Form):
    """The phone number (a call), or a phone number or an e-mail (a video call)."""

    phone = StringField(_l("Votre numéro de téléphone"))
    email = StringField(
        _l("Votre adresse e-mail"),
        description=_l("Si vous n'avez pas donné de numéro."),
    )

    whole_form_field = "phone"

    def check(self, channel: str) -> bool:
        """Validate for ``channel``: every error at once, each on its field."""
        valid = self.validate()
        phone, email = (self.phone.data or "").strip(), (self.email.data or "").strip()
        if channel == "video" and (phone or email):
            # Each detail given is checked on its own, so that both errors show together.
            tries = [(phone, None)] * bool(phone) + [(None, email)] * bool(email)
        else:
            tries = [(phone, email)]
        for one_phone, one_email in tries:
            try:
                requests.check_contact(
                    channel=channel, slots=requests.SLOTS[:1], phone=one_phone, email=one_email
                )
            except requests.RequestError as error:
                self.fail(error)
                valid = False
        return valid


class ContactSendForm(Form):
    """« Envoyer ma demande », on the page that shows every answer."""

    form_key = FormKeyField()


# --------------------------------------------------------------------------------------------
# Staff


class SignInForm(Form):
    email = StringField(_l("Adresse e-mail"))
    password = PasswordField(_l("Mot de passe"))

    whole_form_field = "email"


class NewPasswordForm(Form):
    password = PasswordField(
        _l("Nouveau mot de passe (%(min)s caractères au moins)", min=accounts.MIN_PASSWORD_LENGTH)
    )
    confirmation = PasswordField(_l("Le même mot de passe, une deuxième fois"))


class AssistedForm(Form):
    months = DurationField(
        _l("Choisissez pendant combien de temps la personne partage ses résultats.")
    )
    display_name = DisplayNameField(_l("Prénom ou initiales"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.months.choices = duration_choices()


class VouchersForm(Form):
    form_key = FormKeyField()
    booklet_number = StringField(_l("Numéro du carnet"))
    count = StringField(_l("Nombre de chèques (10 € chacun)"))
    expires_on = DateTypedField(_l("Valables jusqu'au"))

    def validate_count(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 3:
            raise ValidationError(
                _("Écrivez un nombre de chèques entre 1 et %(max)s.", max=records.MAX_VOUCHERS)
            )
        self.voucher_count = int(text)

    @property
    def expiry(self) -> date | None:
        return self.expires_on.date


class OrientationForm(Form):
    form_key = FormKeyField()
    place_id = SelectField(_l("Lieu"), validate_choice=False)


class NoteForm(Form):
    form_key = FormKeyField()
    note = TextAreaField(
        _l("Courte note"),
        description=_l(
            "La personne peut lire cette note. N'écrivez pas de donnée sensible : santé, "
            "religion, opinions, situation judiciaire."
        ),
    )


class RequestStatusForm(Form):
    """« Je m'en occupe » / « C'est fait »: the button's value."""

    status = StringField(name="statut", validators=[AnyOf(requests.STATUSES)])


class OrganisationForm(Form):
    name = StringField(_l("Nom"), id="organisation-name")
    kind = SelectField(
        _l("Type"), choices=options(ORGANISATION_KINDS.items()), validate_choice=False
    )
    postcode = StringField(_l("Code postal"))


class StaffAccountForm(Form):
    name = StringField(_l("Nom"), id="staff-name")
    email = StringField(_l("Adresse e-mail"), id="staff-email")
    password = PasswordField(
        _l("Mot de passe (%(min)s caractères au moins)", min=accounts.MIN_PASSWORD_LENGTH)
    )
    role = SelectField(_l("Rôle"), choices=options(ROLES.items()), validate_choice=False)
    organisation_id = SelectField(_l("Organisme"), validate_choice=False)

    def __init__(self, *args: Any, organisations: Iterable[Organisation] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = options(
            [("", "—"), *((str(found.id), found.name) for found in organisations)]
        )
