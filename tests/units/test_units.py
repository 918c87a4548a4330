"""Creating, editing, moving and deactivating units; settings validation; resolve_unit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.audit.services import verify_chain
from spokes.core.errors import DomainError, NotAllowed
from spokes.extensions import db
from spokes.units import services as units_svc
from spokes.units.models import Unit
from tests.units.helpers import unit_form


def _form(**overrides):
    return unit_form("AM-MOI", **overrides)


def test_create_unit_under_a_parent(client, district, as_admin):
    am = district["district"]
    response = client.post("/admin/units/new", data=_form(parent_id=str(am.id), reference_prefix="am-moi",
                                                          portal_url="https://anminh.kiengiang.gov.vn"))
    assert response.status_code == 302
    unit = db.session.execute(select(Unit).where(Unit.code == "AM-MOI")).scalar_one()
    assert unit.parent_id == am.id and unit.path == f"{am.path}{unit.id}/" and unit.depth == 2
    assert unit.reference_prefix == "AM-MOI"  # upper-cased
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "unit.create")).scalar_one().object_id == unit.id


@pytest.mark.parametrize("overrides, message", [
    ({"reference_prefix": "AM_VK!"}, "chữ in hoa"),
    ({"reference_prefix": "AM-VK"}, "đã được đơn vị khác dùng"),
    ({"portal_url": "javascript:alert(1)"}, "http://"),
    ({"email": "khong-phai-email"}, "thư điện tử không hợp lệ"),
    ({"code": "AM-DHU"}, "đã được dùng"),
    ({"name": ""}, "Vui lòng nhập tên đơn vị"),
    ({"name": "x" * 300}, "Tối đa 255"),
])
def test_bad_unit_settings_are_400_with_a_message(client, district, as_admin, overrides, message):
    response = client.post("/admin/units/new", data=_form(parent_id=str(district["district"].id), **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(Unit).where(Unit.name == "UBND xã Mới")).first() is None


def test_root_unit_needs_a_root_admin(client, district, make_user, login):
    login(make_user("admin", district["district"]))
    response = client.post("/admin/units/new", data=_form(parent_id="0"))
    assert response.status_code == 400  # "none" is not even offered to a district admin
    assert db.session.execute(select(Unit).where(Unit.code == "AM-MOI")).first() is None


def test_edit_settings_keeps_the_code(client, district, as_admin):
    vk, vp = district["vk"], district["vhtt"]
    response = client.post(f"/admin/units/{vk.id}", data=_form(
        code="HACK", name="UBND xã Vân Khánh (mới)", approval_required="", phone="0297 3869 300",
        email="VANKHANH@anminh.gov.vn", intake_overseer_id=str(vp.id), reference_prefix="VK"))
    assert response.status_code == 302
    unit = db.session.get(Unit, vk.id)
    assert (unit.code, unit.name, unit.approval_required, unit.email, unit.intake_overseer_id, unit.reference_prefix) == (
        "AM-VK", "UBND xã Vân Khánh (mới)", False, "vankhanh@anminh.gov.vn", vp.id, "VK")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "unit.update")).scalar_one()
    assert event.before["approval_required"] is True and event.after["approval_required"] is False


def test_move_updates_paths_of_the_subtree(client, district, as_admin, make_unit):
    am, vk, other = district["district"], district["vk"], district["other_district"]
    hamlet = make_unit("AM-VK-A1", parent=vk, kind="hamlet")
    response = client.post(f"/admin/units/{vk.id}/move", data={"parent_id": str(other.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, vk.id).path == f"{other.path}{vk.id}/"
    assert db.session.get(Unit, hamlet.id).path == f"{other.path}{vk.id}/{hamlet.id}/"
    assert db.session.get(Unit, hamlet.id).depth == 3
    assert am.id != other.id


def test_move_under_own_descendant_is_refused(district, admin, make_unit):
    vk = district["vk"]
    hamlet = make_unit("AM-VK-A1", parent=vk, kind="hamlet")
    with pytest.raises(DomainError):
        units_svc.move_unit(admin, vk, hamlet)
    with pytest.raises(DomainError):
        units_svc.move_unit(admin, vk, vk)


def test_move_under_own_descendant_via_the_form_is_400(client, district, as_admin, make_unit):
    vk = district["vk"]
    hamlet = make_unit("AM-VK-A1", parent=vk, kind="hamlet")
    response = client.post(f"/admin/units/{vk.id}/move", data={"parent_id": str(hamlet.id)})
    assert response.status_code == 400
    assert db.session.get(Unit, vk.id).parent_id == district["district"].id


def test_deactivate_keeps_the_unit_and_refuses_with_open_requests(client, district, as_admin, make_request):
    dhu, vk = district["dhu"], district["vk"]
    make_request(dhu)
    assert client.post(f"/admin/units/{dhu.id}/deactivate").status_code == 409
    assert db.session.get(Unit, dhu.id).is_active
    assert client.post(f"/admin/units/{vk.id}/deactivate").status_code == 302
    unit = db.session.get(Unit, vk.id)
    assert unit is not None and not unit.is_active and unit.deactivated_at is not None
    assert client.post(f"/admin/units/{vk.id}/reactivate").status_code == 302
    assert db.session.get(Unit, vk.id).is_active
    # A unit whose children are still active cannot be deactivated.
    assert client.post(f"/admin/units/{district['district'].id}/deactivate").status_code == 409
    assert verify_chain()[1] is None


def test_service_refuses_a_unit_outside_the_actors_subtree(district, make_user):
    outsider = make_user("admin", district["other_district"])
    with pytest.raises(NotAllowed):
        units_svc.update_unit(outsider, district["vk"], units_svc.UnitData(code="AM-VK", name="X", kind="commune"))


def test_tree_view_works_without_javascript(client, district, as_admin):
    html = client.get("/admin/units").get_data(as_text=True)
    assert "<details" in html and "<summary>" in html
    assert html.index("Ủy ban nhân dân huyện An Minh") < html.index("UBND xã Vân Khánh")
    assert "UBND xã Vân Khánh" in client.get("/admin/units?q=van khanh").get_data(as_text=True)


def test_resolve_unit_follows_merges(district):
    dhu, vk = district["dhu"], district["vk"]
    unknown = units_svc.resolve_unit("NOPE")
    assert unknown == (None, False)
    assert units_svc.resolve_unit("AM-VK") == (vk, False)
    vk.merged_into_id, vk.is_active = dhu.id, False
    db.session.flush()
    assert units_svc.resolve_unit("AM-VK") == (dhu, True)
    dhu.merged_into_id = vk.id  # a corrupted cycle never loops forever
    db.session.flush()
    unit, redirected = units_svc.resolve_unit("AM-VK")
    assert redirected and unit in (dhu, vk)
