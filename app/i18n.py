"""Which language a page is served in, and the language switch.

An explicit choice (kept in a cookie) wins, then the browser's Accept-Language,
then French, the source language.
"""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request
from flask_babel import format_date, format_time, get_locale, gettext, to_user_timezone
from markupsafe import Markup, escape

from . import words
from .config import RTL_LOCALES
from .extensions import babel
from .pages import not_a_page

LOCALE_COOKIE = "repere_langue"
ONE_YEAR = 60 * 60 * 24 * 365
#: The name of each language, written in that language.
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    locales: tuple[str, ...] = current_app.config["LOCALES"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in locales:
        return chosen
    return request.accept_languages.best_match(locales) or locales[0]


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything else (another site, a scheme) gives '/'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target):
        return "/"
    return target


@bp.route("/langue/<code>")
@not_a_page
def switch(code: str) -> Response:
    if code not in current_app.config["LOCALES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("suite")), code=303)
    response.set_cookie(
        LOCALE_COOKIE,
        code,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def template_globals() -> dict[str, object]:
    locale = str(get_locale() or "fr")
    here = request.full_path.rstrip("?") if request else "/"
    return {
        "locale": locale,
        "text_direction": "rtl" if locale in RTL_LOCALES else "ltr",
        "language_links": [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "dir": "rtl" if code in RTL_LOCALES else "ltr",
                "current": code == locale,
                "here": here,
            }
            for code in current_app.config["LOCALES"]
        ],
    }


def hour_words(moment: time) -> str:
    """'18 h', '9 h 30' in French; '18:00' elsewhere: on the 24-hour clock in every language
    (never '6:00 PM'), since the times shown are French times."""
    if str(get_locale()) == "fr":
        return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"
    return format_time(moment, "HH:mm")


def date_time_words(moment: datetime) -> str:
    """A stored moment (UTC) as the day and the hour in France: « 3 décembre 2026, 14 h 05 »."""
    local = to_user_timezone(moment)
    return gettext(
        "%(date)s, %(time)s",
        date=format_date(local.date(), "long"),
        time=hour_words(local.time()),
    )


def french(text: object) -> Markup:
    """Words that stay in French on every page (a place's name, address and description from
    the national file; the publisher's details): on an English or Arabic page they are marked
    lang="fr", so that a screen reader says them in French (RGAA 8.7), and on an Arabic page
    dir="ltr" too, which draws them as one piece in their own order (RGAA 8.10)."""
    if text is None or text == "":
        return Markup("")
    attributes = french_attributes()
    if not attributes:
        return escape(text)
    marks = Markup("").join(Markup(' {}="{}"').format(*item) for item in attributes.items())
    return Markup("<span{}>{}</span>").format(marks, text)


def french_attributes() -> dict[str, str]:
    """The attributes of an element in French on this page: none on a French page."""
    locale = str(get_locale() or "fr")
    if locale == "fr":
        return {}
    return {"lang": "fr", "dir": "ltr"} if locale in RTL_LOCALES else {"lang": "fr"}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    # Content from files (items, can-do statements): French msgids, used as they are.
    app.jinja_env.filters["translated"] = gettext
    # The words for the codes the site stores, one table each (app/words.py).
    app.jinja_env.globals["words"] = words
    # A moment with its hour, in French time and on the 24-hour clock (BABEL_DEFAULT_TIMEZONE).
    app.jinja_env.filters["date_time"] = date_time_words
    app.jinja_env.filters["french"] = french
    app.context_processor(template_globals)
