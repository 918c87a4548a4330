"""Staff pages of the mail intake: fetched messages (quarantine included) and type confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from spokes.auth.permissions import Permission
from spokes.auth.policies import permission_required
from spokes.extensions import db
from spokes.mailin import services
from spokes.mailin.forms import OUTCOME_LABELS, ConfirmTypeForm
from spokes.mailin.models import InboundMail

bp = Blueprint("mailin", __name__, url_prefix="/staff/mail")
PER_PAGE = 30
RAW_SHOWN = 100_000  # bytes of a quarantined message shown on its page


def _page_number() -> int:
    value = request.args.get("page", "1")
    return min(int(value), 10_000) if value.isdigit() and int(value) >= 1 else 1


@bp.get("/")
@login_required
@permission_required(Permission.VIEW_REQUESTS)
def index():
    """List the messages fetched from the mailboxes of the user's units, newest first, by outcome."""
    outcome = request.args.get("outcome", "all")
    if outcome not in services.OUTCOME_FILTERS:
        outcome = "all"
    page = db.paginate(services.inbound_query(current_user, outcome), page=_page_number(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("mailin/index.html", page=page, outcome=outcome, filters=services.OUTCOME_FILTERS,
                           labels=OUTCOME_LABELS, counts=services.counts(current_user))


def _form_for(row: InboundMail) -> ConfirmTypeForm:
    form = ConfirmTypeForm()
    form.letter.choices = [SelectChoice(0, _("— không có —"))] + [SelectChoice(a.id, a.display_name)
                                                                 for a in services.request_attachments(row)]
    return form


def _visible(message_id: int) -> InboundMail:
    """Return a fetched message the user may see; 404 otherwise, so other units' ids reveal nothing."""
    row = services.visible_message(current_user, message_id)
    if row is None:
        abort(404)
    return row


@bp.get("/<int:message_id>")
@login_required
def detail(message_id: int):
    """Show one fetched message: what it became, why, and for quarantined ones the message as received."""
    row = _visible(message_id)
    raw = row.raw[:RAW_SHOWN].decode("utf-8", errors="replace") if row.raw else None
    may_confirm = services.can_confirm_type(current_user, row)
    return render_template("mailin/detail.html", row=row, raw=raw, labels=OUTCOME_LABELS,
                           form=_form_for(row) if may_confirm else None)


@bp.post("/<int:message_id>/confirm-type")
@login_required
def confirm_type(message_id: int):
    """Fix the type of a request that came by e-mail; its deadline counts from the message's arrival."""
    row = _visible(message_id)
    if not services.can_confirm_type(current_user, row):
        abort(403 if row.outcome == "new_request" and row.type_confirmed_at is None else 409)
    form = _form_for(row)
    if not form.validate_on_submit():
        return render_template("mailin/detail.html", row=row, raw=None, labels=OUTCOME_LABELS, form=form), 400
    req = services.confirm_type(current_user, row, services.TypeChoice(form.type.data, form.letter.data or None))
    db.session.commit()
    flash(_("Đã xác nhận loại yêu cầu %(ref)s; thời hạn tính từ lúc thư đến.", ref=req.reference), "success")
    return redirect(url_for("press_requests.detail", request_id=req.id))
