"""The code to come back: 16 digits, shown as "1234 5678 9012 3456".

The code is never stored. It is derived from the secret key and a random salt kept
with the journey, so it can be shown again on any page of the person's session;
to find a journey from a typed code, only an HMAC of the code is stored. Without
the secret key, neither the salt nor the HMAC reveals the code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

#: Digits of a new code: docs/security.md computes why 16 (guessing under the rate limits).
DIGITS = 16
#: Codes made before codes had 16 digits keep working until their person changes them.
LEGACY_DIGITS = 12


def new_salt() -> str:
    return secrets.token_hex(16)


def _hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def derive(secret: str, salt: str, digits: int = DIGITS) -> str:
    """The journey's code: ``digits`` digits from an HMAC of its salt (bias below 1e-56)."""
    return str(int(_hmac(secret, f"return-code:{salt}"), 16) % 10**digits).zfill(digits)


def lookup_key(secret: str, code: str) -> str:
    """What is stored to find the journey from its code."""
    return _hmac(secret, f"return-code-lookup:{code}")


#: Phones set to Arabic may type Arabic-Indic or Persian digits: read them as 0-9.
LOCAL_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)


def normalise(typed: str) -> str:
    """Keep the digits of a typed code: '1234 5678-9012' gives '123456789012'."""
    return re.sub(r"[\s\-.]", "", (typed or "").translate(LOCAL_DIGITS))


def is_well_formed(code: str) -> bool:
    return len(code) in (DIGITS, LEGACY_DIGITS) and code.isascii() and code.isdigit()


def grouped(code: str) -> str:
    """Groups of four digits, easier to read aloud and copy."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
