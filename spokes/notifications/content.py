"""The text of e-mails to journalists (plain text; Vietnamese)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from spokes.core.jinja import vn_datetime


def _link(endpoint: str, **values: Any) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    try:
        path = url_for(endpoint, **values)
    except Exception:  # noqa: BLE001 - outside a request (CLI, worker) or the portal not installed
        path = ""
    return (base.rstrip("/") + path) if base else path


def _footer(req: Any) -> str:
    return "\n\n" + _("Số hồ sơ: %(ref)s — Hạn trả lời: %(due)s", ref=req.reference, due=vn_datetime(req.due_at)) + \
        "\n-- \nSpokes — " + _("thư gửi tự động, vui lòng không trả lời thư này.")


def received_mail(req: Any, token: str) -> tuple[str, str]:
    """Return (subject, body) for the receipt confirmation with the secret tracking link."""
    subject = _("[%(ref)s] Đã tiếp nhận câu hỏi: %(subject)s", ref=req.reference, subject=req.subject)
    body = _(
        "Kính gửi %(name)s,\n\n%(unit)s đã tiếp nhận yêu cầu của anh/chị.\n"
        "Hạn trả lời theo quy định: %(due)s.\n\nTheo dõi yêu cầu (đường dẫn bí mật, không chia sẻ): %(link)s",
        name=req.journalist.name, unit=req.unit.name, due=vn_datetime(req.due_at),
        link=_link("portal.track_token", token=token),
    )
    return subject, body + _footer(req)


def closed_mail(req: Any, answer: Any) -> tuple[str, str]:
    """Return (subject, body) for an answer or a refusal."""
    if req.state == "refused":
        ground = req.refusal_ground
        subject = _("[%(ref)s] Thông báo từ chối cung cấp thông tin", ref=req.reference)
        body = _("%(unit)s từ chối cung cấp thông tin.\nCăn cứ: %(ground)s (%(source)s)\nLý do: %(reason)s",
                 unit=req.unit.name, ground=ground.text if ground else "", source=ground.source if ground else "",
                 reason=req.refusal_reason or "")
    else:
        from spokes.core.markdown import plain_text

        subject = _("[%(ref)s] Trả lời của %(unit)s", ref=req.reference, unit=req.unit.name)
        body = _("%(unit)s trả lời câu hỏi “%(subject)s”:\n\n%(text)s", unit=req.unit.name, subject=req.subject,
                 text=plain_text(answer.body))
    return subject, body + _footer(req)


def transferred_mail(req: Any, record: Any) -> tuple[str, str]:
    """Return (subject, body) for a transfer to another unit."""
    subject = _("[%(ref)s] Yêu cầu được chuyển đến %(unit)s", ref=req.reference, unit=record.to_unit.name)
    body = _("Yêu cầu của anh/chị đã được chuyển từ %(old)s đến %(new)s, là đơn vị có thẩm quyền.\nLý do: %(reason)s",
             old=record.from_unit.name, new=record.to_unit.name, reason=record.reason)
    return subject, body + _footer(req)


def extended_mail(req: Any, record: Any) -> tuple[str, str]:
    """Return (subject, body) for an extension."""
    subject = _("[%(ref)s] Gia hạn thời hạn trả lời", ref=req.reference)
    body = _("Thời hạn trả lời được gia hạn đến %(due)s.\nLý do: %(reason)s", due=vn_datetime(record.new_due_at), reason=record.reason)
    return subject, body + _footer(req)


def message_mail(req: Any, message: Any) -> tuple[str, str]:
    """Return (subject, body) for a message from the unit."""
    subject = _("[%(ref)s] Tin nhắn từ %(unit)s", ref=req.reference, unit=req.unit.name)
    return subject, message.body + _footer(req)
