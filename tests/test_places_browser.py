"""In a real browser on a small phone: after « Chercher », the first place is on screen; when
none is near, the way forward (France Travail's phone line) is."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from .screen import PHONE, box, on_first_screen, show_as_phone
from .test_accessibility import browser, served, visit_as  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

FIRST_RESULT = "ol.places > li:first-child"
WAY_FORWARD = "main a[href^='tel:']"


@pytest.mark.parametrize("locale", ["fr", "en", "ar"])
@pytest.mark.parametrize(
    ("query", "seen"),
    [
        ("93200", FIRST_RESULT),
        ("Lille", FIRST_RESULT),
        ("Saint-Denis", WAY_FORWARD),  # La Réunion's, where the demo has no place
        ("03000", WAY_FORWARD),
    ],
)
def test_after_searching_the_first_result_or_way_forward_is_on_the_first_screen(
    browser: Any,  # noqa: F811
    served: tuple[Flask, str],  # noqa: F811
    locale: str,
    query: str,
    seen: str,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    app, server = served
    visit_as(browser, app, server, locale, None)
    show_as_phone(browser)
    browser.get(server + "/lieux")
    field = browser.find_element(By.ID, "q")
    field.clear()
    field.send_keys(query)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda driver: "/lieux?q=" in driver.current_url)
    WebDriverWait(browser, 10).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
    first = box(browser, seen)
    assert first is not None, f"{query}: nothing matches {seen}"
    assert on_first_screen(browser, seen), (
        f"{query} [{locale}]: {seen} is drawn at {first.top:.0f}–{first.bottom:.0f} px, "
        f"below the {PHONE[1]} px of the screen"
    )
