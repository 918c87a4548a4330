"""Permissions are data, reach the right units, and lists are filtered in SQL."""

from __future__ import annotations

from spokes.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from spokes.auth.policies import has_permission, permissions_in
from spokes.extensions import db
from spokes.press_requests.queries import visible_requests


def test_every_role_has_a_permission_set():
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert Permission.APPROVE in ROLE_PERMISSIONS[Role.HEAD]
    assert Permission.DRAFT_ANSWER not in ROLE_PERMISSIONS[Role.OVERSEER]  # overseers never answer
    assert Permission.MANAGE_USERS in ROLE_PERMISSIONS[Role.ADMIN]


def test_commune_chair_rights_stop_at_own_commune(district, make_user):
    chair = make_user("head", district["dhu"])
    assert Permission.APPROVE in permissions_in(chair, district["dhu"])
    assert permissions_in(chair, district["vk"]) == frozenset()
    assert permissions_in(chair, district["district"]) == frozenset()


def test_overseer_reaches_its_subtree_only(district, make_user):
    overseer = make_user("overseer", district["district"])
    assert Permission.VIEW_REQUESTS in permissions_in(overseer, district["dhu"])
    assert Permission.VIEW_REQUESTS in permissions_in(overseer, district["vhtt"])
    assert permissions_in(overseer, district["other_district"]) == frozenset()
    assert not has_permission(overseer, Permission.DRAFT_ANSWER, district["dhu"])


def test_lists_show_only_what_the_user_may_see(district, make_user, make_request):
    chair = make_user("head", district["dhu"], designate="head")
    make_user("head", district["vk"], designate="head")
    overseer = make_user("overseer", district["district"])
    outsider = make_user("overseer", district["other_district"])
    own = make_request(district["dhu"], subject="Việc của xã Đông Hưng")
    other = make_request(district["vk"], subject="Việc của xã Vân Khánh")

    def seen(user):
        return {r.id for r in db.session.execute(visible_requests(user)).scalars()}

    assert seen(chair) == {own.id}
    assert seen(overseer) == {own.id, other.id}
    assert seen(outsider) == set()


def test_inactive_user_has_no_permissions(district, make_user):
    user = make_user("head", district["dhu"], active=False)
    assert permissions_in(user, district["dhu"]) == frozenset()
