"""A new password ends every session and remember-me cookie opened with the old one."""

from __future__ import annotations

from spokes.auth import people
from spokes.auth.models import User
from spokes.extensions import db
from tests.conftest import PASSWORD

NEW = "mot-mat-khau-moi-2026"


def _signed_in(client) -> bool:
    """Return whether the client is still signed in (a signed-out one is sent to the login page)."""
    response = client.get("/staff/")
    assert response.status_code in (200, 302)
    return not (response.status_code == 302 and response.headers["Location"].startswith("/login"))


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(app, district, make_user, login):
    user = make_user("clerk", district["dhu"])
    laptop, phone = app.test_client(), app.test_client()
    login(user, target=laptop)
    login(user, target=phone)
    assert _signed_in(laptop) and _signed_in(phone)
    done = laptop.post("/account/password", data={"current": PASSWORD, "new": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert _signed_in(laptop)  # the session that changed it carries the new stamp
    assert not _signed_in(phone)
    assert phone.get("/staff/").headers["Location"].startswith("/login")


def test_an_admin_reset_ends_the_sessions_and_remember_me_cookies(app, district, make_user):
    user = make_user("clerk", district["dhu"])
    admin = make_user("admin", district["province"])
    browser = app.test_client()
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}).status_code == 302
    remember = browser.get_cookie("remember_token")
    assert remember is not None and _signed_in(browser)
    people.set_temporary_password(admin, db.session.get(User, user.id))
    db.session.commit()
    assert not _signed_in(browser)
    # The remember-me cookie alone (a new browser session) does not sign them back in either.
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert not _signed_in(fresh)


def test_a_session_from_before_the_stamp_or_forged_is_refused(app, district, make_user, login):
    user = make_user("clerk", district["dhu"])
    client = app.test_client()
    login(user, target=client)
    with client.session_transaction() as session:
        real = dict(session)
    assert real["_user_id"] == user.get_id() == f"{user.id}:{user.session_stamp}"
    for forged in (str(user.id), f"{user.id}:", f"{user.id}:0000000000000000", f"x:{user.session_stamp}",
                   f"{user.id + 1}:{user.session_stamp}"):
        with client.session_transaction() as session:
            session.clear()
            session.update({**real, "_user_id": forged})
        assert not _signed_in(client), forged
    with client.session_transaction() as session:
        session.clear()
        session.update(real)
    assert _signed_in(client)  # the same session with its true stamp still works


# --------------------------------------------------------------------------- issue 17: logout ends the session


def _copy(browser, app):
    """Return a new client carrying copies of the browser's session and remember-me cookies."""
    thief = app.test_client()
    for name in ("session", "remember_token"):
        cookie = browser.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def test_logout_revokes_a_copied_session_cookie_and_the_remember_me_cookie(app, district, make_user):
    user = make_user("clerk", district["dhu"])
    browser = app.test_client()
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}).status_code == 302
    copied = _copy(browser, app)
    only_remember = app.test_client()
    only_remember.set_cookie("remember_token", browser.get_cookie("remember_token").value)
    assert _signed_in(copied) and _signed_in(only_remember)
    copied, only_remember = _copy(browser, app), app.test_client()
    only_remember.set_cookie("remember_token", browser.get_cookie("remember_token").value)
    assert browser.post("/logout").status_code == 302
    assert not _signed_in(browser)
    assert not _signed_in(copied), "a copy of the session cookie still works after logout"
    assert not _signed_in(only_remember), "the remember-me cookie still works after logout"
    # Signing in again works, with a fresh stamp.
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert _signed_in(browser)


def test_remember_me_lasts_30_days(app, district, make_user):
    user = make_user("clerk", district["dhu"])
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "Max-Age=2592000" in header or "Expires=" in header
    assert app.config["REMEMBER_COOKIE_DURATION"] == 30 * 24 * 3600


def test_sign_out_everywhere_ends_every_device(app, district, make_user, login):
    user = make_user("clerk", district["dhu"])
    laptop, phone = app.test_client(), app.test_client()
    login(user, target=laptop)
    assert phone.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}).status_code == 302
    page = laptop.get("/account/password").get_data(as_text=True)
    assert "Đăng xuất khỏi mọi nơi" in page
    response = laptop.post("/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not _signed_in(laptop) and not _signed_in(phone)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_generation == 1
