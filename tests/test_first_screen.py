"""On a 360 × 740 phone, in French, English and Arabic: the next step is on the first screen.

Every page of the person's way that the quality gates enumerate (tests/conftest.py), and
every question of the bank, is opened in headless Chromium as a small phone. Its main action
(the filled button, or what stands for it on pages without one) must be drawn whole without
scrolling; on a question page, « Je ne sais pas » too. The pages themselves have no
JavaScript: the browser only reads where things are drawn.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from .conftest import ITEM_CASES, LOCALES, PAGE_CASES, PageCase, resolve
from .screen import PHONE, box, on_first_screen, show_as_phone
from .test_accessibility import browser, served, visit_as  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

#: The filled button: the one main action of a page.
MAIN_BUTTON = "main .button:not(.button-secondary)"
DONT_KNOW = "main button[name=je_ne_sais_pas]"

#: The pages of the person's way (endpoint: what must be on the first screen).
PERSON_WAY: dict[str, tuple[str, ...]] = {
    "public.home": (MAIN_BUTTON,),
    "public.resume": (MAIN_BUTTON,),
    "assessment.intro": (MAIN_BUTTON,),
    "assessment.question": (MAIN_BUTTON, DONT_KNOW),
    "assessment.pause": (MAIN_BUTTON,),
    "assessment.later": (".code",),
    "assessment.results": (MAIN_BUTTON,),
    "journeys.index": ("main .cards h2 a",),
    "journeys.journey": (MAIN_BUTTON,),
    "journeys.step": (MAIN_BUTTON,),
    "journeys.pass_numerique": (MAIN_BUTTON,),
    "journeys.counsellor": (MAIN_BUTTON,),
    # The first place found, else the first other town to try, else the way forward
    # without a place (France Travail's phone line), else the search button.
    "places.search": (
        "ol.places > li:first-child h3, main #resultats ~ ul li:first-child a, "
        "main #resultats ~ p a[href^='/lieux'], main a[href^='tel:'], main form .button",
    ),
    # Whether it is open today, and where it is.
    "places.place": ("main .place-status", "main .place-address"),
    "sharing.contact": (MAIN_BUTTON,),
    "sharing.contact_channel": (MAIN_BUTTON,),
    "sharing.contact_slots": (MAIN_BUTTON,),
    "sharing.contact_details": (MAIN_BUTTON,),
    "sharing.contact_check": (MAIN_BUTTON,),
    # What to give when one arrives or calls, and where to go.
    "sharing.contact_sent": (".code", "main .place-address"),
    # A new request, or the request under way.
    "sharing.my_space": (f"{MAIN_BUTTON}, main .cards li",),
    # Without a person, the code to open them; with one, what can be done with them.
    "mydata.my_data": (f"{MAIN_BUTTON}, main .actions a",),
}


def endpoint_of(case: PageCase) -> str:
    return case.name.split("{")[0].split("-")[0]


def person_way_cases() -> list[PageCase]:
    pages = [case for case in PAGE_CASES if endpoint_of(case) in PERSON_WAY]
    return pages + ITEM_CASES


def expected_on_first_screen(case: PageCase) -> tuple[str, ...]:
    if case.url.startswith("/_test/question/"):
        return PERSON_WAY["assessment.question"]
    return PERSON_WAY[endpoint_of(case)]


def test_the_person_way_is_the_pages_the_issue_names() -> None:
    """Each page named stays in the list as the site grows."""
    cases = {endpoint_of(case) for case in person_way_cases()}
    assert set(PERSON_WAY) <= cases | {"_test"}, set(PERSON_WAY) - cases
    assert len(ITEM_CASES) >= 50


def first_match(driver: Any, selectors: str) -> str:
    """Of selectors separated by commas, the first (in that order) that matches something."""
    for selector in selectors.split(", "):
        if box(driver, selector) is not None:
            return selector
    return selectors


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", person_way_cases(), ids=lambda case: case.name)
def test_the_main_action_is_on_the_first_screen(
    browser: Any,  # noqa: F811
    served: tuple[Flask, str],  # noqa: F811
    case: PageCase,
    locale: str,
) -> None:
    app, server = served
    url = resolve(case.url, visit_as(browser, app, server, locale, case.state))
    show_as_phone(browser)
    browser.get(server + url)
    for alternatives in expected_on_first_screen(case):
        selector = first_match(browser, alternatives)
        where = box(browser, selector)
        assert where is not None, f"{url} [{locale}]: nothing matches {selector}"
        assert on_first_screen(browser, selector), (
            f"{url} [{locale}]: {selector} is drawn at {where.top:.0f}–{where.bottom:.0f} px, "
            f"past the {PHONE[1]} px of the screen"
        )
