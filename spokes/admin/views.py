"""The admin home: counts, compliance warnings and the way to every administration page.

The pages themselves live beside their features, under the same /admin URLs: units,
designations, merging and imports in ``units``, people and password resets in ``auth``, the
audit viewer in ``audit``, rulebooks and the calendar in ``deadlines``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from spokes.admin import services as admin_svc
from spokes.audit.policies import can_view_audit
from spokes.auth.permissions import Permission
from spokes.auth.policies import has_permission, permission_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@permission_required(Permission.MANAGE_UNITS)
def index():
    """Show counts, compliance warnings and the way to every admin screen."""
    links = {name: name in current_app.view_functions and has_permission(current_user, perm)
             for name, perm in (("deadlines.rulebooks", Permission.MANAGE_RULEBOOKS),
                                ("deadlines.calendar", Permission.MANAGE_CALENDAR))}
    return render_template("admin/index.html", overview=admin_svc.overview(current_user), links=links,
                           can_audit=can_view_audit(current_user),
                           can_people=has_permission(current_user, Permission.MANAGE_USERS))
