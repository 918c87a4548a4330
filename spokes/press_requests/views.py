"""Staff pages for press requests: queues, intake, the request page and its actions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("press_requests", __name__, url_prefix="/staff/requests")
