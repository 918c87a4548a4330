"""Single-use form keys: a form sent twice (a double click, a repeated POST) does its work once.

A form that creates something that cannot be taken back (a numbered letter, a request with its
receipt to the journalist) carries a random key in a hidden field, made when the form is shown
(``OnceForm``). The POST claims the key in the same transaction as its work: a row of
``form_submissions``, whose key is unique, that also records what the work produced (where to
see it and its name, e.g. "02/UBND-VP"). So:

* a second POST of the same form finds the row, committed with the first POST's work, and is
  shown what the first produced (``Repeated``), creating nothing;
* two POSTs at the same moment collide on the unique key: the loser waits for the winner
  (PostgreSQL's unique index; SQLite's single writer) and then finds its row;
* a POST that is refused or rolled back rolls its claim back too, so the key stays usable;
  a preview claims nothing.

A POST that carries no key, or a malformed one (a script, a page older than this module), gets
a fresh key: its work is done, but a repeat of it is not recognised.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import flash, redirect
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField

from spokes.core.clock import now
from spokes.core.forms import Form
from spokes.core.model_types import UTCDateTime
from spokes.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")

KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_key() -> str:
    """Return a fresh random key for a form about to be shown."""
    return secrets.token_urlsafe(32)


class FormSubmission(db.Model):
    """A form's key, claimed by the POST that did the form's work, and what that work produced."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result_url: Mapped[str | None] = mapped_column(String(500))
    result_label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)


class OnceForm(Form):
    """A form whose work is done once per showing: it carries a single-use key (``form_key``).

    Shown (GET), it gets a fresh key; posted back, it keeps the key it was shown with, so a
    page shown again after a refusal still carries the key its first POST did not use.
    """

    form_key = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not KEY_SHAPE.fullmatch(self.form_key.data or ""):
            self.form_key.data = new_key()
            self.form_key.raw_data = None


class Repeated(Exception):  # noqa: N818 - it names what happened, as DomainError's siblings do
    """The form was sent before and its work is done: show what it produced instead."""

    def __init__(self, earlier: FormSubmission) -> None:
        super().__init__(earlier.key)
        self.url = earlier.result_url
        self.label = earlier.result_label or ""

    def show(self, message: str, fallback: str) -> Any:
        """Roll back this POST, say ``message`` and go to what the first POST produced (else ``fallback``)."""
        db.session.rollback()
        flash(message, "info")
        return redirect(self.url or fallback, 303)


def _earlier(key: str) -> FormSubmission | None:
    return db.session.execute(select(FormSubmission).where(FormSubmission.key == key)).scalar_one_or_none()


def claim(key: str, *, purpose: str, user_id: int | None) -> FormSubmission:
    """Claim a form's key inside the caller's transaction; raise ``Repeated`` when this user claimed it before.

    The claim commits, or rolls back, with the caller's work. Two claims of one key at once:
    the unique key makes the second wait for the first and fail once the first commits. A key
    another person claimed tells this one nothing of theirs: the POST is served under a fresh key.
    """
    earlier = _earlier(key)
    if earlier is not None and earlier.user_id == user_id and earlier.purpose == purpose:
        raise Repeated(earlier)
    if earlier is not None:  # another person's key, or this person's key of another form
        key = new_key()
    row = FormSubmission(key=key, purpose=purpose, user_id=user_id)
    try:
        with db.session.begin_nested():  # a savepoint: the collision rolls back the claim alone
            db.session.add(row)
    except IntegrityError:
        earlier = _earlier(key)
        if earlier is not None and earlier.user_id == user_id and earlier.purpose == purpose:
            log.info("form %s sent twice at once; the second POST did nothing", purpose)
            raise Repeated(earlier) from None
        # Someone else's POST claimed the same key at the same instant: serve this one under a fresh key.
        row = FormSubmission(key=new_key(), purpose=purpose, user_id=user_id)
        with db.session.begin_nested():
            db.session.add(row)
    return row


# A key only has to outlive a double click or a page sent again from the browser's history.
KEEP_FOR = timedelta(days=30)


def prune(moment: datetime) -> int:
    """Forget the keys claimed more than ``KEEP_FOR`` before ``moment``; return how many.

    The background tick calls this; the index on ``created_at`` keeps it from reading the table
    when nothing is that old.
    """
    result = db.session.execute(delete(FormSubmission).where(FormSubmission.created_at < moment - KEEP_FOR))
    return int(getattr(result, "rowcount", 0) or 0)


def record(row: FormSubmission, *, url: str, label: str) -> None:
    """Note what the claiming POST produced, for a repeat to show."""
    row.result_url, row.result_label = url[:500], label[:200]
    db.session.flush()


def once(form: OnceForm, purpose: str, work: Callable[[], T], result: Callable[[T], tuple[str, str]], *,
         user_id: int | None) -> Callable[[], T]:
    """Return ``work`` made single-use by the form's key: it claims the key first, then records ``result``.

    ``result`` gives the URL and the name of what the work produced. Call the returned function
    where ``work`` was called (inside ``commit_or_report`` or the like), and catch ``Repeated``
    around that call to show the earlier result.
    """

    def run() -> T:
        row = claim(form.form_key.data, purpose=purpose, user_id=user_id)
        value = work()
        url, label = result(value)
        record(row, url=url, label=label)
        return value

    return run
