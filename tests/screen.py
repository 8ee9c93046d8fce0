"""What a person sees on the first screen of their phone, measured in headless Chromium.

``show_as_phone(driver)`` makes the browser a 360 × 740 phone (the size of many small
Android phones, CSS pixels); ``box(driver, selector)`` gives where an element is drawn,
relative to the top of the screen as the page is now scrolled; ``on_first_screen`` says
whether it is drawn whole within the screen, without scrolling. Any browser test can use
them with the ``browser`` fixture of tests/test_accessibility.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A small phone, in CSS pixels.
PHONE = (360, 740)


@dataclass(frozen=True)
class Box:
    top: float
    bottom: float
    left: float
    right: float


def show_as_phone(driver: Any, width: int = PHONE[0], height: int = PHONE[1]) -> None:
    """Make the page's viewport ``width`` × ``height``, as a mobile browser."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
    )


def box(driver: Any, selector: str) -> Box | None:
    """Where the first element matching the CSS ``selector`` is drawn, or None."""
    found = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "if (!e) return null;"
        "const r = e.getBoundingClientRect();"
        "return [r.top, r.bottom, r.left, r.right];",
        selector,
    )
    return None if found is None else Box(*found)


def screen_height(driver: Any) -> int:
    return int(driver.execute_script("return window.innerHeight"))


def on_first_screen(driver: Any, selector: str) -> bool:
    """The element is drawn whole on the screen as it is, without scrolling."""
    where = box(driver, selector)
    return where is not None and where.top >= 0 and where.bottom <= screen_height(driver)
