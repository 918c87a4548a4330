"""Jinja filters and globals: Vietnamese dates, badges, policies for templates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for
from flask_babel import format_decimal

from spokes.core.explain_text import public_confidence, stored_text

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_datetime(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Format an aware (or UTC-naive, as SQLite returns) datetime in Vietnamese time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(VN_TZ).strftime(fmt)


def vn_date(value: date | datetime | None) -> str:
    """Format a date as dd/mm/yyyy (a datetime is first moved to Vietnamese time)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return vn_datetime(value, "%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def portal_time(value: datetime | None) -> str:
    """Format like the district portal: (15:46 | 25/11/2020)."""
    return vn_datetime(value, "(%H:%M | %d/%m/%Y)") if value else ""


def grouped(value: int | None) -> str:
    """Format a count for the current locale: 27.000 in Vietnamese, 27,000 in English."""
    return "" if value is None else format_decimal(value, format="#,##0")


def file_size(size: int | None) -> str:
    """Format a file's size for the current locale: "70 byte", "12 KB" (whole KB, rounded up), "1,5 MB"."""
    from flask_babel import ngettext

    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f"{format_decimal(size / (1024 * 1024), format='#,##0.#')} MB"
    if size >= 1024:
        return f"{format_decimal(-(-size // 1024), format='#,##0')} KB"
    return ngettext("%(num)d byte", "%(num)d byte", size)


def url_with(**changes: object) -> str:
    """Return the current URL with some query arguments replaced (for filters and pages)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint or "publishing.home", **(request.view_args or {}), **args)


def init_jinja(app: Flask) -> None:
    """Register filters and globals."""
    app.jinja_env.filters["vn_datetime"] = vn_datetime
    app.jinja_env.filters["vn_date"] = vn_date
    app.jinja_env.filters["portal_time"] = portal_time
    app.jinja_env.filters["public_confidence"] = public_confidence
    app.jinja_env.filters["stored_text"] = stored_text
    app.jinja_env.filters["grouped"] = grouped
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
