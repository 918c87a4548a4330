"""The API's documentation as a page people read: every endpoint of the OpenAPI document, with its parameters."""

from __future__ import annotations

import re

import pytest

from spokes.api.openapi import PATHS


@pytest.mark.parametrize(("lang", "heading"), [("vi", "Các điểm truy cập"), ("en", "Endpoints")])
def test_the_docs_page_lists_every_endpoint_and_parameter_of_the_openapi_document(client, lang, heading):
    client.get(f"/lang/{lang}?next=/")
    response = client.get("/api/v1/docs")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert heading in body and 'href="/api/v1/openapi.json"' in body
    document = client.get("/api/v1/openapi.json").get_json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert f"<code>{method.upper()} {path}</code>" in body, path
            for parameter in operation.get("parameters", []):
                assert f"<code>{parameter['name']}</code>" in body, (path, parameter["name"])
            for status in operation["responses"]:
                assert f"<strong>{status}</strong>" in body, (path, status)
    assert len(re.findall(r'<section class="mb-4 api-endpoint"', body)) == sum(len(m) for m in PATHS.values())
    assert "http://localhost/api/v1/items" in body  # each endpoint's full address


def test_the_public_home_and_the_api_index_point_to_the_docs_page(client):
    assert 'href="/api/v1/docs"' in client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/").get_json()["documentation"].endswith("/api/v1/docs")


def test_the_docs_page_is_cached_as_the_public_pages_are_never_as_shared_json(client, world, login):
    anonymous = client.get("/api/v1/docs")
    assert "public" not in anonymous.headers.get("Cache-Control", "")
    assert {"Accept-Language", "Cookie"} <= set(anonymous.vary)
    login(world["chair"])
    signed_in = client.get("/api/v1/docs")
    assert signed_in.status_code == 200 and "public" not in signed_in.headers.get("Cache-Control", "")
    assert client.get("/api/v1/items").headers["Cache-Control"] == "public, max-age=60"  # the JSON is unchanged
