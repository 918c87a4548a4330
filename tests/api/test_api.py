"""The read-only JSON API: filters, pagination, items, units, spokespersons, request status, errors, CORS."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from spokes.extensions import db
from spokes.publishing import services

from tests.publishing.helpers import correct, later, publish, statement

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")


@pytest.fixture()
def data(world, answered, clock):
    """An answer of Đông Hưng (corrected), a statement of Vân Khánh in April, a withdrawn item."""
    req = answered(subject="Tiến độ dự án đê biển")
    pub = publish(world["deputy"], req, title="Đông Hưng trả lời về đê biển")
    clock(later(30))
    correct(world["deputy"], pub, body="Đê biển hoàn thành 70%.", note="Sửa tỷ lệ.")
    gone = statement(world["chair"], world["dhu"], title="Tin đã gỡ")
    services.withdraw(world["chair"], gone, "Trùng lặp.")
    db.session.commit()
    clock(datetime(2026, 4, 2, 3, 0, tzinfo=UTC))
    other = statement(world["other_chair"], world["vk"], title="Vân Khánh: thông tin định kỳ tháng 4")
    return {"req": req, "pub": pub, "gone": gone, "other": other}


def _slugs(response) -> list[str]:
    return [i["slug"] for i in response.get_json()["items"]]


def test_items_list_filters_and_pages(data, client):
    body = client.get("/api/v1/items").get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 2)
    assert _slugs(client.get("/api/v1/items")) == [data["other"].slug, data["pub"].slug]
    assert _slugs(client.get("/api/v1/items?unit=AM-DHU")) == [data["pub"].slug]
    assert _slugs(client.get("/api/v1/items?kind=periodic")) == [data["other"].slug]
    assert _slugs(client.get("/api/v1/items?month=2026-03")) == [data["pub"].slug]
    assert _slugs(client.get("/api/v1/items?q=DE%20BIEN")) == [data["pub"].slug]
    assert _slugs(client.get("/api/v1/items?q=đê+biển&unit=AM-VK")) == []
    withdrawn = client.get("/api/v1/items?include_withdrawn=true").get_json()
    assert withdrawn["total"] == 3
    gone = next(i for i in withdrawn["items"] if i["slug"] == data["gone"].slug)
    assert gone["withdrawn"] is True and gone["summary"] is None
    page2 = client.get("/api/v1/items?per_page=1&page=2").get_json()
    assert (page2["page"], page2["per_page"], page2["total"], [i["slug"] for i in page2["items"]]) == (
        2, 1, 2, [data["pub"].slug])
    assert client.get("/api/v1/items?page=9").get_json()["items"] == []


def test_items_walk_by_cursor_gives_the_numbered_pages_without_counting(data, client):
    from sqlalchemy import event

    numbered = [s for n in (1, 2, 3) for s in _slugs(client.get(f"/api/v1/items?include_withdrawn=true&per_page=1&page={n}"))]
    first = client.get("/api/v1/items?include_withdrawn=true&per_page=1").get_json()
    walked, cursor = [i["slug"] for i in first["items"]], first["next_cursor"]
    statements: list[str] = []

    def grab(_conn, _cursor, statement, *_args):
        statements.append(statement)

    while cursor:
        event.listen(db.engine, "before_cursor_execute", grab)
        try:
            body = client.get(f"/api/v1/items?include_withdrawn=true&per_page=1&cursor={cursor}").get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", grab)
        assert (body["page"], body["total"]) == (None, None)
        walked += [i["slug"] for i in body["items"]]
        cursor = body["next_cursor"]
    assert walked == numbered and len(walked) == 3
    listing = [s for s in statements if "FROM publications" in s]
    # Keyset: each page reads from the position (published_at, id) on, and nothing counts the items.
    assert listing and all("publications.id <" in s and "count(" not in s.lower() for s in listing), listing


@pytest.mark.parametrize("cursor", ["abc", "%%%", "MjAyNi0wNC0wMnwx", "bm90LWEtZGF0ZXwx"])
def test_an_unreadable_cursor_is_a_clear_400(cursor, data, client):
    response = client.get(f"/api/v1/items?cursor={cursor}")
    assert response.status_code == 400
    assert response.is_json and "cursor" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("query", "words"), [
    ("per_page=101", "per_page"),
    ("per_page=0", "per_page"),
    ("page=0", "page"),
    ("page=abc", "page"),
    ("month=2026-13", "YYYY-MM"),
    ("month=03-2026", "YYYY-MM"),
    ("kind=rumour", "kind"),
    ("unit=NOPE", "NOPE"),
    ("include_withdrawn=maybe", "include_withdrawn"),
    ("q=" + "a" * 201, "q"),
])
def test_bad_parameters_are_400_json(data, client, query, words):
    response = client.get(f"/api/v1/items?{query}")
    assert response.status_code == 400 and response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 400 and words in error["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_item_in_full(data, client):
    item = client.get(f"/api/v1/items/{data['pub'].slug}").get_json()
    assert item["title"] == "Đông Hưng trả lời về đê biển" and item["kind"] == "answer"
    assert item["body_markdown"] == "Đê biển hoàn thành 70%." and "<p>" in item["body_html"]
    assert item["speaker"] == {"name": "Trương Thị Mai", "title": "Phó Chủ tịch UBND xã Đông Hưng"}
    assert item["question"] == {"subject": "Tiến độ dự án đê biển", "agency": "Báo Kiên Giang", "journalist": None}
    assert item["unit"]["code"] == "AM-DHU" and item["url"] == f"http://localhost/news/{data['pub'].slug}"
    assert item["revisions"][0]["number"] == 1 and item["revisions"][0]["correction_note"] == "Sửa tỷ lệ."
    for key in ("published_at", "updated_at", "corrected_at"):
        assert ISO.match(item[key]), key
    assert item["published_at"] == "2026-03-10T09:00:00+07:00"


def test_withdrawn_item_has_notice_not_body(data, client):
    item = client.get(f"/api/v1/items/{data['gone'].slug}").get_json()
    assert item["withdrawn"] is True and item["withdrawal_reason"] == "Trùng lặp."
    assert item["body_markdown"] is None and item["body_html"] is None and item["speaker"] is None


def test_unknown_item_and_unit_are_404_json(data, client):
    for url in ("/api/v1/items/khong-co", "/api/v1/units/NOPE", "/api/v1/nothing-here"):
        response = client.get(url)
        assert response.status_code == 404 and response.get_json()["error"]["status"] == 404, url
        assert response.headers["Access-Control-Allow-Origin"] == "*", url


def test_units_and_unit(data, client):
    units = client.get("/api/v1/units").get_json()["units"]
    by_code = {u["code"]: u for u in units}
    assert by_code["AM-DHU"]["parent_code"] == "AM" and by_code["KG"]["parent_code"] is None
    assert by_code["AM-DHU"]["feeds"]["atom"] == "http://localhost/units/AM-DHU/feed.atom"
    unit = client.get("/api/v1/units/AM-DHU").get_json()
    assert [s["name"] for s in unit["spokespersons"]] == ["Trương Thị Mai", "Nguyễn Văn Hải"]
    assert [i["slug"] for i in unit["latest_items"]] == [data["pub"].slug]


def test_spokespersons_are_the_current_designations(data, world, client):
    people = client.get("/api/v1/spokespersons").get_json()["spokespersons"]
    assert {(p["unit"]["code"], p["name"], p["kind"]) for p in people} == {
        ("AM-DHU", "Nguyễn Văn Hải", "head"), ("AM-DHU", "Trương Thị Mai", "designated"),
        ("AM-VK", "Huỳnh Văn Phúc", "head")}
    deputy = next(p for p in people if p["name"] == "Trương Thị Mai")
    assert deputy["phone"] == "0123 456 789" and deputy["email"] == "deputy@dhu.vn"
    assert deputy["document_date"] == "2025-01-01" and deputy["valid_to"] is None
    only = client.get("/api/v1/spokespersons?unit=AM-VK").get_json()["spokespersons"]
    assert [p["name"] for p in only] == ["Huỳnh Văn Phúc"]
    assert client.get("/api/v1/spokespersons?unit=NOPE").status_code == 400


def test_request_status_needs_the_matching_token(data, make_request, world, client):
    req = data["req"]
    response = client.get(f"/api/v1/requests/{req.reference}", query_string={"token": req.tracking_token})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    status = response.get_json()
    assert (status["reference"], status["state"], status["unit"]["code"]) == (req.reference, "answered", "AM-DHU")
    assert ISO.match(status["received_at"]) and ISO.match(status["due_at"]) and ISO.match(status["answered_at"])
    events = [e["event"] for e in status["timeline"]]
    assert events[0] == "received" and "answered" in events and events[-1] == "published"
    # Lower-case reference is the same request.
    lower = client.get(f"/api/v1/requests/{req.reference.lower()}", query_string={"token": req.tracking_token})
    assert lower.status_code == 200

    other = make_request(world["dhu"], subject="Yêu cầu khác")
    for token in ("wrong-token", other.tracking_token):
        response = client.get(f"/api/v1/requests/{req.reference}", query_string={"token": token})
        assert response.status_code == 404 and response.get_json()["error"]["status"] == 404
        assert response.headers["Cache-Control"] == "no-store"
    missing = client.get(f"/api/v1/requests/{req.reference}")
    assert missing.status_code == 400 and "token" in missing.get_json()["error"]["message"]


def test_request_status_explains_the_deadline_as_data_and_in_the_readers_language(data, client):
    req = data["req"]
    url = f"/api/v1/requests/{req.reference}"
    status = client.get(url, query_string={"token": req.tracking_token}).get_json()
    deadline = status["deadline"]
    assert deadline["steps"][0]["code"] == "received" and deadline["steps"][-1]["code"] == "due_end_of_day"
    assert len(deadline["text"]) == len(deadline["steps"])
    assert deadline["text"][0].startswith("Nhận ngày ")
    assert not any("confidence" in step for step in deadline["steps"])
    english = client.get(url, query_string={"token": req.tracking_token},
                         headers={"Accept-Language": "en"}).get_json()["deadline"]
    assert english["steps"] == deadline["steps"]
    assert english["text"][0].startswith("Received on ")


def test_every_get_allows_cors(data, client):
    for url in ("/api/v1/", "/api/v1/items", f"/api/v1/items/{data['pub'].slug}", "/api/v1/units",
                "/api/v1/units/AM-DHU", "/api/v1/spokespersons", "/api/v1/openapi.json"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*", url
        assert response.is_json, url
    preflight = client.options("/api/v1/items", headers={"Origin": "https://portal.example",
                                                         "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.get("/news").headers


def test_api_is_read_only(data, client):
    assert client.post("/api/v1/items", json={}).status_code in (400, 405)
    response = client.delete(f"/api/v1/items/{data['pub'].slug}")
    assert response.status_code == 405 and response.get_json()["error"]["status"] == 405
