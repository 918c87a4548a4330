"""Signed-in pages shown again to the same session: only while nothing was written, within the minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text, update

from spokes.auth.models import Membership
from spokes.core import pagecache
from spokes.core.pagecache import HIT_HEADER
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from tests.conftest import PASSWORD

MOMENT = datetime(2026, 9, 14, 2, 0, 10, tzinfo=UTC)  # 09:00:10 in Vietnam, a Monday


@pytest.fixture()
def signed_in(world, make_request, client_for, frozen_clock):
    frozen_clock(MOMENT)
    req = make_request(world["dhu"], subject="Tiến độ nạo vét kênh xáng")
    return req, _opened(client_for(world["chair"]))


@pytest.fixture
def kept(signed_in):
    """The request, the signed-in client and the request page's URL, that page read once (and so kept)."""
    req, client = signed_in
    url = f"/staff/requests/{req.id}"
    _get(client, url)
    return req, client, url


def _opened(client):
    """The first page after signing in makes the session's CSRF token (a changed session: not kept)."""
    assert client.get("/account/password").status_code == 200
    return client


def _get(client, url: str, **headers: str):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.headers.get(HIT_HEADER), response.get_data(as_text=True)


def _version(app) -> str:
    return app.extensions[pagecache.EXTENSION].store.get(pagecache.DATA_VERSION_KEY)


def _put_back(app, version: str) -> None:
    """Write an older data version back, as if the change had been made without a commit we saw:
    only the checks of the person on every request stand between the session and its kept page."""
    app.extensions[pagecache.EXTENSION].store.set(pagecache.DATA_VERSION_KEY, version)


def _statements(app):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    return seen, record


def test_the_same_page_is_shown_again_without_running_the_view(app, signed_in):
    req, client = signed_in
    url = f"/staff/requests/{req.id}"
    state, first = _get(client, url)
    assert state == "personal-miss" and "Tiến độ nạo vét kênh xáng" in first
    seen, record = _statements(app)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        state, again = _get(client, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert state == "personal-hit" and again == first
    # At most the sign-in check (the person, by primary key): none of the page's own queries ran.
    assert len(seen) <= 1 and all("press_requests" not in s for s in seen)


def test_the_queue_search_and_home_are_kept_too(signed_in):
    _req, client = signed_in
    for url in ("/staff/requests/", "/staff/requests/?q=kenh+xang", "/staff/"):
        assert _get(client, url)[0] == "personal-miss"
        assert _get(client, url)[0] == "personal-hit"


def test_any_commit_anywhere_shows_the_change_at_once(world, signed_in, make_request):
    req, client = signed_in
    _get(client, "/staff/requests/")
    assert _get(client, "/staff/requests/")[0] == "personal-hit"
    make_request(world["dhu"], subject="Ô nhiễm nguồn nước ở ấp Xẻo Nhàu")  # another request, another person
    state, page = _get(client, "/staff/requests/")
    assert state == "personal-miss" and "Ô nhiễm nguồn nước ở ấp Xẻo Nhàu" in page

    # A bulk UPDATE (no object in the session) counts as a write too.
    db.session.execute(update(PressRequest).where(PressRequest.id == req.id).values(subject="Đã đổi chủ đề"))
    db.session.commit()
    state, page = _get(client, f"/staff/requests/{req.id}")
    assert state == "personal-miss" and "Đã đổi chủ đề" in page


def test_a_write_rolled_back_keeps_the_page(kept):
    req, client, url = kept
    req.subject = "Không được lưu"
    db.session.flush()
    db.session.rollback()
    state, page = _get(client, url)
    assert state == "personal-hit" and "Không được lưu" not in page


def test_a_page_lives_only_within_its_minute(kept, frozen_clock):
    req, client, url = kept
    frozen_clock(MOMENT + timedelta(seconds=49))  # 09:00:59
    assert _get(client, url)[0] == "personal-hit"
    frozen_clock(MOMENT + timedelta(seconds=50))  # 09:01:00: deadline wording may have moved
    assert _get(client, url)[0] == "personal-miss"


def test_each_person_and_each_session_gets_their_own_page(world, signed_in, app, login):
    req, chair = signed_in
    chair_page = _get(chair, "/staff/requests/")[1]
    office = app.test_client()
    login(world["office"], target=office)
    _opened(office)
    state, page = _get(office, "/staff/requests/")
    assert state == "personal-miss" and page != chair_page
    assert "Đặng Quốc Bảo" in page and "Đặng Quốc Bảo" not in chair_page  # the signed-in name in the menu
    # The same person in a second browser: another session, another CSRF token, another entry.
    second = app.test_client()
    login(world["chair"], target=second)
    _opened(second)
    assert _get(second, "/staff/requests/")[0] == "personal-miss"


def test_another_language_is_another_page(kept):
    req, client, url = kept
    state, page = _get(client, url, **{"Accept-Language": "en"})
    assert state == "personal-miss"
    client.get("/lang/en")
    state, page = _get(client, url)
    assert state == "personal-miss" and 'lang="en"' in page


def test_a_waiting_message_is_shown_not_a_kept_page(kept):
    req, client, url = kept
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Đã lưu ghi chú nội bộ.")]
    state, page = _get(client, url)
    assert state is None and "Đã lưu ghi chú nội bộ." in page  # shown once, and not kept (the session changed)
    state, page = _get(client, url)
    assert state == "personal-hit" and "Đã lưu ghi chú nội bộ." not in page


def test_losing_the_right_to_see_a_request_is_checked_again(world, kept):
    req, client, url = kept
    db.session.execute(update(Membership).where(Membership.user_id == world["chair"].id)
                       .values(unit_id=world["vk"].id))
    db.session.commit()
    assert client.get(url).status_code == 404


def test_a_signed_out_session_never_sees_a_kept_page(world, kept, app):
    req, client, url = kept
    kept_under = _version(app)
    with client.session_transaction() as sess:
        saved = dict(sess)
    client.post("/logout")
    _put_back(app, kept_under)
    with client.session_transaction() as sess:  # the old cookie, replayed after signing out
        sess.clear()
        sess.update(saved)
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_temporary_password_sends_to_the_password_page_not_a_kept_page(world, kept, app):
    req, client, url = kept
    kept_under = _version(app)
    world["chair"].must_change_password = True  # as an administrator's password reset does
    db.session.commit()
    _put_back(app, kept_under)
    response = client.get(url)
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]


def test_a_text_statement_turns_the_version_over(kept):
    req, client, url = kept
    db.session.execute(text("UPDATE press_requests SET subject = 'Sửa bằng câu lệnh' WHERE id = :id"), {"id": req.id})
    db.session.commit()
    state, page = _get(client, url)
    assert state == "personal-miss" and "Sửa bằng câu lệnh" in page


def test_a_broken_store_renders_the_page(signed_in, app, monkeypatch):
    req, client = signed_in
    cache = app.extensions[pagecache.EXTENSION]

    def broken(*_args, **_kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(cache.store, "get_many", broken)
    state, page = _get(client, f"/staff/requests/{req.id}")
    assert state is None and "Tiến độ nạo vét kênh xáng" in page


def test_a_version_the_store_could_not_take_stops_kept_pages_until_written(signed_in, app, monkeypatch):
    req, client = signed_in
    url = f"/staff/requests/{req.id}"
    cache = app.extensions[pagecache.EXTENSION]
    _get(client, url)
    real_set = cache.store.set

    def refuse(*_args, **_kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(cache.store, "set", refuse)
    req.subject = "Sửa khi kho hỏng"
    db.session.commit()  # no error: the commit stands, the new data version is owed
    monkeypatch.setattr(cache.store, "set", real_set)
    cache._down_until = 0.0  # the breaker's pause is over
    state, page = _get(client, url)
    assert state == "personal-miss" and "Sửa khi kho hỏng" in page


def test_switched_off_renders_every_time(signed_in, app):
    req, client = signed_in
    app.config["PERSONAL_PAGE_CACHE"] = False
    url = f"/staff/requests/{req.id}"
    _get(client, url)
    assert _get(client, url)[0] is None


def test_the_forms_of_a_page_shown_again_still_post(world, make_request, other_app, frozen_clock):
    """With CSRF on, as in production: the token inside a kept page is the session's own, and valid."""
    import re

    frozen_clock(MOMENT)
    req_id = make_request(world["dhu"]).id
    email = world["chair"].email
    protected = other_app(WTF_CSRF_ENABLED=True)
    db.session.rollback()  # the other app's requests must not wait for this session's transaction
    client = protected.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": token.group(1)}).status_code == 302
    _opened(client)
    url = f"/staff/requests/{req_id}"
    _get(client, url)
    state, page = _get(client, url)
    assert state == "personal-hit"
    form = re.search(r'action="/staff/requests/\d+/note".*?name="([\w-]*csrf_token)"[^>]*value="([^"]+)"', page, re.S)
    response = client.post(f"{url}/note", data={"note-body": "Đã gọi điện cho phóng viên.",
                                                form.group(1): form.group(2)})
    assert response.status_code == 302
    state, page = _get(client, url)
    assert state is None and "Đã gọi điện cho phóng viên." in page  # the flash is shown: not kept
    state, page = _get(client, url)
    assert state == "personal-miss" and "Đã gọi điện cho phóng viên." in page


def test_a_locked_account_never_sees_a_kept_page(world, make_request, client_for, frozen_clock, app):
    from spokes.auth import people

    frozen_clock(MOMENT)
    req = make_request(world["dhu"])
    client = _opened(client_for(world["clerk"]))
    url = f"/staff/requests/{req.id}"
    _get(client, url)
    assert _get(client, url)[0] == "personal-hit"
    kept_under = _version(app)
    people.deactivate_person(world["admin"], world["clerk"])
    db.session.commit()
    _put_back(app, kept_under)
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
