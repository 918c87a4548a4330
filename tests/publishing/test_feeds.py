"""Atom and RSS feeds: valid for a real parser, stable ids, updates on correction, 304s."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import feedparser
import pytest
from werkzeug.http import http_date

from spokes.extensions import db
from spokes.publishing import services

from .helpers import correct, later, publish, statement

FEEDS = ("/feed.atom", "/feed.rss", "/units/AM-DHU/feed.atom", "/units/AM-DHU/feed.rss")


def _parse(client, url):
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return response, parsed


def _epoch(struct) -> int:
    return calendar.timegm(struct)


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_are_valid_and_typed(world, answered, client, url):
    publish(world["deputy"], answered(), title="Trả lời về đê biển")
    response, parsed = _parse(client, url)
    expected = "application/atom+xml" if url.endswith(".atom") else "application/rss+xml"
    assert response.mimetype == expected
    assert parsed.version in ("atom10", "rss20")
    assert [e.title for e in parsed.entries] == ["Trả lời về đê biển"]
    entry = parsed.entries[0]
    assert entry.id.startswith("tag:localhost,2026:publication:")
    assert entry.link.startswith("http://localhost/news/")
    assert "Xã đã hoàn thành" in entry.description


def test_empty_feeds_are_valid(world, client):
    for url in FEEDS:
        _response, parsed = _parse(client, url)
        assert parsed.entries == []


def test_unit_feed_has_only_its_items(world, answered, client):
    publish(world["deputy"], answered(), title="Tin Đông Hưng")
    statement(world["other_chair"], world["vk"], title="Tin Vân Khánh")
    _r, site = _parse(client, "/feed.atom")
    _r, dhu = _parse(client, "/units/AM-DHU/feed.atom")
    _r, vk = _parse(client, "/units/AM-VK/feed.rss")
    assert {e.title for e in site.entries} == {"Tin Đông Hưng", "Tin Vân Khánh"}
    assert [e.title for e in dhu.entries] == ["Tin Đông Hưng"]
    assert [e.title for e in vk.entries] == ["Tin Vân Khánh"]
    assert client.get("/units/NOPE/feed.atom").status_code == 404


def test_correction_keeps_the_id_and_moves_updated(world, answered, client, clock):
    pub = publish(world["deputy"], answered(), title="Tin gốc")
    _r, before = _parse(client, "/feed.atom")
    _r, rss_before = _parse(client, "/feed.rss")
    clock(later(90))
    correct(world["deputy"], pub, title="Tin đã sửa", note="Sửa tiêu đề cho đúng.")
    _r, after = _parse(client, "/feed.atom")
    _r, rss_after = _parse(client, "/feed.rss")
    old, new = before.entries[0], after.entries[0]
    assert new.id == old.id and rss_after.entries[0].id == rss_before.entries[0].id
    assert new.title == "[Cải chính] Tin đã sửa"
    assert "<strong>Cải chính lúc 10:30 10/03/2026</strong>" in new.content[0].value  # HTML, escaped once
    assert "Sửa tiêu đề cho đúng." in new.content[0].value
    assert _epoch(new.updated_parsed) - _epoch(old.updated_parsed) == 90 * 60
    assert new.published_parsed == old.published_parsed
    assert _epoch(after.feed.updated_parsed) == _epoch(new.updated_parsed)
    assert rss_after.entries[0].title == "[Cải chính] Tin đã sửa"


def test_corrected_items_come_first(world, answered, client, clock):
    a = publish(world["deputy"], answered(subject="A"), title="Tin A")
    clock(later(10))
    publish(world["deputy"], answered(subject="B"), title="Tin B")
    clock(later(20))
    correct(world["deputy"], a, body="A sửa")
    _r, parsed = _parse(client, "/feed.atom")
    assert [e.title for e in parsed.entries] == ["[Cải chính] Tin A", "Tin B"]


def test_withdrawn_entries_carry_the_notice(world, answered, client, clock):
    pub = publish(world["deputy"], answered(), title="Tin sẽ gỡ", body="Nội dung bị gỡ")
    clock(later(30))
    services.withdraw(world["deputy"], pub, "Thông tin chưa chính xác.")
    db.session.commit()
    for url in FEEDS:
        _r, parsed = _parse(client, url)
        entry = parsed.entries[0]
        assert entry.title == "[Đã gỡ] Tin sẽ gỡ", url
        assert "Thông tin chưa chính xác." in entry.description, url
        assert "Nội dung bị gỡ" not in entry.description, url


def test_conditional_requests_get_304(world, answered, client, clock):
    pub = publish(world["deputy"], answered())
    for url in FEEDS:
        first = client.get(url)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert first.headers["Cache-Control"].startswith("public")
        assert modified == http_date(pub.updated_at.replace(microsecond=0))
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag, url
        since = client.get(url, headers={"If-Modified-Since": modified})
        assert since.status_code == 304, url
        older = client.get(url, headers={"If-Modified-Since": http_date(datetime(2026, 1, 1, tzinfo=UTC))})
        assert older.status_code == 200, url
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200, url
    etags = {url: client.get(url).headers["ETag"] for url in FEEDS}
    clock(later(5))
    correct(world["deputy"], pub, body="Sửa")
    for url in FEEDS:
        fresh = client.get(url, headers={"If-None-Match": etags[url]})
        assert fresh.status_code == 200 and fresh.headers["ETag"] != etags[url], url


def test_feed_cache_turns_over_with_each_change(world, answered, client, clock):
    pub = publish(world["deputy"], answered(), title="Tin một")
    assert "Tin một" in client.get("/feed.atom").get_data(as_text=True)
    assert "Tin một" in client.get("/feed.atom").get_data(as_text=True)  # served from the cache
    clock(later(1))
    correct(world["deputy"], pub, title="Tin một (sửa)")
    assert "Tin một (sửa)" in client.get("/feed.atom").get_data(as_text=True)
    clock(later(2))
    statement(world["chair"], world["dhu"], title="Tin hai")
    assert "Tin hai" in client.get("/feed.atom").get_data(as_text=True)
