"""Keyset cursors of the staff queue: a row's sort moment and id, written into the address.

Pure: no Flask, no database. ``encode`` makes the cursor of a row, ``decode`` reads one back or
says it is not one (the form refuses it with a 400; it never reaches SQL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def encode(moment: datetime, row_id: int) -> str:
    """Return the cursor after a row: its moment in microseconds since 1970 (UTC), a dot, its id."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{(moment - _EPOCH) // _MICRO}.{row_id}"


def decode(raw: str | None) -> tuple[datetime, int] | None:
    """Return (moment, id) of a cursor made by ``encode``, or None when it is not one."""
    micros, dot, rest = (raw or "").partition(".")
    if not dot or not micros.isdigit() or not rest.isdigit() or len(micros) > 17 or len(rest) > 18:
        return None
    try:
        return _EPOCH + int(micros) * _MICRO, int(rest)
    except OverflowError:
        return None
