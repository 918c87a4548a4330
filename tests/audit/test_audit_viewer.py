"""The audit viewer: scoped to one's subtree, filterable, paginated, exportable."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from spokes.audit.services import AuditFilter, compact_changes, events_query, record
from spokes.extensions import db


def _seed(district, admin):
    record("unit.update", actor=admin, obj_type="unit", obj_id=district["vk"].id, unit_id=district["vk"].id,
           before={"name": "Cũ", "phone": "1"}, after={"name": "Mới", "phone": "1"})
    record("unit.update", actor=admin, obj_type="unit", obj_id=district["other_district"].id,
           unit_id=district["other_district"].id, after={"name": "Hòn Đất"})
    record("settings.change", actor=admin, obj_type="setting", obj_id=None, after={"key": "site"})
    db.session.commit()


def test_overseer_sees_only_their_subtree_and_no_unitless_events(client, district, admin, make_user, login):
    _seed(district, admin)
    login(make_user("overseer", district["district"]))
    html = client.get("/admin/audit").get_data(as_text=True)
    assert f"unit #{district['vk'].id}" in html
    assert f"unit #{district['other_district'].id}" not in html
    assert "settings.change" not in html.split("<tbody>")[-1]


def test_admin_sees_unitless_events_and_filters_work(client, district, as_admin):
    _seed(district, as_admin)
    body = client.get("/admin/audit").get_data(as_text=True).split("<tbody>")[-1]
    assert "settings.change" in body and f"unit #{district['other_district'].id}" in body
    filtered = client.get(f"/admin/audit?unit_id={district['district'].id}").get_data(as_text=True).split("<tbody>")[-1]
    assert f"unit #{district['vk'].id}" in filtered and "settings.change" not in filtered
    by_object = client.get(f"/admin/audit?object_type=unit&object_id={district['other_district'].id}")
    assert "Hòn Đất" in by_object.get_data(as_text=True)
    by_actor = client.get("/admin/audit?actor=nobody").get_data(as_text=True)
    assert "Không có sự kiện nào phù hợp." in by_actor
    assert "settings.change" in client.get("/admin/audit?actor=quantri@test").get_data(as_text=True)
    by_action = client.get("/admin/audit?action=settings.change").get_data(as_text=True).split("<tbody>")[-1]
    assert "settings.change" in by_action and "unit.update" not in by_action
    future = client.get("/admin/audit?date_from=2099-01-01").get_data(as_text=True)
    assert "Không có sự kiện nào phù hợp." in future
    backwards = client.get("/admin/audit?date_from=2026-02-01&date_to=2026-01-01")
    assert backwards.status_code == 400


def test_compact_changes_shows_only_what_differs(district, admin):
    _seed(district, admin)
    from spokes.audit.models import AuditEvent

    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_id == district["vk"].id)).scalar_one()
    assert compact_changes(event) == [("name", "Cũ", "Mới")]


def test_date_range_uses_vietnamese_days(district, admin, frozen_clock):
    frozen_clock(datetime(2026, 3, 1, 18, 30, tzinfo=UTC))  # 01:30 on 02/03 in Vietnam
    record("x.y", actor=admin, obj_type="unit", obj_id=None, unit_id=district["vk"].id)
    db.session.commit()
    scope = {"unit_ids": [], "unit_prefixes": [district["province"].path], "include_unitless": True}
    from datetime import date

    on = lambda d: db.session.execute(events_query(filters=AuditFilter(date_from=d, date_to=d), **scope)).scalars().all()  # noqa: E731
    assert len(on(date(2026, 3, 2))) == 1 and len(on(date(2026, 3, 1))) == 0


def test_pagination_and_csv_export(client, district, as_admin):
    for i in range(55):
        record("note.add", actor=as_admin, obj_type="unit", obj_id=i + 1, unit_id=district["vk"].id,
               actor_label="=cmd|' /C calc'!A0" if i == 0 else None, after={"text": f"n{i}"})
    db.session.commit()
    first = client.get("/admin/audit").get_data(as_text=True)
    assert 'class="pagination' in first and "page=2" in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "unit #1<" in second
    export = client.get("/admin/audit.csv?action=note.add")
    assert export.status_code == 200 and export.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][0] == "seq" and len(rows) == 56
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "'=cmd|' /C calc'!A0" in [row[2] for row in rows]
