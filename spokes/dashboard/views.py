"""The staff home."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from spokes.core.personal_pages import personal_page
from spokes.dashboard.services import build_home

bp = Blueprint("dashboard", __name__, url_prefix="/staff")


@bp.get("/")
@personal_page
@login_required
def home():
    """Show what the signed-in person must act on."""
    return render_template("dashboard/home.html", home=build_home(current_user))
