"""Only the right roles reach each admin screen (anonymous → login, others → 403)."""

from __future__ import annotations

import pytest

from spokes.extensions import db
from spokes.units.models import Designation
from tests.conftest import PASSWORD


def _screens(district, admin):
    vk, dhu = district["vk"], district["dhu"]
    return [
        "/admin/", "/admin/units", "/admin/units/new", f"/admin/units/{vk.id}", "/admin/users", "/admin/users/new",
        f"/admin/users/{admin.id}", "/admin/import", "/admin/units/merge", "/admin/audit", "/admin/audit.csv",
        "/admin/export/units.csv", "/admin/export/users.xlsx", f"/admin/units/{dhu.id}/designations",
        f"/admin/units/{vk.id}/designations",
    ]


def test_anonymous_is_sent_to_login(client, district, admin):
    for url in _screens(district, admin):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["clerk", "spokesperson"])
def test_clerk_and_spokesperson_get_403_everywhere(client, district, admin, make_user, login, role):
    login(make_user(role, district["dhu"]))
    for url in _screens(district, admin):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/units/{district['dhu'].id}/deactivate").status_code == 403


def test_head_reaches_only_their_own_units_designations(client, district, admin, make_user, login):
    head = make_user("head", district["dhu"])
    login(head)
    own = f"/admin/units/{district['dhu'].id}/designations"
    for url in _screens(district, admin):
        expected = 200 if url == own else 403
        assert client.get(url).status_code == expected, url
    # The shortcut sends a head straight to their unit.
    response = client.get("/admin/designations")
    assert response.status_code == 302 and response.headers["Location"].endswith(own)


def test_head_cannot_revoke_another_units_designation(client, district, make_user, login):
    other_head = make_user("head", district["vk"], designate="head")
    designation = db.session.execute(db.select(Designation).where(Designation.user_id == other_head.id)).scalar_one()
    login(make_user("head", district["dhu"]))
    assert client.get(f"/admin/designations/{designation.id}/revoke").status_code == 403
    assert client.post(f"/admin/designations/{designation.id}/revoke", data={"reason": "x"}).status_code == 403
    assert db.session.get(Designation, designation.id).revoked_at is None


def test_overseer_reaches_the_audit_viewer_only(client, district, admin, make_user, login):
    login(make_user("overseer", district["district"]))
    for url in _screens(district, admin):
        expected = 200 if url.startswith("/admin/audit") else 403
        assert client.get(url).status_code == expected, url


def test_admin_reaches_everything_in_their_subtree(client, district, as_admin):
    for url in _screens(district, as_admin):
        assert client.get(url).status_code == 200, url


def test_admin_of_another_district_gets_403_on_units_outside_their_subtree(client, district, make_user, login, admin):
    login(make_user("admin", district["other_district"]))
    vk = district["vk"]
    for url in (f"/admin/units/{vk.id}", f"/admin/units/{vk.id}/designations", f"/admin/users/{admin.id}"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/units/{vk.id}/deactivate").status_code == 403
    # Their own lists only show their own subtree.
    assert "Vân Khánh" not in client.get("/admin/units").get_data(as_text=True)


def test_unknown_ids_are_404(client, as_admin):
    for url in ("/admin/units/999999", "/admin/units/999999/designations", "/admin/users/999999",
                "/admin/designations/999999/revoke"):
        assert client.get(url).status_code == 404, url


def test_admin_home_lists_rulebooks_and_calendar_when_present(client, app, as_admin):
    html = client.get("/admin/").get_data(as_text=True)
    for endpoint, path in (("deadlines.rulebooks", "/admin/rulebooks"), ("deadlines.calendar", "/admin/calendar")):
        if endpoint in app.view_functions:
            assert f'href="{path}"' in html
        else:
            assert f'href="{path}"' not in html


def test_must_change_password_is_enforced_on_staff_pages(client, district, make_user, login):
    user = make_user("admin", district["province"])
    user.must_change_password = True
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/account/password")
    for url in ("/staff/", "/admin/", "/admin/units", "/staff/requests"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/account/password"), url
    assert client.get("/account/password").status_code == 200
    assert client.get("/").status_code == 200  # public pages stay open
    client.post("/account/password", data={"current": PASSWORD, "new": "mat-khau-moi-123", "confirm": "mat-khau-moi-123"})
    assert db.session.get(type(user), user.id).must_change_password is False
    assert client.get("/admin/").status_code == 200
