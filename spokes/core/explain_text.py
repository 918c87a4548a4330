"""Show stored system texts in the reader's language.

Services store a few system sentences in Vietnamese (assignment reasons, revocations); pages
written in English translate them when they show them: each has a pattern here whose msgid is
the Vietnamese sentence itself. What people typed is shown as typed. (Deadline explanations are
stored as data and rendered by ``spokes.deadlines.explain``.)
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from spokes.core.i18n import reader_language

def _vietnamese() -> bool:
    return reader_language() == "vi"


# What the public is told about how sure a rule is: plain words, no codes, no admin wording.
PUBLIC_CONFIDENCE = {
    "Q": _l("Thời hạn theo văn bản quy phạm pháp luật được trích dẫn."),
    "S": _l("Thời hạn theo văn bản được trích dẫn, diễn giải từ nguồn tổng hợp."),
    "U": _l("Văn bản chưa quy định cụ thể thời hạn này; đây là thời hạn đơn vị áp dụng."),
}


def public_confidence(code: str | None) -> str:
    """Return what a journalist reads about a rule's confidence (nothing for an unknown code)."""
    message = PUBLIC_CONFIDENCE.get(code or "")
    return str(message) if message is not None else ""


# System texts that services store in Vietnamese (assignment reasons, revocations); the msgid is the stored sentence.
STORED_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"^Ủy quyền phát ngôn theo văn bản số (?P<doc>.+), đến hết ngày (?P<end>\d{2}/\d{2}/\d{4})\.$"),
     _l("Ủy quyền phát ngôn theo văn bản số %(doc)s, đến hết ngày %(end)s.")),
    (re.compile(r"^Ủy quyền phát ngôn theo văn bản số (?P<doc>.+) đã hết hạn\.$"),
     _l("Ủy quyền phát ngôn theo văn bản số %(doc)s đã hết hạn.")),
    (re.compile(r"^Đơn vị đã được hợp nhất vào (?P<name>.+)\.$"),
     _l("Đơn vị đã được hợp nhất vào %(name)s.")),
    (re.compile(r"^Yêu cầu (?P<ref>\S+) đã được chuyển sang (?P<unit>.+); ủy quyền phát ngôn cho vụ việc này chấm dứt\.$"),
     _l("Yêu cầu %(ref)s đã được chuyển sang %(unit)s; ủy quyền phát ngôn cho vụ việc này chấm dứt.")),
)
STORED_PLAIN = {
    "Giao tự động cho người phát ngôn của đơn vị.": _l("Giao tự động cho người phát ngôn của đơn vị."),
    "Giao tự động cho người phát ngôn của đơn vị nhận.": _l("Giao tự động cho người phát ngôn của đơn vị nhận."),
    "Tài khoản người phát ngôn đã bị khóa.": _l("Tài khoản người phát ngôn đã bị khóa."),
}


def stored_text(text: str | None) -> str:
    """Return a stored system sentence in the reader's language; what people typed is shown as typed."""
    if not text or _vietnamese():
        return text or ""
    if text in STORED_PLAIN:
        return str(STORED_PLAIN[text])
    for pattern, message in STORED_PATTERNS:
        found = pattern.match(text)
        if found:
            return str(message) % found.groupdict()
    return text
