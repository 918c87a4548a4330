"""The public spokesperson directory: current designations only, tree, search, fixed queries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event

from spokes.extensions import db
from spokes.units.models import Designation

MISSING = "Chưa công bố người phát ngôn"


def _designate(user: Any, unit: Any, kind: str, **fields: Any) -> Designation:
    values = {"title": user.title, "public_phone": "0297 111 222", "public_email": user.email,
              "document_number": f"{user.id}/QĐ-UBND", "document_date": date(2026, 1, 2), "valid_from": date(2026, 1, 5)}
    values.update(fields)
    d = Designation(unit_id=unit.id, user_id=user.id, kind=kind, **values)
    db.session.add(d)
    db.session.commit()
    return d


@pytest.fixture()
def published(district, make_user, clock) -> dict[str, Any]:
    """Đông Hưng: a head and a designated speaker; Vân Khánh: only an expired one; VHTT: a revoked
    one and a current case authorisation; Hòn Đất: a future one and an inactive user's."""
    dhu, vk, vhtt, other = district["dhu"], district["vk"], district["vhtt"], district["other_district"]
    chair = make_user("head", dhu, name="Nguyễn Văn Hải", title="Chủ tịch UBND xã Đông Hưng")
    _designate(chair, dhu, "head", document_number="15/QĐ-UBND", document_date=date(2026, 1, 2))
    spokes = make_user("spokesperson", dhu, name="Trương Thị Mai", title="Phó Chủ tịch UBND xã")
    _designate(spokes, dhu, "designated", document_number="16/QĐ-UBND", public_phone="0297 3868 103")
    old = make_user("head", vk, name="Người Hết Hạn")
    _designate(old, vk, "head", valid_from=date(2024, 1, 1), valid_to=date(2026, 3, 9))
    revoked = make_user("spokesperson", vhtt, name="Người Bị Thu Hồi")
    _designate(revoked, vhtt, "designated", revoked_at=datetime(2026, 2, 1, tzinfo=UTC), revoked_reason="Chuyển công tác")
    deputy = make_user("spokesperson", vhtt, name="Phạm Thị Lan", title="Phó Trưởng phòng")
    _designate(deputy, vhtt, "authorised", topic="Lễ hội Nghinh Ông 2026", valid_to=date(2026, 4, 30),
               document_number="07/UQ")
    future = make_user("head", other, name="Người Tương Lai")
    _designate(future, other, "head", valid_from=date(2026, 4, 1))
    gone = make_user("head", other, name="Người Đã Nghỉ", active=False)
    _designate(gone, other, "head")
    return district


def test_directory_shows_exactly_the_current_designations(client, published):
    response = client.get("/spokespersons")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in ("Nguyễn Văn Hải", "Chủ tịch UBND xã Đông Hưng", "15/QĐ-UBND", "02/01/2026",
                  "Trương Thị Mai", "0297 3868 103", "16/QĐ-UBND",
                  "Phạm Thị Lan", "Lễ hội Nghinh Ông 2026", "07/UQ", "30/04/2026"):
        assert shown in body, shown
    for gone in ("Người Hết Hạn", "Người Bị Thu Hồi", "Người Tương Lai", "Người Đã Nghỉ"):
        assert gone not in body, gone


def _card(body: str, unit: Any) -> str:
    start = body.index(f'id="unit-{unit.id}"')
    return body[start:body.index("</article>", start)]


def test_units_without_head_or_designated_speaker_are_marked(client, published):
    body = client.get("/spokespersons").get_data(as_text=True)
    assert MISSING not in _card(body, published["dhu"])
    # Expired only, revoked only (an authorisation alone does not count), future only, nobody.
    for key in ("vk", "vhtt", "other_district", "province", "district"):
        assert MISSING in _card(body, published[key]), key
    assert body.count(MISSING) == 5


def test_directory_is_grouped_by_the_tree(client, published):
    body = client.get("/spokespersons").get_data(as_text=True)
    order = [body.index(f'id="unit-{published[k].id}"') for k in ("province", "district", "vhtt", "dhu", "vk", "other_district")]
    assert order == sorted(order)
    # Đông Hưng is nested inside An Minh's list, which is inside the province's.
    district_start = body.index(f'id="unit-{published["district"].id}"')
    other_start = body.index(f'id="unit-{published["other_district"].id}"')
    nested = body[district_start:other_start]
    assert f'id="unit-{published["dhu"].id}"' in nested
    assert nested.count('<ul class="directory-tree') == 1


def test_inactive_units_are_left_out(client, published):
    published["vk"].is_active = False
    db.session.commit()
    assert "UBND xã Vân Khánh" not in client.get("/spokespersons").get_data(as_text=True)


@pytest.mark.parametrize("query", ["dong hung", "ĐÔNG HƯNG", "Đông  hưng", "ong hu"])
def test_search_by_unit_name_ignores_diacritics(client, published, query):
    body = client.get("/spokespersons", query_string={"q": query}).get_data(as_text=True)
    assert "UBND xã Đông Hưng" in body and "Nguyễn Văn Hải" in body
    assert "UBND xã Vân Khánh" not in body and "Hòn Đất" not in body
    assert "1 đơn vị khớp" in body
    # Search results name the unit's place in the tree.
    assert "Ủy ban nhân dân tỉnh Kiên Giang › Ủy ban nhân dân huyện An Minh" in body


@pytest.mark.parametrize("query", ["mai", "Trương Thị", "PHAM THI LAN"])
def test_search_finds_a_unit_by_its_speakers_name(client, published, query):
    body = client.get("/spokespersons", query_string={"q": query}).get_data(as_text=True)
    assert "1 đơn vị khớp" in body
    expected = "UBND xã Đông Hưng" if query != "PHAM THI LAN" else "Phòng Văn hóa và Thông tin huyện An Minh"
    assert expected in body


def test_search_by_name_finds_only_speakers_in_office(client, published):
    # A revoked or not yet valid designation is not published, so its person is not found either.
    for query in ("Người Bị Thu Hồi", "Người Tương Lai", "Người Hết Hạn"):
        body = client.get("/spokespersons", query_string={"q": query}).get_data(as_text=True)
        assert "0 đơn vị khớp" in body, query


def test_search_treats_like_wildcards_literally(client, published):
    body = client.get("/spokespersons", query_string={"q": "%"}).get_data(as_text=True)
    assert "0 đơn vị khớp" in body and "Nguyễn Văn Hải" not in body


def _count_queries(client: Any, url: str) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_directory_uses_a_fixed_number_of_queries(client, published, make_unit, make_user):
    small = _count_queries(client, "/spokespersons")
    small_search = _count_queries(client, "/spokespersons?q=xa")
    for i in range(6):
        unit = make_unit(f"AM-X{i}", f"UBND xã Thử {i}", parent=published["district"])
        make_user("head", unit, designate="head")
        make_user("spokesperson", unit, designate="designated")
    assert _count_queries(client, "/spokespersons") == small
    assert _count_queries(client, "/spokespersons?q=xa") == small_search
    assert small <= 3


def test_the_match_count_reads_right_in_english(client, published):
    client.get("/lang/en")
    assert "1 unit matches “mai”." in client.get("/spokespersons", query_string={"q": "mai"}).get_data(as_text=True)
