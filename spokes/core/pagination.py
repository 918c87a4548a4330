"""Pages whose rows and total come from one statement.

Flask-SQLAlchemy's ``paginate`` runs the list's query twice: once for the page's rows and once
as ``SELECT count(*) FROM (…)``, which repeats the whole filtering (a search matches its words
twice). ``paginate_counted`` adds ``count(*) OVER ()`` to the rows' statement instead: the
database filters once and hands back the total with every row. Only a page past the end, which
has no row to carry the total, asks for the count separately.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.sql import Select

from spokes.extensions import db

TOTAL = "_spokes_total"


class CountedPagination(SelectPagination):
    """A ``SelectPagination`` whose total rides along with the rows (``count(*) OVER ()``)."""

    _counted: int | None = None

    def _query_items(self) -> list[Any]:
        select: Select = self._query_args["select"]
        stmt = select.add_columns(sa.func.count().over().label(TOTAL)).limit(self.per_page).offset(self._query_offset)
        rows = self._query_args["session"].execute(stmt).unique().all()
        if rows:
            self._counted = int(rows[0][-1])
        elif self.page == 1:
            self._counted = 0
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        if self._counted is not None:
            return self._counted
        return super()._query_count()


def paginate_counted(select: Select, *, page: int, per_page: int) -> CountedPagination:
    """Return one page of a single-entity SELECT and its total, normally in one statement."""
    return CountedPagination(select=select, session=db.session(), page=page, per_page=per_page, error_out=False)
