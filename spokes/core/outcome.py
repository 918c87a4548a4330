"""Run one service call from a view: commit on success, or roll back and show the refusal.

Views share one shape: load, check, validate the form, call the service, commit once, flash and
redirect; on a refusal (a ``DomainError``) roll back and show the page again with the message on a
field or in a flash. ``commit_or_report`` is the middle of that shape. A refusal for lack of right
(status 403) is not a form error: it propagates to the app's error page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash

from spokes.core.errors import DomainError
from spokes.extensions import db

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What the service returned, or why it refused."""

    value: T | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        """Return whether the service succeeded (and its change is committed)."""
        return self.error is None

    def status(self, default: int = 400) -> int:
        """Return the HTTP status of the refusal (``default`` when it names none)."""
        return (self.error.status or default) if self.error is not None else 200


def commit_or_report(call: Callable[[], T], field: Any = None, *, commit: bool = True) -> Outcome[T]:
    """Call the service and commit; on a ``DomainError`` roll back and report it.

    The message goes on ``field`` (a WTForms field) when one is given, else into a flash.
    ``commit=False`` runs a call that writes nothing (a preview) under the same error handling.
    """
    try:
        value = call()
        if commit:
            db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status == 403:
            raise
        if field is not None:
            field.errors = [*field.errors, err.message]
        else:
            flash(err.message, "danger")
        return Outcome(error=err)
    return Outcome(value=value)
