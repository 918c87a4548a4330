"""Staff pages for press requests: the queue, intake, the request page and its actions.

One blueprint, split by page: ``queue``, ``intake``, ``detail`` and ``actions`` (every POST on
the request page goes through one pipeline, ``actions._act``). The read models they show are in
``press_requests/queries.py`` and ``press_requests/read_models.py``; the commands in ``services``.

Every view follows the same recipe: load the request (404, also when the user may not see it, so
ids of other units reveal nothing), authorise (403), validate the form, call one service, commit
once, flash, redirect. A refused command raises DomainError: ``attempt`` below is the one place
that catches it (400: the form shows the message; 409: the caller's conflict page; anything else
goes on to the global handler).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint

from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.press_requests import policies

bp = Blueprint("press_requests", __name__, url_prefix="/staff/requests")


@bp.record_once
def _register_policies(state: Any) -> None:
    # Templates call the same policy functions as the views (can_act, can_view_request).
    policies.init_app(state.app)


def attempt(form: Any, run: Callable[[], Any], *, conflicts: bool = False) -> DomainError | None:
    """Run a command; on a refusal roll back and return it, else None.

    A 400 adds its message to the form's errors; a 409 is returned for the caller's conflict
    page when ``conflicts``; any other refusal (403) goes on to the global handler.
    """
    try:
        run()
    except DomainError as err:
        db.session.rollback()
        if err.status == 409 and conflicts:
            return err
        if err.status != 400:
            raise
        form.form_errors.append(err.message)
        return err
    return None


from spokes.press_requests.views import actions, detail, intake, queue  # noqa: E402,F401  (registers the routes)
