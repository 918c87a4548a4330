"""Site-wide settings kept as data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime
from spokes.extensions import db


class SiteSetting(db.Model):
    """A key/value setting an admin can change (e.g. the unit for "unknown unit" questions)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
