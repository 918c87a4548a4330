"""The audit viewer under /admin: browse and export the audit log of one's subtree."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from spokes.audit import services as audit_svc
from spokes.audit.forms import AuditFilterForm
from spokes.audit.history import ACTOR_LABELS, action_choice_label
from spokes.audit.labels import ACTION_LABELS, action_label
from spokes.audit.policies import sees_unitless_events
from spokes.auth.permissions import Permission
from spokes.auth.policies import permission_required, scope_paths
from spokes.core.clock import today_vn
from spokes.core.jinja import vn_datetime
from spokes.core.params import page_arg
from spokes.core.spreadsheet import csv_bytes
from spokes.extensions import db
from spokes.units.forms import unit_choices
from spokes.units.models import Unit
from spokes.units.queries import units_for_choices

bp = Blueprint("audit", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50
AUDIT_EXPORT_LIMIT = 50_000
EXPORT_COLUMNS = ["seq", "created_at", "actor", "action", "action_label", "object_type", "object_id", "unit_id",
                  "public", "before", "after", "hash"]


def _audit_scope() -> dict[str, Any]:
    ids, prefixes = scope_paths(current_user, Permission.VIEW_AUDIT)
    return {"unit_ids": ids, "unit_prefixes": prefixes, "include_unitless": sees_unitless_events(current_user)}


def _audit_form() -> tuple[AuditFilterForm, audit_svc.AuditFilter, bool]:
    form = AuditFilterForm(formdata=request.args)
    all_label = _("(Tất cả)")
    form.unit_id.choices = unit_choices(units_for_choices(current_user, Permission.VIEW_AUDIT, active_only=False),
                                        all_label)
    form.object_type.choices = [SelectChoice("", all_label)] + [
        SelectChoice(v) for v in audit_svc.distinct_values("object_type")]
    form.action.choices = [SelectChoice("", all_label)] + [
        SelectChoice(v, action_choice_label(v)) for v in audit_svc.distinct_values("action")]
    valid = form.validate() if request.args else True
    if not valid:
        return form, audit_svc.AuditFilter(), False
    return form, audit_svc.AuditFilter(
        actor=form.actor.data or None, unit_id=form.unit_id.data or None, object_type=form.object_type.data or None,
        object_id=form.object_id.data, action=form.action.data or None, date_from=form.date_from.data,
        date_to=form.date_to.data), True


@bp.get("/audit")
@permission_required(Permission.VIEW_AUDIT)
def events():
    """Browse the audit log of one's subtree: filter, paginate, export."""
    form, filters, valid = _audit_form()
    stmt = audit_svc.events_query(filters=filters, **_audit_scope())
    page = db.paginate(stmt, page=page_arg(), per_page=AUDIT_PAGE_SIZE, error_out=False)
    unit_ids = {e.unit_id for e in page.items if e.unit_id}
    unit_names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    rows = [(e, audit_svc.compact_changes(e)) for e in page.items]
    return render_template("audit/list.html", form=form, page=page, rows=rows, unit_names=unit_names,
                           action_labels=ACTION_LABELS, actor_labels=ACTOR_LABELS), 200 if valid else 400


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value is not None else ""


@bp.get("/audit.csv")
@permission_required(Permission.VIEW_AUDIT)
def export():
    """Download the filtered audit events as CSV (UTF-8 with BOM, formula-guarded)."""
    _form, filters, valid = _audit_form()
    if not valid:
        abort(400)
    stmt = audit_svc.events_query(filters=filters, **_audit_scope()).limit(AUDIT_EXPORT_LIMIT)
    rows = (
        [str(e.seq), vn_datetime(e.created_at, "%d/%m/%Y %H:%M:%S"), e.actor_label or "", e.action,
         str(action_label(e.action)), e.object_type, str(e.object_id or ""), str(e.unit_id or ""),
         "1" if e.public else "0", _json(e.before), _json(e.after), e.hash or ""]
        for e in db.session.execute(stmt).scalars()
    )
    name = f"spokes-audit-{today_vn():%Y%m%d}.csv"
    return Response(csv_bytes(EXPORT_COLUMNS, rows), mimetype="text/csv",  # Werkzeug adds "; charset=utf-8" to text types
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
