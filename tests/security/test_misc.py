"""Downloads resist path traversal, redirects stay on the site, uploads are judged by content."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from spokes.extensions import db
from spokes.attachments.models import Attachment
from spokes.press_requests.models import Journalist, PressRequest
from spokes.publishing.models import Publication
from spokes.units.models import Designation

from .helpers import PASSWORD, PDF, World, fetch, fingerprint, row_counts

SECRETS = (b"root:", b"SECRET_KEY", b"[boot loader]", b"def create_app")


def _journalist(app: Flask, token: str) -> FlaskClient:
    """Return a browser that opened a tracking link (so it may see that request)."""
    client = app.test_client()
    assert client.get(f"/track/{token}").status_code == 200
    return client


def _downloads(w: World) -> dict[str, tuple[str, str, Any]]:
    """Return each download endpoint: who may fetch it, its URL and the attachment it serves."""
    own = w.places["own"]
    return {
        "staff attachment": ("head", f"/staff/requests/{own.secret.id}/attachments/{own.evidence.id}", own.evidence),
        "public file": ("anonymous", f"/news/{own.publication.slug}/files/{own.public_file.id}", own.public_file),
        "tracking file": ("journalist",
                          f"/track/request/{own.answered.reference}/files/{own.public_file.id}", own.public_file),
        "designation scan": ("head", f"/admin/designations/{own.designation.id}/scan",
                             db.session.get(Attachment, own.designation.scan_attachment_id)),
    }


def _client(app: Flask, w: World, who: str, signed_in: Any) -> FlaskClient:
    if who == "anonymous":
        return app.test_client()
    if who == "journalist":
        return _journalist(app, w.places["own"].answered_token)
    return signed_in(w.actors[who])


def test_every_download_is_served_as_an_attachment(app: Flask, world: World, signed_in: Any) -> None:
    """Control: each download works for its reader, as a download, with the sniffed type and nosniff."""
    for name, (who, url, attachment) in _downloads(world).items():
        response, body = fetch(_client(app, world, who, signed_in), "GET", url)
        assert response.status_code == 200, name
        assert body == PDF, name
        assert response.headers["Content-Disposition"].startswith("attachment"), name
        assert response.mimetype == "application/pdf" and response.headers["X-Content-Type-Options"] == "nosniff"


TAMPERED = ["../../etc/passwd", "../../../../../../etc/passwd", "/etc/passwd", "..\\..\\config.py",
            "../config.py", "../../spokes/__init__.py", "missing-file.pdf", "", "."]


def test_a_tampered_storage_name_is_never_served(app: Flask, world: World, signed_in: Any) -> None:
    """A storage name changed in the database (traversal, absolute, missing) gives 404, never a file or a 500."""
    downloads = _downloads(world)
    clients = {name: _client(app, world, who, signed_in) for name, (who, _url, _a) in downloads.items()}
    failures = []
    for stored in TAMPERED:
        for name, (_who, url, attachment) in downloads.items():
            original = attachment.storage_name
            attachment.storage_name = stored  # one at a time: the column is unique
            db.session.commit()
            response, body = fetch(clients[name], "GET", url)
            if response.status_code != 404 or any(s in body for s in SECRETS):
                failures.append(f"{name} stored as {stored!r}: {response.status_code}")
            attachment.storage_name = original
            db.session.commit()
    assert not failures, failures


CLIMBING = [
    "/static/../config.py", "/static/..%2f..%2fconfig.py", "/static/%2e%2e/%2e%2e/config.py",
    "/static/..%5c..%5cconfig.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
    "/staff/requests/1/attachments/..%2f..%2fetc%2fpasswd", "/news/x/files/..%2fconfig.py",
    "/track/request/X/files/..%2f..%2fetc%2fpasswd", "/admin/designations/../../etc/passwd",
]


def test_paths_cannot_climb_out(app: Flask, world: World, signed_in: Any) -> None:
    """Attachments are addressed by numeric ids only; static files stay in the static folder."""
    client = signed_in(world.actors["head"])
    for path in CLIMBING:
        response = client.get(path, follow_redirects=True)
        body = response.get_data()
        response.close()
        assert response.status_code == 404 or response.request.path == "/track", (path, response.status_code)
        assert not any(s in body for s in SECRETS), path


def test_an_attachment_of_another_object_is_not_served(app: Flask, world: World, signed_in: Any) -> None:
    """An attachment id only works with its own request, item or tracked request."""
    own, sibling = world.places["own"], world.places["sibling"]
    second_secret = own.answered  # another request of the same unit, visible to the head
    head = signed_in(world.actors["head"])
    journalist = _journalist(app, own.answered_token)
    for client, url in (
        (head, f"/staff/requests/{second_secret.id}/attachments/{own.evidence.id}"),
        (head, f"/staff/requests/{own.secret.id}/attachments/{sibling.evidence.id}"),
        (head, f"/staff/requests/{own.secret.id}/attachments/{own.public_file.id}"),
        (app.test_client(), f"/news/{own.publication.slug}/files/{sibling.public_file.id}"),
        (app.test_client(), f"/news/{own.publication.slug}/files/{own.evidence.id}"),
        (journalist, f"/track/request/{own.answered.reference}/files/{sibling.public_file.id}"),
        (journalist, f"/track/request/{own.answered.reference}/files/{own.evidence.id}"),
        (journalist, f"/track/request/{sibling.answered.reference}/files/{sibling.public_file.id}"),
    ):
        response, body = fetch(client, "GET", url)
        assert response.status_code == 404, url
        assert body != PDF, url


def test_a_withdrawn_item_no_longer_serves_its_files(app: Flask, world: World, signed_in: Any) -> None:
    """Withdrawal takes the files off the public site with the body."""
    own = world.places["own"]
    url = f"/news/{own.publication.slug}/files/{own.public_file.id}"
    assert fetch(app.test_client(), "GET", url)[0].status_code == 200
    head = signed_in(world.actors["head"])
    response, _body = fetch(head, "POST", f"/staff/publications/{own.publication.id}/withdraw",
                            {"reason": "Gỡ để rà soát số liệu."})
    assert response.status_code == 302
    assert fetch(app.test_client(), "GET", url)[0].status_code == 404


# --------------------------------------------------------------------------- redirects

OFFSITE = [
    "https://evil.example/", "http://evil.example", "//evil.example", "///evil.example", "////evil.example/x",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\t/evil.example", "/%09/evil.example",
    " //evil.example", "https:evil.example", "http:/evil.example", "http:\\\\evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example", "/%2F/evil.example", "//evil.example@localhost", "https://localhost@evil.example/",
    "//%65vil.example", "\u3002evil.example", "/\u2215\u2215evil.example", "\x00//evil.example", "/\r\n//evil.example",
    "//evil.example/%2e%2e", "evil.example",
]


def _redirects_off_site(response: Any) -> bool:
    """Return whether a response sends the browser off the site (a 400 for a NUL byte sends it nowhere)."""
    if response.status_code == 400:
        return False
    return response.status_code != 302 or _offsite(response.headers["Location"])


def _offsite(location: str) -> bool:
    """Return whether a browser following this Location would leave the site."""
    cleaned = re.sub(r"[\x00-\x20]", "", location).replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return True
    if parts.netloc and parts.netloc != "localhost":
        return True
    return cleaned.startswith("//") or not (cleaned.startswith("/") or parts.netloc == "localhost")


def test_the_offsite_check_can_fail() -> None:
    """Control: the Location judge recognises what leaves the site."""
    assert _offsite("https://evil.example/") and _offsite("//evil.example") and _offsite("/\\evil.example")
    assert _offsite("javascript:alert(1)") and _offsite("evil.example")
    assert not _offsite("/staff/") and not _offsite("http://localhost/staff/")


def test_login_never_redirects_off_site(app: Flask, world: World) -> None:
    """Whatever ``next`` says, signing in lands on this site."""
    email = world.actors["clerk"].email
    failures = []
    for target in OFFSITE:
        client = app.test_client()
        response = client.post("/login", query_string={"next": target}, data={"email": email, "password": PASSWORD})
        if _redirects_off_site(response):
            failures.append(f"{target!r} → {response.status_code} {response.headers.get('Location')}")
        # Already signed in: the page redirects without reading next at all.
        again = client.get("/login", query_string={"next": target})
        if _redirects_off_site(again):
            failures.append(f"again {target!r} → {again.headers.get('Location')}")
    assert not failures, failures


def test_other_next_parameters_never_redirect_off_site(app: Flask, world: World, signed_in: Any) -> None:
    """/lang/<code>?next=… and the notification's next field stay on the site too."""
    notice = world.notifications["head"].id
    head = signed_in(world.actors["head"])
    failures = []
    for target in OFFSITE:
        for response in (app.test_client().get("/lang/en", query_string={"next": target}),
                         head.post(f"/staff/notifications/{notice}/read", data={"next": target})):
            if _redirects_off_site(response):
                failures.append(f"{target!r} → {response.status_code} {response.headers.get('Location')}")
    assert not failures, failures


def test_a_local_next_is_followed(app: Flask, world: World) -> None:
    """Control: a path on the site is honoured, so the refusals above are not a blanket ignore."""
    response = app.test_client().post("/login", query_string={"next": "/staff/requests/?state=all"},
                                      data={"email": world.actors["clerk"].email, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/requests/?state=all"
    response = app.test_client().get("/lang/vi", query_string={"next": "/news?q=kênh"})
    assert urlsplit(response.headers["Location"]).path == "/news"


# --------------------------------------------------------------------------- uploads

HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ZIP = b"PK\x03\x04" + b"\x00" * 60
POLYGLOT = b"GIF89a/*<script>alert(1)</script>*/"
BAD_FILES = [
    ("thu-gioi-thieu.pdf", HTML, "application/pdf"),
    ("anh.png", SVG, "image/png"),
    ("scan.jpg", EXE, "image/jpeg"),
    ("van-ban.docx", ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("anh.gif", POLYGLOT, "image/gif"),
    ("rong.pdf", b"", "application/pdf"),
]


def _ask_form(unit_id: int, letter: tuple[str, bytes, str]) -> dict[str, Any]:
    name, content, mime = letter
    return {"name": "Phạm Văn Nam", "agency": "Báo Kiên Giang", "email": "nam@baochi.vn", "phone": "0912 345 678",
            "credential": "letter", "unit": unit_id, "type": "information",
            "subject": "Tiến độ dự án kè biển", "questions": "Xin cho biết tiến độ và kinh phí dự án.",
            "letter": (io.BytesIO(content), name, mime)}


def _upload_posts(app: Flask, world: World, head: FlaskClient, bad: tuple[str, bytes, str]) -> list[Any]:
    """Return every form that takes a file, each carrying the bad file."""
    name, content, mime = bad
    dhu = world.units["dhu"]
    own = world.places["own"]
    return [
        (app.test_client(), "/ask", _ask_form(dhu.id, bad)),
        (head, "/staff/requests/new", {
            "unit": dhu.id, "journalist_name": "Phạm Văn Nam", "type": "information", "channel": "letter",
            "subject": "Công văn đề nghị cung cấp thông tin", "questions": "Nội dung công văn.",
            "attachments": (io.BytesIO(content), name, mime)}),
        (head, f"/staff/requests/{own.secret.id}/draft", {
            "draft-kind": "answer", "draft-form": "written", "draft-body": "Trả lời.",
            "draft-attachments": (io.BytesIO(content), name, mime)}),
        (head, "/staff/publications/new", {
            "unit_id": dhu.id, "kind": "periodic", "title": "Thông tin định kỳ", "summary": "Tóm tắt",
            "body": "Nội dung.", "speaker_name": "Nguyễn Văn Hải", "attachment": (io.BytesIO(content), name, mime)}),
        (head, f"/admin/units/{dhu.id}/designations", {
            "user_id": own.clerk.id, "kind": "designated", "title": "Phó Chủ tịch", "document_number": "9/QĐ",
            "document_date": "2026-03-01", "valid_from": "2026-03-01", "scan": (io.BytesIO(content), name, mime)}),
    ]


def test_uploads_are_judged_by_content(app: Flask, world: World, signed_in: Any) -> None:
    """HTML, SVG, executables, fake Office files and empty files are refused whatever their name or type."""
    head = signed_in(world.actors["head"])
    before = row_counts(PressRequest, Journalist, Attachment, Publication, Designation)
    failures = []
    for bad in BAD_FILES:
        for client, url, data in _upload_posts(app, world, head, bad):
            response, body = fetch(client, "POST", url, data)
            text = body.decode()
            if response.status_code != 400 or not ("Định dạng tệp không được chấp nhận" in text or "rỗng" in text):
                failures.append(f"{bad[0]} to {url}: {response.status_code}")
    assert not failures, failures
    assert row_counts(PressRequest, Journalist, Attachment, Publication, Designation) == before


def test_a_real_pdf_is_accepted(app: Flask, world: World) -> None:
    """Control: the same question with a real PDF letter is logged, with its letter kept private."""
    before = row_counts(PressRequest, Attachment)
    response, body = fetch(app.test_client(), "POST", "/ask",
                           _ask_form(world.units["dhu"].id, ("thu.pdf", PDF, "application/pdf")))
    assert response.status_code == 200, body[:500]
    after = row_counts(PressRequest, Attachment)
    assert after == {k: v + 1 for k, v in before.items()}
    letter = db.session.execute(select(Attachment).where(Attachment.purpose == "letter")).scalar_one()
    assert letter.is_public is False and letter.storage_name.endswith(".pdf") and "/" not in letter.storage_name


def test_a_wrong_reset_token_reveals_nothing(app: Flask, world: World) -> None:
    """Wrong, used or expired reset links are one 404 page; a used link cannot be used twice."""
    client = app.test_client()
    own = world.places["own"]
    tampered = own.reset_token[:-1] + ("y" if own.reset_token.endswith("x") else "x")  # never the real one
    for token in ("nope", tampered, "x" * 300):
        response, body = fetch(client, "GET", f"/admin/reset/{token}")
        assert response.status_code == 404 and own.clerk.email.encode() not in body
    new = {"new": "mot-mat-khau-moi-dai-2026", "confirm": "mot-mat-khau-moi-dai-2026"}
    assert fetch(client, "POST", f"/admin/reset/{own.reset_token}", new)[0].status_code == 302
    before = fingerprint()
    assert fetch(client, "POST", f"/admin/reset/{own.reset_token}", new)[0].status_code == 404
    assert fingerprint() == before


def test_tracking_needs_the_link_and_reference_and_email_opens_nothing(app: Flask, world: World) -> None:
    """Control for the matrix: with the link, the journalist sees the request; reference + e-mail
    (even the right ones) only mails a new link and opens nothing here (issue 17)."""
    own = world.places["own"]
    journalist = _journalist(app, own.answered_token)
    assert fetch(journalist, "GET", f"/track/request/{own.answered.reference}")[0].status_code == 200
    stranger = app.test_client()
    response, _body = fetch(stranger, "POST", "/track", {"reference": own.answered.reference,
                                                         "email": "someone.else@baochi.vn"})
    assert response.status_code == 200
    response, _body = fetch(stranger, "GET", f"/track/request/{own.answered.reference}")
    assert response.status_code == 302
    response, _body = fetch(stranger, "POST", "/track", {"reference": own.answered.reference,
                                                         "email": own.answered.journalist.email.upper()})
    assert response.status_code == 200
    assert fetch(stranger, "GET", f"/track/request/{own.answered.reference}")[0].status_code == 302
