"""Pages with their total in one statement, capped counts with estimates, and keyset cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from spokes.core.pagination import Cursor, paginate_counted, round_estimate
from spokes.core.search import SearchDocument
from spokes.extensions import db


@pytest.fixture()
def documents(app):
    db.session.execute(insert(SearchDocument), [
        {"object_type": "request", "object_id": n, "body": f"tai lieu so {n}"} for n in range(1, 31)])
    db.session.flush()
    return select(SearchDocument).where(SearchDocument.object_type == "request").order_by(SearchDocument.id.desc())


def test_an_exact_total_rides_with_the_rows(documents):
    page = paginate_counted(documents, page=2, per_page=7)
    assert (page.total, len(page.items), page.approximate, page.at_least) == (30, 7, False, False)


def test_a_capped_count_is_exact_below_the_cap(documents):
    page = paginate_counted(documents, page=1, per_page=7, exact_up_to=40)
    assert (page.total, page.approximate, page.at_least, page.has_next) == (30, False, False, True)


def test_over_the_cap_the_total_is_an_estimate_or_a_lower_bound(documents):
    page = paginate_counted(documents, page=1, per_page=5, exact_up_to=10)
    if page.approximate:  # PostgreSQL, when the planner expects more than was counted
        assert db.engine.dialect.name == "postgresql" and page.total > 11
    else:
        assert page.at_least and page.total == 10  # "hơn 10"
    assert [d.object_id for d in page.items] == [30, 29, 28, 27, 26]


def test_a_search_past_the_cap_says_more_than_and_never_the_planners_guess(documents, monkeypatch):
    from spokes.core import pagination

    asked = []
    monkeypatch.setattr(pagination, "estimated_rows", lambda stmt: asked.append(stmt) or 3500)
    guessed = paginate_counted(documents, page=1, per_page=5, exact_up_to=10)
    assert (guessed.approximate, guessed.total) == (True, 3500) and len(asked) == 1  # "khoảng 3.500"
    searched = paginate_counted(documents, page=1, per_page=5, exact_up_to=10, estimate=False)
    assert (searched.approximate, searched.at_least, searched.total) == (False, True, 10)  # "hơn 10"
    assert len(asked) == 1  # the planner was not asked


def test_a_page_past_the_cap_still_knows_what_it_saw(documents):
    page = paginate_counted(documents, page=5, per_page=5, exact_up_to=10)
    assert [d.object_id for d in page.items] == [10, 9, 8, 7, 6]
    assert page.total >= 25 and (page.approximate or page.at_least)  # counted up to the page, then no further
    last = paginate_counted(documents, page=6, per_page=5, exact_up_to=10)
    assert last.total == 30 and not (last.approximate or last.at_least) and not last.has_next


def test_a_given_total_is_not_counted(documents):
    page = paginate_counted(documents, page=1, per_page=5, total=lambda: 99)
    assert page.total == 99 and page.pages == 20


def test_keyset_pages_follow_the_numbered_ones():
    stamps = [Cursor(datetime(2026, 3, 10, 2, 0, n, 250, tzinfo=UTC), 2 ** 40 + n) for n in range(3)]
    for cursor in stamps:
        assert Cursor.decode(cursor.encode()) == cursor and len(cursor.encode()) <= 40
    old = "MjAyNi0wMy0xMFQwMjowMDowMCswMDowMHwxMg"  # the longer form of earlier API responses
    assert Cursor.decode(old) == Cursor(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), 12)
    for bad in ("", "zz", "zzzzzzzzzzzzzzzz.1", "1.-1", "1." + "z" * 20, "x" * 101):
        with pytest.raises(ValueError):
            Cursor.decode(bad)


def test_estimates_are_rounded_to_two_figures():
    assert [round_estimate(n) for n in (7, 99, 1234, 27_292, 1_049_000)] == [7, 99, 1200, 27_000, 1_000_000]


def test_keyset_pages_read_an_oldest_first_order_too(app):
    db.session.execute(insert(SearchDocument), [
        {"object_type": "request" if n % 2 else "publication", "object_id": n // 2, "body": str(n)}
        for n in range(7)])
    db.session.flush()
    # object_id stands in for a moment column: order by (object_id, id) oldest first.
    stmt = select(SearchDocument).order_by(SearchDocument.object_id, SearchDocument.id)
    keys = (SearchDocument.object_id, SearchDocument.id)
    seen, cursor = [], None
    while True:
        page = paginate_counted(stmt, page=1, per_page=3, keys=keys, after=cursor, descending=False, count=False)
        seen += [(d.object_id, d.id) for d in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = db.session.execute(stmt.with_only_columns(*keys)).all()
    assert seen == [tuple(row) for row in expected] and len(seen) == 7
