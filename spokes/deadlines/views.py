"""The public deadline calculator and the admin screens for rulebooks and the calendar."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("deadlines", __name__)
