"""Flask extensions, created without an app and bound in ``create_app``."""

from __future__ import annotations

import time
from typing import Any

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from spokes.core.i18n import RequestBabel

# A stable naming convention: Alembic's batch mode on SQLite needs named constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = RequestBabel()


def _client_address() -> str:
    """Key rate limits on the client address (behind a trusted proxy, ProxyFix sets it)."""
    return get_remote_address() or request.remote_addr or "unknown"


class FailOpenLimiter(Limiter):
    """Flask-Limiter with its in-memory fallback, probing a dead store on a fixed schedule.

    When the store (Redis) fails, Flask-Limiter counts in this process instead
    (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED) and now and then asks the store whether it is back.
    Its own schedule probes again at once after the failure, so the request that found Redis
    hung would pay the timeout twice. Here the first probe comes STORE_PROBE_SECONDS after the
    failure, then every STORE_PROBE_SECONDS: a hung Redis costs one timeout per interval, not
    one per request.
    """

    STORE_PROBE_SECONDS = 5.0
    _probe_at: float | None = None

    def init_app(self, app: Any) -> None:
        """Bind to an app; a freshly bound app starts out trusting its store."""
        self._storage_dead = False
        self._probe_at = None
        super().init_app(app)

    def _Limiter__should_check_backend(self) -> bool:  # noqa: N802 - overrides the name-mangled private hook
        moment = time.monotonic()
        if self._probe_at is None or moment - self._probe_at > 10 * self.STORE_PROBE_SECONDS:
            self._probe_at = moment + self.STORE_PROBE_SECONDS  # the store just failed: do not ask it again now
            return False
        if moment >= self._probe_at:
            self._probe_at = moment + self.STORE_PROBE_SECONDS
            return True
        return False


limiter = FailOpenLimiter(key_func=_client_address, default_limits=[])
