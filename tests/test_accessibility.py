"""axe-core in headless Chromium: zero WCAG 2.1 A/AA violations on every page.

Each page is checked in French, English and Arabic, at a desktop width and at
320 px, where it must also fit without scrolling sideways. The axe-core copy is
the one installed by npm (package.json), not the old one bundled with
axe-selenium-python.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_selenium_python import Axe
from flask import Flask
from werkzeug.serving import make_server

from app.audio.library import read_manifest
from app.i18n import LOCALE_COOKIE

from .conftest import (
    LOCALES,
    PAGE_CASES,
    PageCase,
    enter_state,
    item_sample,
    make_test_app,
    resolve,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTHS = {"desktop": 1280, "mobile": 320}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Flask, str]]:
    app: Flask = make_test_app(Path(tempfile.mkdtemp(prefix="repere-axe-")))
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


def visit_as(driver: object, app: Flask, server: str, locale: str, state: str | None) -> dict:
    """Give the browser the cookies of a visitor in this language and state."""
    client = app.test_client()
    values = enter_state(client, state)
    driver.get(server + "/robots-absent")  # type: ignore[attr-defined]
    driver.delete_all_cookies()  # type: ignore[attr-defined]
    cookies = {LOCALE_COOKIE: locale}
    session_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if session_cookie is not None:
        cookies[session_cookie.key] = session_cookie.value
    for name, value in cookies.items():
        driver.add_cookie({"name": name, "value": value, "path": "/"})  # type: ignore[attr-defined]
    return values


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(f"install Chromium and its driver ({CHROMIUM}, {CHROMEDRIVER})")
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is missing at {AXE_SCRIPT}: run `npm ci`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="repere-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def set_width(driver: object, width: int) -> None:
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def describe(violations: list[dict]) -> str:
    return json.dumps(
        [
            {
                "rule": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [node["target"] for node in v["nodes"]][:5],
            }
            for v in violations
        ],
        indent=1,
        ensure_ascii=False,
    )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("case", PAGE_CASES + item_sample(), ids=lambda case: case.name)
def test_no_axe_violations(
    browser: object, served: tuple[Flask, str], case: PageCase, locale: str
) -> None:
    driver = browser
    app, server = served
    url = resolve(case.url, visit_as(driver, app, server, locale, case.state))
    axe = Axe(driver, script_url=str(AXE_SCRIPT))
    for label, width in WIDTHS.items():
        set_width(driver, width)
        driver.get(server + url)  # type: ignore[attr-defined]
        arrived = driver.current_url.removeprefix(server)  # type: ignore[attr-defined]
        assert arrived == url, f"{url} led to {arrived}"
        lang = driver.execute_script("return document.documentElement.lang")  # type: ignore[attr-defined]
        assert lang == locale
        inner = driver.execute_script("return window.innerWidth")  # type: ignore[attr-defined]
        assert inner == width, f"the browser is {inner} px wide, not {width}"
        axe.inject()
        version = driver.execute_script("return axe.version")  # type: ignore[attr-defined]
        assert version.startswith("4."), version
        results = axe.run(options=json.dumps(WCAG_AA))
        where = f"{case.url} [{locale}, {label}]"
        assert results["violations"] == [], f"{where}: {describe(results['violations'])}"
        overflow = driver.execute_script(  # type: ignore[attr-defined]
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{where} scrolls sideways by {overflow} px"
        fetched = driver.execute_script(  # type: ignore[attr-defined]
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        recordings = [url for url in fetched if "/ecouter/" in url]
        assert not recordings, f"{where} downloads {recordings} before anyone asks"


def test_the_browser_plays_a_recording_with_its_duration(
    browser: object, served: tuple[Flask, str]
) -> None:
    """The player finds the recording's length (the MP3's Xing header) once asked to play."""
    driver = browser
    app, server = served
    visit_as(driver, app, server, "fr", None)
    driver.get(server + "/_test/question/comm-missed-call")  # type: ignore[attr-defined]
    duration = driver.execute_script(  # type: ignore[attr-defined]
        "const audio = document.querySelector('audio');"
        "audio.preload = 'metadata'; audio.load();"
        "return new Promise(done => {"
        " audio.addEventListener('loadedmetadata', () => done(audio.duration));"
        " audio.addEventListener('error', () => done(-1)); });"
    )
    expected = read_manifest(Path(app.config["AUDIO_DIR"]))[("fr", "items/comm-missed-call")]
    assert duration == pytest.approx(expected.seconds, abs=0.2)
