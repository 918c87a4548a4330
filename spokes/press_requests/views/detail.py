"""The request page: deadline and its explanation, answer, notes, history, the action panels; attachments."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, render_template, send_file
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from spokes.attachments import store as files
from spokes.attachments.models import Attachment
from spokes.auth.models import User
from spokes.core.personal_pages import personal_page
from spokes.core.uploads import UploadRejected
from spokes.extensions import db
from spokes.press_requests import policies
from spokes.press_requests.actions import Verb
from spokes.press_requests.models import PressRequest
from spokes.press_requests import services as svc
from spokes.press_requests.read_models import detail_context, former_unit_view
from spokes.press_requests.views import bp

log = logging.getLogger(__name__)


def load(request_id: int) -> PressRequest:
    """Load a request the user may view; 404 otherwise, so other units' ids reveal nothing."""
    req = db.session.get(PressRequest, request_id, options=[
        # The page shows the assignee's name and the rule; the assignee's roles load only if read.
        joinedload(PressRequest.assignee).lazyload(User.memberships), joinedload(PressRequest.rule)])
    if req is None or not policies.can_view(current_user, req):
        abort(404)
    return req


def render_detail(req: PressRequest, status: int = 200, failed: dict[Verb, Any] | None = None):
    """Render the request page; ``failed`` holds a submitted form to show with its errors."""
    return render_template("press_requests/detail.html", **detail_context(current_user, req, failed)), status


@bp.get("/<int:request_id>")
@personal_page
@login_required
def detail(request_id: int):
    """Show a request: deadline and its explanation, answer, notes, history and actions."""
    return render_detail(load(request_id))


@bp.get("/<int:request_id>/attachments/<int:attachment_id>")
@login_required
def attachment(request_id: int, attachment_id: int):
    """Send an attachment of a request the user may view."""
    req = load(request_id)
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.request_id != req.id:
        abort(404)
    if att.answer_id is not None:
        # A former unit does not read the receiving unit's unapproved drafts, nor their files.
        former = former_unit_view(current_user, req)
        if former is not None and not former.shows_attachment(att, svc.final_answer(req)):
            abort(404)
    try:
        path = files.path_of(att)
    except UploadRejected:
        abort(404)
    if not path.is_file():
        log.warning("attachment %s of request %s is missing on disk", att.id, req.id)
        abort(404)
    return send_file(path, download_name=att.display_name, as_attachment=True, mimetype=att.mime_type)
