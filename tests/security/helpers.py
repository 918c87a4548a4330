"""A realistic world for the security suite, and the checks every response must pass.

The world: a province with two districts. District An Minh holds the "own" commune (Đông
Hưng, where the clerk, spokesperson and head under test work; the overseer and the admin
under test sit at the district, so their reach is the whole district) and a "sibling"
commune (Vân Khánh). The other district (Hòn Đất) holds the "far" commune (Bình Giang),
outside everybody's reach.

Each of the three places has the same objects, so every id-taking endpoint can be asked
about "own", "sibling" and "far": a secret open request with an evidence file and an
internal note, an answered request published on the news feed (with a public file and one
correction), the head's designation with a scanned decision, a clerk with a membership and
a password-reset link, a recurring duty and a notification.

Each place also has *markers*: strings that only the staff allowed to see that place's
requests (or its audit trail) may ever receive in a response body: the secret request's
subject, its journalist's e-mail, the internal note, the evidence file name, and the
journalist contact of the published request (never published). A marker in any other
response is a leak.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from spokes.extensions import db
from tests.transactions import share_connection, unshare_connection

PASSWORD = "correct-horse-battery"

# Tuesday 10/03/2026 09:00 in Vietnam: the 2017 rulebook applies, and it is a working day.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

ROLES = ("clerk", "spokesperson", "head", "overseer", "admin")
PLACES = ("own", "sibling", "far")
USERS = ("anonymous", *ROLES)

# Where each role under test may see requests or their audit trail (VIEW_REQUESTS / VIEW_AUDIT).
VISIBLE_PLACES: dict[str, frozenset[str]] = {
    "anonymous": frozenset(),
    "clerk": frozenset({"own"}),
    "spokesperson": frozenset({"own"}),
    "head": frozenset({"own"}),
    "overseer": frozenset({"own", "sibling"}),
    "admin": frozenset({"own", "sibling"}),
}


@contextmanager
def fast_passwords() -> Iterator[None]:
    """Hash passwords with one PBKDF2 round while building worlds (signing in stays real)."""
    from werkzeug.security import generate_password_hash

    import spokes.auth.models as auth_models

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_models, "generate_password_hash",
                   lambda password, **_kw: generate_password_hash(password, method="pbkdf2:sha256:1"))
        yield


# --------------------------------------------------------------------------- factories


def new_unit(code: str, name: str, *, parent: Any = None, kind: str = "commune") -> Any:
    """Create a unit under a parent, as the shared ``make_unit`` fixture does."""
    from spokes.core.text import fold
    from spokes.units.models import Unit
    from spokes.units.services import set_parent

    unit = Unit(code=code, name=name, name_folded=fold(name), kind=kind, reference_prefix=code.upper(),
                approval_required=True)
    db.session.add(unit)
    set_parent(unit, parent)
    db.session.flush()
    return unit


def new_user(role: str, unit: Any, email: str, name: str, *, designate: str | None = None, active: bool = True,
             title: str | None = None, document_number: str | None = None) -> Any:
    """Create a user with one role in a unit (flushed), optionally designated as a spokesperson."""
    from spokes.auth.models import Membership, User
    from spokes.units.models import Designation

    user = User(email=email, name=name, title=title or f"Chức danh {role}", phone="0123 456 789", active=active)
    user.set_password(PASSWORD)
    user.memberships.append(Membership(unit_id=unit.id, role=role))
    db.session.add(user)
    db.session.flush()
    if designate:
        db.session.add(Designation(
            unit_id=unit.id, user_id=user.id, kind=designate, title=user.title or "", public_phone=user.phone,
            public_email=user.email, document_number=document_number or f"{user.id}/QĐ-UBND",
            document_date=date(2025, 1, 1), valid_from=date(2025, 1, 2)))
        db.session.flush()
    return user


def new_request(unit: Any, actor: Any, *, subject: str, journalist_name: str, journalist_email: str,
                questions: str = "Xin cho biết tiến độ và kinh phí.", agency: str = "Báo Kiên Giang",
                type: str = "information", channel: str = "phone") -> tuple[Any, str]:
    """Log a request through the real intake service; return it with its tracking token."""
    from spokes.press_requests.services import IntakeData, JournalistData, intake

    data = IntakeData(type=type, channel=channel, subject=subject, questions=questions,
                      journalist=JournalistData(name=journalist_name, agency=agency, email=journalist_email))
    return intake(actor, unit, data)


def store_file(name: str, **kwargs: Any) -> Any:
    """Store a small PDF as an attachment."""
    from spokes.attachments import store as attachments

    return attachments.store(io.BytesIO(PDF), name, max_bytes=10_000, allowed=attachments.STAFF_KINDS, **kwargs)


# --------------------------------------------------------------------------- the world


@dataclass(repr=False)
class Place:
    """One commune and the objects every id-taking endpoint is asked about."""

    name: str
    unit: Any
    head: Any
    spokesperson: Any
    clerk: Any
    secret: Any  # an open request nobody outside the unit's reach may see
    evidence: Any  # its private evidence file
    answered: Any  # an answered request whose answer is published
    answered_token: str
    publication: Any
    public_file: Any  # the published answer's public file
    designation: Any  # the head's designation, with a scanned decision
    membership: Any  # the clerk's membership
    duty: Any
    reset_token: str  # a password-reset link of the clerk
    notification: Any  # a notification of the unit's head
    letter: Any  # an official letter issued for the answered request
    conference: Any  # a planned press conference whose notice was issued
    markers: tuple[str, ...] = ()  # secret text of this place
    contact_markers: tuple[str, ...] = ()  # the published request's journalist contact
    staff_markers: tuple[str, ...] = ()  # staff e-mails known to nobody under test
    mail: Any = None  # the e-mail the secret request came by (spokes/mailin), its type not yet confirmed


@dataclass(repr=False)
class World:
    """Units, the users under test, and the three places."""

    units: dict[str, Any]
    actors: dict[str, Any]  # role → user under test
    places: dict[str, Place]
    notifications: dict[str, Any]  # role → the user's own notification
    rulebook_id: int
    rule_id: int
    ground_id: int
    calendar_day_id: int
    extra: dict[str, Any] = field(default_factory=dict)

    def place(self, name: str) -> Place:
        """Return a place by name."""
        return self.places[name]

    def __repr__(self) -> str:
        return "<the security world>"


def _place(name: str, unit: Any, head: Any, spokesperson: Any, clerk: Any, slug: str) -> Place:
    from spokes.auth.people import issue_reset_link
    from spokes.auth.models import Membership
    from spokes.notifications.models import Notification
    from spokes.press_requests import services as svc
    from spokes.press_requests.models import MessageKind
    from spokes.publishing import services as pub_svc
    from spokes.units.models import Designation

    subject = f"Yêu cầu mật {slug} về đền bù giải tỏa"
    secret_email = f"pv.mat.{slug}@secret-press.vn"
    note = f"Ghi chú nội bộ {slug}: chưa trả lời trước khi có kết luận thanh tra."
    evidence_name = f"bien-ban-mat-{slug}.pdf"
    secret, _token = new_request(unit, clerk, subject=subject, journalist_name=f"Phóng viên mật {slug}",
                                 journalist_email=secret_email)
    evidence = store_file(evidence_name, purpose="evidence", request_id=secret.id, uploaded_by=clerk)
    svc.add_message(clerk, secret, MessageKind.INTERNAL_NOTE, note)

    contact_email = f"pv.congbo.{slug}@private-press.vn"
    contact_name = f"Phóng Viên Ẩn Danh {slug.upper()}"
    answered, answered_token = new_request(
        unit, clerk, subject=f"Tiến độ nạo vét kênh {slug}", journalist_name=contact_name,
        journalist_email=contact_email)
    if answered.assignee_id != head.id:
        svc.reassign(head, answered, head, "Chủ tịch trực tiếp trả lời.")
    svc.save_draft(head, answered, svc.DraftData(body=f"Đã nạo vét **80%** tuyến kênh {slug}."))
    svc.send_directly(head, answered)
    final = svc.final_answer(answered)
    store_file(f"tra-loi-{slug}.pdf", purpose="answer", request_id=answered.id, answer_id=final.id,
               uploaded_by=head, is_public=True)
    data = pub_svc.prefill_from_request(answered, final)
    publication = pub_svc.publish_answer(head, answered, data)
    db.session.flush()
    public_file = pub_svc.public_files(publication)[0]
    corrected = pub_svc.PublicationData(title=publication.title, summary=f"Tóm tắt đã cải chính {slug}.",
                                        body=publication.body, speaker_name=publication.speaker_name,
                                        speaker_title=publication.speaker_title)
    pub_svc.correct(head, publication, corrected, "Sửa phần tóm tắt.")

    designation = db.session.execute(select(Designation).where(
        Designation.unit_id == unit.id, Designation.user_id == head.id)).scalar_one()
    scan = store_file(f"quyet-dinh-{slug}.pdf", purpose="scan", uploaded_by=head, is_public=True)
    designation.scan_attachment_id = scan.id
    membership = db.session.execute(select(Membership).where(Membership.user_id == clerk.id)).scalar_one()
    duty = pub_svc.save_duty(head, unit, pub_svc.DutyData(
        label=f"Họp báo định kỳ {slug}", publication_kind="press_conference_outcome", every_months=3,
        next_due_on=date(2026, 6, 30)))
    reset_token = issue_reset_link(None, clerk)
    from spokes.letters import services as letters
    from spokes.letters.models import LetterKind

    letter = letters.issue(head, answered, letters.default_choices(answered, LetterKind.REPLY, head), send=False)
    from spokes.conferences import services as conferences

    conference = conferences.create(spokesperson, unit, conferences.ConferenceData(
        title=f"Họp báo {slug}", content="", place="Hội trường", starts_at=NOW + timedelta(days=10),
        chair_name=head.name, chair_title="Chủ tịch", invited_outlets="Báo Kiên Giang", regulator_name="Sở VHTTDL"))
    conferences.issue_notice(head, conference, conferences.default_choices(conference, head))
    notification = Notification(user_id=head.id, request_id=secret.id, kind="assigned",
                                message=f"Được giao yêu cầu {secret.reference}", link=f"/staff/requests/{secret.id}")
    db.session.add(notification)
    from spokes.mailin import services as mailin
    from spokes.mailin.models import InboundMail

    mail = InboundMail(mailbox_id=mailin.mailbox_for(unit).id, unit_id=unit.id, uidvalidity=1, uid=1,
                       subject=subject, from_address=secret_email, received_at=secret.received_at,
                       outcome="new_request", request_id=secret.id, skipped_attachments=[])
    db.session.add(mail)
    db.session.flush()
    return Place(
        name=name, unit=unit, head=head, spokesperson=spokesperson, clerk=clerk, secret=secret, evidence=evidence,
        answered=answered, answered_token=answered_token, publication=publication, public_file=public_file,
        designation=designation, membership=membership, duty=duty, reset_token=reset_token,
        notification=notification, letter=letter, conference=conference, markers=(subject, secret_email, note, evidence_name),
        contact_markers=(contact_email, contact_name), mail=mail,
    )


def build_world() -> World:
    """Build the whole world inside the current app context and commit it."""
    from spokes.deadlines.models import CalendarDay, RefusalGround, Rule, Rulebook
    from spokes.deadlines.services import seed_rulebooks
    from spokes.notifications.models import Notification

    seed_rulebooks()
    province = new_unit("KG", "Ủy ban nhân dân tỉnh Kiên Giang", kind="province")
    am = new_unit("AM", "Ủy ban nhân dân huyện An Minh", parent=province, kind="district")
    dhu = new_unit("AM-DHU", "UBND xã Đông Hưng", parent=am)
    vk = new_unit("AM-VK", "UBND xã Vân Khánh", parent=am)
    ht = new_unit("HT", "Ủy ban nhân dân huyện Hòn Đất", parent=province, kind="district")
    bg = new_unit("HT-BG", "UBND xã Bình Giang", parent=ht)

    actors = {
        "head": new_user("head", dhu, "chair@dhu.vn", "Nguyễn Văn Hải", designate="head"),
        "spokesperson": new_user("spokesperson", dhu, "deputy@dhu.vn", "Trương Thị Mai", designate="designated"),
        "clerk": new_user("clerk", dhu, "clerk@dhu.vn", "Lê Thị Thu"),
        "overseer": new_user("overseer", am, "office@am.vn", "Đặng Quốc Bảo"),
        "admin": new_user("admin", am, "admin@am.vn", "Trần Minh Quân"),
    }
    far_admin = new_user("admin", ht, "admin@ht.vn", "Quản trị Hòn Đất")
    people = {
        "sibling": (vk, new_user("head", vk, "chair@vk.vn", "Huỳnh Văn Phúc", designate="head"),
                    new_user("spokesperson", vk, "deputy@vk.vn", "Phạm Thị Lan", designate="designated"),
                    new_user("clerk", vk, "clerk.secret@vk.vn", "Võ Văn Tư")),
        "far": (bg, new_user("head", bg, "chair@bg.vn", "Lâm Văn Sáu", designate="head"),
                new_user("spokesperson", bg, "deputy@bg.vn", "Đỗ Thị Bảy", designate="designated"),
                new_user("clerk", bg, "clerk.secret@bg.vn", "Mai Văn Tám")),
    }
    places = {"own": _place("own", dhu, actors["head"], actors["spokesperson"], actors["clerk"], "dhu")}
    for name, (unit, head, deputy, clerk) in people.items():
        places[name] = _place(name, unit, head, deputy, clerk, unit.code.lower().replace("-", ""))
    # The far clerk's e-mail is known to nobody under test (a reset link shows it to its holder).
    places["far"].staff_markers = (places["far"].clerk.email,)

    notifications = {}
    for role, user in actors.items():
        notice = Notification(user_id=user.id, kind="new_request", message=f"Thông báo riêng của {user.email}")
        db.session.add(notice)
        notifications[role] = notice
    day = CalendarDay(day=date(2026, 4, 20), kind="day_off", reason="Nghỉ bù")
    db.session.add(day)
    db.session.flush()
    book = db.session.execute(select(Rulebook).order_by(Rulebook.id)).scalars().first()
    rule = db.session.execute(select(Rule).where(Rule.rulebook_id == book.id).order_by(Rule.id)).scalars().first()
    ground = db.session.execute(select(RefusalGround).where(RefusalGround.rulebook_id == book.id)
                                .order_by(RefusalGround.id)).scalars().first()
    db.session.commit()
    return World(
        units={"province": province, "district": am, "dhu": dhu, "vk": vk, "other_district": ht, "bg": bg},
        actors=actors, places=places, notifications=notifications, rulebook_id=book.id, rule_id=rule.id,
        ground_id=ground.id, calendar_day_id=day.id, extra={"far_admin": far_admin},
    )


@contextmanager
def module_world(make_app: Any) -> Iterator[tuple[Flask, World]]:
    """Build the world once in an app context of its own, in a transaction rolled back afterwards.

    For modules whose tests only read the world (or leave it as they found it): building it
    for every test would cost more than the tests themselves. Every session of the module is
    bound to one connection (``tests/conftest.py``); what the module's tests commit stays
    until the module ends, then nothing is left.
    """
    from spokes.core import clock

    app = forget_user_between_requests(make_app())
    ctx = app.app_context()
    ctx.push()
    connection = share_connection(db.engine)
    clock.freeze(NOW)
    try:
        with fast_passwords():
            world = build_world()
        yield app, world
    finally:
        clock.freeze(None)
        db.session.remove()
        unshare_connection(connection)
        db.engine.dispose()
        ctx.pop()


# --------------------------------------------------------------------------- clients


def forget_user_between_requests(app: Flask) -> Flask:
    """Make the app forget the signed-in user at the start of each request, as production does.

    Tests keep one app context pushed, and Flask reuses it for every request, so ``g`` (where
    Flask-Login caches the user) would otherwise carry one client's user into the next request.
    """
    from flask import g

    if app.extensions.get("security_tests_forget_user"):
        return app

    @app.before_request
    def _forget_cached_user() -> None:
        g.pop("_login_user", None)

    app.extensions["security_tests_forget_user"] = True
    return app


def sign_in(app: Flask, user: Any) -> FlaskClient:
    """Return a new client of the app signed in as the user (through the real login form)."""
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def session_cookie(client: FlaskClient) -> str | None:
    """Return the value of the client's session cookie."""
    cookie = client.get_cookie("session")
    return cookie.value if cookie is not None else None


def client_with(app: Flask, cookie: str | None) -> FlaskClient:
    """Return a new client carrying a copy of a signed session (None: anonymous)."""
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    return client


def fetch(client: FlaskClient, method: str, url: str, data: dict[str, Any] | None = None) -> tuple[Any, bytes]:
    """Send one request; return the response and its body (sent files are closed at once)."""
    response = client.open(url, method=method, data=data)
    body = response.get_data()
    response.close()
    return response, body


# --------------------------------------------------------------------------- URLs of the URL map


def url_arguments(rule: Any, w: World, place: str = "own") -> dict[str, Any]:
    """Fill a URL rule's arguments with real ids of a place (an unknown argument fails the test)."""
    p = w.places[place]
    endpoint = rule.endpoint
    attachment = {"press_requests.attachment": p.evidence, "portal.track_file": p.public_file,
                  "publishing.file": p.public_file}.get(endpoint)
    token = p.answered_token if endpoint == "portal.track_token" else p.reset_token
    reference = p.answered.reference
    request_id = p.secret.id
    values: dict[str, Any] = {
        "request_id": lambda: request_id,
        "attachment_id": lambda: attachment.id,
        "reference": lambda: reference,
        "token": lambda: token,
        "designation_id": lambda: p.designation.id,
        "user_id": lambda: p.clerk.id,
        "membership_id": lambda: p.membership.id,
        "unit_id": lambda: p.unit.id,
        "day_id": lambda: w.calendar_day_id,
        "rule_id": lambda: w.rule_id,
        "ground_id": lambda: w.ground_id,
        "book_id": lambda: w.rulebook_id,
        "notification_id": lambda: w.notifications["head"].id,
        "pub_id": lambda: p.publication.id,
        "duty_id": lambda: p.duty.id,
        "letter_id": lambda: p.letter.id,
        "conference_id": lambda: p.conference.id,
        "message_id": lambda: p.mail.id,
        "slug": lambda: p.publication.slug,
        "code": lambda: "vi" if endpoint == "core.set_language" else p.unit.code,
        "number": lambda: 1,
        "kind": lambda: "users",
        "fmt": lambda: "csv",
        "filename": lambda: "css/spokes.css",
    }
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{endpoint}: add a value for {sorted(missing)} to helpers.url_arguments"
    return {name: values[name]() for name in rule.arguments}


# --------------------------------------------------------------------------- database fingerprint


def fingerprint() -> str:
    """Return a hash of every row of every table: equal fingerprints mean nothing changed."""
    digest = hashlib.sha256()
    db.session.rollback()  # a fresh transaction: an open one may hold an old snapshot
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(select(table).order_by(*order)).all()
        digest.update(table.name.encode())
        digest.update(repr([tuple(r) for r in rows]).encode("utf-8"))
    db.session.rollback()
    return digest.hexdigest()


def row_counts(*models: Any) -> dict[str, int]:
    """Return the number of rows of each model's table."""
    from sqlalchemy import func

    db.session.rollback()  # a fresh transaction: an open one may hold an old snapshot
    counts = {m.__tablename__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in models}
    db.session.rollback()
    return counts


@contextmanager
def dry_run() -> Iterator[None]:
    """Turn every commit into a rollback: an allowed action runs fully, then leaves no trace."""
    from flask_sqlalchemy.session import Session

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Session, "commit", lambda self: self.rollback())
        yield


# --------------------------------------------------------------------------- response checks

class _TagScanner(HTMLParser):
    """Collect, from real start tags only, what a strict CSP would block."""

    URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Check one tag's name and attributes."""
        names = {name.lower(): (value or "") for name, value in attrs}
        shown = f"<{tag} {' '.join(f'{k}={v[:60]!r}' for k, v in names.items())}>"
        if tag == "script" and "src" not in names and "json" not in names.get("type", ""):
            self.problems.append(f"inline <script> without src: {shown}")
        if "style" in names:
            self.problems.append(f"style= attribute: {shown}")
        if handlers := [n for n in names if n.startswith("on")]:
            self.problems.append(f"inline event handler {handlers}: {shown}")
        for name in self.URL_ATTRIBUTES & set(names):
            if re.sub(r"[\x00-\x20]", "", names[name]).lower().startswith(("javascript:", "vbscript:", "data:text")):
                self.problems.append(f"script URL in {name}: {shown}")

    handle_startendtag = handle_starttag


def inline_code_problems(body: bytes) -> list[str]:
    """Return what the CSP would block in an HTML page: inline scripts, style=, on*= handlers, script URLs."""
    scanner = _TagScanner()
    scanner.feed(body.decode("utf-8", "replace"))
    scanner.close()
    return scanner.problems


def header_problems(response: Any, endpoint: str | None) -> list[str]:
    """Return what is wrong with a response's security headers."""
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    script_src = directives.get("script-src") or directives.get("default-src") or ""
    if not csp:
        problems.append("no Content-Security-Policy")
    if "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src or not script_src:
        problems.append(f"script-src allows inline code or is missing: {script_src!r}")
    ancestors = directives.get("frame-ancestors", "")
    if endpoint == "publishing.widget":
        if ancestors == "frame-ancestors 'none'" or response.headers.get("X-Frame-Options"):
            problems.append("the widget must be frameable")
    elif ancestors != "frame-ancestors 'none'":
        problems.append(f"framing not denied: {ancestors!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    return problems


def readable_texts(body: bytes) -> list[str]:
    """Return the texts a body carries: itself, JSON with its escapes undone, the XML inside an XLSX/DOCX."""
    import json
    import zipfile

    if body.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                return [archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml")]
        except zipfile.BadZipFile:
            pass
    text_body = body.decode("utf-8-sig", "replace")
    texts = [text_body]
    if "\\u" in text_body:  # JSON escapes non-ASCII letters
        try:
            texts.append(json.dumps(json.loads(text_body), ensure_ascii=False))
        except ValueError:
            pass
    return texts


def leaked_markers(world: World, role: str, body: bytes, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Return the markers of places the role may not see that appear in a body.

    ``allowed`` names marker groups a probe may legitimately show, as "<place>:contact" or
    "<place>:staff".
    """
    found = []
    candidates = readable_texts(body)
    for name, place in world.places.items():
        if name in VISIBLE_PLACES[role]:
            continue
        markers = list(place.markers)
        if f"{name}:contact" not in allowed:
            markers += list(place.contact_markers)
        if f"{name}:staff" not in allowed:
            markers += list(place.staff_markers)
        for marker in markers:
            if any(marker in c for c in candidates):
                found.append(f"{name}: {marker}")
    return found
