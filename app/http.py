"""What every response carries: security headers, cache rules, compression.

The app compresses its own pages (brotli when the browser accepts it, else gzip),
so that the site is light even without a reverse proxy in front.
"""

from __future__ import annotations

import gzip

import brotli
from flask import Flask, Request, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), browsing-topics=()"
)
COMPRESSIBLE = ("text/", "image/svg+xml", "application/json")
MIN_COMPRESS_SIZE = 200


def security_headers(response: Response, secure: bool) -> None:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if secure:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if "Cache-Control" not in headers:
        # Pages depend on the person (language, session): never shared, always fresh.
        headers["Cache-Control"] = "private, no-cache, no-transform"
        response.vary.update(("Cookie", "Accept-Language"))


def choose_encoding(req: Request) -> str | None:
    if req.accept_encodings["br"]:
        return "br"
    if req.accept_encodings["gzip"]:
        return "gzip"
    return None


def compress(response: Response, encoding: str | None) -> None:
    if (
        response.direct_passthrough
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or not (response.mimetype or "").startswith(COMPRESSIBLE)
    ):
        return
    response.vary.add("Accept-Encoding")
    body = response.get_data()
    if encoding is None or len(body) < MIN_COMPRESS_SIZE:
        return
    if encoding == "br":
        # Quality 5 compresses almost as well as 11 for small pages, much faster.
        compressed = brotli.compress(body, quality=5)
    else:
        compressed = gzip.compress(body, compresslevel=6, mtime=0)
    response.set_data(compressed)
    response.headers["Content-Encoding"] = encoding


def init_app(app: Flask) -> None:
    @app.after_request
    def finish(response: Response) -> Response:
        security_headers(response, secure=request.is_secure or app.config["HTTPS"])
        compress(response, choose_encoding(request))
        return response
