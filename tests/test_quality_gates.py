"""The gates every page passes, in every language: valid, accessible HTML, light weight.

Pages come from the app's own list of routes (app.pages.iter_pages), so a new page
is checked here without anyone adding it.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.pages import UndocumentedPage, iter_pages, page_examples

from .conftest import PageCase, get_page
from .html_checks import asset_urls, check_page, parse

#: Everything a first visit downloads must fit in the first TCP round trip.
PAGE_BUDGET = 14_600
#: The one stylesheet stays small, compressed.
STYLESHEET_BUDGET = 4_096
STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "repere.css"


def test_page_passes_html_gates(client: FlaskClient, page_case: PageCase, locale: str) -> None:
    response = get_page(client, page_case.url, locale, page_case.state)
    assert response.status_code == page_case.status
    assert response.mimetype == "text/html"
    check_page(response.get_data(as_text=True), locale)


def test_page_fits_in_first_round_trip(
    client: FlaskClient, page_case: PageCase, locale: str
) -> None:
    response = get_page(
        client, page_case.url, locale, page_case.state, **{"Accept-Encoding": "gzip"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    total = len(response.data)
    html = gzip.decompress(response.data).decode()
    for url in asset_urls(parse(html)):
        asset = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200, url
        total += len(asset.data)
    assert total <= PAGE_BUDGET, f"{page_case.url} weighs {total} bytes compressed"


def test_stylesheet_is_small_and_direction_neutral() -> None:
    css = STYLESHEET.read_text()
    assert len(gzip.compress(css.encode(), 9)) <= STYLESHEET_BUDGET
    # Physical directions break right-to-left pages: use logical properties instead.
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)\s*:|"
        r"text-align\s*:\s*(?:left|right)|float\s*:\s*(?:left|right)",
        css,
    )
    assert not physical, f"use logical properties, not {physical}"


def test_sitemap_links_every_public_page(app: Flask, client: FlaskClient) -> None:
    sitemap = client.get("/plan-du-site").get_data(as_text=True)
    with app.test_request_context():
        from flask import url_for

        missing = [
            page.endpoint
            for page in iter_pages(app)
            if not page.arguments
            and page.state is None
            and page.endpoint != "public.sitemap"
            and f'href="{url_for(page.endpoint)}"' not in sitemap
        ]
    assert not missing, f"the sitemap does not link to {missing}"


def test_a_page_with_arguments_must_give_examples(tmp_path: Path) -> None:
    from .conftest import make_test_app

    app = make_test_app(tmp_path)

    @app.route("/fiche/<int:number>")
    def card(number: int) -> str:
        return str(number)

    with pytest.raises(UndocumentedPage, match="card"):
        list(iter_pages(app))

    app.view_functions["card"] = page_examples({"number": 7})(card)
    pages = list(iter_pages(app))
    assert any(page.endpoint == "card" and page.arguments == {"number": 7} for page in pages)
