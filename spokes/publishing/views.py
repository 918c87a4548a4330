"""The public news feed."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from spokes.extensions import db
from spokes.publishing.models import Publication

bp = Blueprint("publishing", __name__)


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    """Show the latest published answers and statements."""
    items = db.session.execute(
        select(Publication).where(Publication.withdrawn_at.is_(None)).order_by(Publication.published_at.desc()).limit(20)
    ).scalars().all()
    return render_template("publishing/home.html", items=items)
