"""Generated input for every public form and API parameter: never a 5xx, never stored garbage.

Hypothesis sends random Unicode (NUL, right-to-left marks, emoji, combining accents), huge
strings (up to 100,000 characters), repeated keys (lists), files where text is expected and
missing fields, to:
- /ask, where most examples start from a valid question and change a few fields, so that
  both accepted and refused submissions are exercised: the database only grows on a 200
  confirmation page, by exactly one request, and what is stored is clean text;
- /track (the form, the tracking link, the tracked page), /deadline, /news and its filters,
  /spokespersons?q=, /units/<code> and the widget, /login;
- every /api/v1 query parameter and path segment.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from spokes.auth.models import User
from spokes.extensions import db
from spokes.attachments.models import Attachment
from spokes.press_requests.models import Journalist, PressAgency, PressRequest

from .helpers import PASSWORD, World, fetch, fingerprint, module_world, row_counts

FUZZ = settings(max_examples=50, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=30)

MISSING = object()

odd = st.sampled_from([
    "\x00", "\x00\x00abc", "\u202e", "\u200f", "\u200b", "\ufeff", "🙂", "👩‍👩‍👧", "\U0010fffd", "a\u0301",
    "Đ", "\r\n", "\t", "'", '"', "<", ">", "&", "%", "%00", "\\", "/", "../../etc/passwd", "", " ", "0", "-1",
    "9" * 40, "1e309", "NaN", "null", "[]", "{}", "2026-02-30", "31/02/2026", "25:61", "9999-12-31", "0001-01-01",
    "AM-DHU-2026-00001", "am-dhu-2026-00001", "x@y", "a" * 255, "SELECT 1;--", "' OR '1'='1",
])
small_text = st.text(max_size=60)
weird_text = st.lists(st.one_of(st.characters(), odd), max_size=12).map("".join)
huge_text = st.builds(lambda seed, n: (seed * (n // len(seed) + 1))[:n],
                      st.text(min_size=1, max_size=4), st.integers(1_000, 100_000))
text_value = st.one_of(small_text, weird_text, odd, huge_text)
form_value = st.one_of(text_value, st.lists(text_value, min_size=2, max_size=3))
path_segment = st.one_of(small_text, weird_text, odd, st.builds(lambda s: s[:3000], huge_text)).filter(
    lambda s: s not in ("", ".", ".."))


def _query(params: dict[str, Any]) -> list[tuple[str, str]]:
    """Return query pairs, repeating a key for list values (a "wrong type")."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is MISSING:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item))
    return pairs


def _form(params: dict[str, Any]) -> dict[str, Any]:
    """Return form data; a list becomes repeated fields, a ``bytes`` value becomes an uploaded file."""
    data: dict[str, Any] = {}
    for key, value in params.items():
        if value is MISSING:
            continue
        if isinstance(value, bytes):
            data[key] = (io.BytesIO(value), "tep.pdf", "application/pdf")
        else:
            data[key] = value
    return data


def _clean_text(value: str | None) -> bool:
    """Return whether stored text is clean: no NUL, which no database text column should hold."""
    return value is None or "\x00" not in value


def _no_server_error(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


@pytest.fixture(scope="module")
def shared(make_app: Any, _schema: None) -> Iterator[tuple[Flask, World]]:
    """Build one world for the whole module: examples only add questions, which are counted."""
    with module_world(make_app) as built:
        yield built


@pytest.fixture()
def app(shared: tuple[Flask, World]) -> Flask:
    """Return the module's app (this module never uses the shared per-test ``app``)."""
    return shared[0]


@pytest.fixture()
def world(shared: tuple[Flask, World]) -> World:
    """Return the module's world."""
    return shared[1]


@pytest.fixture()
def read_only(shared: tuple[Flask, World]) -> Iterator[None]:
    """Check, once per test (not per example: it reads every table), that nothing was written."""
    before = fingerprint()
    yield
    assert fingerprint() == before, "a read-only target changed the database"


# --------------------------------------------------------------------------- /ask


def _valid_question(w: World) -> dict[str, Any]:
    return {
        "name": "Trần Thị Hoa", "agency": "Báo Kiên Giang", "email": "hoa@baochi.vn", "phone": "0912 345 678",
        "credential": "card", "card_number": "123/BC", "card_expiry": "2027-12-31", "unit": str(w.units["dhu"].id),
        "type": "information", "subject": "Tiến độ dự án kè biển", "questions": "Xin cho biết tiến độ và kinh phí.",
        "article_url": "https://baokiengiang.vn/bai-viet", "interview_date": MISSING, "interview_time": MISSING,
        "interview_place": MISSING, "consent": MISSING, "website": MISSING, "letter": MISSING,
    }


ASK_FIELDS = ["name", "agency", "email", "phone", "credential", "card_number", "card_expiry", "unit", "type",
              "subject", "questions", "article_url", "interview_date", "interview_time", "interview_place",
              "consent", "website", "letter"]
special_values = st.sampled_from([
    MISSING, "letter", "interview", "emergency", "0", "2026-03-20", "09:00", "y", "https://x.vn", "javascript:x",
    b"%PDF-1.4\n%%EOF\n", b"<html>", b""])
changes = st.dictionaries(st.sampled_from(ASK_FIELDS), st.one_of(form_value, special_values), max_size=4)


_RUNS = itertools.count()


@FUZZ
@given(changes=changes)
def test_ask_never_fails_nor_stores_garbage(app: Flask, world: World, changes: dict[str, Any]) -> None:
    """Any post of the question form: a page (never 5xx); a request is stored only with a confirmation."""
    question = _valid_question(world)
    # Every run has its own subject, so a replayed example is never taken for a repeat submission.
    question["subject"] = f"{question['subject']} {next(_RUNS)}"
    question.update(changes)
    before = row_counts(PressRequest, Journalist, PressAgency, Attachment)
    response, body = fetch(app.test_client(), "POST", "/ask", _form(question))
    _no_server_error(response, "/ask")
    after = row_counts(PressRequest, Journalist, PressAgency, Attachment)
    grown = after["press_requests"] - before["press_requests"]
    event(f"/ask answered {response.status_code}, stored {grown}")
    if response.status_code != 200 or grown == 0:
        # Refused, a duplicate or the honeypot: nothing new at all.
        assert after == before, (response.status_code, before, after)
        return
    assert grown == 1
    assert after["journalists"] - before["journalists"] <= 1
    assert after["attachments"] - before["attachments"] <= 1
    req = db.session.execute(select(PressRequest).order_by(PressRequest.id.desc()).limit(1)).scalar_one()
    assert req.reference in body.decode() and "/track/" in body.decode(), "stored only with its confirmation"
    journalist = db.session.get(Journalist, req.journalist_id)
    for value in (req.subject, req.questions, req.article_url, req.interview_place, journalist.name,
                  journalist.email, journalist.phone, journalist.press_card_number):
        assert _clean_text(value), f"stored garbage: {value!r}"
    assert 5 <= len(req.subject) <= 255 and 10 <= len(req.questions) <= 8000
    assert req.state in ("received", "assigned")
    db.session.rollback()


def test_ask_control_a_valid_question_is_stored(app: Flask, world: World) -> None:
    """Control for the fuzz invariant: the valid base question is stored, with its confirmation."""
    before = row_counts(PressRequest)
    response, body = fetch(app.test_client(), "POST", "/ask", _form(_valid_question(world)))
    assert response.status_code == 200 and "/track/" in body.decode()
    assert row_counts(PressRequest)["press_requests"] == before["press_requests"] + 1


# --------------------------------------------------------------------------- GET pages and the API


def _get_target(client: FlaskClient, path: str, params: dict[str, Any]) -> None:
    response = client.get(path, query_string=_query(params))
    response.get_data()
    response.close()
    _no_server_error(response, f"GET {path} {params!r:.300}")


def _params(*names: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({n: st.one_of(st.just(MISSING), form_value) for n in names})


@FEW
@given(params=_params("type", "received_date", "received_time", "milestone"))
def test_deadline_calculator(app: Flask, world: World, read_only: None, params: dict[str, Any]) -> None:
    """The public calculator answers any parameters with a page, never a 5xx."""
    _get_target(app.test_client(), "/deadline", params)


@FEW
@given(params=_params("unit", "kind", "month", "q", "page"))
def test_news_filters(app: Flask, world: World, read_only: None, params: dict[str, Any]) -> None:
    """The news list and its filters."""
    _get_target(app.test_client(), "/news", params)


@FEW
@given(params=_params("q"), code=path_segment, n=st.one_of(st.just(MISSING), form_value))
def test_directory_and_unit_pages(app: Flask, world: World, read_only: None, params: dict[str, Any], code: str,
                                  n: Any) -> None:
    """/spokespersons?q=, /units/<code>, its widget (?n=) and feeds."""
    client = app.test_client()
    _get_target(client, "/spokespersons", params)
    segment = quote(code, safe="")
    for path in (f"/units/{segment}", f"/units/{segment}/feed.atom", f"/news/{segment}",
                 f"/news/{segment}/revisions/{len(code)}"):
        _get_target(client, path, {})
    _get_target(client, "/units/AM-DHU/widget", {"n": n})


@FUZZ
@given(params=_params("unit", "kind", "month", "q", "include_withdrawn", "page", "per_page"))
def test_api_items_parameters(app: Flask, world: World, read_only: None, params: dict[str, Any]) -> None:
    """/api/v1/items: any parameter is a JSON 200 or 400, never a 5xx."""
    response = app.test_client().get("/api/v1/items", query_string=_query(params))
    _no_server_error(response, f"items {params!r:.300}")
    assert response.status_code in (200, 400) and response.is_json, response.status_code


@FUZZ
@given(segment=path_segment, unit=st.one_of(st.just(MISSING), form_value),
       token=st.one_of(st.just(MISSING), form_value))
def test_api_path_segments(app: Flask, world: World, read_only: None, segment: str, unit: Any, token: Any) -> None:
    """Item slugs, unit codes, request references and tokens of any shape."""
    client = app.test_client()
    part = quote(segment, safe="")
    for path, params in ((f"/api/v1/items/{part}", {}), (f"/api/v1/units/{part}", {}),
                         ("/api/v1/spokespersons", {"unit": unit}), (f"/api/v1/requests/{part}", {"token": token}),
                         (f"/api/v1/requests/{world.places['own'].answered.reference}", {"token": token})):
        response = client.get(path, query_string=_query(params))
        _no_server_error(response, f"{path} {params!r:.200}")
        assert response.is_json, path


# --------------------------------------------------------------------------- /track and /login


@FUZZ
@given(params=_params("reference", "email"), token=path_segment, reference=path_segment)
def test_track_lookup_link_and_page(app: Flask, world: World, read_only: None, params: dict[str, Any], token: str,
                                    reference: str) -> None:
    """The look-up form, the tracking link and the tracked page: a miss is a page, never a 5xx."""
    client = app.test_client()
    for method, path, data in (("POST", "/track", _form(params)), ("GET", f"/track/{quote(token, safe='')}", None),
                               ("GET", f"/track/request/{quote(reference, safe='')}", None),
                               ("POST", f"/track/request/{quote(reference, safe='')}/message",
                                {"followup-body": token})):
        response, _body = fetch(client, method, path, data)
        _no_server_error(response, f"{method} {path}")
        assert response.status_code in (200, 302, 303, 400, 404), (path, response.status_code)


@FUZZ
@given(params=_params("email", "password", "remember"), next_=st.one_of(st.just(MISSING), form_value))
def test_login_form(app: Flask, world: World, read_only: None, params: dict[str, Any], next_: Any) -> None:
    """Any sign-in attempt is a page or a redirect on this site; only the right password signs in."""
    client = app.test_client()
    response = client.post("/login", query_string=_query({"next": next_}), data=_form(params))
    response.close()
    _no_server_error(response, "/login")
    if response.status_code == 302:
        assert params["password"] == PASSWORD
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    else:
        assert response.status_code in (400, 401)
        assert client.get("/staff/").status_code == 302, "not signed in"


def test_login_control_the_right_password_works(app: Flask, world: World) -> None:
    """Control: the login fuzz can see a real sign-in."""
    user = db.session.execute(select(User).where(User.email == world.actors["clerk"].email)).scalar_one()
    client = app.test_client()
    response = client.post("/login", data={"email": user.email.upper() + " ", "password": PASSWORD})
    assert response.status_code in (302, 401)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and client.get("/staff/").status_code == 200


def test_track_control_a_right_lookup_opens_nothing(app: Flask, world: World) -> None:
    """Control: a right look-up answers like a wrong one and opens nothing (issue 17)."""
    own = world.places["own"]
    client = app.test_client()
    response, _body = fetch(client, "POST", "/track", {"reference": own.answered.reference.lower(),
                                                       "email": own.answered.journalist.email})
    assert response.status_code == 200
    assert fetch(client, "GET", f"/track/request/{own.answered.reference}")[0].status_code == 302


@pytest.mark.parametrize("path", ["/ask", "/track", "/login"])
def test_huge_bodies_are_refused_politely(path: str, app: Flask, world: World) -> None:
    """A body over MAX_CONTENT_LENGTH is a 413 page, not a crash."""
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response, body = fetch(app.test_client(), "POST", path, {"subject": big})
    assert response.status_code == 413 and re.search(rb"<html", body)


# --------------------------------------------------------------------------- what the fuzzing found, pinned

NUL_REQUESTS = [
    ("GET", "/news?q=%00", None), ("GET", "/news?unit=AM%00", None), ("GET", "/spokespersons?q=a%00", None),
    ("GET", "/api/v1/items?q=%00", None), ("GET", "/api/v1/units/AM%00DHU", None), ("GET", "/units/%00", None),
    ("GET", "/news/x%00y", None), ("GET", "/track/%00", None), ("GET", "/api/v1/requests/%00?token=x", None),
    ("GET", "/deadline?type=information&received_date=%00&received_time=08:00", None),
    ("POST", "/track", {"reference": "AM-DHU-2026-00001", "email": "a\x00@b.vn"}),
    ("POST", "/login", {"email": "clerk@dhu.vn\x00", "password": "x"}),
    ("POST", "/ask", {"name": "Trần\x00Hoa", "subject": "Tiêu đề đủ dài", "questions": "Câu hỏi đủ dài"}),
]


@pytest.mark.parametrize("method,url,data", NUL_REQUESTS, ids=[f"{m} {u[:30]}" for m, u, _d in NUL_REQUESTS])
def test_nul_bytes_are_refused_with_400(method: str, url: str, data: Any, app: Flask, world: World) -> None:
    """A NUL byte in a URL, query or form is a 400 page, whatever the database (PostgreSQL cannot store one)."""
    before = row_counts(PressRequest, Journalist)
    response, body = fetch(app.test_client(), method, url, data)
    assert response.status_code == 400, response.status_code
    assert row_counts(PressRequest, Journalist) == before
    if url.startswith("/api/"):
        assert response.is_json


FILE_AS_TEXT = [("/ask", "name"), ("/ask", "card_expiry"), ("/ask", "unit"), ("/track", "reference"),
                ("/login", "email"), ("/admin/reset/x", "new")]


@pytest.mark.parametrize("path,field", FILE_AS_TEXT)
def test_a_file_posted_under_a_text_field_is_not_a_crash(path: str, field: str, app: Flask, world: World) -> None:
    """Multipart parts and JSON bodies reach no text field as a file or a number (it was a 500)."""
    question = _form(_valid_question(world))
    question[field] = (io.BytesIO(b"%PDF-1.4\n"), "tep.pdf", "application/pdf")
    before = row_counts(PressRequest, Journalist)
    response, _body = fetch(app.test_client(), "POST", path, question)
    assert response.status_code in (400, 401, 404), response.status_code
    response = app.test_client().post(path, json={field: 5, "questions": ["a", "b"], "unit": {"x": 1}})
    response.close()
    assert response.status_code in (400, 401, 404), response.status_code
    assert row_counts(PressRequest, Journalist) == before
