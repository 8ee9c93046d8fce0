"""Security headers, cookies, compression and caching, as a browser receives them."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
from flask import Flask
from flask.testing import FlaskClient

from app.http import CONTENT_SECURITY_POLICY

from .conftest import make_test_app


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    css_url = client.get("/").get_data(as_text=True).split('rel="stylesheet" href="')[1]
    css_url = css_url.split('"')[0]
    for url, status in [("/", 200), (css_url, 200), ("/introuvable", 404)]:
        response = client.get(url)
        assert response.status_code == status, url
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'none'" in headers["Content-Security-Policy"]
        # Nothing but what is listed: the recordings read aloud come from Repère only.
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "media-src 'self';" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] in {"same-origin", "no-referrer"}
        assert "camera=()" in headers["Permissions-Policy"]
        assert "no-transform" in headers["Cache-Control"]
        assert "Strict-Transport-Security" not in headers


def test_pages_are_never_cached_by_shared_caches(client: FlaskClient) -> None:
    cache = client.get("/").headers["Cache-Control"]
    assert "private" in cache and "no-cache" in cache


def test_hsts_and_secure_cookie_under_https(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, HTTPS=True, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.get("/revenir", base_url="https://localhost")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_httponly_and_lax_over_http(client: FlaskClient) -> None:
    cookie = client.get("/revenir").headers["Set-Cookie"]
    assert "repere_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_pages_are_compressed_with_brotli_or_gzip(client: FlaskClient) -> None:
    plain = client.get("/accessibilite", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    text = plain.data

    gz = client.get("/accessibilite", headers={"Accept-Encoding": "gzip, deflate"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz.data) == text
    assert int(gz.headers["Content-Length"]) == len(gz.data) < len(text) / 2

    br = client.get("/accessibilite", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == text
    assert "Accept-Encoding" in br.headers["Vary"]


def test_static_files_have_hashed_urls_and_a_one_year_cache(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    css_url = html.split('rel="stylesheet" href="')[1].split('"')[0]
    assert css_url.startswith("/static/repere.") and css_url.endswith(".css")
    assert css_url != "/static/repere.css"
    response = client.get(css_url, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert brotli.decompress(response.data).startswith(b"/* Rep")
    # An old or made-up hash is not served.
    assert client.get("/static/repere.0000000000.css").status_code == 404
    assert client.get("/static/repere.css").status_code == 404


def test_the_hash_changes_with_the_file(tmp_path: Path) -> None:
    from app.assets import Assets

    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "site.css").write_text("a{color:red}")
    first = Assets(folder).url("site.css")
    (folder / "site.css").write_text("a{color:blue}")
    assert Assets(folder).url("site.css") != first


def test_request_body_is_limited(client: FlaskClient, app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] <= 1024 * 1024
    response = client.post("/revenir", data={"code": "1" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413
    assert "trop gros" in response.get_data(as_text=True)


def test_nul_characters_are_refused_before_anything_else(client: FlaskClient) -> None:
    assert client.get("/lieux?q=93%00200").status_code == 400
    html = client.get("/pro/connexion").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/pro/connexion", data={"csrf_token": token, "email": "a\x00b"})
    assert response.status_code == 400


def test_ids_too_big_for_the_database_are_not_found(client: FlaskClient) -> None:
    assert client.get("/test/question/99999999999").status_code == 404
    assert client.get("/lieux?q=75&page=99999999999").status_code == 200
