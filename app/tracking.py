"""Errors to an error tracker (Sentry's SDK), only when ``SENTRY_DSN`` is set, never with
personal data.

With no DSN nothing is loaded and nothing leaves the server. With one, every error (an
exception that gives the 500 page, an ``ERROR`` log record) is sent to that Sentry project
(sentry.io or a self-hosted Sentry, or any server that speaks its protocol, e.g. GlitchTip),
after ``scrub`` has rebuilt the event from a short list of safe parts:

- kept: the exception's type, where it happened (file, function, line, the line of code),
  the route's pattern (``/pro/personnes/<int:person_id>``) and the method, the level, the
  release and environment, the server's name;
- cut out of the exception's message and of log messages (``app.logs.redact``): anything
  that looks like an e-mail address, an IP address or a run of 6 digits or more (codes to
  come back, phone numbers), and the parameters SQLAlchemy adds to database errors;
- never sent: local variables, the request's body, query string, cookies and headers, the
  client's address, the user, breadcrumbs (earlier log lines), extra data.

The SDK's own options say the same where they can (no personal data by default,
``include_local_variables=False``, ``max_request_body_size="never"``, no performance
tracing): ``scrub`` does not rely on them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request

from .logs import redact, route_of_request

_FRAME_KEYS = ("filename", "abs_path", "function", "module", "lineno", "in_app", "context_line")


def _frames(stacktrace: Any) -> dict[str, Any] | None:
    if not isinstance(stacktrace, dict):
        return None
    return {
        "frames": [
            {key: frame[key] for key in _FRAME_KEYS if key in frame}
            for frame in stacktrace.get("frames") or []
            if isinstance(frame, dict)
        ]
    }


def scrub(event: dict[str, Any], _hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new event holding only the safe parts of ``event`` (see the module's text)."""
    safe: dict[str, Any] = {
        key: event[key]
        for key in (
            "event_id",
            "timestamp",
            "level",
            "platform",
            "sdk",
            "release",
            "environment",
            "server_name",
            "logger",
            "fingerprint",
        )
        if key in event
    }
    values = []
    for value in (event.get("exception") or {}).get("values") or []:
        values.append(
            {
                "type": value.get("type"),
                "module": value.get("module"),
                "value": redact(value.get("value")),
                "mechanism": value.get("mechanism"),
                "stacktrace": _frames(value.get("stacktrace")),
            }
        )
    if values:
        safe["exception"] = {"values": values}
    logentry = event.get("logentry") or event.get("message")
    if isinstance(logentry, dict):
        # The message's template only: its arguments could be anything.
        safe["logentry"] = {"message": redact(logentry.get("message"))}
    elif isinstance(logentry, str):
        safe["logentry"] = {"message": redact(logentry)}
    route = route_of_request() if has_request_context() else None
    if route is not None:
        safe["request"] = {"method": request.method, "url": route}
        safe["transaction"] = route
    contexts = event.get("contexts") or {}
    safe["contexts"] = {key: contexts[key] for key in ("runtime", "os") if key in contexts}
    return safe


def init_app(app: Flask) -> None:
    """Start Sentry's SDK if ``SENTRY_DSN`` is set; otherwise do nothing at all."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT"),
        integrations=[FlaskIntegration(transaction_style="url")],
        include_local_variables=False,
        max_request_body_size="never",
        max_breadcrumbs=0,
        traces_sample_rate=None,
        before_send=scrub,
        # Tests pass a Transport class that keeps the events instead of sending them.
        transport=app.config.get("SENTRY_TRANSPORT"),
    )
