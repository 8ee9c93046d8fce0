"""Phone numbers and e-mail addresses: one way to check them, store them and show them.

Used by the import of places and by the request to be contacted. The checks are those of
maintained libraries, not home-made patterns:

* phone numbers: ``phonenumbers`` (Google's libphonenumber metadata, updated with the
  numbering plans). Only French numbers are accepted: metropolitan France and the overseas
  départements and collectivités, which have their own country codes (0692 12 34 56 in
  La Réunion is +262 692 12 34 56). They are stored in E.164 (``+33612345678``) and shown
  the French way (``06 12 34 56 78``);
* e-mail addresses: ``email-validator`` (the syntax of RFC 5322 and 6531, without asking
  the network whether the domain receives mail). The domain is stored in lower case, the
  part before the @ as typed.

Pure Python: no Flask, no database.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberMatcher

__all__ = [
    "FRENCH_REGIONS",
    "MAX_EMAIL_LENGTH",
    "find_phones",
    "normalise_email",
    "normalise_phone",
    "phone_words",
]

#: Where a French number may ring, overseas first: a number that is valid in one of them
#: (0692…, 0590…) is that region's; every other one is tried as metropolitan France's.
FRENCH_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "BL", "MF", "PM", "NC", "PF", "WF", "FR")
#: Shown with the national prefix 0, as people dial them from anywhere in France.
_NATIONAL_FORMAT_REGIONS = frozenset({"FR", "RE", "YT", "GP", "MQ", "GF", "BL", "MF"})
MAX_EMAIL_LENGTH = 254
MAX_PHONE_LENGTH = 40


def _french(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.region_code_for_number(number) in FRENCH_REGIONS
    )


def normalise_phone(raw: str | None) -> str | None:
    """A French phone number in E.164, or None when ``raw`` is not one.

    ``06 12 34 56 78``, ``06.12.34.56.78``, ``+33 (0)6 12 34 56 78``, ``0033612345678``
    → ``+33612345678``; ``0692 12 34 56`` → ``+262692123456``. Digits of other scripts
    (Arabic-Indic) are read too. Foreign numbers, short numbers (3949) and numbers that no
    operator can have are refused.
    """
    text = str(raw or "").strip()
    if not text or len(text) > MAX_PHONE_LENGTH:
        return None
    for region in FRENCH_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except NumberParseException:
            return None
        if _french(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
        if text.lstrip().startswith(("+", "00")):
            break  # an international number: the region typed with it is the only one
    return None


def find_phones(text: str | None) -> list[str]:
    """The French phone numbers written in a free text (``01 99 00 12 34 (accueil)``), in
    E.164, in their order, without repeats."""
    found: list[str] = []
    if not text:
        return found
    for region in ("FR", "RE", "GP", "MQ", "GF", "YT"):
        for match in PhoneNumberMatcher(text, region):
            if _french(match.number):
                value = phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
                if value not in found:
                    found.append(value)
        if found:
            break
    return found


def phone_words(number: str | None) -> str:
    """A stored number as people write it in France: ``+33199008385`` → ``01 99 00 83 85``,
    ``+262692123456`` → ``0692 12 34 56``; ``+687 12 34 56`` in New Caledonia keeps its code.
    Anything else is given back as it is."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    if phonenumbers.region_code_for_number(parsed) in _NATIONAL_FORMAT_REGIONS:
        return phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)


def normalise_email(raw: str | None) -> str | None:
    """The address with its domain in lower case, or None when it is not an address.

    ``Awa@Example.FR`` → ``Awa@example.fr``; ``mailto:`` before it is dropped. Refused:
    no dot in the domain (``mfs@ville-louvres``), a space (``maisondes services@…``), two
    @, more than 254 characters.
    """
    value = str(raw or "").strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :].strip()
    if not value or len(value) > MAX_EMAIL_LENGTH:
        return None
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized
