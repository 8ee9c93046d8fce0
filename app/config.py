"""Settings read from environment variables, with safe defaults for development.

Three modes, chosen by ``REPERE_ENV``: ``development`` (the default), ``test`` and
``production``. Production refuses to start without a real secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
DEFAULT_RECORDINGS = PROJECT_ROOT / "app" / "content" / "recordings"

#: Secret keys shorter than this are refused in production.
MIN_SECRET_KEY_LENGTH = 32

#: Default limits on wrong codes to come back (docs/security.md computes what they mean for
#: guessing). Per address only, and per minute only: nobody's wrong codes keep a person with
#: a right code out for more than a minute. No limit for everyone together: it would let
#: anyone lock everybody out.
PER_CLIENT = "10/minute"
#: Codes made before codes had 16 digits: wrong 12-digit codes from everyone together.
LEGACY = "200/day"

#: How long data is kept (privacy notice, `flask purge`, app/mydata.py). The access
#: journal's period is also the constant ACCESS_RECORD_KEEP_YEARS of migration 0006, whose
#: PostgreSQL trigger refuses to delete younger lines: change both together.
RETENTION_INACTIVE_MONTHS = 12
RETENTION_CONSENT_DAYS_AFTER_END = 0
RETENTION_ACCESS_RECORD_YEARS = 3
#: Kept by the jobs of docs/deploy.md, not by the app: database dumps (the nightly backup
#: deletes older ones) and the web server's logs (logrotate). Shown on the privacy notice;
#: tests/test_schedule.py checks that the guide's jobs keep them this long.
RETENTION_BACKUP_DAYS = 14
RETENTION_SERVER_LOG_DAYS = 14

#: Seconds a request waits at most for Redis (rate limits) before counting in memory.
RATELIMIT_STORAGE_TIMEOUT = 0.5

#: Milliseconds the health endpoint waits at most for the database and the rate-limit store.
HEALTH_TIMEOUT_MS = 40

#: Locales the site is written in; French is the source language.
LOCALES = ("fr", "en", "ar")
RTL_LOCALES = frozenset({"ar"})


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the site must not start."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _choice(env: os._Environ[str] | dict[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """The variable's value, one of ``allowed`` (case-insensitive); the first by default."""
    value = (env.get(name) or allowed[0]).strip()
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")


def _development_secret_key(instance: Path) -> str:
    """A random key kept in ``instance/secret_key``, made on first run."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key, encoding="ascii")
    path.chmod(0o600)
    return key


def load_config(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask settings from environment variables."""
    env = os.environ if environ is None else environ
    mode = env.get("REPERE_ENV", "development").strip().lower()
    if mode not in {"development", "test", "production"}:
        raise ConfigError(f"REPERE_ENV must be development, test or production, not {mode!r}.")
    production = mode == "production"
    instance = Path(env.get("REPERE_INSTANCE_PATH", DEFAULT_INSTANCE))

    secret_key = env.get("SECRET_KEY", "")
    if production:
        if not secret_key:
            raise ConfigError("SECRET_KEY is required in production.")
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production."
            )
        dev_key_file = instance / "secret_key"
        if dev_key_file.exists() and dev_key_file.read_text("ascii").strip() == secret_key:
            raise ConfigError("SECRET_KEY is the development key; set a new one for production.")
    elif not secret_key:
        secret_key = _development_secret_key(instance)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'repere.sqlite3'}"
    https = _flag(env.get("REPERE_HTTPS"), default=production)

    return {
        "ENV_NAME": mode,
        "TESTING": mode == "test",
        "SECRET_KEY": secret_key,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        # Development runs the migrations on start; production runs `flask db upgrade`
        # once per deployment, so that several processes never race.
        "AUTO_MIGRATE": _flag(env.get("AUTO_MIGRATE"), default=not production),
        "HTTPS": https,
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "repere_session",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # Forms are small: 64 KB is generous and stops oversized bodies early.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 64 * 1024)),
        "WTF_CSRF_TIME_LIMIT": 60 * 60 * 4,
        "WTF_CSRF_SSL_STRICT": https,
        # Number of reverse proxies in front of the app whose X-Forwarded-* we trust.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", 0)),
        # Always said: the limiter is one object shared by every app of a process, and an
        # app that left this out would inherit the last app's choice.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        # If Redis is down, count in each process rather than fail the request: Flask-Limiter
        # logs a warning, then tries Redis again on later requests (after 1, 2, 4… up to
        # 32 s) and goes back to it by itself (docs/deploy.md, "When Redis is down").
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # A Redis that does not answer (a network cut drops packets rather than refusing
        # them) costs a request at most this long, in seconds, instead of minutes.
        "RATELIMIT_STORAGE_OPTIONS": {
            "socket_connect_timeout": RATELIMIT_STORAGE_TIMEOUT,
            "socket_timeout": RATELIMIT_STORAGE_TIMEOUT,
        },
        # Wrong codes to come back, per client (address, IPv6 /64); wrong 12-digit codes for
        # everyone together. docs/security.md computes what these allow a guesser.
        "RETURN_CODE_LIMIT_PER_CLIENT": env.get("RETURN_CODE_LIMIT_PER_CLIENT", PER_CLIENT),
        "RETURN_CODE_LIMIT_LEGACY": env.get("RETURN_CODE_LIMIT_LEGACY", LEGACY),
        # Retention (see the privacy notice): a journey unused for this many months is
        # erased by `flask purge`; consents are deleted this many days after their end;
        # access records are kept this many years (not settable: the database enforces it).
        "RETENTION_MONTHS_INACTIVE": int(
            env.get("RETENTION_INACTIVE_MONTHS") or RETENTION_INACTIVE_MONTHS
        ),
        "RETENTION_CONSENT_DAYS_AFTER_END": RETENTION_CONSENT_DAYS_AFTER_END,
        "RETENTION_ACCESS_RECORD_YEARS": RETENTION_ACCESS_RECORD_YEARS,
        "RETENTION_BACKUP_DAYS": RETENTION_BACKUP_DAYS,
        "RETENTION_SERVER_LOG_DAYS": RETENTION_SERVER_LOG_DAYS,
        # Logs (app/logs.py): one line per request, "text" or "json"; never personal data.
        "LOG_FORMAT": _choice(env, "LOG_FORMAT", ("text", "json")),
        "LOG_LEVEL": _choice(env, "LOG_LEVEL", ("INFO", "WARNING", "ERROR", "DEBUG")),
        # Error tracking (app/tracking.py): off unless a Sentry DSN is given; events are
        # scrubbed of personal data before they leave the server.
        "SENTRY_DSN": env.get("SENTRY_DSN", "").strip(),
        "SENTRY_ENVIRONMENT": env.get("SENTRY_ENVIRONMENT", mode),
        # The health endpoint (/sante) answers within this budget whatever happens.
        "HEALTH_TIMEOUT_MS": int(env.get("HEALTH_TIMEOUT_MS") or HEALTH_TIMEOUT_MS),
        "BABEL_DEFAULT_LOCALE": "fr",
        # Times are stored in UTC and shown as they are in France (app/times.py), whatever
        # the server's clock or the language.
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LOCALES": LOCALES,
        # Recordings read aloud: built by `flask build-audio` into AUDIO_DIR; human
        # recordings in RECORDINGS_DIR win over synthetic speech (README, « Listening »).
        "AUDIO_DIR": env.get("AUDIO_DIR") or str(instance / "audio"),
        "RECORDINGS_DIR": env.get("RECORDINGS_DIR") or str(DEFAULT_RECORDINGS),
        # Shown on the legal pages; set them for a real deployment.
        "PUBLISHER_NAME": env.get("PUBLISHER_NAME", "L'équipe Repère"),
        "PUBLISHER_ADDRESS": env.get("PUBLISHER_ADDRESS", "Adresse à compléter"),
        "PUBLICATION_DIRECTOR": env.get("PUBLICATION_DIRECTOR", "La direction de l'équipe Repère"),
        "HOST_NAME": env.get("HOST_NAME", "Hébergeur à compléter"),
        "HOST_ADDRESS": env.get("HOST_ADDRESS", "Adresse à compléter"),
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "contact@repere.example"),
        # The site's address as people type it (« repere.example »), written on every page and
        # slip that tells someone to come back; empty: the address the request came to.
        "SITE_ADDRESS": env.get("SITE_ADDRESS", "").strip(),
    }
