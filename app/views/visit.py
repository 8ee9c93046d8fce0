"""Where the person is, typed once and offered again on every page that asks for it.

A postcode or a town, once understood by the places search (or a postcode typed to find
organisations), is kept in the session for the visit: the session cookie ends when the
browser closes. The search, the Pass numérique page, the steps, the request to be
contacted and the sharing page fill their field with it; the person can change it.

Templates read it as ``where_typed`` (for "code postal ou ville" fields) and
``postcode_typed`` (for postcode-only fields).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request, session

from ..places.communes import communes
from ..places.search import Where, WhereKind

bp = Blueprint("visit", __name__)

SESSION_KEY = "where"
MAX_LENGTH = 100


def remember_where(where: Where) -> None:
    """Keep a place the search understood: what to search again, and its postcode."""
    if not where.found:
        return
    if where.kind is WhereKind.DEPARTEMENT:
        query, postcode = where.departement or "", ""
    elif where.kind is WhereKind.POSTCODE:
        query, postcode = where.postcode or "", where.postcode or ""
    else:
        commune = communes().commune(where.code or "")
        query = where.commune or ""
        if where.alternatives and where.departement:
            query = f"{query} {where.departement}"  # the same commune next time
        postcode = commune.postcodes[0] if commune and commune.postcodes else ""
    _keep(query, postcode)


def remember_postcode(postcode: str) -> None:
    """Keep a postcode typed elsewhere (to find organisations), if it is a real one."""
    postcode = postcode.strip()
    if communes().postcode_exists(postcode) and postcode != postcode_typed():
        _keep(postcode, postcode)


def _keep(query: str, postcode: str) -> None:
    value = {"q": query[:MAX_LENGTH], "cp": postcode[:5]}
    if session.get(SESSION_KEY) != value:
        session[SESSION_KEY] = value


def where_typed() -> str:
    """The postcode or town to fill a "code postal ou ville" field with, or ""."""
    value = session.get(SESSION_KEY)
    return str(value.get("q", "")) if isinstance(value, dict) else ""


def postcode_typed() -> str:
    """The postcode to fill a postcode field with, or ""."""
    value = session.get(SESSION_KEY)
    return str(value.get("cp", "")) if isinstance(value, dict) else ""


def site_address() -> str:
    """The site's address to write down and type again later: SITE_ADDRESS, else the host
    this page was asked from (« repere.example », without « https:// »)."""
    return current_app.config.get("SITE_ADDRESS") or request.host


@bp.app_context_processor
def typed_values() -> dict[str, object]:
    return {
        "where_typed": where_typed,
        "postcode_typed": postcode_typed,
        "site_address": site_address,
    }
