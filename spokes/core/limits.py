"""Rate limits named by a configuration key and read when a request comes, so each deployment sets its own."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app


def config_limit(key: str) -> Callable[[], str]:
    """Return a limit for ``limiter.limit`` that reads its string ("5 per minute") from ``app.config[key]``."""

    def limit() -> str:
        return current_app.config[key]

    return limit
