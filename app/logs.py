"""Logs: one line per request, in plain text or JSON, with no personal data.

``LOG_FORMAT=json`` writes each record as one JSON object per line (for a log collector);
the default is one line of text. Each request writes one record on the ``repere.request``
logger: method, the route it matched (its pattern, ``/pro/personnes/<int:person_id>``, never
the ids, codes or words of the real address; ``-`` for an address that matched no route),
status, duration in milliseconds and response size. No client address, no query string, no
cookie, no form data: the app logs none of them anywhere. The libraries' messages pass
through ``redact`` on the way out (Flask-Limiter, for one, names the client's address when
a limit is reached).

Outside tests, ``init_app`` gives the root logger one handler on standard error (replaced,
not added, when a second app is made in the same process), so that warnings of the
libraries (e.g. Flask-Limiter's « Rate limit storage unreachable ») are written too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

REQUEST_LOGGER = "repere.request"
#: Attributes of every LogRecord; anything else passed with ``extra=`` is written as a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


REDACTED = "[retiré]"
_EMAIL = re.compile(r"[^\s@<>()\[\]'\",;:]+@[^\s@<>()\[\]'\",;:]+")
#: 6 digits or more, maybe split by spaces, dots or dashes: a code, a phone number.
_DIGITS = re.compile(r"\+?\d(?:[\s.\-]?\d){5,}")
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
_IPV6 = re.compile(
    r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){4,7}[0-9A-Fa-f]{1,4}"
    r"|[0-9A-Fa-f:]*::[0-9A-Fa-f:]*[0-9A-Fa-f])(?![\w:])"
)
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\]\s*", re.DOTALL)


def redact(text: Any) -> Any:
    """``text`` without e-mail or IP addresses, long runs of digits, or SQL parameters."""
    if not isinstance(text, str):
        return text
    text = _SQL_PARAMETERS.sub("[parameters: " + REDACTED + "] ", text)
    text = _EMAIL.sub(REDACTED, text)
    text = _IPV6.sub(REDACTED, _IPV4.sub(REDACTED, text))
    return _DIGITS.sub(REDACTED, text)


class Redact(logging.Filter):
    """Rewrites each record's message through ``redact`` before any handler writes it.

    The request lines are left as they are: they hold only the method, the route's pattern,
    the status and the duration, whose digits would look like a phone number to ``redact``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == REQUEST_LOGGER:
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the ``extra``
    fields, and the exception's type and traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(Redact())
    handler._repere = True  # type: ignore[attr-defined]
    return handler


def configure(log_format: str, level: str = "INFO") -> None:
    """Give the root logger Repère's one handler (replacing an earlier one of ours)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_repere", False):
            root.removeHandler(handler)
    root.addHandler(make_handler(log_format))
    root.setLevel(level)


def route_of_request() -> str:
    """The pattern of the route the request matched, never its values; ``-`` if none."""
    rule = request.url_rule
    return rule.rule if rule is not None else "-"


def init_app(app: Flask) -> None:
    """Call first in create_app: the timer starts before, and the line is written after,
    every other hook (rate limits, compression…)."""
    if not app.testing:
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    log = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        duration = (time.perf_counter() - started) * 1000 if started is not None else None
        route = route_of_request()
        fields = {
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(duration, 1) if duration is not None else None,
            "bytes": response.calculate_content_length(),
        }
        log.info(
            "%s %s %s %s ms",
            request.method,
            route,
            response.status_code,
            fields["duration_ms"],
            extra=fields,
        )
        return response
