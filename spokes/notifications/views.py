"""The notification centre (/staff/notifications) and e-mail preferences (/staff/preferences).

The navbar bell needs the unread count on every staff page. The house rule is no queries in
templates, so the count is computed in the view layer: a small context processor calls
``services.unread_count`` at most once per request (one indexed COUNT, stopped at 100), caches the number on
``flask.g`` and hands the plain integer to the templates; the centre page reuses the same
cached number. This is the one accepted exception to "views pass what templates show": every
staff page would otherwise have to pass the count itself. It runs only for signed-in users
inside a request; e-mail templates are rendered without context processors and never trigger
it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from spokes.core.params import page_arg
from spokes.core.forms import EmptyForm
from spokes.core.safe_redirect import safe_next
from spokes.extensions import db
from spokes.notifications import services
from spokes.notifications.content import kind_label
from spokes.notifications.forms import PreferencesForm

log = logging.getLogger(__name__)

bp = Blueprint("notifications", __name__, url_prefix="/staff")


def _cached_unread() -> int | None:
    """Return the unread count for this request, counting once and keeping it on ``g``.

    The cache is tied to the request object: ``g`` lives as long as the app context, which a
    test (or any code pushing one context around several requests) shares between requests.
    """
    current = request._get_current_object()  # type: ignore[attr-defined]
    cached = g.get("_unread_notifications")
    if cached is not None and cached[0] is current:
        return cached[1]
    try:
        count: int | None = services.unread_count(current_user)
    except SQLAlchemyError:  # an error page after a database failure must still render
        log.warning("could not count unread notifications", exc_info=True)
        count = None
    g._unread_notifications = (current, count)
    return count


@bp.app_context_processor
def _unread_notifications() -> dict[str, Any]:
    """Give templates the signed-in user's unread count, queried at most once per request."""
    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        return {}
    count = _cached_unread()
    return {"unread_notifications": count, "unread_label": services.unread_label(count) if count else ""}


@bp.get("/notifications")
@login_required
def index():
    """List the signed-in user's notices, newest first, with the unread ones marked."""
    unread_only = request.args.get("show") == "unread"
    page = db.paginate(services.notifications_query(current_user, unread_only=unread_only),
                       page=page_arg(),
                       per_page=current_app.config.get("PAGE_SIZE", 25), error_out=False)
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           unread=_cached_unread(), form=EmptyForm(), kind_label=kind_label)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Mark one notice read (only one's own: another person's id is a 404)."""
    notice = services.own_notification(current_user, notification_id)
    if notice is None:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    services.mark_read(current_user, notice)
    db.session.commit()
    target = safe_next(request.form.get("next")) or url_for(".index")
    return redirect(target)


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    """Mark every notice of the signed-in user read."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(_("Đã đánh dấu %(n)d thông báo là đã đọc.", n=count), "success")
    return redirect(url_for(".index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Let staff choose immediate e-mails or the daily digest, and their language."""
    form = PreferencesForm(obj=current_user)
    if form.validate_on_submit():
        services.update_preferences(current_user, form.notify_mode.data, form.locale.data)
        db.session.commit()
        session["lang"] = form.locale.data  # the interface follows the new choice at once
        flash(_("Đã lưu cách nhận thông báo."), "success")
        return redirect(url_for(".preferences"))
    status = 400 if request.method == "POST" else 200
    return render_template("notifications/preferences.html", form=form), status
