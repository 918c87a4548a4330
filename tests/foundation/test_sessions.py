"""A new password ends every session and remember-me cookie opened with the old one."""

from __future__ import annotations

from spokes.admin import services as admin_svc
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
    admin_svc.set_temporary_password(admin, db.session.get(User, user.id))
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
