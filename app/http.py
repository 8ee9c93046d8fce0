"""What every response carries: security headers, cache rules, compression.

The app compresses its own pages (brotli when the browser accepts it, else gzip),
so that the site is light even without a reverse proxy in front.
"""

from __future__ import annotations

import gzip

import brotli
from flask import Flask, Request, Response, abort, request
from werkzeug.routing import IntegerConverter

#: Nothing is allowed unless listed: the stylesheet, pictures (the icon, inline SVG), the
#: recordings read aloud (``<audio>``, served by Repère itself) and forms to the site.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
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


#: Ids in URLs and forms fit the databases' integer columns.
MAX_ID = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` in routes: a number too big for the database is simply not found."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def form_id(value: str | None) -> int | None:
    """An id typed or posted in a form, or None if it is not one (a number too big, text)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


#: The last page of results anyone may ask for (a list, a search).
MAX_PAGE = 10_000


def page_number() -> int:
    """The page of results asked for in ``?page=``: 1 when missing or not a number."""
    return min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)


def refuse_nul_characters() -> None:
    """No form or address ever needs a NUL character; PostgreSQL refuses them: say 400."""
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        values += [v for key in request.form for v in request.form.getlist(key)]
    if any("\x00" in value for value in values):
        abort(400)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(refuse_nul_characters)

    @app.after_request
    def finish(response: Response) -> Response:
        from .views.current import holds_a_person

        if "Cache-Control" not in response.headers and holds_a_person():
            # A page seen while this browser holds a person shows their data: never kept,
            # not even by this browser (the next user of a shared computer, the back button).
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        security_headers(response, secure=request.is_secure or app.config["HTTPS"])
        compress(response, choose_encoding(request))
        return response
