"""What the e-mails say: subjects, plain-text and HTML bodies, and the links back.

Every mail is rendered from ``templates/notifications/mail/`` in the recipient's language
(journalists have no account, so they get Vietnamese; staff get their ``User.locale``; callers
wrap these functions in ``flask_babel.force_locale``). Each mail shows the reference, the due
date in Vietnamese time (dd/mm/yyyy HH:MM) and a link back. Links are absolute when
``PUBLIC_BASE_URL`` is set, otherwise site-relative paths: the Host header of whoever caused
the mail is never trusted to build them.

Templates are rendered straight from the Jinja environment, without the app's context
processors, so a mail shows exactly what these functions pass and renders the same in a
request, in the CLI and in the worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.routing import BuildError

from spokes.core.i18n import reader_language
from spokes.core.jinja import vn_datetime
from spokes.deadlines.rulebook import public_explanation
from spokes.press_requests.labels import type_label

SUBJECT_MAX = 255

# The staff request page; the press_requests blueprint lives at /staff/requests.
REQUEST_PATH = "/staff/requests/{id}"

# Kinds of staff notice, in the order a digest lists them (most urgent first).
KIND_LABELS: dict[str, Any] = {
    "escalated": _l("Quá hạn, cần đôn đốc"),
    "overdue": _l("Quá hạn trả lời"),
    "conference_notice_late": _l("Thông báo họp báo chưa gửi đúng hạn"),
    "publication_overdue": _l("Cơ quan báo chí chưa đăng phản hồi, cải chính"),
    "due_soon": _l("Sắp đến hạn trả lời"),
    "awaiting_approval": _l("Dự thảo chờ duyệt"),
    "returned": _l("Dự thảo bị trả lại"),
    "assigned": _l("Được giao xử lý"),
    "new_request": _l("Yêu cầu mới của đơn vị"),
    "follow_up": _l("Tin nhắn của phóng viên"),
    "withdrawn": _l("Phóng viên rút yêu cầu"),
    "answered": _l("Đã trả lời phóng viên"),
    "refused": _l("Đã từ chối cung cấp thông tin"),
}


def kind_label(kind: str) -> str:
    """Return the label of a notice kind (the code itself for an unknown kind)."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def kind_rank(kind: str) -> int:
    """Return where a kind sorts in a digest."""
    order = list(KIND_LABELS)
    return order.index(kind) if kind in order else len(order)


# --------------------------------------------------------------------------- links


def absolute(path: str) -> str:
    """Return the path prefixed with PUBLIC_BASE_URL when it is set, else the path itself."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not path or path.startswith(("http://", "https://")):
        return path
    return (base.rstrip("/") + path) if base else path


def link(endpoint: str, fallback: str = "", **values: Any) -> str:
    """Return the link to an endpoint, built from the URL map so it works outside a request.

    ``fallback`` is used when the endpoint is not installed (a feature still being built).
    """
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    try:
        path = adapter.build(endpoint, values)
    except BuildError:
        path = fallback
    return absolute(path)


def request_link(request_id: int) -> str:
    """Return the link to a request's staff page."""
    return absolute(REQUEST_PATH.format(id=request_id))


def preferences_link() -> str:
    """Return the link to the e-mail preferences page (every staff e-mail carries it)."""
    return link("notifications.preferences", "/staff/preferences")


def centre_link() -> str:
    """Return the link to the notification centre."""
    return link("notifications.index", "/staff/notifications")


_TRACKING_SECRET = re.compile(r"(/track/)[A-Za-z0-9_-]{16,}")


def redact_tracking_links(body: str | None) -> str | None:
    """Replace the secret part of tracking links: a sent mail's copy in the outbox must not open the request."""
    return _TRACKING_SECRET.sub(r"\1…", body) if body and "/track/" in body else body


def tracking_link(token: str | None = None) -> str:
    """Return the journalist's link back: the secret tracking link, or the look-up page."""
    if token:
        return link("portal.track_token", f"/track/{token}", token=token)
    return link("portal.track", "/track")


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Mail:
    """A rendered e-mail: subject, plain text, HTML, and the language it is written in."""

    subject: str
    text: str
    html: str
    locale: str


@dataclass
class Body:
    """The parts of a one-event mail; templates lay them out, this holds no markup."""

    title: str
    greeting: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    quote: str | None = None  # a quoted text (answer, message), shown as plain text
    quote_html: Markup | None = None  # the same text as sanitised HTML, when it is Markdown
    facts: list[tuple[str, str]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # small print: preferences, no-reply


def clean_subject(subject: str) -> str:
    """Return a one-line subject that fits the outbox column (mail clients show it in their list)."""
    line = " ".join(subject.split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1].rstrip() + "…"


def ref_subject(reference: str, label: str, subject: str | None = None) -> str:
    """Return e.g. "[AM-DHU-2026-00042] Sắp đến hạn trả lời: Tiến độ dự án…"."""
    text = f"[{reference}] {label}"
    return clean_subject(f"{text}: {subject}" if subject else text)


def render(template: str, subject: str, **context: Any) -> Mail:
    """Render ``notifications/mail/<template>.txt`` and ``.html`` in the current language."""
    env = current_app.jinja_env
    locale = reader_language()
    context = {"subject": subject, "lang": locale, "site_name": current_app.config.get("SITE_NAME", "Spokes"), **context}
    text = env.get_template(f"notifications/mail/{template}.txt").render(**context)
    html = env.get_template(f"notifications/mail/{template}.html").render(**context)
    return Mail(subject=clean_subject(subject), text=text.strip() + "\n", html=html, locale=locale)


def _due(value: datetime | None) -> str:
    return vn_datetime(value) if value else "—"


def _request_facts(req: Any) -> list[tuple[str, str]]:
    return [
        (_("Mã yêu cầu"), req.reference),
        (_("Đơn vị"), req.unit.name),
        (_("Nội dung"), req.subject),
        (_("Hạn trả lời"), _("%(due)s (giờ Việt Nam)", due=_due(req.due_at))),
    ]


def _journalist_notes() -> list[str]:
    return [_("Thư gửi tự động từ Spokes, vui lòng không trả lời thư này.")]


def _journalist(req: Any, subject: str, body: Body, token: str | None = None) -> Mail:
    contact = getattr(req, "contact", None)
    name = contact.name if contact is not None else ""
    body.greeting = _("Kính gửi %(name)s,", name=name) if name else _("Kính gửi anh/chị,")
    body.facts = body.facts or _request_facts(req)
    body.actions.append((_("Theo dõi yêu cầu (nhập mã yêu cầu và địa chỉ thư điện tử)") if token is None
                         else _("Theo dõi yêu cầu (đường dẫn bí mật, không chia sẻ)"), tracking_link(token)))
    body.notes = body.notes or _journalist_notes()
    return render("message", subject, body=body)


# --------------------------------------------------------------------------- journalists


def _statutory(req: Any) -> bool:
    """Return True if the request's deadline is a duty a verified text sets (not an internal target)."""

    return bool(public_explanation(req.deadline_explanation or {}).get("statutory"))


def received_mail(req: Any, token: str) -> Mail:
    """Return the receipt: the reference, the lawful due date and the secret tracking link."""
    subject = ref_subject(req.reference, _("Đã tiếp nhận câu hỏi"), req.subject)
    body = Body(
        title=_("Đã tiếp nhận yêu cầu của anh/chị"),
        paragraphs=[
            _("%(unit)s đã tiếp nhận yêu cầu của anh/chị với mã yêu cầu %(ref)s.", unit=req.unit.name, ref=req.reference),
            (_("Hạn trả lời theo quy định: %(due)s (giờ Việt Nam).", due=_due(req.due_at))
             if _statutory(req) else
             _("Hạn trả lời (chỉ tiêu nội bộ của đơn vị): %(due)s (giờ Việt Nam).", due=_due(req.due_at))),
            _("Hãy giữ kín đường dẫn theo dõi bên dưới: ai có đường dẫn này đều xem được yêu cầu."),
        ],
    )
    return _journalist(req, subject, body, token)


def new_link_mail(req: Any, token: str) -> Mail:
    """Return the fresh tracking link the journalist asked for; the previous link no longer works."""
    subject = ref_subject(req.reference, _("Đường dẫn theo dõi mới"), req.subject)
    body = Body(
        title=_("Đường dẫn theo dõi mới cho yêu cầu của anh/chị"),
        paragraphs=[
            _("Có người vừa yêu cầu đường dẫn theo dõi mới cho yêu cầu %(ref)s bằng địa chỉ thư điện tử này.",
              ref=req.reference),
            _("Đường dẫn cũ không còn dùng được. Nếu không phải anh/chị yêu cầu, anh/chị có thể bỏ qua thư này."),
            _("Hãy giữ kín đường dẫn theo dõi bên dưới: ai có đường dẫn này đều xem được yêu cầu."),
        ],
    )
    return _journalist(req, subject, body, token)


def closed_mail(req: Any, answer: Any) -> Mail:
    """Return the answer, or the refusal with its legal ground and reason."""
    from spokes.core.markdown import plain_text, render_markdown, starts_with_sentence

    if req.state == "refused":
        ground = req.refusal_ground
        subject = ref_subject(req.reference, _("Thông báo từ chối cung cấp thông tin"), req.subject)
        body = Body(
            title=_("Thông báo từ chối cung cấp thông tin"),
            paragraphs=[
                _("%(unit)s từ chối cung cấp thông tin theo yêu cầu của anh/chị.", unit=req.unit.name),
                (_("Căn cứ: %(ground)s (%(source)s)", ground=ground.text, source=ground.source)
                 if ground is not None and ground.confidence != "U" else
                 _("Căn cứ: %(ground)s", ground=ground.text if ground else "")),
                _("Lý do: %(reason)s", reason=req.refusal_reason or ""),
            ],
        )
    else:
        subject = ref_subject(req.reference, _("Trả lời của %(unit)s", unit=req.unit.name), req.subject)
        body = Body(
            title=_("Trả lời của %(unit)s", unit=req.unit.name),
            # An answer that opens with the unit's own "… trả lời như sau:" is not introduced twice.
            paragraphs=[_("Về câu hỏi “%(subject)s” của anh/chị:", subject=req.subject)
                        if starts_with_sentence(answer.body, f"{req.unit.name} trả lời như sau:") else
                        _("%(unit)s trả lời câu hỏi “%(subject)s” như sau:", unit=req.unit.name, subject=req.subject)],
            quote=plain_text(answer.body), quote_html=render_markdown(answer.body),
        )
    return _journalist(req, subject, body)


def transferred_mail(req: Any, record: Any) -> Mail:
    """Return the notice that the request went to the competent unit, with the new due date."""
    subject = ref_subject(req.reference, _("Yêu cầu được chuyển đến %(unit)s", unit=record.to_unit.name), req.subject)
    body = Body(
        title=_("Yêu cầu được chuyển đến đơn vị có thẩm quyền"),
        paragraphs=[
            _("Yêu cầu của anh/chị đã được chuyển từ %(old)s đến %(new)s, là đơn vị có thẩm quyền.",
              old=record.from_unit.name, new=record.to_unit.name),
            _("Lý do: %(reason)s", reason=record.reason),
            _("Thời hạn trả lời được tính lại từ thời điểm chuyển: %(due)s (giờ Việt Nam).", due=_due(req.due_at)),
        ],
    )
    return _journalist(req, subject, body)


def extended_mail(req: Any, record: Any) -> Mail:
    """Return the notice of an extension, with the new due date and the reason."""
    subject = ref_subject(req.reference, _("Gia hạn thời hạn trả lời"), req.subject)
    body = Body(
        title=_("Gia hạn thời hạn trả lời"),
        paragraphs=[
            _("Thời hạn trả lời được gia hạn từ %(old)s đến %(new)s (giờ Việt Nam).",
              old=_due(record.old_due_at), new=_due(record.new_due_at)),
            _("Lý do: %(reason)s", reason=record.reason),
        ],
    )
    return _journalist(req, subject, body)


def reclassified_mail(req: Any, old_type: str, old_due_at: datetime | None, reason: str) -> Mail:
    """Return the notice that staff changed the request's type, with the due date recounted."""
    subject = ref_subject(req.reference, _("Xác định lại loại yêu cầu"), req.subject)
    body = Body(
        title=_("Xác định lại loại yêu cầu"),
        paragraphs=[
            _("Yêu cầu của anh/chị được xác định lại từ loại “%(old)s” sang loại “%(new)s”.",
              old=type_label(old_type), new=type_label(req.type)),
            _("Thời hạn trả lời được tính lại từ thời điểm tiếp nhận ban đầu: %(old)s trước đây, nay là %(new)s "
              "(giờ Việt Nam).", old=_due(old_due_at), new=_due(req.due_at)),
            _("Lý do: %(reason)s", reason=reason),
        ],
    )
    return _journalist(req, subject, body)


def message_mail(req: Any, message: Any) -> Mail:
    """Return a message from the unit to the journalist."""
    subject = ref_subject(req.reference, _("Tin nhắn từ %(unit)s", unit=req.unit.name), req.subject)
    body = Body(
        title=_("Tin nhắn từ %(unit)s", unit=req.unit.name),
        paragraphs=[_("%(unit)s gửi anh/chị tin nhắn về yêu cầu %(ref)s:", unit=req.unit.name, ref=req.reference)],
        quote=message.body,
    )
    return _journalist(req, subject, body)


def published_mail(req: Any, title: str, url: str | None) -> Mail:
    """Return the notice that the answer to the journalist's request is on the public news feed."""
    subject = ref_subject(req.reference, _("Câu trả lời đã được đăng công khai"), req.subject)
    body = Body(
        title=_("Câu trả lời đã được đăng công khai"),
        paragraphs=[_("%(unit)s đã đăng câu trả lời “%(title)s” trên trang tin trả lời báo chí.",
                      unit=req.unit.name, title=title)],
    )
    if url:
        body.actions.append((_("Xem bài đăng"), absolute(url)))
    return _journalist(req, subject, body)


def letter_mail(req: Any, number: str, summary: str, signed: bool) -> Mail:
    """Return the mail that carries an official letter (công văn) of the unit, attached."""
    subject = ref_subject(req.reference, _("Công văn số %(number)s của %(unit)s", number=number, unit=req.unit.name),
                          req.subject)
    body = Body(
        title=_("Công văn số %(number)s", number=number),
        paragraphs=[
            _("%(unit)s gửi anh/chị công văn số %(number)s (%(summary)s), đính kèm thư này.",
              unit=req.unit.name, number=number, summary=summary),
            _("Công văn đã được ký số.") if signed else _("Bản đính kèm chưa được ký số; bản chính do đơn vị phát hành."),
        ],
    )
    return _journalist(req, subject, body)


# --------------------------------------------------------------------------- staff


def staff_notes() -> list[str]:
    """Return the small print of every staff mail: where to change how e-mail arrives."""
    return [
        _("Bạn nhận thư này vì là cán bộ được phân công trên Spokes."),
        _("Đổi cách nhận thư (ngay hoặc tổng hợp hằng ngày) và ngôn ngữ: %(url)s", url=preferences_link()),
    ]


STAFF_SUBJECTS: dict[str, Any] = {
    "escalated": _l("Quá hạn, cần đôn đốc"),
    "overdue": _l("Quá hạn trả lời"),
    "conference_notice_late": _l("Thông báo họp báo chưa gửi đúng hạn"),
    "publication_overdue": _l("Cơ quan báo chí chưa đăng phản hồi, cải chính"),
    "due_soon": _l("Sắp đến hạn trả lời"),
    "awaiting_approval": _l("Dự thảo chờ bạn duyệt"),
    "returned": _l("Dự thảo bị trả lại"),
    "assigned": _l("Bạn được giao xử lý"),
    "new_request": _l("Yêu cầu mới"),
    "follow_up": _l("Phóng viên gửi thêm tin nhắn"),
    "withdrawn": _l("Phóng viên rút yêu cầu"),
    "answered": _l("Đã gửi trả lời"),
    "refused": _l("Đã gửi thông báo từ chối"),
}


def notice_mail(user: Any, kind: str, message: str, req: Any | None) -> Mail:
    """Return the immediate e-mail for one staff notice."""
    label = str(STAFF_SUBJECTS.get(kind, kind_label(kind)))
    subject = ref_subject(req.reference, label, req.subject) if req is not None else clean_subject(f"Spokes — {label}")
    body = Body(title=label, greeting=_("Chào %(name)s,", name=user.name), paragraphs=[message])
    if req is not None:
        body.facts = _request_facts(req)
        body.actions.append((_("Mở yêu cầu"), request_link(req.id)))
    body.actions.append((_("Tất cả thông báo"), centre_link()))
    body.notes = staff_notes()
    return render("message", subject, body=body)


@dataclass
class DigestItem:
    """One request in a digest section, with the notices about it."""

    reference: str
    subject: str
    unit: str
    due: str
    link: str
    messages: list[str]


@dataclass
class DigestSection:
    """The notices of one kind in a digest."""

    kind: str
    label: str
    items: list[DigestItem]


def digest_sections(notices: Iterable[Any]) -> list[DigestSection]:
    """Group notices by kind (most urgent first) and, within a kind, by request (earliest due first).

    Each notice needs ``kind``, ``message``, ``request_id`` and ``request`` (or None).
    """
    grouped: dict[str, dict[Any, tuple[Any, list[str]]]] = {}
    for n in notices:
        by_request = grouped.setdefault(n.kind, {})
        key = n.request_id if n.request_id is not None else f"n{id(n)}"
        by_request.setdefault(key, (n.request, []))[1].append(n.message)
    sections = []
    for kind in sorted(grouped, key=kind_rank):
        items = []
        entries = sorted(grouped[kind].values(),
                         key=lambda e: (e[0] is None, e[0].due_at if e[0] is not None else datetime.max, e[0].id if e[0] else 0))
        for req, messages in entries:
            if req is None:
                items.append(DigestItem("", "", "", "", centre_link(), messages))
            else:
                items.append(DigestItem(req.reference, req.subject, req.unit.name, _due(req.due_at),
                                        request_link(req.id), messages))
        sections.append(DigestSection(kind, kind_label(kind), items))
    return sections


def digest_mail(user: Any, day: date, notices: Sequence[Any], total: int) -> Mail:
    """Return one user's daily digest: the listed notices grouped by kind and request.

    ``total`` counts every notice the digest covers; when more than the listed ones, the mail
    says how many more wait in the notification centre.
    """
    sections = digest_sections(notices)
    subject = clean_subject(_("Spokes — Tổng hợp thông báo ngày %(day)s: %(n)d thông báo",
                              day=day.strftime("%d/%m/%Y"), n=total))
    return render(
        "digest", subject,
        greeting=_("Chào %(name)s,", name=user.name),
        intro=_("Đây là các thông báo mới của bạn trên Spokes từ lần tổng hợp trước."),
        day=day.strftime("%d/%m/%Y"), sections=sections, total=total, listed=len(notices),
        more=max(total - len(notices), 0),
        more_text=_("Còn %(n)d thông báo khác trong trung tâm thông báo.", n=max(total - len(notices), 0)),
        centre_url=centre_link(), notes=staff_notes(),
        labels={"ref": _("Mã yêu cầu"), "unit": _("Đơn vị"), "due": _("Hạn trả lời"), "open": _("Mở yêu cầu"),
                "centre": _("Mở trung tâm thông báo")},
    )
