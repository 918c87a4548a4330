"""Bounds on what a URL or a form may ask for, applied at the edge (issue 17).

Numbers and dates typed by anyone reach SQL and date arithmetic; past these bounds they
overflow (``OverflowError`` in SQLite, ``DataError`` in PostgreSQL, ``datetime`` out of
range) and would end as a 500. Query parsers and form fields check them first, so a bad
value is a clear 4xx or simply "nothing found".
"""

from __future__ import annotations

from datetime import date, datetime

from flask import request
from werkzeug.routing import IntegerConverter

MAX_PAGE = 10_000  # 250 000 rows at 25 a page: far past any real list
MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit in PostgreSQL); anything above is no row
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)


def page_arg(name: str = "page") -> int:
    """Return the page number asked for, between 1 and MAX_PAGE (anything else reads as 1)."""
    value = request.args.get(name, 1, type=int) or 1
    return value if 1 <= value <= MAX_PAGE else (MAX_PAGE if value > MAX_PAGE else 1)


def id_arg(name: str) -> int | None:
    """Return a positive id from the query string, or None when absent or out of range."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def id_or_none(value: object) -> int | None:
    """Return the value as an id if it is a whole number in range, else None (for form data)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def date_in_range(value: date | datetime | None) -> bool:
    """Return whether a date (or the date of a datetime) lies in 2000–2100, or is None."""
    if value is None:
        return True
    day = value.date() if isinstance(value, datetime) else value
    return DATE_MIN <= day <= DATE_MAX


class IdConverter(IntegerConverter):
    """The ``int`` URL converter with a ceiling: /x/99999999999999999999 is a 404, not an overflow."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)
