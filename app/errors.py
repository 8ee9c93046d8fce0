"""Error pages, in the site's layout and the person's language."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

log = logging.getLogger(__name__)

#: For each status: the page's title (its <h1>) and what the person can do.
ERRORS = {
    400: (_l("La demande n'a pas pu être lue"), _l("Revenez à la page précédente et recommencez.")),
    404: (
        _l("Page introuvable"),
        _l("L'adresse est peut-être mal écrite. Vous pouvez repartir de l'accueil."),
    ),
    405: (
        _l("Cette action n'est pas possible ici"),
        _l("Revenez à la page précédente et utilisez les boutons de la page."),
    ),
    413: (
        _l("Votre envoi est trop gros"),
        _l("Écrivez un texte plus court, puis recommencez."),
    ),
    429: (
        _l("Trop d'essais"),
        _l(
            "Pour protéger les réponses de chacun, le nombre d'essais est limité. "
            "Attendez 1 heure, puis recommencez."
        ),
    ),
    500: (
        _l("Désolé, le site a un problème"),
        _l("Ce n'est pas de votre faute. Réessayez dans quelques minutes."),
    ),
}
CSRF_ERROR = (_l("Votre page a expiré"), _l("Votre page a expiré, recommencez."))


def render_error(
    status: int, title: str, message: str, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    return render_template("errors/error.html", h1=title, message=message), status, headers or {}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple[str, int, dict[str, str]]:
        title, message = CSRF_ERROR
        return render_error(400, str(title), str(message))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int, dict[str, str]] | HTTPException:
        status = error.code or 500
        if status not in ERRORS:
            return error
        title, message = ERRORS[status]
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return render_error(status, str(title), str(message), headers)

    @app.errorhandler(InternalServerError)
    def server_error(_error: InternalServerError) -> tuple[str, int, dict[str, str]]:
        title, message = ERRORS[500]
        try:
            return render_error(500, str(title), str(message))
        except Exception:  # the layout itself failed: answer in plain HTML
            log.exception("error page failed")
            return (
                f"<!doctype html><html lang=fr><title>{escape(str(title))}</title>"
                f"<h1>{escape(str(title))}</h1><p>{escape(str(message))}</p></html>",
                500,
                {},
            )
