"""The one CSV writer of every export, and the formula guard every spreadsheet cell goes through.

A spreadsheet may run a text cell as a formula (CSV/DDE injection) when it starts with
``= + - @``, a tab or a carriage return. It may also *split* a cell: Excel with Vietnamese
regional settings reads ``;`` as the separator, so ``abc;=2+3;x`` written unquoted by a
comma-separated writer becomes three cells, the second a formula. Hence:

* every field is quoted (``QUOTE_ALL``), so no reader splits a cell on ``;`` or ``,``;
* a cell that starts with a formula character, or holds one right after a ``;`` or ``,``
  (possibly after spaces or a quote), gets a leading apostrophe, which spreadsheets show as
  text and never evaluate. ``restore`` undoes it, so an exported file imports back unchanged.

Numbers, dates and booleans are written as they are and never touched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A formula character at the start of the cell or of any ;/,-separated part of it.
_RISKY = re.compile(r"""(?:^|[;,])[\s"']*[=+\-@\t\r]""")


def is_formula_like(value: Any) -> bool:
    """Return whether a text value could be read as (or split into) a formula by a spreadsheet."""
    return isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or _RISKY.search(value) is not None)


def neutralise(value: Any) -> Any:
    """Return the cell with a leading apostrophe when it is formula-like; other values unchanged."""
    return "'" + value if is_formula_like(value) else value


def restore(text: str) -> str:
    """Undo ``neutralise`` on a cell read back from one of our files."""
    if len(text) > 1 and text[0] == "'" and is_formula_like(text[1:]):
        return text[1:]
    return text


def _cells(row: Iterable[Any]) -> list[Any]:
    return ["" if v is None else neutralise(v) for v in row]


def csv_chunks(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, rows_per_chunk: int = 2000) -> Iterator[bytes]:
    """Yield a UTF-8 CSV (byte-order mark first, so Excel reads Vietnamese) in chunks, every cell guarded."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(_cells(header))
    first = True
    for count, row in enumerate(rows, start=1):
        writer.writerow(_cells(row))
        if count % rows_per_chunk == 0:
            yield (("\ufeff" if first else "") + out.getvalue()).encode("utf-8")
            first = False
            out.seek(0)
            out.truncate()
    yield (("\ufeff" if first else "") + out.getvalue()).encode("utf-8")


def csv_bytes(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """Return the whole CSV at once (see ``csv_chunks``)."""
    return b"".join(csv_chunks(header, rows))
