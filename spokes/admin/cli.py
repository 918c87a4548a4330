"""Flask CLI commands of the admin feature."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach this feature's commands to the app."""
