"""Hostile text typed into every field a user can fill comes out inert everywhere.

The module fixture types the payload into the real forms, over HTTP, as the people who
would fill them: a journalist (/ask, follow-up, withdrawal), the clerk (intake, notes), the
spokesperson and the head (drafts in Markdown, refusal, return, reassign, reopen, messages,
publications, corrections, withdrawal, recurring duties), the admin (units, people,
designations, rules, refusal grounds, calendar). Then every output is read back:
- HTML pages (public, staff, admin): the payload is shown escaped, never as live markup;
  ``{{7*7}}`` stays as typed (no template injection);
- Atom and RSS feeds: well-formed, no live markup even once the HTML content is unescaped;
- the JSON API: text in JSON, served as JSON with nosniff; its ``*_html`` fields are clean;
- e-mails in the outbox: the HTML part escapes it, subjects stay on one line;
- CSV and XLSX exports: a cell starting with = + - @ is never a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from spokes.extensions import db

from .helpers import (
    World,
    fetch,
    header_problems,
    inline_code_problems,
    module_world,
    new_request,
    new_user,
    sign_in,
)

FORMULA = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
SSTI = "{{7*7}}"
# One string with all five: it starts with the formula, so it is also an export test.
PAYLOAD = f"{FORMULA} {SCRIPT}{IMG} {JS_URL} {SSTI}"
SHORT = f"{SCRIPT}{IMG}"[:40]  # for 40-character fields
Q = quote(PAYLOAD)  # the payload as a query parameter
MARKDOWN = (f"{PAYLOAD}\n\n[bấm vào đây]({JS_URL}) ![ảnh]({JS_URL}) <a href=\"{JS_URL}\">x</a>\n\n"
            f"<iframe src=\"{JS_URL}\"></iframe> <svg onload=alert(1)> **đậm**")
ESCAPED_SCRIPT = str(escape(SCRIPT))  # "&lt;script&gt;alert(1)&lt;/script&gt;"

# Live markup the payload would create if it were not escaped (case-insensitive); the event
# handlers and javascript: URLs inside real tags are found by helpers.inline_code_problems.
LIVE = re.compile(r"<script>alert\(1\)|<img src=x onerror|<iframe|<svg onload", re.I)


@dataclass
class Typed:
    """Where the payload went in: ids, slugs and the clients who typed it."""

    app: Flask
    world: World
    clients: dict[str, FlaskClient]
    ids: dict[str, Any] = field(default_factory=dict)


def _ok(response: Any, *statuses: int) -> Any:
    if response.status_code not in (statuses or (302,)):
        body = response.get_data(as_text=True)
        errors = re.findall(r'class="[^"]*(?:invalid-feedback|alert)[^"]*"[^>]*>(.*?)</', body, re.S)
        raise AssertionError(f"{response.status_code}: {errors or body[:2000]}")
    return response


def _post(client: FlaskClient, url: str, data: dict[str, Any], *statuses: int) -> Any:
    response = client.post(url, data=data)
    body = response.get_data(as_text=True)
    response.close()
    _ok(response, *statuses)
    return response, body


def _type_everything(t: Typed) -> None:
    """Fill every text field of the app with the payload, through its real form."""
    from spokes.press_requests.models import PressRequest
    from spokes.publishing.models import Publication
    from spokes.units.models import Unit

    w = t.world
    own = w.places["own"]
    dhu, am = w.units["dhu"], w.units["district"]
    journalist, clerk, deputy, head, admin = (t.clients[k] for k in ("journalist", "clerk", "spokesperson", "head",
                                                                      "admin"))

    def ask(subject: str) -> tuple[PressRequest, str]:
        _r, page = _post(journalist, "/ask", {
            "name": PAYLOAD[:150], "agency": PAYLOAD, "email": "xss@baochi.vn", "phone": "0912 345 678",
            "credential": "card", "card_number": "123/BC", "card_expiry": "2027-12-31", "unit": dhu.id,
            "type": "interview", "interview_date": "2026-03-20", "interview_time": "09:00",
            "interview_place": PAYLOAD, "subject": subject, "questions": PAYLOAD + " " + PAYLOAD,
            "article_url": f"https://evil.example/x{IMG.split(' ')[0]}{SCRIPT}", "consent": "y",
        }, 200)
        token = re.search(r"/track/([A-Za-z0-9_-]{20,})", page)
        assert token, page[:2000]
        req = db.session.execute(select(PressRequest).where(PressRequest.subject == subject.strip())).scalar_one()
        return req, token.group(1)

    # The journalist: the question (a newline in the subject must not reach a mail header),
    # a follow-up, and another question withdrawn with a reason.
    asked, token = ask(PAYLOAD + "\r\nBcc: victim@example.com")
    t.ids.update(asked=asked.id, asked_ref=asked.reference, token=token)
    _ok(journalist.get(f"/track/{token}"), 200)
    _post(journalist, f"/track/request/{asked.reference}/message", {"followup-body": PAYLOAD}, 303)
    second, second_token = ask("Câu hỏi thứ hai " + PAYLOAD)
    _ok(journalist.get(f"/track/{second_token}"), 200)
    _post(journalist, f"/track/request/{second.reference}/withdraw",
          {"withdraw-reason": PAYLOAD, "withdraw-confirm": "y"}, 303)

    # The clerk logs a request by phone with the payload everywhere, and notes.
    _r, _body = _post(clerk, "/staff/requests/new", {
        "unit": dhu.id, "journalist_name": PAYLOAD, "agency": PAYLOAD, "email": "xss2@baochi.vn",
        "phone": SHORT, "press_card_number": SHORT, "type": "information", "channel": "phone",
        "subject": "+" + PAYLOAD, "questions": PAYLOAD, "interview_place": PAYLOAD,
        "received_at": "2026-03-10T08:30", "received_at_reason": PAYLOAD,
    })
    logged = db.session.execute(select(PressRequest).where(PressRequest.subject == "+" + PAYLOAD)).scalar_one()
    t.ids["logged"] = logged.id
    for url, data in ((f"/staff/requests/{asked.id}/note", {"note-body": PAYLOAD}),
                      (f"/staff/requests/{asked.id}/message", {"message-body": PAYLOAD})):
        _post(clerk, url, data)

    # The head answers the journalist's question in Markdown, sends it and publishes it.
    _post(head, f"/staff/requests/{asked.id}/draft",
          {"draft-kind": "answer", "draft-form": "written", "draft-body": MARKDOWN})
    _post(head, f"/staff/requests/{asked.id}/send", {"send-submit": "1"})
    _post(head, f"/staff/publications/new?request_id={asked.id}", {
        "title": PAYLOAD, "summary": PAYLOAD, "body": MARKDOWN, "speaker_name": PAYLOAD, "speaker_title": PAYLOAD})
    pub = db.session.execute(select(Publication).where(Publication.request_id == asked.id)).scalar_one()
    t.ids.update(pub=pub.id, slug=pub.slug)
    _post(head, f"/staff/publications/{pub.id}/edit", {
        "title": PAYLOAD + " (cải chính)", "summary": PAYLOAD, "body": MARKDOWN + "\n\nSửa.",
        "speaker_name": PAYLOAD, "speaker_title": PAYLOAD, "correction_note": PAYLOAD})
    # A statement, then withdrawn with a public reason.
    _post(head, "/staff/publications/new", {
        "unit_id": dhu.id, "kind": "periodic", "title": "-" + PAYLOAD, "summary": PAYLOAD, "body": MARKDOWN,
        "speaker_name": PAYLOAD, "speaker_title": PAYLOAD})
    statement = db.session.execute(select(Publication).where(Publication.title == "-" + PAYLOAD)).scalar_one()
    t.ids["statement_slug"] = statement.slug
    _post(head, f"/staff/publications/{statement.id}/withdraw", {"reason": PAYLOAD})

    # The logged request: refused with a reason, then reopened with a reason.
    ground = w.ground_id
    _post(head, f"/staff/requests/{logged.id}/draft", {
        "draft-kind": "refusal", "draft-form": "written", "draft-refusal_ground": ground,
        "draft-refusal_reason": PAYLOAD})
    _post(head, f"/staff/requests/{logged.id}/send", {"send-submit": "1"})
    _post(head, f"/staff/requests/{logged.id}/reopen", {"reopen-reason": PAYLOAD})
    # The own secret request: reassigned, drafted by the deputy, returned with a comment.
    secret = own.secret.id
    other = own.head if own.secret.assignee_id == own.spokesperson.id else own.spokesperson
    _post(head, f"/staff/requests/{secret}/reassign", {"reassign-assignee": other.id, "reassign-reason": PAYLOAD})
    _post(deputy, f"/staff/requests/{secret}/draft", {"draft-kind": "answer", "draft-form": "written",
                                                         "draft-body": MARKDOWN})
    _post(deputy, f"/staff/requests/{secret}/submit", {"submit-submit": "1"})
    _post(head, f"/staff/requests/{secret}/return", {"return-comment": PAYLOAD})
    t.ids["secret"] = secret
    # Requests with "@" and "-" subjects (the others start with "=" and "+"); one withdrawn with a reason.
    at_request, _token = new_request(dhu, own.clerk, subject="@" + PAYLOAD, journalist_name="Lê Văn A",
                                     journalist_email="a@baochi.vn")
    new_request(dhu, own.clerk, subject="-" + PAYLOAD, journalist_name="Lê Văn B", journalist_email="b@baochi.vn")
    db.session.commit()
    t.ids["at_request"] = at_request.id
    _post(clerk, f"/staff/requests/{at_request.id}/withdraw", {"withdraw-reason": PAYLOAD})

    # A recurring duty.
    _post(head, "/staff/duties/new", {"unit_id": dhu.id, "label": PAYLOAD, "publication_kind": "periodic",
                                      "every_months": "3", "next_due_on": "30/06/2026", "remind_days_before": "14",
                                      "citation": PAYLOAD, "active": "y"})

    # The admin: a unit, a person, a designation, a rule, a refusal ground, a day off.
    _post(admin, "/admin/units/new", {
        "code": "XSS-1", "name": PAYLOAD, "kind": "commune", "parent_id": am.id, "reference_prefix": "XSS",
        "phone": SHORT, "email": "", "address": PAYLOAD, "portal_url": JS_URL, "intake_overseer_id": 0}, 400)
    _post(admin, "/admin/units/new", {
        "code": "XSS-1", "name": PAYLOAD, "kind": "commune", "parent_id": am.id, "reference_prefix": "XSS",
        "phone": SHORT, "email": "", "address": PAYLOAD, "portal_url": "https://xa.example.vn/",
        "intake_overseer_id": 0, "approval_required": "y"})
    unit = db.session.execute(select(Unit).where(Unit.code == "XSS-1")).scalar_one()
    t.ids["unit"] = unit.id
    _post(admin, "/admin/users/new", {"email": "xss.user@test.vn", "name": PAYLOAD, "title": PAYLOAD,
                                      "phone": SHORT, "unit_id": unit.id, "role": "head", "password": ""}, 200)
    from spokes.auth.models import User

    person = db.session.execute(select(User).where(User.email == "xss.user@test.vn")).scalar_one()
    t.ids["person"] = person.id
    _post(admin, f"/admin/units/{unit.id}/designations", {
        "user_id": person.id, "kind": "head", "title": PAYLOAD, "public_phone": SHORT,
        "public_email": "", "document_number": "1/QĐ-" + SHORT[:20], "document_date": "2026-03-01",
        "valid_from": "2026-03-01", "topic": PAYLOAD})
    top_admin = t.clients["top_admin"]  # rulebooks and the calendar are the province admin's
    _post(top_admin, f"/admin/rulebooks/rules/{w.rule_id}/edit", {
        "amount": "5", "unit": "working_days", "label": PAYLOAD, "citation_text": PAYLOAD,
        "citation_source": PAYLOAD, "confidence": "U", "reminder_offsets": "2,1", "extension_max_amount": "0",
        "escalate_after_working_days": "2", "overdue_note": PAYLOAD})
    _post(top_admin, f"/admin/rulebooks/grounds/{w.ground_id}/edit", {"text": PAYLOAD, "source": PAYLOAD,
                                                                   "confidence": "U"})
    _post(top_admin, "/admin/calendar", {"day": "12/03/2026", "kind": "day_off", "reason": PAYLOAD})


@pytest.fixture(scope="module")
def typed(make_app: Callable[..., Flask], _schema: None) -> Iterator[Typed]:
    """Build the world and type the payload into every form (once for the module)."""
    from spokes.publishing.feeds import clear_cache

    with module_world(make_app) as (app, world):
        clear_cache()
        clients = {role: sign_in(app, world.actors[role]) for role in ("clerk", "spokesperson", "head", "admin",
                                                                        "overseer")}
        top = new_user("admin", world.units["province"], "quantri.tinh@kg.vn", "Quản trị tỉnh")
        db.session.commit()
        clients["top_admin"] = sign_in(app, top)
        clients["journalist"] = app.test_client()
        clients["anonymous"] = app.test_client()
        t = Typed(app, world, clients)
        _type_everything(t)
        yield t
        clear_cache()


# --------------------------------------------------------------------------- pages


def _pages(t: Typed) -> dict[str, list[str]]:
    """Return, per viewer, the pages that show what was typed."""
    i = t.ids
    return {
        "anonymous": [
            "/", "/news", f"/news?q={Q}", f"/news/{i['slug']}", f"/news/{i['slug']}/revisions/1",
            f"/news/{i['statement_slug']}", "/units/AM-DHU", "/units/AM-DHU/widget", "/units/XSS-1",
            "/spokespersons", f"/spokespersons?q={Q}", "/deadline?type=information&received_date=10/03/2026"
            "&received_time=08:00", f"/news?unit={Q}", f"/news?kind={Q}", f"/news?month={Q}",
        ],
        "journalist": [f"/track/request/{i['asked_ref']}"],
        "head": [
            "/staff/", "/staff/requests/?state=all", "/staff/requests/?state=all&tab=unit", f"/staff/requests/?q={Q}",
            f"/staff/requests/{i['asked']}", f"/staff/requests/{i['logged']}", f"/staff/requests/{i['secret']}",
            f"/staff/requests/{i['at_request']}", f"/staff/requests/new?jq={Q}", "/staff/publications",
            f"/staff/publications/{i['pub']}/edit", "/staff/duties", "/staff/notifications",
            "/staff/reports/?unit=%d" % t.world.units["dhu"].id, "/staff/reports/requests?metric=received",
            f"/admin/units/{t.world.units['dhu'].id}/designations",
        ],
        "spokesperson": ["/staff/", "/staff/notifications", f"/staff/requests/{i['secret']}"],
        "admin": [
            "/admin/", "/admin/units", f"/admin/units?q={Q}", f"/admin/units/{i['unit']}", "/admin/users",
            f"/admin/users?q={Q}", f"/admin/users/{i['person']}", f"/admin/units/{i['unit']}/designations",
            "/admin/audit", f"/admin/audit?actor={Q}", "/staff/reports/",
        ],
        "top_admin": [
            f"/admin/rulebooks/{t.world.rulebook_id}", f"/admin/rulebooks/rules/{t.world.rule_id}/edit",
            "/admin/calendar?year=2026", "/admin/rulebooks",
        ],
        "overseer": ["/staff/", "/staff/requests/?state=all&tab=subtree", "/admin/audit", "/staff/reports/"],
    }


def test_pages_show_the_payload_escaped(typed: Typed) -> None:
    """Every page that shows typed text shows it escaped; none evaluates {{7*7}}."""
    failures = []
    shown = 0
    adapter = typed.app.url_map.bind("localhost")
    for who, urls in _pages(typed).items():
        client = typed.clients[who]
        for url in urls:
            endpoint, _args = adapter.match(urlsplit(url).path)
            response, body = fetch(client, "GET", url)
            text = body.decode("utf-8", "replace")
            where = f"{url} as {who}"
            if response.status_code >= 500 or response.status_code in (403, 404):
                failures.append(f"{where}: {response.status_code}")
                continue
            if m := LIVE.search(text):
                failures.append(f"{where}: live markup {text[max(m.start() - 80, 0):m.end() + 40]!r}")
            failures += [f"{where}: {p}" for p in inline_code_problems(body) + header_problems(response, endpoint)]
            if ESCAPED_SCRIPT in text:
                shown += 1
                if SSTI not in text:
                    failures.append(f"{where}: {{{{7*7}}}} did not stay as typed")
    assert not failures, "\n".join(failures)
    assert shown >= 30, f"the payload should be visible (escaped) on most pages; it was on {shown}"


def test_each_typed_field_is_shown_escaped_where_it_is_read(typed: Typed) -> None:
    """Spot checks: the field really reaches the page, as text."""
    i = typed.ids
    head, anonymous = typed.clients["head"], typed.clients["anonymous"]
    escaped = str(escape(PAYLOAD))
    _r, detail = fetch(head, "GET", f"/staff/requests/{i['asked']}")
    detail_text = detail.decode()
    assert detail_text.count(escaped) >= 4, "subject, questions, journalist name and agency, notes"
    # The article link is a web address: its href is escaped, so the quote cannot close it.
    assert 'href="https://evil.example/x&#34;&gt;&lt;img' in detail_text or \
        'href="https://evil.example/x%22' in detail_text
    _r, item = fetch(anonymous, "GET", f"/news/{i['slug']}")
    item_text = item.decode()
    # The Markdown body: javascript: links lose their href, raw HTML is text.
    assert not inline_code_problems(item) and ESCAPED_SCRIPT in item_text
    assert "<strong>đậm</strong>" in item_text, "Markdown still works"
    _r, calc = fetch(anonymous, "GET", "/deadline?type=information&received_date=10/03/2026&received_time=08:00")
    assert calc.decode().count(ESCAPED_SCRIPT) >= 3, "rule label, citation, ground and day-off reason are public"
    _r, directory = fetch(anonymous, "GET", "/spokespersons")
    assert escaped in directory.decode(), "the designation's title is public"


# --------------------------------------------------------------------------- feeds


def _feed_html_parts(raw: bytes) -> list[str]:
    """Return the HTML a reader renders from a feed: Atom content (and html summaries), RSS
    description and content:encoded, with the XML escaping undone. Titles are plain text."""
    root = ET.fromstring(raw)
    parts = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        html = tag in ("content", "encoded", "description") or (tag == "summary" and element.get("type") == "html")
        if html and element.text:
            parts.append(element.text)
    return parts


@pytest.mark.parametrize("url", ["/feed.atom", "/feed.rss", "/units/AM-DHU/feed.atom", "/units/AM-DHU/feed.rss"])
def test_feeds_carry_the_payload_as_text(url: str, typed: Typed) -> None:
    """The feeds parse, keep the payload as text, and carry no live markup once unescaped."""
    response, raw = fetch(typed.clients["anonymous"], "GET", url)
    assert response.status_code == 200
    assert not re.search(rb"<script|<img|<iframe|<svg", raw, re.I), "raw markup in the XML"
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert any(SCRIPT in e.title for e in parsed.entries), "titles carry the typed text, as text"
    html_parts = [p for p in _feed_html_parts(raw) if "alert(1)" in p]
    assert len(html_parts) >= 2, "the payload is in the entries' HTML"
    for part in html_parts:
        assert not LIVE.search(part), part[:1000]
        assert not inline_code_problems(part.encode()), part[:1000]
        assert ESCAPED_SCRIPT in part, part[:1000]


# --------------------------------------------------------------------------- API


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from _strings(v, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, value


def test_api_serves_the_payload_as_json_text(typed: Typed) -> None:
    """JSON, with nosniff, never HTML; the rendered-HTML fields are sanitised."""
    i = typed.ids
    client = typed.clients["anonymous"]
    seen = 0
    for url in ("/api/v1/items", f"/api/v1/items/{i['slug']}", f"/api/v1/items?q={Q}",
                "/api/v1/units", "/api/v1/units/XSS-1", "/api/v1/spokespersons?unit=XSS-1",
                f"/api/v1/requests/{i['asked_ref']}?token={i['token']}", f"/api/v1/items?unit={Q}",
                f"/api/v1/units/{SCRIPT}"):
        response, body = fetch(client, "GET", url)
        assert response.status_code in (200, 400, 404), url
        assert response.mimetype == "application/json", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        for path, text in _strings(json.loads(body)):
            seen += SCRIPT in text
            if path.endswith("_html"):
                assert not LIVE.search(text) and not inline_code_problems(text.encode()), f"{url} {path}: {text[:300]}"
    assert seen >= 5


# --------------------------------------------------------------------------- e-mails


def test_mails_escape_the_payload(typed: Typed) -> None:
    """The HTML part of every e-mail escapes it; subjects stay on one line (no header injection)."""
    from spokes.notifications.models import OutboxMail

    mails = list(db.session.execute(select(OutboxMail)).scalars())
    db.session.rollback()
    carrying = [m for m in mails if "alert(1)" in (m.body_html or "") + m.body_text + m.subject]
    assert len(carrying) >= 3, "receipt, answer and refusal mails quote the typed text"
    for mail in mails:
        assert "\n" not in mail.subject and "\r" not in mail.subject, mail.subject
        html = mail.body_html or ""
        assert not LIVE.search(html), html[:2000]
        # A mail may style itself (no CSP in a mail client), but never script or link to javascript:.
        scripts = [p for p in inline_code_problems(html.encode()) if "style" not in p]
        assert not scripts, scripts
    assert any(ESCAPED_SCRIPT in (m.body_html or "") for m in carrying)
    assert any(SSTI in (m.body_html or "") for m in carrying), "no template evaluation in mails"


# --------------------------------------------------------------------------- exports

_NUMBER = re.compile(r"^-?\d+([.,]\d+)?%?$")
RISKY = ("=", "+", "-", "@", "\t", "\r")


def _csv_problems(body: bytes) -> tuple[list[str], int]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    problems, guarded = [], 0
    for row in rows:
        for cell in row:
            if cell.startswith(RISKY) and not _NUMBER.match(cell):
                problems.append(cell[:80])
            if cell.startswith("'") and cell[1:].startswith(RISKY):
                guarded += 1
    return problems, guarded


def _xlsx_problems(body: bytes) -> tuple[list[str], int]:
    book = load_workbook(io.BytesIO(body))
    problems, guarded = [], 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{sheet.title}!{cell.coordinate} is a formula: {str(cell.value)[:80]}")
                elif isinstance(cell.value, str):
                    if cell.value.startswith("'") and cell.value[1:].startswith(RISKY):
                        guarded += 1  # shown with the apostrophe
                    elif cell.value.startswith(RISKY):
                        if cell.quotePrefix:
                            guarded += 1  # a text cell with Excel's quote prefix
                        else:
                            problems.append(f"{sheet.title}!{cell.coordinate}: {cell.value[:80]}")
    return problems, guarded


@pytest.mark.parametrize("who,url", [
    ("head", "/staff/reports/export.csv?table=requests&from=2026-01-01&to=2026-12-31"),
    ("head", "/staff/reports/export.csv?from=2026-01-01&to=2026-12-31"),
    ("head", "/staff/reports/export.xlsx?from=2026-01-01&to=2026-12-31"),
    ("admin", "/staff/reports/export.xlsx?from=2026-01-01&to=2026-12-31"),
    ("admin", "/staff/reports/export.csv?from=2026-01-01&to=2026-12-31"),
    ("admin", "/admin/export/units.csv"),
    ("admin", "/admin/export/units.xlsx"),
    ("admin", "/admin/export/users.csv"),
    ("admin", "/admin/export/users.xlsx"),
    ("admin", "/admin/audit.csv"),
])
def test_exports_never_hold_a_formula(who: str, url: str, typed: Typed) -> None:
    """Cells starting with = + - @ (subjects, names, titles) are neutralised in CSV and XLSX."""
    response, body = fetch(typed.clients[who], "GET", url)
    assert response.status_code == 200, body[:500]
    problems, guarded = (_xlsx_problems if ".xlsx" in url else _csv_problems)(body)
    assert not problems, problems
    if "table=requests" in url or "/admin/export/" in url:
        assert guarded >= 1, "the typed formula is in this export, guarded"


def test_the_formula_cells_are_the_typed_ones(typed: Typed) -> None:
    """Control for the export checks: the request list holds each of the four risky subjects, guarded."""
    _r, body = fetch(typed.clients["head"], "GET",
                     "/staff/reports/export.csv?table=requests&from=2026-01-01&to=2026-12-31")
    cells = {c for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for c in row}
    for prefix in ("=", "+", "-", "@"):
        assert any(c.startswith("'" + prefix) and "alert(1)" in c for c in cells), prefix
    _r, body = fetch(typed.clients["admin"], "GET", "/admin/export/units.xlsx")
    book = load_workbook(io.BytesIO(body))
    values = [c for s in book.worksheets for r in s.iter_rows() for c in r if isinstance(c.value, str)]
    typed_name = [c for c in values if "alert(1)" in c.value]
    assert typed_name and all(c.data_type != "f" for c in typed_name)
