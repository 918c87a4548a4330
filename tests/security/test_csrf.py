"""Every POST endpoint of the URL map refuses a form without a valid CSRF token (400).

The list of endpoints comes from ``app.url_map``; each URL argument is filled with a real id
of the world in ``helpers.py`` (the user's own unit), so the request would reach a real
object. An endpoint whose argument cannot be filled fails the test (``helpers.url_arguments``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from spokes.extensions import db

from .helpers import PASSWORD, World, fetch, fingerprint, url_arguments

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _token(client: FlaskClient, path: str = "/login") -> str:
    """Return the CSRF token of a page's form (it is bound to the client's session)."""
    body = client.get(path).get_data(as_text=True)
    match = TOKEN.search(body)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _signed_in(app: Flask, email: str) -> FlaskClient:
    """Sign in through the real form, token included (as a browser does).

    Call it with plain values only and no open transaction in the test's session: under
    SQLite that transaction would hold the write lock the other app's request waits for.
    """
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": _token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _post_rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if "POST" in (r.methods or set())), key=lambda r: r.endpoint)


@pytest.fixture()
def csrf_app(other_app: Callable[..., Flask], world: World) -> Flask:
    """Return an app with CSRF protection on, sharing the test database and its world."""
    return other_app(WTF_CSRF_ENABLED=True)


def test_every_post_without_a_token_is_400(csrf_app: Flask, world: World) -> None:
    """No POST of the URL map runs without a token: as anonymous, as the head, as the admin."""
    rules = _post_rules(csrf_app)
    assert len(rules) > 40, "the URL map has many POST endpoints; did the app load its blueprints?"
    adapter = csrf_app.url_map.bind("localhost")
    paths = [(rule, adapter.build(rule.endpoint, url_arguments(rule, world), method="POST")) for rule in rules]
    emails = {"head": world.actors["head"].email, "admin": world.actors["admin"].email}
    db.session.rollback()  # the other app's requests must not wait for this session's transaction
    clients = {"anonymous": csrf_app.test_client(), **{who: _signed_in(csrf_app, e) for who, e in emails.items()}}
    before = fingerprint()  # (it ends its own transaction too)
    failures = []
    for rule, path in paths:
        for who, client in clients.items():
            for data in ({"_probe": "1"}, {"csrf_token": "forged-" + "x" * 40}):
                response, body = fetch(client, "POST", path, data)
                if response.status_code != 400 or b"CSRF" not in body:
                    failures.append(f"{rule.endpoint} POST {path} as {who} with {sorted(data)}: "
                                    f"{response.status_code}")
    assert fingerprint() == before, "a POST without a valid token changed the database"
    assert not failures, "\n".join(failures)


def test_a_token_of_another_session_is_refused(csrf_app: Flask, world: World) -> None:
    """A token is bound to its session: the head's token does not work in the clerk's session."""
    head_email, clerk_email = world.actors["head"].email, world.actors["clerk"].email
    note = f"/staff/requests/{world.places['own'].secret.id}/note"
    db.session.rollback()
    head = _signed_in(csrf_app, head_email)
    clerk = _signed_in(csrf_app, clerk_email)
    stolen = _token(head, "/staff/preferences")
    before = fingerprint()
    response, body = fetch(clerk, "POST", note,
                           {"note-body": "Ghi chú giả mạo", "csrf_token": stolen})
    assert response.status_code == 400 and b"CSRF" in body
    assert fingerprint() == before


def test_with_a_valid_token_the_same_post_works(csrf_app: Flask, world: World) -> None:
    """Control: the 400s above come from the missing token, not from the forms or the ids."""
    clerk_email = world.actors["clerk"].email
    page = f"/staff/requests/{world.places['own'].secret.id}"
    db.session.rollback()
    clerk = _signed_in(csrf_app, clerk_email)
    before = fingerprint()
    response, _body = fetch(clerk, "POST", f"{page}/note",
                            {"note-body": "Đã gọi xác minh.", "csrf_token": _token(clerk, page)})
    assert response.status_code == 302
    assert fingerprint() != before
    response, _body = fetch(clerk, "POST", "/logout", {"csrf_token": _token(clerk, "/staff/")})
    assert response.status_code == 302
    assert clerk.get("/staff/").status_code == 302, "signed out"
