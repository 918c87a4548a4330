"""The notification centre, the navbar bell and the preferences page."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from spokes.audit.models import AuditEvent
from spokes.auth.models import User
from spokes.extensions import db
from spokes.notifications import services
from spokes.notifications.models import Notification

from .conftest import vn


def _notices(user, req, n: int, kind: str = "due_soon") -> None:
    for i in range(n):
        services.notify(user, req, kind, f"Thông báo số {i} về {req.reference}")
    db.session.commit()


def _bell(html: str) -> str | None:
    match = re.search(r'bi-bell.*?</a>', html, re.S)
    if match is None:
        return None
    badge = re.search(r'badge rounded-pill text-bg-danger[^"]*">([^<]+)<', match.group(0))
    return badge.group(1) if badge else ""


def test_the_centre_lists_my_notices_and_the_bell_counts_the_unread(client, login, commune, make_request,
                                                                   frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit)  # the spokesperson is assigned: one notice
    _notices(commune.spokesperson, req, 2)
    _notices(commune.head, req, 5)  # someone else's: never shown
    login(commune.spokesperson)

    page = client.get("/staff/notifications").get_data(as_text=True)

    assert _bell(page) == "3"
    assert "3 chưa đọc" in page
    assert page.count("Thông báo số") == 2 and "Bạn được giao yêu cầu" in page
    assert f'href="/staff/requests/{req.id}"' in page and f"Mở yêu cầu {req.reference}" in page
    assert page.count("Đánh dấu đã đọc") == 3
    home = client.get("/staff/").get_data(as_text=True)
    assert _bell(home) == "3"


def test_mark_one_read_only_my_own(client, login, commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit)
    _notices(commune.head, req, 1)
    mine = db.session.execute(select(Notification).where(Notification.user_id == commune.spokesperson.id)).scalar_one()
    theirs = db.session.execute(select(Notification).where(Notification.user_id == commune.head.id,
                                                          Notification.kind == "due_soon")).scalar_one()
    login(commune.spokesperson)

    assert client.post(f"/staff/notifications/{theirs.id}/read").status_code == 404
    response = client.post(f"/staff/notifications/{mine.id}/read", data={"next": "/staff/notifications?show=unread"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/notifications?show=unread"
    assert client.post(f"/staff/notifications/{mine.id}/read", data={"next": "https://evil.example/"}) \
        .headers["Location"] == "/staff/notifications"

    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at == vn(2026, 12, 1, 9, 0)
    assert db.session.get(Notification, theirs.id).read_at is None
    assert _bell(client.get("/staff/notifications").get_data(as_text=True)) == ""


def test_mark_all_read_and_the_unread_filter(client, login, commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit)
    _notices(commune.spokesperson, req, 3)
    login(commune.spokesperson)
    first = db.session.execute(select(Notification).where(Notification.user_id == commune.spokesperson.id)
                               .order_by(Notification.id)).scalars().first()
    client.post(f"/staff/notifications/{first.id}/read")

    unread = client.get("/staff/notifications?show=unread").get_data(as_text=True)
    assert unread.count("Đánh dấu đã đọc") == 3 and "Bạn được giao yêu cầu" not in unread

    response = client.post("/staff/notifications/read-all", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã đánh dấu 3 thông báo là đã đọc." in page
    assert _bell(page) == "" and "Đánh dấu đã đọc" not in page
    assert "Không có thông báo chưa đọc." in client.get("/staff/notifications?show=unread").get_data(as_text=True)


def test_past_99_unread_the_bell_and_the_centre_say_99_plus_and_stop_counting(client, login, commune, make_request,
                                                                             frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit)
    _notices(commune.spokesperson, req, 120)  # 121 with the assignment
    login(commune.spokesperson)

    assert services.unread_count(commune.spokesperson) == services.UNREAD_SHOWN_UP_TO == 100
    assert services.unread_count(commune.spokesperson, up_to=1000) == 121
    page = client.get("/staff/notifications").get_data(as_text=True)
    assert _bell(page) == "99+" and "99+ chưa đọc" in page


def test_the_list_is_paginated(app, client, login, commune, make_request, frozen_clock):
    app.config["PAGE_SIZE"] = 4
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit)
    _notices(commune.spokesperson, req, 6)  # 7 with the assignment
    login(commune.spokesperson)

    first = client.get("/staff/notifications").get_data(as_text=True)
    second = client.get("/staff/notifications?page=2").get_data(as_text=True)
    assert "Trang 1 / 2" in first and "page=2" in first
    assert first.count("Đánh dấu đã đọc") == 4 and second.count("Đánh dấu đã đọc") == 3
    assert client.get("/staff/notifications?page=9").status_code == 200


def _queries(client, url: str) -> int:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    db.session.commit()
    db.session.expire_all()  # every measured page loads the signed-in user afresh, as in production
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_pages_render_with_a_fixed_number_of_queries(client, login, commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    reqs = [make_request(commune.unit, subject=f"Yêu cầu {i}") for i in range(3)]
    login(commune.spokesperson)
    few = _queries(client, "/staff/notifications"), _queries(client, "/staff/")
    for req in reqs:
        _notices(commune.spokesperson, req, 6)
    more = [make_request(commune.unit, subject=f"Yêu cầu thêm {i}") for i in range(3)]
    for req in more:
        _notices(commune.spokesperson, req, 6)
    many = _queries(client, "/staff/notifications"), _queries(client, "/staff/")
    assert few == many, (few, many)


def test_the_bell_is_only_for_signed_in_staff(client, login, commune):
    assert _bell(client.get("/").get_data(as_text=True)) is None
    assert client.get("/staff/notifications").status_code == 302
    login(commune.clerk)
    assert _bell(client.get("/").get_data(as_text=True)) == ""


def test_preferences_change_mode_and_language(client, login, commune):
    login(commune.clerk)
    page = client.get("/staff/preferences").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="digest"', page)
    assert re.search(r'<input[^>]*checked[^>]*value="vi"', page)

    response = client.post("/staff/preferences", data={"notify_mode": "immediate", "locale": "en"})

    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, commune.clerk.id)
    assert (user.notify_mode, user.locale) == ("immediate", "en")
    event_ = db.session.execute(select(AuditEvent).where(AuditEvent.action == "user.preferences")).scalar_one()
    assert event_.actor_id == user.id
    with client.session_transaction() as session:
        assert session["lang"] == "en"


def test_preferences_reject_bad_values_with_400(client, login, commune):
    login(commune.clerk)
    response = client.post("/staff/preferences", data={"notify_mode": "hourly", "locale": "fr"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    db.session.expire_all()
    assert db.session.get(User, commune.clerk.id).notify_mode == "digest"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html) \
        .group(1) or re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_posts_need_a_csrf_token(other_app, commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    make_request(commune.unit)
    email = commune.spokesperson.email
    db.session.rollback()  # end our SQLite transaction so the other app's requests can write
    protected = other_app(WTF_CSRF_ENABLED=True)
    c = protected.test_client()
    token = _token(c.get("/login").get_data(as_text=True))
    from tests.conftest import PASSWORD

    assert c.post("/login", data={"email": email, "password": PASSWORD,
                                  "csrf_token": token}).status_code == 302

    assert c.post("/staff/notifications/read-all").status_code == 400
    assert c.post("/staff/preferences", data={"notify_mode": "immediate", "locale": "vi"}).status_code == 400
    db.session.expire_all()
    assert set(db.session.execute(select(Notification.read_at)).scalars()) == {None}
    assert db.session.get(User, commune.spokesperson.id).notify_mode == "digest"
    db.session.rollback()  # again: release SQLite's write lock before the other app writes

    page_token = _token(c.get("/staff/notifications").get_data(as_text=True))
    assert c.post("/staff/notifications/read-all", data={"csrf_token": page_token}).status_code == 302
