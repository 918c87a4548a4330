"""Logging set up by the app: one line per event on stderr (or JSON), each with its request id.

Operators run several gunicorn workers, often daemonised: a 5xx that leaves no trace cannot
be investigated. So the app installs its own handler on the root logger (once per process):

* ``LOG_FORMAT = "text"`` (default) or ``"json"`` (one object per line, for log shippers);
* ``LOG_LEVEL`` (INFO by default);
* ``LOG_FILE``: also append to this file (a daemonised gunicorn has no stderr to keep);
* ``LOG_STDERR``: off in tests, where pytest captures the log records itself.

Nothing is installed when the root logger already has a handler (a test runner, an embedding
program or a logging config did it), as ``logging.basicConfig`` would do.

Every request gets an id: the proxy's ``X-Request-ID`` when it is sane, else a fresh one. It
is sent back in the ``X-Request-ID`` header and stamped on every record logged meanwhile.
Every 5xx is logged: the error handlers log the trace, and the response hook names any 5xx.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.wrappers import Response

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MARK = "_spokes_handler"


def current_request_id() -> str:
    """Return the id of the request being served, or "-" outside a request."""
    if has_request_context():
        return str(g.get("request_id") or "-")
    return "-"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request id, method and path."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the request's fields to the record; never drop it."""
        record.request_id = current_request_id()
        record.http = f"{request.method} {request.path}" if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON text of the record, with its trace when there is one."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "http": getattr(record, "http", "-"),
            "process": record.process,
        }
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s (%(http)s)"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever sys.stderr is at the moment (test runners and servers swap it)."""

    def __init__(self) -> None:
        """Create the handler without binding a stream."""
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        """Return the current sys.stderr."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """Ignore: the stream is always the current sys.stderr."""


def _formatter(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)


def init_logging(app: Flask) -> None:
    """Install the process's log handler (once) and the request-id hooks of this app."""
    kind = str(app.config.get("LOG_FORMAT") or "text").strip().lower()
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _MARK, False)]
    # Like logging.basicConfig: a process whose logging is already set up (a test runner, an
    # embedding program, a logging config file) keeps it; gunicorn and `flask run` leave the
    # root logger bare, and get ours.
    configured_elsewhere = any(not getattr(h, _MARK, False) for h in root.handlers)
    wanted: list[logging.Handler] = []
    if configured_elsewhere:
        pass
    elif app.config.get("LOG_STDERR", True):
        wanted.append(_StderrHandler())
    if app.config.get("LOG_FILE") and not configured_elsewhere:
        wanted.append(logging.handlers.WatchedFileHandler(app.config["LOG_FILE"], encoding="utf-8"))
    if wanted and not ours:
        for handler in wanted:
            setattr(handler, _MARK, True)
            handler.addFilter(RequestIdFilter())
            handler.setFormatter(_formatter(kind))
            root.addHandler(handler)
        level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
        root.setLevel(level)
        logging.getLogger("spokes").setLevel(level)
    else:
        for handler in ours:  # a later app of the same process may ask for the other format
            handler.setFormatter(_formatter(kind))

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def _report(response: Response) -> Response:
        response.headers[HEADER] = current_request_id()
        if response.status_code >= 500:
            logging.getLogger("spokes.http").error("%s %s answered %s", request.method, request.path,
                                                   response.status_code)
        return response
