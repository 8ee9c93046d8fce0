"""The skill domains of the test, defined once for the bank, the engine and the pages.

The foundation (using a phone or a computer at all) comes first and is not reported as a band;
the five scored domains are those of Pix and DigComp.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DOMAINS", "DOMAIN_PREFIXES", "FOUNDATION", "SCORED_DOMAINS"]

FOUNDATION = "foundation"
SCORED_DOMAINS: tuple[str, ...] = (
    "information",
    "communication",
    "creation",
    "protection",
    "environment",
)
DOMAINS: tuple[str, ...] = (FOUNDATION, *SCORED_DOMAINS)

# Every item id starts with its domain's short name and a hyphen ("secu-phishing-sms").
DOMAIN_PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        FOUNDATION: "base",
        "information": "info",
        "communication": "comm",
        "creation": "crea",
        "protection": "secu",
        "environment": "env",
    }
)
