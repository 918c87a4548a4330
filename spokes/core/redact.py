"""Keep tracking links out of access logs (issue 17).

A tracking link is the key to a journalist's request, so ``GET /track/<token>`` must not
sit in clear in the access log of the development server or of gunicorn. A logging filter
on their access loggers rewrites the line to ``/track/…`` before any handler writes it.
"""

from __future__ import annotations

import logging
import re

# The secret segment of a tracking link (the look-up page /track itself has none), of a
# password-reset link, and the API's ?token= parameter.
_TRACK = re.compile(r"(/track/|/admin/reset/)(?!request/)[A-Za-z0-9_-]{16,}")
_TOKEN_PARAM = re.compile(r"([?&]token=)[^&\s\"']+")
# The access loggers of the development server and of gunicorn.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    """Return the text with the secret part of every tracking link replaced by an ellipsis."""
    return _TOKEN_PARAM.sub(r"\1…", _TRACK.sub(r"\1…", text))


class TrackingLinkFilter(logging.Filter):
    """Rewrite a log record whose message holds a tracking link; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: A003 - logging's name
        """Redact the formatted message in place (args folded in, so no handler sees the token)."""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's business, not ours
            return True
        if "/track/" in message or "/admin/reset/" in message or "token=" in message:
            record.msg, record.args = redact(message), None
        return True


def install() -> None:
    """Add the filter to the access loggers once (several apps in one process share them)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TrackingLinkFilter) for f in logger.filters):
            logger.addFilter(TrackingLinkFilter())
