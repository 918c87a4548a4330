"""Issue 16: the demo is An Giang as it stands since the 2025 reform, and it looks alive on any day it is loaded."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from spokes.admin.demo import ACCOUNTS, DEMO_PASSWORD, seed_demo
from spokes.auth.permissions import ROLE_PERMISSIONS, Permission
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from spokes.units.models import HISTORICAL_KINDS, Unit

# Two very different days: the day the issue was written, and one more than a year later in winter.
DAYS = [datetime(2026, 12, 3, 3, 0, tzinfo=UTC), datetime(2028, 2, 21, 8, 30, tzinfo=UTC)]
REFERENCE = re.compile(r"\b(?:AG|AM)-[A-Z-]+-\d{4}-\d{5}\b")


def _login(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302, email
    return client


@pytest.fixture(params=DAYS, ids=["2026-12-03", "2028-02-21"])
def demo(request, app, frozen_clock):
    frozen_clock(request.param)
    seed_demo()
    db.session.commit()
    return request.param


def test_units_are_the_two_level_province_with_history(demo, client):
    units = client.get("/api/v1/units").get_json()["units"]
    assert all(u["active"] for u in units)
    assert [u["name"] for u in units if u["kind"] == "province"] == ["Ủy ban nhân dân tỉnh An Giang"]
    assert not [u for u in units if u["kind"] in HISTORICAL_KINDS]
    assert not [u for u in units if "Kiên Giang" in u["name"]]
    assert len([u for u in units if u["kind"] in ("commune", "ward", "special_zone")]) >= 12
    assert {"AG-VP", "AG-VHTTDL"} <= {u["code"] for u in units}

    everything = {u["code"]: u for u in client.get("/api/v1/units?inactive=1").get_json()["units"]}
    old = [u for code, u in everything.items() if code == "AM" or code.startswith("AM-")]
    assert len(old) == 24  # the district, its 12 offices, its town and 10 communes
    assert all(not u["active"] and everything[u["merged_into"]]["active"] for u in old)
    assert everything["AM-TMM"]["kind"] == "town" and everything["AM"]["kind"] == "district"
    assert everything["AM-DHU"]["merged_into"] == "AG-ANMINH" and everything["KG"]["merged_into"] == "AG"
    # Old links follow the merge.
    response = client.get("/units/AM-DHU")
    assert response.status_code in (301, 302, 308) and response.headers["Location"].endswith("/units/AG-ANMINH")


def test_old_requests_and_publications_show_under_successors(demo, client):
    old = db.session.execute(select(PressRequest).where(PressRequest.reference.startswith("AM-"))).scalars().all()
    assert old and {r.unit.code for r in old} <= {"AG-ANMINH", "AG-VANKHANH"}
    assert all(r.received_at < datetime(2025, 7, 1, tzinfo=UTC) for r in old)
    page = client.get("/units/AG-ANMINH").get_data(as_text=True)
    assert "Tiến độ nạo vét kênh Xẻo Nhàu" in page


def test_requests_are_received_before_now_in_every_state(demo):
    reqs = db.session.execute(select(PressRequest)).scalars().all()
    assert all(r.received_at <= demo for r in reqs)
    current = [r for r in reqs if r.unit.is_active and not r.reference.startswith("AM-")]
    assert {"received", "assigned", "drafting", "awaiting_approval", "answered", "refused", "withdrawn"} <= {
        r.state for r in current}
    assert sum(1 for r in current if (demo - r.received_at).days <= 60) >= 12
    assert any(r.due_at < demo and r.state in ("assigned", "drafting") for r in current)  # something overdue
    july_2026 = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
    assert any(r.received_at < july_2026 for r in reqs) and any(r.received_at >= july_2026 for r in reqs)


def test_every_demo_login_has_current_work(demo, app):
    assert {acc.role.value for acc in ACCOUNTS} == {"admin", "head", "clerk", "spokesperson", "overseer"}
    year = demo.year
    for acc in ACCOUNTS:
        client = _login(app, acc.email)
        home = client.get("/staff/")
        assert home.status_code == 200, acc.email
        text = home.get_data(as_text=True)
        assert REFERENCE.search(text) or "UBND" in text.split("<main", 1)[-1], acc.email
        permissions = ROLE_PERMISSIONS[acc.role]
        if Permission.VIEW_REQUESTS in permissions:
            queue = client.get("/staff/requests/").get_data(as_text=True)  # the tab each role sees first
            assert REFERENCE.search(queue), acc.email
        if Permission.VIEW_REPORTS in permissions:
            assert client.get("/staff/reports/").status_code == 200, acc.email
            listed = client.get(f"/staff/reports/requests?metric=received&from={year}-01-01&to={year}-12-31")
            assert listed.status_code == 200 and REFERENCE.search(listed.get_data(as_text=True)), acc.email


def test_a_commune_has_its_clerk_designated_spokesperson_and_head(demo):
    by_email = {acc.email: acc for acc in ACCOUNTS}
    an_minh = {acc.role.value for acc in by_email.values() if acc.unit == "AG-ANMINH"}
    assert {"clerk", "spokesperson", "head"} <= an_minh
    newest = db.session.execute(select(PressRequest).join(Unit, PressRequest.unit_id == Unit.id).where(Unit.code == "AG-ANMINH")
                                .order_by(PressRequest.received_at.desc())).scalars().first()
    assert newest.assignee.email == "phatngon.anminh@angiang.demo"  # the designated spokesperson, automatically


def test_seed_demo_again_adds_nothing(demo):
    before = db.session.execute(select(PressRequest.id)).scalars().all()
    result = seed_demo()
    db.session.commit()
    assert result["requests"] == 0 and result["publications"] == 0 and not result["accounts"]
    assert db.session.execute(select(PressRequest.id)).scalars().all() == before


def test_readme_login_table_matches_the_demo_accounts():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w+) \| `([^`]+)` \| ([^|]+) \|$", readme, re.MULTILINE)
    assert [(role, login) for role, login, _who in rows] == [(a.role.value, a.email) for a in ACCOUNTS]
    for (_role, _login, who), acc in zip(rows, ACCOUNTS, strict=True):
        assert acc.name in who
    assert f"password `{DEMO_PASSWORD}`" in readme
