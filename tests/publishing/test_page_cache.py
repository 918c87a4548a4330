"""The shared cache of anonymous public pages: hits, and invalidation by every commit that changes them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update

from spokes import create_app
from spokes.core.pagecache import HIT_HEADER
from spokes.extensions import db
from spokes.publishing.models import Publication

from .helpers import correct, count_queries, statement


def _get(client, url: str, **headers: str):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.headers.get(HIT_HEADER), response.get_data(as_text=True)


def test_anonymous_home_is_served_from_the_cache_until_a_publish(world, client):
    statement(world["deputy"], world["dhu"], title="Thông tin định kỳ tháng 3/2026")
    assert _get(client, "/")[0] == "miss"
    state, page = _get(client, "/")
    assert state == "hit" and "Thông tin định kỳ tháng 3/2026" in page

    statement(world["deputy"], world["dhu"], title="Thông báo họp báo quý I")
    state, page = _get(client, "/")
    assert state == "miss" and "Thông báo họp báo quý I" in page
    assert _get(client, "/")[0] == "hit"


def test_a_correction_and_a_withdrawal_reach_the_cached_item_page(world, client):
    from spokes.publishing import services

    pub = statement(world["deputy"], world["dhu"], body="Đã nạo vét **60%** tuyến kênh.")
    url = f"/news/{pub.slug}"
    _get(client, url)
    assert _get(client, url)[0] == "hit"

    correct(world["deputy"], pub, body="Đã nạo vét **70%** tuyến kênh.")
    state, page = _get(client, url)
    assert state == "miss" and "70%" in page and "Sửa số liệu" in page

    services.withdraw(world["deputy"], pub, "Thông tin chưa được kiểm chứng.")
    db.session.commit()
    state, page = _get(client, url)
    assert state == "miss" and "Thông tin chưa được kiểm chứng." in page


def test_renaming_a_unit_reaches_the_cached_home(world, client):
    statement(world["deputy"], world["dhu"])
    _get(client, "/")
    assert _get(client, "/")[0] == "hit"
    world["dhu"].name = "UBND xã Đông Hưng A"
    db.session.commit()
    state, page = _get(client, "/")
    assert state == "miss" and "UBND xã Đông Hưng A" in page


def test_a_bulk_update_of_publications_turns_the_cache_over(world, client):
    pub = statement(world["deputy"], world["dhu"], title="Tiêu đề cũ")
    _get(client, "/")
    db.session.execute(update(Publication).where(Publication.id == pub.id).values(title="Tiêu đề mới"))
    db.session.commit()
    state, page = _get(client, "/")
    assert state == "miss" and "Tiêu đề mới" in page


def test_a_rolled_back_change_is_never_shown(world, client):
    statement(world["deputy"], world["dhu"])
    _get(client, "/")
    world["dhu"].name = "Tên chưa lưu"
    db.session.flush()
    db.session.rollback()
    page = _get(client, "/")[1]
    assert "Tên chưa lưu" not in page and world["dhu"].name in page


def test_each_language_has_its_own_entry(world, client):
    statement(world["deputy"], world["dhu"])
    vi = _get(client, "/")[1]
    state, en = _get(client, "/", **{"Accept-Language": "en-GB,en;q=0.9"})
    assert state == "miss"
    assert 'lang="en"' in en and 'lang="vi"' in vi
    assert _get(client, "/", **{"Accept-Language": "en-GB,en;q=0.9"})[0] == "hit"
    assert _get(client, "/", **{"Accept-Language": "vi,en;q=0.5"})[0] == "hit"  # Vietnamese: the vi entry


def test_signed_in_staff_never_read_or_fill_the_cache(world, client, client_for):
    statement(world["deputy"], world["dhu"])
    staff = client_for(world["deputy"])
    response = staff.get("/")
    assert HIT_HEADER not in response.headers
    assert world["deputy"].name in response.get_data(as_text=True)  # their own navbar
    state, page = _get(client, "/")
    assert state == "miss" and world["deputy"].name not in page.split("<main", 1)[0]


def test_pages_that_did_not_opt_in_are_never_cached(world, client):
    for url in ("/ask", "/spokespersons", "/deadline", f"/units/{world['dhu'].code}"):
        client.get(url)
        assert HIT_HEADER not in client.get(url).headers, url
    assert HIT_HEADER not in client.get("/news/khong-co-tin-nay").headers  # 404s pass straight through


def test_shared_pages_say_they_vary_by_language_and_cookie(world, client):
    response = client.get("/")
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert client.get("/").headers.get("Content-Security-Policy")  # stored with its security headers


def _hand_clock(monkeypatch, app) -> list[float]:
    """Give the app's worker a clock the test moves by hand: it trusts the version it read for
    PAGE_CACHE_RECHECK_SECONDS, which a slow machine must not decide."""
    moment = [1000.0]
    monkeypatch.setattr(app.extensions["spokes_page_cache"], "_clock", lambda: moment[0])
    return moment


def _later(monkeypatch, app, seconds: float) -> None:
    """Move the app's worker clock on: it trusts the version it read for PAGE_CACHE_RECHECK_SECONDS."""
    cache = app.extensions["spokes_page_cache"]
    clock = cache._clock
    monkeypatch.setattr(cache, "_clock", lambda: clock() + seconds)


def test_two_processes_sharing_the_folder_see_each_others_publishes(world, other_app, monkeypatch):
    """Workers of one machine share the folder store: a publish through one is seen by the other."""
    first = other_app(PAGE_CACHE_URL="filesystem")
    second = other_app(PAGE_CACHE_URL="filesystem")
    assert first.instance_path == second.instance_path
    a, b = first.test_client(), second.test_client()
    statement(world["deputy"], world["dhu"], title="Tin thứ nhất")
    _get(a, "/")
    assert _get(b, "/")[0] == "hit"  # filled by the other app
    with first.app_context():
        db.session.execute(update(Publication).values(title="Tin đã sửa qua tiến trình khác"))
        db.session.commit()
    _later(monkeypatch, second, 0.2)  # past the 0.1 s the other worker trusts the version it read
    state, page = _get(b, "/")
    assert state == "miss" and "Tin đã sửa qua tiến trình khác" in page


def test_redis_store_is_shared_and_turned_over(world, other_app, monkeypatch):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    first, second = other_app(PAGE_CACHE_URL=url), other_app(PAGE_CACHE_URL=url)
    statement(world["deputy"], world["dhu"], title=f"Tin {uuid.uuid4().hex[:6]}")
    a, b = first.test_client(), second.test_client()
    with first.app_context():
        from spokes.core.pagecache import invalidate

        invalidate()  # a fresh version: nothing left from an earlier run of the suite
    _get(a, "/")
    assert _get(b, "/")[0] == "hit"
    with second.app_context():
        db.session.execute(update(Publication).values(title="Tin sửa trên máy chủ kia"))
        db.session.commit()
    _later(monkeypatch, first, 0.2)
    state, page = _get(a, "/")
    assert state == "miss" and "Tin sửa trên máy chủ kia" in page


def test_a_broken_store_falls_back_to_rendering(world, client, app, monkeypatch):
    cache = app.extensions["spokes_page_cache"]

    def broken(*_args, **_kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(cache.store, "get", broken)
    response = client.get("/")
    assert response.status_code == 200 and HIT_HEADER not in response.headers


def test_unknown_store_setting_is_refused_at_start():
    with pytest.raises(RuntimeError, match="PAGE_CACHE_URL"):
        create_app({"ENV_NAME": "testing", "PAGE_CACHE_URL": "memcached://x"})


def test_a_released_savepoint_waits_for_the_real_commit(world, app, monkeypatch):
    cache = app.extensions["spokes_page_cache"]
    turned: list[int] = []
    monkeypatch.setattr(cache, "new_version", lambda: turned.append(1) or "v")
    world["dhu"].name = "UBND xã Đông Hưng B"
    db.session.flush()
    with db.session.begin_nested():
        pass  # released here: SQLAlchemy calls after_commit for it
    assert turned == []
    db.session.commit()
    assert turned == [1]


def test_a_store_that_fails_at_commit_neither_breaks_the_commit_nor_serves_stale_pages(world, client, app, monkeypatch):
    cache = app.extensions["spokes_page_cache"]
    statement(world["deputy"], world["dhu"], title="Tin trước sự cố")
    _get(client, "/")
    assert _get(client, "/")[0] == "hit"
    real_set = cache.store.set

    def down(*_args, **_kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(cache.store, "set", down)
    statement(world["deputy"], world["dhu"], title="Tin trong lúc sự cố")  # commits without an error
    response = client.get("/")
    assert HIT_HEADER not in response.headers and "Tin trong lúc sự cố" in response.get_data(as_text=True)
    monkeypatch.setattr(cache.store, "set", real_set)  # the store is back
    # The breaker steps around the store for PAGE_CACHE_RETRY_SECONDS after a failure…
    state, page = _get(client, "/")
    assert state is None and "Tin trong lúc sự cố" in page
    monkeypatch.setattr(cache, "_down_until", 0.0)  # …and once that pause is over, tries it again
    state, page = _get(client, "/")
    assert state == "miss" and "Tin trong lúc sự cố" in page
    assert _get(client, "/")[0] == "hit"


def test_a_hung_store_costs_one_failure_not_one_per_request(world, client, app, monkeypatch):
    cache = app.extensions["spokes_page_cache"]
    statement(world["deputy"], world["dhu"], title="Tin trước sự cố")
    calls = []

    def hung(*_args, **_kwargs):
        calls.append(1)
        raise TimeoutError("store timed out")

    monkeypatch.setattr(cache.store, "get", hung)
    for _ in range(5):
        response = client.get("/")
        assert response.status_code == 200 and "Tin trước sự cố" in response.get_data(as_text=True)
    assert len(calls) == 1  # the breaker opened after the first timeout


@pytest.mark.parametrize(("url", "kept"), [
    ("/?utm_source=x", False), ("/news?page=2", True), ("/news?page=21", False), ("/news?page=abc", False),
    ("/news?q=de+bien", False), ("/news?kind=periodic&month=2026-03", True), ("/news?unit=" + "X" * 41, False),
    ("/units/AM-DHU/widget?n=3", True), ("/units/AM-DHU/widget?n=3&x=1", False),
])
def test_only_addresses_with_the_parameters_a_page_reads_are_kept(world, client, url, kept):
    statement(world["deputy"], world["dhu"])
    first = client.get(url)
    assert first.status_code in (200, 400)
    assert (first.headers.get(HIT_HEADER) == "miss") is (kept and first.status_code == 200)
    if kept:
        assert client.get(url).headers.get(HIT_HEADER) == "hit"


def test_pruning_the_folder_store_keeps_the_content_version(world, other_app):
    application = other_app(PAGE_CACHE_URL="filesystem", PAGE_CACHE_ENTRIES=5)
    cache = application.extensions["spokes_page_cache"]
    c = application.test_client()
    pubs = [statement(world["deputy"], world["dhu"], title=f"Tin số {i}") for i in range(12)]
    version = cache.version()
    for pub in pubs:
        assert c.get(f"/news/{pub.slug}").status_code == 200
    assert cache.version() == version


def test_redis_entries_are_never_unpickled():
    import pickle

    from spokes.core.pagecache import _NoPickle

    serializer = _NoPickle()
    assert serializer.loads(serializer.dumps(b"\x00page")) == b"\x00page"
    assert serializer.loads(serializer.dumps("phiên bản")) == "phiên bản"
    assert serializer.loads(b"!" + pickle.dumps({"status": "200 OK"})) is None
    with pytest.raises(TypeError):
        serializer.dumps({"a": 1})


def test_a_hit_is_at_most_one_read_of_the_store(world, other_app, monkeypatch):
    first, second = other_app(PAGE_CACHE_URL="filesystem"), other_app(PAGE_CACHE_URL="filesystem")
    statement(world["deputy"], world["dhu"], title=f"Tin {uuid.uuid4().hex[:6]}")
    with first.app_context():
        from spokes.core.pagecache import invalidate

        invalidate()
    _get(first.test_client(), "/")
    reads: list[tuple[str, ...]] = []
    store = second.extensions["spokes_page_cache"].store
    real_get = store.get
    monkeypatch.setattr(store, "get_many", lambda *keys: reads.append(keys) or [real_get(k) for k in keys])
    monkeypatch.setattr(store, "get", lambda key: reads.append((key,)) or real_get(key))
    c = second.test_client()
    clock = _hand_clock(monkeypatch, second)
    assert _get(c, "/")[0] == "hit"
    assert len(reads) == 1 and len(reads[0]) == 2  # the version and the entry together (MGET on Redis)
    assert _get(c, "/")[0] == "hit"
    assert len(reads) == 1  # held by this process, under the version it read a moment ago: no read
    clock[0] += 0.2
    assert _get(c, "/")[0] == "hit"
    assert len(reads) == 2 and reads[1] == ("pages:version",)  # after the recheck time: the version alone


def test_a_cached_page_with_an_etag_answers_304_itself(world, client):
    statement(world["deputy"], world["dhu"])
    first = client.get("/feed.atom")
    assert first.headers[HIT_HEADER] == "miss"
    with count_queries() as counter:
        again = client.get("/feed.atom", headers={"If-None-Match": first.headers["ETag"]})
        since = client.get("/feed.atom", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert (again.status_code, again.headers[HIT_HEADER], again.data) == (304, "hit", b"")
    assert again.headers["ETag"] == first.headers["ETag"] and "Content-Type" not in again.headers
    assert since.status_code == 304
    assert counter.count == 0  # answered from the store: Flask and the database never ran
    other = client.get("/feed.atom", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.headers[HIT_HEADER] == "hit"


def test_an_entry_of_an_older_version_is_overwritten_not_piled_up(world, client, app):
    cache = app.extensions["spokes_page_cache"]
    statement(world["deputy"], world["dhu"], title="Tin một")
    _get(client, "/")
    keys = {key for key in cache.store._cache if key.startswith("pages:")}  # noqa: SLF001 - SimpleCache's dict
    statement(world["deputy"], world["dhu"], title="Tin hai")
    assert _get(client, "/")[0] == "miss"
    assert {key for key in cache.store._cache if key.startswith("pages:")} == keys  # noqa: SLF001


def test_validators_follow_the_content_version(world, app):
    from spokes.core import pagecache

    with app.test_request_context("/"):
        first = pagecache.validators("feed", "atom")
        assert first is not None and first == pagecache.validators("feed", "atom")
        assert pagecache.validators("feed", "rss") != first
    statement(world["deputy"], world["dhu"])
    with app.test_request_context("/"):
        assert pagecache.validators("feed", "atom").etag != first.etag


def test_remembered_values_are_computed_once_per_content_version(world, app):
    from spokes.core import pagecache

    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return str(len(calls))

    with app.test_request_context("/"):
        assert pagecache.remember("total", compute) == "1"
    with app.test_request_context("/"):
        assert pagecache.remember("total", compute) == "1"
    statement(world["deputy"], world["dhu"])
    with app.test_request_context("/"):
        assert pagecache.remember("total", compute) == "2"
    assert len(calls) == 2


def test_without_a_page_cache_values_and_validators_come_from_the_data(world, other_app):
    from spokes.core import pagecache

    application = other_app(PAGE_CACHE_URL="none")
    with application.test_request_context("/"):
        assert pagecache.validators("feed") is None
        assert pagecache.remember("total", lambda: "7") == "7"
    statement(world["deputy"], world["dhu"])
    c = application.test_client()
    first = c.get("/feed.atom")
    assert first.status_code == 200 and HIT_HEADER not in first.headers
    assert c.get("/feed.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_a_worker_asks_the_store_again_after_the_recheck_time(world, other_app, monkeypatch):
    """Within PAGE_CACHE_RECHECK_SECONDS a worker serves what it holds without asking the store;
    then it asks, and a publish made through another worker shows; its own publishes show at once."""
    first = other_app(PAGE_CACHE_URL="filesystem")
    second = other_app(PAGE_CACHE_URL="filesystem")
    a, b = first.test_client(), second.test_client()
    statement(world["deputy"], world["dhu"], title="Tin ban đầu")
    with first.app_context():
        from spokes.core.pagecache import invalidate

        invalidate()  # a fresh version: nothing left in the shared folder from an earlier test
    cache = second.extensions["spokes_page_cache"]
    clock = _hand_clock(monkeypatch, second)
    assert _get(b, "/")[0] == "miss"
    asked: list[str] = []
    real_get = cache.store.get
    monkeypatch.setattr(cache.store, "get", lambda key: asked.append(key) or real_get(key))
    assert _get(b, "/")[0] == "hit" and asked == []  # the version read a moment ago is trusted
    with first.app_context():
        db.session.execute(update(Publication).values(title="Tin sửa qua tiến trình khác"))
        db.session.commit()
    state, page = _get(b, "/")
    assert state == "hit" and "Tin ban đầu" in page  # within the recheck time: the page held
    clock[0] += 0.2
    state, page = _get(b, "/")
    assert state == "miss" and "Tin sửa qua tiến trình khác" in page and asked
    with second.app_context():  # a publish through this worker: seen at once, whatever the clock
        db.session.execute(update(Publication).values(title="Tin sửa tại chỗ"))
        db.session.commit()
    state, page = _get(b, "/")
    assert state == "miss" and "Tin sửa tại chỗ" in page
