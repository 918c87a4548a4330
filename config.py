"""Configuration layers for Spokes.

The classes hold non-secret defaults. Secrets come from ``instance/config.py``
or the environment; tests pass a mapping to ``create_app``.
"""

from __future__ import annotations

import os


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # derived from DATABASE_URL or the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 30_000

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600  # "remember me" lasts 30 days; logout revokes it server-side

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # Redis is an accelerator, never a single point of failure: when the limiter's store fails,
    # Flask-Limiter counts in this process instead (logged) and checks the store again with a
    # growing pause; an error it cannot fall back from is logged, not shown.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Connect and socket timeouts of every Redis client (limiter and page cache), in seconds:
    # a hung Redis costs this once, then the circuit breakers step around it.
    REDIS_TIMEOUT_SECONDS = 0.5
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    # Failed sign-ins per (account, client address): longer waits the more it fails, but the
    # owner signing in from another address is never held back (no lockout of the account).
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute;20 per hour;60 per day"
    PASSWORD_CHANGE_RATE_LIMIT = "5 per 15 minutes;20 per day"  # wrong current passwords, per account
    # Number of reverse proxies in front of the app (e.g. 1 for nginx). Only when set is
    # X-Forwarded-For/-Proto trusted (Werkzeug's ProxyFix), for that many hops and no more.
    SPOKES_TRUSTED_PROXIES = 0
    PUBLIC_FORM_RATE_LIMIT = "20 per hour"  # questions accepted on /ask (and follow-ups), per client address
    # Every post of /ask, accepted or sent back for a typo: a newsroom behind one address is not locked out
    # by its own mistakes, and a flood of bad posts is still stopped.
    PUBLIC_FORM_ATTEMPT_RATE_LIMIT = "60 per hour"
    TRACK_RATE_LIMIT = "30 per minute"
    # Fresh tracking links mailed from the look-up form, per address and per reference.
    TRACK_LOOKUP_RATE_LIMIT = "3 per hour;10 per day"

    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    STAFF_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    # Requests by e-mail (spokes/mailin; README "Requests by e-mail"). The mailboxes and their
    # credentials belong in instance/config.py and the environment, never here.
    MAIL_IN_MAILBOXES: dict = {}
    MAIL_IN_INTERVAL_SECONDS = 60  # how often the worker polls the mailboxes
    MAIL_IN_CLAIM_SECONDS = 120  # one fetcher's lease on a mailbox, renewed per message
    MAIL_IN_MAX_MESSAGE_BYTES = 30 * 1024 * 1024  # larger messages are quarantined, left on the server
    MAIL_IN_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # per file, with the upload rules (sniffed type)
    PUBLIC_UPLOAD_MAX_BYTES = 10 * 1024 * 1024

    MAIL_SERVER: str | None = None  # none: mails are written to instance/mail/*.eml
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Spokes <no-reply@spokes.local>"
    MAIL_TIMEOUT = 20  # a send (connect + data) must end well inside the 60 s outbox lease
    MAIL_CLAIM_SECONDS = 60  # a killed sender's mails are taken over about a minute later
    MAIL_BATCH_SIZE = 50
    MAIL_MAX_ATTEMPTS = 12  # retries back off from 1 minute to 2 hours: about 10 hours in all
    NOTIFY_REMINDER_TIME = "07:00"  # Vietnamese time
    NOTIFY_DIGEST_TIME = "07:30"

    # Public pages for anonymous readers (spokes/core/pagecache.py): "filesystem" (instance/cache,
    # shared by the workers of one machine), a redis:// URL (several app servers), "memory", "none".
    PAGE_CACHE_URL = "filesystem"
    PAGE_CACHE_SECONDS = 300
    PAGE_CACHE_ENTRIES = 2000
    PAGE_CACHE_RETRY_SECONDS = 30  # after a store failure, serve without the cache this long
    # How long a worker trusts the public content version it last read before asking the store
    # again: a publish on another server shows within this time (on this one at once).
    PAGE_CACHE_RECHECK_SECONDS = 0.1
    # Staff pages shown again to the same session while nothing was written, within the minute
    # (spokes/core/personal_pages.py); kept in the page cache's store.
    PERSONAL_PAGE_CACHE = True

    # A database that cannot be reached: the 503 page asks clients to come back after this.
    DB_UNAVAILABLE_RETRY_AFTER = 30

    LOG_LEVEL = "INFO"
    LOG_FORMAT = "text"  # or "json": one JSON object per line on stderr
    LOG_STDERR = True
    LOG_FILE: str | None = None  # also append here (a daemonised gunicorn has no stderr)
    OUTBOX_BACKLOG_SECONDS = 900  # /healthz calls the outbox degraded when a due mail waits longer

    # Official letters: a unit's signing certificate (PKCS#12) and the roots trusted when a
    # signature is checked. Secrets: set them in instance/config.py, never here, e.g.
    # LETTER_CERTIFICATES = {"AG-DHU": {"pkcs12": "/etc/spokes/dhu.p12", "passphrase": "…"}}
    LETTER_CERTIFICATES: dict = {}
    LETTER_TRUST_ROOTS: list = []  # PEM files of the certification authorities to trust

    SITE_NAME = "Spokes"
    PUBLIC_BASE_URL: str | None = None  # used in e-mails and feeds when set
    HSTS_ENABLED = False
    PAGE_SIZE = 25


class DevelopmentConfig(Config):
    """Local development and the Quick start demo."""

    ENV_NAME = "development"
    # Only for a developer's machine; production refuses to start without a real key.
    SECRET_KEY = "dev-only-insecure-key"


class TestingConfig(Config):
    """Automated tests: CSRF is switched back on by the tests that check it."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    # Hundreds of logins per run: a cheap hash keeps the suite fast. Never used outside tests.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    PAGE_CACHE_URL = "memory"  # per app: tests never share cached pages
    LOG_STDERR = False  # pytest captures log records itself


class ProductionConfig(Config):
    """Production: secure cookies, HSTS, and a mandatory SECRET_KEY."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_ENABLED = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

# Environment variables copied into the config when present.
ENV_KEYS = (
    "SECRET_KEY",
    "RATELIMIT_STORAGE_URI",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "PUBLIC_BASE_URL",
    "PAGE_CACHE_URL",
    "PERSONAL_PAGE_CACHE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "LOG_FILE",
    "SPOKES_TRUSTED_PROXIES",
)


def env_name() -> str:
    """Return the configuration name chosen by SPOKES_ENV (default: development)."""
    return os.environ.get("SPOKES_ENV", "development").strip().lower() or "development"
