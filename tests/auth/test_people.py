"""People: accounts, roles, locking, temporary passwords and one-time reset links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from spokes.auth import people
from spokes.auth.models import PasswordResetToken
from spokes.auth.models import Membership, User
from spokes.core.errors import DomainError, NotAllowed
from spokes.extensions import db
from spokes.units.models import Designation
from tests.conftest import PASSWORD

NEW = {"email": "Moi@Test.vn", "name": "Nguyễn Văn Mới", "title": "Phó Chủ tịch", "phone": "0900 000 001"}


def _user(email):
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def test_create_user_shows_a_temporary_password_once(client, district, as_admin):
    response = client.post("/admin/users/new", data={**NEW, "unit_id": str(district["vk"].id), "role": "spokesperson",
                                                     "password": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    password = re.search(r'<code class="secret-value">([A-Za-z0-9]{14})</code>', html).group(1)
    user = _user("moi@test.vn")
    assert user.must_change_password and user.check_password(password)
    assert [(m.unit_id, m.role) for m in user.memberships] == [(district["vk"].id, "spokesperson")]
    # The new person signs in and is sent to change the password first.
    client.post("/logout")
    signed_in = client.post("/login", data={"email": "moi@test.vn", "password": password})
    assert signed_in.headers["Location"].endswith("/account/password")
    assert client.get("/staff/").headers["Location"].endswith("/account/password")


def test_create_user_with_a_chosen_password_and_bad_input(client, district, as_admin):
    ok = client.post("/admin/users/new", data={**NEW, "unit_id": str(district["vk"].id), "role": "clerk",
                                               "password": "mot-mat-khau-dai"})
    assert ok.status_code == 302
    assert _user("moi@test.vn").check_password("mot-mat-khau-dai")
    duplicate = client.post("/admin/users/new", data={**NEW, "unit_id": str(district["vk"].id), "role": "clerk"})
    assert duplicate.status_code == 400 and "Đã có tài khoản" in duplicate.get_data(as_text=True)
    short = client.post("/admin/users/new", data={**NEW, "email": "b@test.vn", "unit_id": str(district["vk"].id),
                                                  "role": "clerk", "password": "ngan"})
    assert short.status_code == 400 and _user("b@test.vn") is None
    bad_role = client.post("/admin/users/new", data={**NEW, "email": "c@test.vn", "unit_id": str(district["vk"].id),
                                                     "role": "god"})
    assert bad_role.status_code == 400 and _user("c@test.vn") is None


def test_several_memberships_and_removal(client, district, as_admin, make_user):
    person = make_user("clerk", district["dhu"])
    assert client.post(f"/admin/users/{person.id}/memberships",
                       data={"unit_id": str(district["vk"].id), "role": "spokesperson"}).status_code == 302
    again = client.post(f"/admin/users/{person.id}/memberships",
                        data={"unit_id": str(district["vk"].id), "role": "spokesperson"})
    assert again.status_code == 400
    roles = {(m.unit_id, m.role) for m in db.session.get(User, person.id).memberships}
    assert roles == {(district["dhu"].id, "clerk"), (district["vk"].id, "spokesperson")}
    membership = db.session.execute(select(Membership).where(Membership.user_id == person.id,
                                                             Membership.role == "clerk")).scalar_one()
    assert client.post(f"/admin/memberships/{membership.id}/remove").status_code == 302
    assert {m.role for m in db.session.get(User, person.id).memberships} == {"spokesperson"}


def test_edit_user_details(client, district, as_admin, make_user):
    person = make_user("clerk", district["dhu"])
    response = client.post(f"/admin/users/{person.id}", data={"email": "MOI.EMAIL@test.vn", "name": "Tên Mới",
                                                              "title": "", "phone": ""})
    assert response.status_code == 302
    user = db.session.get(User, person.id)
    assert (user.email, user.name, user.title, user.phone) == ("moi.email@test.vn", "Tên Mới", None, None)
    taken = client.post(f"/admin/users/{person.id}", data={"email": as_admin.email, "name": "X"})
    assert taken.status_code == 400


def test_deactivate_revokes_designations_and_blocks_login(client, district, as_admin, make_user):
    person = make_user("head", district["vk"], designate="head")
    response = client.post(f"/admin/users/{person.id}/deactivate")
    assert response.status_code == 302
    user = db.session.get(User, person.id)
    assert not user.active
    designation = db.session.execute(select(Designation).where(Designation.user_id == person.id)).scalar_one()
    assert designation.revoked_at is not None  # kept as history
    assert client.post(f"/admin/users/{as_admin.id}/deactivate").status_code == 409  # never oneself
    client.post("/logout")
    assert client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 401


def test_a_district_admin_cannot_manage_a_provincial_account(district, make_user, admin):
    district_admin = make_user("admin", district["district"])
    with pytest.raises(NotAllowed):
        people.issue_reset_link(district_admin, admin)
    with pytest.raises(NotAllowed):
        people.add_membership(district_admin, make_user("clerk", district["dhu"]), district["province"], "admin")


def test_temporary_password(client, district, as_admin, make_user):
    person = make_user("clerk", district["dhu"])
    response = client.post(f"/admin/users/{person.id}/temporary-password")
    password = re.search(r'<code class="secret-value">([A-Za-z0-9]{14})</code>', response.get_data(as_text=True)).group(1)
    user = db.session.get(User, person.id)
    assert user.must_change_password and user.check_password(password) and not user.check_password(PASSWORD)
    client.post("/logout")
    assert client.post("/login", data={"email": person.email, "password": password}).headers["Location"].endswith(
        "/account/password")


def _reset_token(client, user_id):
    html = client.post(f"/admin/users/{user_id}/reset-link").get_data(as_text=True)
    return re.search(r"/admin/reset/([A-Za-z0-9_\-]+)", html).group(1)


def test_reset_link_works_once_without_login(client, district, as_admin, make_user):
    person = make_user("clerk", district["dhu"])
    token = _reset_token(client, person.id)
    stored = db.session.execute(select(PasswordResetToken)).scalar_one()
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only a hash is kept
    client.post("/logout")
    anonymous = client
    assert anonymous.get(f"/admin/reset/{token}").status_code == 200
    mismatch = anonymous.post(f"/admin/reset/{token}", data={"new": "mat-khau-moi-1", "confirm": "khac-hoan-toan"})
    assert mismatch.status_code == 400
    done = anonymous.post(f"/admin/reset/{token}", data={"new": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, person.id).check_password("mat-khau-moi-1")
    assert anonymous.get(f"/admin/reset/{token}").status_code == 404
    again = anonymous.post(f"/admin/reset/{token}", data={"new": "mat-khau-khac-2", "confirm": "mat-khau-khac-2"})
    assert again.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, person.id).check_password("mat-khau-moi-1")


def test_reset_link_expires(district, admin, make_user, frozen_clock):
    person = make_user("clerk", district["dhu"])
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    frozen_clock(start)
    token = people.issue_reset_link(admin, person, ttl=timedelta(hours=24))
    db.session.commit()
    frozen_clock(start + timedelta(hours=23, minutes=59))
    assert people.find_reset_token(token) is not None
    frozen_clock(start + timedelta(hours=24, seconds=1))
    assert people.find_reset_token(token) is None
    with pytest.raises(DomainError):
        people.redeem_reset_token(token, "mat-khau-moi-1")


def test_a_new_link_replaces_the_old_one(district, admin, make_user):
    person = make_user("clerk", district["dhu"])
    first = people.issue_reset_link(admin, person)
    second = people.issue_reset_link(admin, person)
    assert people.find_reset_token(first) is None
    assert people.find_reset_token(second) is not None
    assert people.find_reset_token("x" * 500) is None


def test_a_reset_link_clears_must_change_password(district, admin, make_user):
    person = make_user("clerk", district["dhu"])
    people.set_temporary_password(admin, person)
    token = people.issue_reset_link(admin, person)
    user = people.redeem_reset_token(token, "mat-khau-moi-1")
    assert not user.must_change_password


def test_people_list_is_scoped_and_searchable(client, district, as_admin, make_user, login):
    make_user("clerk", district["dhu"], name="Lê Thị Thu")
    make_user("clerk", district["other_district"], name="Người Hòn Đất")
    html = client.get("/admin/users?q=thu").get_data(as_text=True)
    assert "Lê Thị Thu" in html and "Người Hòn Đất" not in html
    assert "Tổng cộng 1 mục." in html  # how many match the search, above the table
    district_admin = make_user("admin", district["district"])
    client.post("/logout")
    login(district_admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Lê Thị Thu" in html and "Người Hòn Đất" not in html and "Quản Trị Viên" not in html
