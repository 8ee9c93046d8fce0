"""Static files under content-hashed URLs, compressed once, cached for a year.

``asset_url("repere.css")`` gives ``/static/repere.3f2a9c1b.css``; any change to
the file changes the URL, so browsers may keep each version forever.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import brotli
from flask import Blueprint, Flask, Response, abort, current_app, request

from .pages import not_a_page

COMPRESSIBLE = ("text/", "image/svg+xml", "application/json")
ONE_YEAR = 60 * 60 * 24 * 365


@dataclass(frozen=True)
class Asset:
    name: str
    hashed_name: str
    mimetype: str
    body: bytes
    gzip_body: bytes | None
    brotli_body: bytes | None


class Assets:
    def __init__(self, folder: Path) -> None:
        self.by_name: dict[str, Asset] = {}
        self.by_hashed_name: dict[str, Asset] = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:10]
            stem, dot, suffix = name.rpartition(".")
            hashed = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            compressible = mimetype.startswith(COMPRESSIBLE)
            asset = Asset(
                name=name,
                hashed_name=hashed,
                mimetype=mimetype,
                body=body,
                gzip_body=gzip.compress(body, 9, mtime=0) if compressible else None,
                brotli_body=brotli.compress(body, quality=11) if compressible else None,
            )
            self.by_name[name] = asset
            self.by_hashed_name[hashed] = asset

    def url(self, name: str) -> str:
        return f"/static/{self.by_name[name].hashed_name}"


bp = Blueprint("assets", __name__)


@bp.route("/static/<path:filename>")
@not_a_page
def static_file(filename: str) -> Response:
    asset = current_app.extensions["assets"].by_hashed_name.get(filename)
    if asset is None:
        abort(404)
    body, encoding = asset.body, None
    if asset.brotli_body is not None and request.accept_encodings["br"]:
        body, encoding = asset.brotli_body, "br"
    elif asset.gzip_body is not None and request.accept_encodings["gzip"]:
        body, encoding = asset.gzip_body, "gzip"
    response = Response(body, mimetype=asset.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if asset.gzip_body is not None:
        response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable, no-transform"
    return response


def svg_data_uri(svg: str) -> str:
    """An inline picture for <img src>: no extra request, allowed by the CSP (img-src data:)."""
    return "data:image/svg+xml," + quote(" ".join(svg.split()), safe=" =:/'")


#: The box a picture of the test is drawn in (CSS pixels): wide enough to read, low enough that
#: the question's answers and buttons stay on the first screen of a small phone.
PICTURE_BOX = (256, 150)


def picture_size(svg: str, box: tuple[int, int] = PICTURE_BOX) -> tuple[int, int]:
    """The width and height to draw an SVG at: its own proportions, as large as fits ``box``."""
    root = re.search(r"<svg\b[^>]*>", svg)
    tag = root.group(0) if root else ""
    width, height = (re.search(rf'\s{name}="([0-9.]+)"', tag) for name in ("width", "height"))
    if width is None or height is None or not float(width.group(1)) or not float(height.group(1)):
        return box
    w, h = float(width.group(1)), float(height.group(1))
    scale = min(box[0] / w, box[1] / h)
    return round(w * scale), round(h * scale)


def init_app(app: Flask, folder: Path) -> None:
    assets = Assets(folder)
    app.extensions["assets"] = assets
    app.register_blueprint(bp)
    app.jinja_env.globals["asset_url"] = assets.url
    app.jinja_env.filters["svg_data_uri"] = svg_data_uri
    app.jinja_env.filters["picture_size"] = picture_size
