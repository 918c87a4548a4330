"""Reports for heads, overseers and admins."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")
