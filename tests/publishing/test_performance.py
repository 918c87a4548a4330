"""Lists and feeds cost a fixed number of queries, whatever the number of items."""

from __future__ import annotations

import re
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


def test_a_feed_304_costs_no_query(world, client, clock):
    """Signed-in or not, a conditional feed request is decided by the content version, not by counting."""
    _add(world, clock, 0, 3)
    client.set_cookie("session", "x")  # a cookie: the page cache steps aside, the view answers
    etag = client.get("/feed.atom").headers["ETag"]
    with count_queries() as counter:
        assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    assert counter.count == 0


def _walk(client, first: str, pages: int) -> list[int]:
    """Follow next-page cursors from ``first``; return the queries each page cost."""
    costs, url = [], first
    for _ in range(pages):
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, url
        costs.append(counter.count)
        if url.startswith("/api/"):
            cursor = response.get_json()["next_cursor"]
            url = f"{first}&cursor={cursor}"
        else:
            cursor = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', response.get_data(as_text=True))
            url = cursor.group(1).replace("&amp;", "&")
    return costs


def test_a_deep_cursor_page_costs_what_the_first_does(world, client, clock, app):
    _add(world, clock, 0, 12)
    client.set_cookie("session", "x")  # render every page (no page cache)
    app.config["PAGE_SIZE"] = 2
    try:
        news = _walk(client, "/news?kind=periodic", 5)
        unit = _walk(client, "/units/AM-DHU?x=1", 3)
    finally:
        app.config["PAGE_SIZE"] = 25
    api = _walk(client, "/api/v1/items?per_page=2", 5)
    assert len(set(news[1:])) == 1 and news[1] <= news[0], news  # page 1 counts once per content version
    assert len(set(unit[1:])) == 1 and unit[1] <= unit[0], unit
    assert len(set(api[1:])) == 1 and api[1] <= api[0], api


def test_a_numbered_page_and_its_cursor_page_show_the_same_items(world, client, clock, app):
    _add(world, clock, 0, 9)
    app.config["PAGE_SIZE"] = 4
    try:
        page2 = client.get("/news?page=2").get_data(as_text=True)
        first = client.get("/news").get_data(as_text=True)
        link = re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
        by_cursor = client.get(link).get_data(as_text=True)
    finally:
        app.config["PAGE_SIZE"] = 25
    titles = re.findall(r"Tin số \d+ trong tháng", page2)
    assert titles and titles == re.findall(r"Tin số \d+ trong tháng", by_cursor)
