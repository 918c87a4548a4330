"""Deadline explanations in the reader's language: the pure renderer with Flask-Babel's catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext

from spokes.core.i18n import reader_language
from spokes.deadlines import explain


def explain_step(step: Mapping[str, Any] | str) -> str:
    """Return one stored explanation step as a sentence in the reader's language."""
    return explain.render_step(step, gettext, reader_language())


def explain_note(note: Mapping[str, Any] | str | None) -> str:
    """Return an explanation's note (why the deadline was recounted) in the reader's language."""
    return explain.render_note(note, gettext, reader_language())


def day_name(name: str | None, on: date | str | None = None) -> str:
    """Return a day-off or make-up-day name in the reader's language."""
    return explain.day_name(name, on, gettext, reader_language())


def explanation_text(explanation: Mapping[str, Any]) -> list[str]:
    """Return every step of a stored explanation as a sentence in the reader's language."""
    return explain.render_steps(explanation.get("steps") or [], gettext, reader_language())
