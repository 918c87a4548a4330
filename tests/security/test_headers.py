"""Security headers on every kind of response, HSTS and cookie flags, and pages the CSP can render.

The CSP forbids inline scripts and styles, so a page that relies on one is broken in a real
browser: every GET endpoint of the URL map is rendered (anonymous and for several roles) and
its body searched for inline ``<script>``, ``style=`` attributes, event handlers and
javascript: URLs. The access matrix runs the same checks on each of its responses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

import pytest
from flask import Flask

from spokes.extensions import db

from .helpers import (
    PASSWORD,
    World,
    fetch,
    header_problems,
    inline_code_problems,
    sign_in,
    url_arguments,
)

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csp(response: Any) -> dict[str, str]:
    csp = response.headers["Content-Security-Policy"]
    return {d.strip().split(" ", 1)[0]: d.strip().split(" ", 1)[1] if " " in d.strip() else ""
            for d in csp.split(";") if d.strip()}


def _samples(w: World) -> dict[str, tuple[str, str | None]]:
    """Return one URL of each kind of response, with the endpoint that serves it."""
    own = w.places["own"]
    return {
        "html page": ("/", "publishing.home"),
        "item page": (f"/news/{own.publication.slug}", "publishing.item"),
        "form page": ("/ask", "portal.ask"),
        "not found page": ("/no-such-page", None),
        "API not found": ("/api/v1/items/no-such-item", "api.item"),
        "Atom feed": ("/feed.atom", "publishing.feed_atom"),
        "RSS feed": (f"/units/{own.unit.code}/feed.rss", "publishing.unit_feed_rss"),
        "API JSON": ("/api/v1/items", "api.items"),
        "OpenAPI": ("/api/v1/openapi.json", "api.openapi"),
        "health": ("/healthz", "core.healthz"),
        "widget": (f"/units/{own.unit.code}/widget", "publishing.widget"),
        "static CSS": ("/static/css/spokes.css", "static"),
        "static JS": ("/static/js/portal.js", "static"),
        "public file": (f"/news/{own.publication.slug}/files/{own.public_file.id}", "publishing.file"),
        "redirect": ("/staff/", "dashboard.home"),
    }


def test_every_kind_of_response_carries_the_headers(app: Flask, world: World) -> None:
    """CSP without inline scripts, framing denied (except the widget), nosniff, Referrer-Policy."""
    client = app.test_client()
    failures = []
    kinds = set()
    for kind, (url, endpoint) in _samples(world).items():
        response, _body = fetch(client, "GET", url)
        kinds.add(response.mimetype)
        failures += [f"{kind} {url}: {p}" for p in header_problems(response, endpoint)]
        csp = _csp(response)
        if csp.get("script-src") != "'self'" or csp.get("object-src") != "'none'" or "base-uri" not in csp:
            failures.append(f"{kind} {url}: weak CSP {csp}")
    assert not failures, "\n".join(failures)
    assert {"text/html", "application/json", "application/atom+xml", "text/css", "application/pdf"} <= kinds


def test_staff_and_error_pages_carry_the_headers(app: Flask, world: World) -> None:
    """A signed-in page, a 403, a 400 form page and a file download carry the same headers."""
    head = sign_in(app, world.actors["head"])
    own = world.places["own"]
    failures = []
    for method, url, data, status in (
        ("GET", "/staff/", None, 200),
        ("GET", "/admin/units", None, 403),
        ("POST", f"/staff/requests/{own.secret.id}/note", {"note-body": ""}, 400),
        ("GET", f"/staff/requests/{own.secret.id}/attachments/{own.evidence.id}", None, 200),
        ("GET", "/staff/reports/export.csv", None, 200),
    ):
        response, _body = fetch(head, method, url, data)
        assert response.status_code == status, url
        failures += [f"{url}: {p}" for p in header_problems(response, None)]
        if url.startswith("/staff/"):
            assert response.headers.get("Cache-Control") == "no-store", f"{url} may be cached"
    assert not failures, "\n".join(failures)


def test_only_the_widget_may_be_framed(app: Flask, world: World) -> None:
    """The widget is meant for a unit's own portal; everything else refuses to be framed."""
    client = app.test_client()
    code = world.places["own"].unit.code
    widget = client.get(f"/units/{code}/widget")
    assert widget.status_code == 200
    assert _csp(widget)["frame-ancestors"] != "'none'"
    assert "X-Frame-Options" not in widget.headers
    page = client.get(f"/units/{code}")
    assert _csp(page)["frame-ancestors"] == "'none'"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_hsts_only_in_production(other_app: Callable[..., Flask], app: Flask, world: World) -> None:
    """Production answers with HSTS (a year, subdomains); the testing config does not."""
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
    db.session.rollback()  # no transaction of this session may hold SQLite's lock during the other app's requests
    production = other_app(ENV_NAME="production", SECRET_KEY="x" * 32, PUBLIC_BASE_URL="https://spokes.example.vn")
    client = production.test_client()
    for url in ("/", "/login", "/api/v1/items", "/no-such-page", "/static/css/spokes.css"):
        response = client.get(url, base_url="https://localhost")
        response.close()
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 15_552_000, url
        assert "includeSubDomains" in hsts, url


def _set_cookies(response: Any) -> dict[str, Any]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            cookies[name] = (morsel, header.lower())
    return cookies


def _sign_in_remembered(app: Flask, email: str, base_url: str) -> Any:
    client = app.test_client()
    page = client.get("/login", base_url=base_url)
    token = TOKEN.search(page.get_data(as_text=True))
    data = {"email": email, "password": PASSWORD, "remember": "y"}
    if token:
        data["csrf_token"] = token.group(1)
    return client.post("/login", data=data, base_url=base_url, headers={"Referer": f"{base_url}/login"})


@pytest.mark.parametrize("env", ["testing", "production"])
def test_cookie_flags(env: str, other_app: Callable[..., Flask], app: Flask, world: World) -> None:
    """Session and remember-me cookies are HttpOnly and SameSite=Lax; Secure in production."""
    email = world.actors["head"].email
    db.session.rollback()  # see test_hsts_only_in_production
    target = app if env == "testing" else other_app(ENV_NAME="production", SECRET_KEY="x" * 32,
                                                    PUBLIC_BASE_URL="https://spokes.example.vn")
    base_url = "http://localhost" if env == "testing" else "https://localhost"
    response = _sign_in_remembered(target, email, base_url)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    cookies = _set_cookies(response)
    assert {"session", "remember_token"} <= set(cookies), list(cookies)
    for name in ("session", "remember_token"):
        morsel, raw = cookies[name]
        assert "httponly" in raw, f"{name} is readable from JavaScript"
        assert morsel["samesite"].lower() == "lax", f"{name}: SameSite={morsel['samesite']!r}"
        assert ("secure" in raw.split(";")[1:] or "; secure" in raw) == (env == "production"), \
            f"{name}: Secure flag in {env}: {raw}"


def test_the_inline_code_check_can_fail() -> None:
    """Control: the detector used on every page finds what the CSP would block."""
    assert inline_code_problems(b"<p>ok</p><script src=\"/static/js/portal.js\"></script>") == []
    assert inline_code_problems(b'<script type="application/json" id="d">{"a": 1}</script>') == []
    assert inline_code_problems(b"<script>alert(1)</script>")
    assert inline_code_problems(b'<div class="x" style="color:red">')
    assert inline_code_problems(b'<img src="x" onerror="alert(1)">')
    assert inline_code_problems(b'<a href="javascript:alert(1)">')
    assert inline_code_problems(b"<p>style= is only text here, &lt;b style=x&gt;</p>") == []


@pytest.mark.parametrize("who", ["anonymous", "clerk", "head", "overseer", "admin"])
def test_no_page_needs_inline_code(who: str, app: Flask, world: World) -> None:
    """Render every GET page of the URL map: none relies on inline scripts, styles or handlers."""
    client = app.test_client() if who == "anonymous" else sign_in(app, world.actors[who])
    adapter = app.url_map.bind("localhost")
    failures = []
    pages = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in (rule.methods or set()) or rule.endpoint in ("static", "auth.logout"):
            continue
        for place in ("own", "sibling"):
            url = adapter.build(rule.endpoint, url_arguments(rule, world, place))
            response, body = fetch(client, "GET", url)
            assert response.status_code < 500, url
            failures += [f"{url}: {p}" for p in header_problems(response, rule.endpoint)]
            if response.mimetype == "text/html":
                pages += 1
                failures += [f"{url}: {p}" for p in inline_code_problems(body)]
    # Pages with form errors, and error pages of each status.
    for method, url, data in (("POST", "/ask", {"name": "", "email": "x"}), ("POST", "/track", {"reference": "x"}),
                              ("GET", "/deadline?type=bogus", None), ("GET", "/news?month=13-2026", None),
                              ("POST", "/login", {"email": "a@b.vn", "password": "wrong"}),
                              ("GET", "/nowhere", None), ("DELETE", "/", None)):
        response, body = fetch(client, method, url, data)
        assert response.status_code < 500, url
        failures += [f"{method} {url}: {p}" for p in inline_code_problems(body) + header_problems(response, None)]
    assert pages > 20
    assert not failures, "\n".join(failures)
