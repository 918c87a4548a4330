"""Login, logout, rate limits and password changes."""

from __future__ import annotations

from spokes.auth.models import User
from spokes.extensions import db
from tests.conftest import PASSWORD


def test_login_and_logout(client, district, make_user):
    user = make_user("clerk", district["dhu"])
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302  # back to the login page


def test_wrong_password_and_unknown_email_get_the_same_message(client, district, make_user):
    user = make_user("clerk", district["dhu"])
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"email": "ai-do@test.vn", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    message = "Thư điện tử hoặc mật khẩu không đúng."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, district, make_user):
    user = make_user("clerk", district["dhu"], active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


def test_login_form_validation_is_400_not_500(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "Vui lòng nhập địa chỉ thư điện tử." in response.get_data(as_text=True)


def test_safe_next_redirect(client, district, make_user):
    user = make_user("clerk", district["dhu"])
    ok = client.post("/login?next=/staff/", data={"email": user.email, "password": PASSWORD})
    assert ok.headers["Location"] == "/staff/"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = client.post(f"/login?next={evil}", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/staff/", evil
        client.post("/logout")


def test_staff_pages_need_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_repeated_failed_logins_are_rate_limited(make_app, _schema):
    application = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    c = application.test_client()
    codes = [c.post("/login", data={"email": "x@test.vn", "password": "wrong-password"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert "Quá nhiều yêu cầu" in c.post("/login", data={"email": "x@test.vn", "password": "y"}).get_data(as_text=True)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_change_password(client, district, make_user, login):
    user = make_user("clerk", district["dhu"])
    login(user)
    bad = client.post("/account/password", data={"current": "wrong", "new": "mot-mat-khau-moi", "confirm": "mot-mat-khau-moi"})
    assert bad.status_code == 400
    assert "Mật khẩu hiện tại không đúng." in bad.get_data(as_text=True)
    mismatch = client.post("/account/password", data={"current": PASSWORD, "new": "mot-mat-khau-moi", "confirm": "khac"})
    assert mismatch.status_code == 400
    ok = client.post("/account/password", data={"current": PASSWORD, "new": "mot-mat-khau-moi", "confirm": "mot-mat-khau-moi"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("mot-mat-khau-moi")


def test_passwords_are_hashed(district, make_user):
    user = make_user("clerk", district["dhu"])
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
