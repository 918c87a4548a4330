"""Merging units: every request, event and publication stays reachable; the chain still verifies."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from spokes.units import merge as merge_svc
from spokes.audit.models import AuditEvent
from spokes.audit.services import verify_chain
from spokes.auth.models import Membership
from spokes.core.clock import today_vn
from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from spokes.press_requests.services import find_by_reference_and_email, withdraw
from spokes.publishing.models import Publication
from spokes.units.models import Designation, Unit
from spokes.units.services import UnitData, current_designation_filter, resolve_unit


def _publication(unit, slug):
    pub = Publication(slug=slug, unit_id=unit.id, kind="periodic", title=f"Tin {slug}", body="Nội dung",
                      speaker_name="Người phát ngôn")
    db.session.add(pub)
    db.session.commit()
    return pub


@pytest.fixture()
def communes(district, make_unit, make_user, make_request):
    """Two communes with requests (open and closed), publications, designations and staff."""
    am = district["district"]
    a = make_unit("AM-VKD", "UBND xã Vân Khánh Đông", parent=am)
    b = make_unit("AM-VKT", "UBND xã Vân Khánh Tây", parent=am)
    hamlet = make_unit("AM-VKD-A1", "Ấp Kinh Tư", parent=a, kind="hamlet")
    head_a = make_user("head", a, designate="head")
    head_b = make_user("head", b, designate="head")
    clerk = make_user("clerk", a)
    clerk.memberships.append(Membership(unit_id=b.id, role="clerk"))  # the same clerk serves both
    db.session.commit()
    reqs = [make_request(a, subject="Sạt lở bờ biển"), make_request(a, journalist_email="b@bao.vn"),
            make_request(b, subject="Nước sạch"), make_request(b)]
    withdraw(None, reqs[3], "Phóng viên rút yêu cầu")
    db.session.commit()
    pubs = [_publication(a, "tin-vkd"), _publication(b, "tin-vkt")]
    return {"a": a, "b": b, "hamlet": hamlet, "requests": reqs, "publications": pubs, "heads": (head_a, head_b),
            "clerk": clerk}


def _events_of(request_id):
    return db.session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "request", AuditEvent.object_id == request_id)).scalar_one()


def test_preview_counts_then_confirm(client, district, as_admin, communes):
    a, b = communes["a"], communes["b"]
    form = {"sources": [str(a.id), str(b.id)], "target_mode": "new", "target_id": "0", "new_code": "AM-VKM",
            "new_name": "UBND xã Vân Khánh Mới", "new_kind": "commune", "new_parent_id": str(district["district"].id),
            "new_prefix": "", "merge_date": today_vn().isoformat(), "move_memberships": "y", "preview": "1"}
    preview = client.post("/admin/units/merge", data=form)
    assert preview.status_code == 200
    html = re.sub(r">\s+<", "><", preview.get_data(as_text=True))
    # open, closed, publications, designations, memberships, children, duties — for A, then B.
    assert "<td>2</td><td>0</td><td>1</td><td>1</td><td>2</td><td>1</td><td>0</td>" in html
    assert "<td>1</td><td>1</td><td>1</td><td>1</td><td>2</td><td>0</td><td>0</td>" in html
    assert db.session.execute(select(Unit).where(Unit.code == "AM-VKM")).first() is None  # nothing written yet
    form.pop("preview")
    form["confirm"] = "1"
    done = client.post("/admin/units/merge", data=form)
    assert done.status_code == 302
    target = db.session.execute(select(Unit).where(Unit.code == "AM-VKM")).scalar_one()
    assert done.headers["Location"].endswith(f"/admin/units/{target.id}")


def test_merge_keeps_everything_reachable(district, admin, communes):
    a, b, reqs, pubs = communes["a"], communes["b"], communes["requests"], communes["publications"]
    refs = {r.id: r.reference for r in reqs}
    events = {r.id: _events_of(r.id) for r in reqs}
    total_requests = db.session.execute(select(func.count()).select_from(PressRequest)).scalar_one()
    target = merge_svc.merge_units(admin, merge_svc.MergeData(
        source_ids=[a.id, b.id], merge_date=today_vn(),
        new_unit=UnitData(code="AM-VKM", name="UBND xã Vân Khánh Mới", kind="commune", parent_id=district["district"].id)))
    db.session.commit()
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(PressRequest)).scalar_one() == total_requests
    for r in reqs:
        moved = db.session.get(PressRequest, r.id)
        assert moved.unit_id == target.id and moved.reference == refs[r.id]  # old references unchanged
        assert _events_of(r.id) == events[r.id] + 1  # full history plus the public "moved" event
    merged_event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "request.unit_merged", AuditEvent.object_id == reqs[0].id)).scalar_one()
    assert merged_event.public and merged_event.after["to_unit"] == "UBND xã Vân Khánh Mới"
    assert find_by_reference_and_email(refs[reqs[0].id], "pv@baochi.vn").id == reqs[0].id
    for pub in pubs:
        kept = db.session.get(Publication, pub.id)
        assert kept.unit_id == target.id and kept.slug == pub.slug  # old links keep working
    # The old units stay, deactivated and pointing at the new one; their pages redirect.
    for old in (a, b):
        unit = db.session.get(Unit, old.id)
        assert not unit.is_active and unit.merged_into_id == target.id
        assert resolve_unit(old.code) == (target, True)
    assert db.session.get(Unit, communes["hamlet"].id).parent_id == target.id
    assert db.session.get(Unit, communes["hamlet"].id).path == f"{target.path}{communes['hamlet'].id}/"
    # Designations ended the day before; nobody speaks for A or B any more.
    for d in db.session.execute(select(Designation).where(Designation.unit_id.in_([a.id, b.id]))).scalars():
        assert d.valid_to == today_vn() - timedelta(days=1) or d.revoked_at is not None
    assert not db.session.execute(select(Designation).where(
        Designation.unit_id.in_([a.id, b.id]), current_designation_filter(today_vn()))).first()
    # Memberships moved, the clerk's duplicate collapsed into one.
    roles = sorted((m.user_id, m.role) for m in db.session.execute(
        select(Membership).where(Membership.unit_id == target.id)).scalars())
    head_a, head_b = communes["heads"]
    assert roles == sorted([(head_a.id, "head"), (head_b.id, "head"), (communes["clerk"].id, "clerk")])
    assert not db.session.execute(select(Membership).where(Membership.unit_id.in_([a.id, b.id]))).first()
    # One unit.merge event, and the chain still verifies.
    merge = db.session.execute(select(AuditEvent).where(AuditEvent.action == "unit.merge")).scalar_one()
    assert merge.after["requests_moved"] == 4 and {s["code"] for s in merge.before["sources"]} == {"AM-VKD", "AM-VKT"}
    checked, problem = verify_chain()
    assert problem is None and checked > 0


def test_merge_into_an_existing_unit_ending_memberships(district, admin, communes):
    a, vk = communes["a"], district["vk"]
    target = merge_svc.merge_units(admin, merge_svc.MergeData(
        source_ids=[a.id], merge_date=today_vn(), target_id=vk.id, move_memberships=False))
    db.session.commit()
    assert target.id == vk.id
    assert db.session.execute(select(func.count()).select_from(PressRequest).where(
        PressRequest.unit_id == vk.id)).scalar_one() == 2
    assert not db.session.execute(select(Membership).where(Membership.unit_id.in_([a.id, vk.id]))).first()
    assert verify_chain()[1] is None


def test_designation_starting_after_the_merge_date_is_revoked(district, admin, communes, frozen_clock):
    a = communes["a"]
    d = db.session.execute(select(Designation).where(Designation.unit_id == a.id)).scalar_one()
    d.valid_from = today_vn()  # starts on the merge day: cannot end the day before it began
    db.session.commit()
    merge_svc.merge_units(admin, merge_svc.MergeData(source_ids=[a.id], merge_date=today_vn(),
                                                     target_id=district["vk"].id))
    db.session.commit()
    kept = db.session.get(Designation, d.id)
    assert kept.revoked_at is not None and "hợp nhất" in kept.revoked_reason


@pytest.mark.parametrize("case", ["empty", "target_in_sources_subtree", "inactive", "future", "nested", "parent_inside"])
def test_bad_merges_are_refused(district, admin, communes, case):
    a, b, hamlet = communes["a"], communes["b"], communes["hamlet"]
    data = merge_svc.MergeData(source_ids=[a.id, b.id], merge_date=today_vn(), target_id=district["vk"].id)
    if case == "empty":
        data.source_ids = []
    elif case == "target_in_sources_subtree":
        data.target_id = hamlet.id
    elif case == "inactive":
        b.is_active = False
        db.session.commit()
    elif case == "future":
        data.merge_date = today_vn() + timedelta(days=1)
    elif case == "nested":
        data.source_ids = [a.id, hamlet.id]
    elif case == "parent_inside":
        data.target_id = None
        data.new_unit = UnitData(code="X", name="X", kind="commune", parent_id=hamlet.id)
    with pytest.raises(DomainError):
        merge_svc.merge_units(admin, data)
    db.session.rollback()
    assert db.session.get(Unit, a.id).is_active


def test_merge_needs_rights_over_every_unit(district, communes, make_user):
    outsider = make_user("admin", district["other_district"])
    with pytest.raises(DomainError):
        merge_svc.plan_merge(outsider, merge_svc.MergeData(source_ids=[communes["a"].id], merge_date=today_vn(),
                                                           target_id=district["other_district"].id))


def test_merge_of_many_requests_is_batched(district, admin, communes, make_request):
    """A few dozen requests: the number of statements does not grow with them (except the bulk insert)."""
    from sqlalchemy import event

    a = communes["a"]
    for i in range(30):
        make_request(a, subject=f"Yêu cầu {i}")
    statements = []

    def count(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        merge_svc.merge_units(admin, merge_svc.MergeData(source_ids=[a.id], merge_date=today_vn(),
                                                         target_id=district["vk"].id))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE PRESS_REQUESTS")]
    assert len(updates) == 1
    assert len(statements) < 60
    db.session.commit()
    assert verify_chain()[1] is None


def test_old_unit_addresses_move_for_good_to_the_successor(client, district, admin, communes):
    a = communes["a"]
    old_code = a.code
    target = merge_svc.merge_units(admin, merge_svc.MergeData(
        source_ids=[a.id], merge_date=today_vn(), target_id=communes["b"].id))
    db.session.commit()
    for old, new in ((f"/units/{old_code}", f"/units/{target.code}"),
                     (f"/units/{old_code}/feed.atom", f"/units/{target.code}/feed.atom"),
                     (f"/units/{old_code}/feed.rss", f"/units/{target.code}/feed.rss"),
                     (f"/units/{old_code}/widget?n=3", f"/units/{target.code}/widget?n=3"),
                     (f"/units/{old_code}?page=2&page=3", f"/units/{target.code}?page=2&page=3"),
                     (f"/units/{old_code}/widget?endpoint=x&code=y&_external=1",
                      f"/units/{target.code}/widget?endpoint=x&code=y&_external=1")):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == new
        assert client.get(new).status_code == 200
    assert client.get("/units/KHONG-CO").status_code == 404
    assert client.get("/units/" + "X" * 300).status_code == 404


def test_old_unit_codes_keep_finding_the_moved_items(client, district, admin, communes):
    a = communes["a"]
    old_code, slug = a.code, communes["publications"][0].slug
    target = merge_svc.merge_units(admin, merge_svc.MergeData(
        source_ids=[a.id], merge_date=today_vn(), target_id=communes["b"].id))
    db.session.commit()
    api_items = client.get(f"/api/v1/items?unit={old_code}").get_json()
    assert slug in {item["slug"] for item in api_items["items"]}
    assert client.get(f"/api/v1/units/{old_code}").get_json()["code"] == target.code
    page = client.get(f"/news?unit={old_code}")
    assert page.status_code == 200 and f"/news/{slug}" in page.get_data(as_text=True)
