"""Lists and feeds cost a fixed number of queries, whatever the number of items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spokes.extensions import db
from spokes.publishing import services

from .helpers import count_queries, correct, statement

URLS = ("/", "/news", "/news?q=tin", "/news?unit=AM-DHU&month=2026-03", "/units/AM-DHU", "/units/AM-DHU/widget",
        "/feed.atom", "/feed.rss", "/units/AM-DHU/feed.atom", "/units/AM-DHU/feed.rss",
        "/api/v1/items", "/api/v1/items?per_page=100", "/api/v1/units/AM-DHU")


def _add(world, clock, start: int, stop: int) -> None:
    for n in range(start, stop):
        clock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC) + timedelta(minutes=n))
        unit = world["dhu"] if n % 3 else world["vk"]
        user = world["chair"] if n % 3 else world["other_chair"]
        pub = statement(user, unit, title=f"Tin số {n} trong tháng")
        if n % 4 == 0:
            correct(user, pub, body=f"Nội dung tin số {n}, đã sửa.")
    db.session.expire_all()


def _counts(client) -> dict[str, int]:
    counts = {}
    for url in URLS:
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = counter.count
    return counts


def test_query_count_does_not_grow_with_items(world, client, clock, app):
    app.config["PAGE_SIZE"] = 50  # so the pages really hold every item
    try:
        _add(world, clock, 0, 5)
        small = _counts(client)
        _add(world, clock, 5, 40)
        large = _counts(client)
    finally:
        app.config["PAGE_SIZE"] = 25
    assert large == small
    assert max(small.values()) <= 12, small


def test_conditional_feed_request_does_not_build_the_feed(world, client, clock):
    _add(world, clock, 0, 3)
    etag = client.get("/feed.atom").headers["ETag"]
    with count_queries() as counter:
        assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    assert counter.count <= 2  # the feed's state only (and BEGIN on SQLite)


def test_due_duties_costs_fixed_queries(world, clock):
    from datetime import date

    def measure(total: int) -> int:
        while len(services.duties_of([world["dhu"]])) < total:
            services.save_duty(world["chair"], world["dhu"], services.DutyData(
                label="Nghĩa vụ", publication_kind="periodic", every_months=3, next_due_on=date(2026, 3, 20)))
        db.session.commit()
        db.session.expire_all()
        with count_queries() as counter:
            due = services.due_duties(world["chair"], on=date(2026, 3, 10))
            assert [d.unit.name for d in due] == ["UBND xã Đông Hưng"] * total
        return counter.count

    assert measure(1) == measure(6)
