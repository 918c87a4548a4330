"""The handbook for spokespersons: a staff page and a public page for journalists, both printable."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from spokes.core.clock import today_vn
from spokes.handbook.services import build_handbook

bp = Blueprint("handbook", __name__)


@bp.get("/handbook")
def public():
    """Show journalists the rules in force: deadlines, who speaks, the forms, refusal grounds."""
    return render_template("handbook/public.html", book=build_handbook(today_vn()), public=True)


@bp.get("/staff/handbook")
@login_required
def staff():
    """Show staff the handbook: the rules in force, authorisations and the checklists."""
    return render_template("handbook/staff.html", book=build_handbook(today_vn()), public=False)
