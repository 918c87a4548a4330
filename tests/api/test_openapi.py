"""The OpenAPI document is valid, lists exactly the served routes, and validates real responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from spokes.extensions import db
from spokes.publishing import services

from tests.publishing.helpers import correct, later, publish, statement


def _spec(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _check(spec: dict[str, Any], path: str, status: int, response) -> None:
    """Validate a real response against the schema the document gives for (path, status)."""
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:300])
    operation = spec["paths"][path]["get"]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": spec["components"]})
    errors = sorted(validator.iter_errors(response.get_json()), key=lambda e: list(e.path))
    assert not errors, (path, status, [f"{list(e.path)}: {e.message}" for e in errors[:5]])


def test_document_is_valid_openapi(client, world):
    spec = _spec(client)
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "http://localhost/api/v1"}]


def test_document_lists_exactly_the_served_routes(app, client, world):
    spec = _spec(client)
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):]) or "/"
            served.add(path)
            assert "GET" in rule.methods and not (rule.methods - {"GET", "HEAD", "OPTIONS"}), rule.rule
    assert served == set(spec["paths"])
    for path, item in spec["paths"].items():
        assert set(item) == {"get"}, path
        declared = {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path


@pytest.fixture()
def scene(world, answered, clock, make_request):
    """Every shape of data: a corrected answer with a consenting journalist, an emergency, a withdrawn item."""
    req = answered(subject="Tiến độ dự án đê biển", journalist_name="Ngô Thị Hạnh")
    req.consent_publish_name = True  # consent is given per request (issue 17)
    db.session.commit()
    pub = publish(world["deputy"], req)
    clock(later(20))
    correct(world["deputy"], pub, body="Sửa.")
    emergency = statement(world["chair"], world["dhu"], kind="emergency", title="Sự cố chìm tàu",
                          event_at=datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    gone = statement(world["chair"], world["dhu"], title="Tin đã gỡ")
    services.withdraw(world["chair"], gone, "Trùng lặp.")
    db.session.commit()
    open_req = make_request(world["dhu"], subject="Đang xử lý")
    return {"req": req, "pub": pub, "emergency": emergency, "gone": gone, "open": open_req}


def test_real_responses_match_the_document(scene, client):
    spec = _spec(client)
    req, pub = scene["req"], scene["pub"]
    checks = [
        ("/", 200, "/api/v1/"),
        ("/openapi.json", 200, "/api/v1/openapi.json"),
        ("/items", 200, "/api/v1/items"),
        ("/items", 200, "/api/v1/items?include_withdrawn=true&per_page=100"),
        ("/items", 200, "/api/v1/items?unit=AM-DHU&kind=emergency&month=2026-03&q=tau"),
        ("/items", 200, "/api/v1/items?per_page=1&cursor=" + client.get("/api/v1/items?per_page=1").get_json()["next_cursor"]),
        ("/items", 400, "/api/v1/items?per_page=500"),
        ("/items/{slug}", 200, f"/api/v1/items/{pub.slug}"),
        ("/items/{slug}", 200, f"/api/v1/items/{scene['emergency'].slug}"),
        ("/items/{slug}", 200, f"/api/v1/items/{scene['gone'].slug}"),
        ("/items/{slug}", 404, "/api/v1/items/khong-co"),
        ("/units", 200, "/api/v1/units"),
        ("/units/{code}", 200, "/api/v1/units/AM-DHU"),
        ("/units/{code}", 200, "/api/v1/units/AM-VHTT"),
        ("/units/{code}", 404, "/api/v1/units/NOPE"),
        ("/spokespersons", 200, "/api/v1/spokespersons"),
        ("/spokespersons", 200, "/api/v1/spokespersons?unit=AM-DHU"),
        ("/spokespersons", 400, "/api/v1/spokespersons?unit=NOPE"),
        ("/requests/{reference}", 200, f"/api/v1/requests/{req.reference}?token={req.tracking_token}"),
        ("/requests/{reference}", 200,
         f"/api/v1/requests/{scene['open'].reference}?token={scene['open'].tracking_token}"),
        ("/requests/{reference}", 400, f"/api/v1/requests/{req.reference}"),
        ("/requests/{reference}", 404, f"/api/v1/requests/{req.reference}?token=nope"),
    ]
    for path, status, url in checks:
        _check(spec, path, status, client.get(url))
    covered = {(path, str(status)) for path, status, _url in checks}
    page = client.get("/api/v1/docs")  # the documentation for people: HTML, checked in test_docs_page.py
    assert page.status_code == 200 and page.mimetype == "text/html"
    covered.add(("/docs", "200"))
    etag = client.get("/api/v1/items?per_page=5").headers["ETag"]
    not_modified = client.get("/api/v1/items?per_page=5", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert "content" not in spec["paths"]["/items"]["get"]["responses"]["304"]
    covered.add(("/items", "304"))
    documented = {(path, status) for path, item in spec["paths"].items() for status in item["get"]["responses"]
                  if status != "429"}
    assert documented <= covered, documented - covered
    emergency = client.get(f"/api/v1/items/{scene['emergency'].slug}").get_json()
    assert emergency["event_at"] == "2026-03-10T07:00:00+07:00" and emergency["due_at"] == "2026-03-11T07:00:00+07:00"
    assert client.get(f"/api/v1/items/{pub.slug}").get_json()["question"]["journalist"] == "Ngô Thị Hạnh"


def test_schemas_forbid_undocumented_fields(scene, client):
    spec = _spec(client)
    response = client.get(f"/api/v1/items/{scene['pub'].slug}")
    document = response.get_json()
    document["secret"] = "x"
    schema = spec["paths"]["/items/{slug}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": spec["components"]})
    assert not validator.is_valid(document)
    document.pop("secret")
    document["published_at"] = "2026-03-10T02:00:00+00:00"  # not Vietnamese time
    assert not validator.is_valid(document)
