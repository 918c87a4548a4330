"""Show a stored deadline explanation in the reader's language.

The deadline engine writes its explanation steps in Vietnamese, and requests store them as they
were when the deadline was set (the legal record). Pages written in English translate each step
when they show it: every sentence the engine writes has a pattern here whose msgid is the
Vietnamese sentence itself, so Vietnamese pages show the stored text unchanged. A sentence no
pattern knows (an admin's note, a future wording) is shown as stored.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

_DATE = r"(?P<date>\d{2}/\d{2}/\d{4})"

# (pattern over the stored Vietnamese sentence, the same sentence as a msgid with placeholders)
STEP_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(rf"^Nhận ngày {_DATE} lúc (?P<time>\d{{2}}:\d{{2}}) \(giờ Việt Nam\)\.$"),
     _l("Nhận ngày %(date)s lúc %(time)s (giờ Việt Nam).")),
    (re.compile(r"^Thời hạn (?P<n>\d+) giờ tính liên tục từ thời điểm nhận, kể cả ban đêm và ngày nghỉ "
                r"\(BLDS 2015, Điều 147\)\.$"),
     _l("Thời hạn %(n)s giờ tính liên tục từ thời điểm nhận, kể cả ban đêm và ngày nghỉ (BLDS 2015, Điều 147).")),
    (re.compile(rf"^Hạn chót: (?P<time>\d{{2}}:\d{{2}}(?::\d{{2}})?) ngày {_DATE}\.$"),
     _l("Hạn chót: %(time)s ngày %(date)s.")),
    (re.compile(rf"^Thời hạn tính theo ngày: không tính ngày nhận, bắt đầu từ {_DATE} \(BLDS 2015, Điều 147\)\.$"),
     _l("Thời hạn tính theo ngày: không tính ngày nhận, bắt đầu từ %(date)s (BLDS 2015, Điều 147).")),
    (re.compile(rf"^Ngày nhận {_DATE} là ngày nghỉ \((?P<name>.+)\); thời hạn vẫn bắt đầu từ ngày tiếp theo\.$"),
     _l("Ngày nhận %(date)s là ngày nghỉ (%(name)s); thời hạn vẫn bắt đầu từ ngày tiếp theo.")),
    (re.compile(rf"^Tính (?P<n>\d+) ngày theo lịch, kể cả ngày nghỉ: ngày cuối cùng là {_DATE}\.$"),
     _l("Tính %(n)s ngày theo lịch, kể cả ngày nghỉ: ngày cuối cùng là %(date)s.")),
    (re.compile(rf"^Bỏ qua {_DATE} — (?P<name>.+)\.$"),
     _l("Bỏ qua %(date)s — %(name)s.")),
    (re.compile(rf"^Ngày cuối cùng {_DATE} là ngày nghỉ; thời hạn kết thúc vào cuối ngày làm việc tiếp theo "
                r"(?P<next>\d{2}/\d{2}/\d{4}) \(BLDS 2015, Điều 148\)\.$"),
     _l("Ngày cuối cùng %(date)s là ngày nghỉ; thời hạn kết thúc vào cuối ngày làm việc tiếp theo %(next)s "
        "(BLDS 2015, Điều 148).")),
    (re.compile(r"^Chỉ tính ngày làm việc: bỏ qua thứ Bảy, Chủ nhật và ngày nghỉ; tính cả ngày làm bù\.$"),
     _l("Chỉ tính ngày làm việc: bỏ qua thứ Bảy, Chủ nhật và ngày nghỉ; tính cả ngày làm bù.")),
    (re.compile(rf"^Tính {_DATE} là ngày làm việc — (?P<name>.+)\.$"),
     _l("Tính %(date)s là ngày làm việc — %(name)s.")),
    (re.compile(rf"^Ngày làm việc thứ (?P<n>\d+) là {_DATE}\.$"),
     _l("Ngày làm việc thứ %(n)s là %(date)s.")),
)

# The rule line: the stored sentence ends with the confidence code and its admin wording, which pages
# do not repeat (staff pages show the confidence on its own line; public pages never show it).
RULE_LINE = re.compile(r"^Áp dụng (?P<book>.+?): (?P<label>.+) — (?P<amount>\d+) (?P<unit>giờ|ngày làm việc|ngày) "
                       r"\((?P<source>.+); độ tin cậy [A-Z]: [^)]*\)\.$")
RULE_LINE_TEXT = _l("Áp dụng %(book)s: %(label)s — %(amount)s %(unit)s (%(source)s).")
UNIT_WORDS = {"giờ": _l("giờ"), "ngày": _l("ngày"), "ngày làm việc": _l("ngày làm việc")}

DAY_NAMES = {
    "Thứ Hai": _l("Thứ Hai"),
    "Thứ Ba": _l("Thứ Ba"),
    "Thứ Tư": _l("Thứ Tư"),
    "Thứ Năm": _l("Thứ Năm"),
    "Thứ Sáu": _l("Thứ Sáu"),
    "Thứ Bảy": _l("Thứ Bảy"),
    "Chủ nhật": _l("Chủ nhật"),
    "Ngày làm bù": _l("Ngày làm bù"),
}
MAKEUP_FOR = re.compile(rf"^Ngày làm bù cho ngày nghỉ {_DATE}$")


def _vietnamese() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "vi"


@lru_cache(maxsize=32)
def _holiday_names(year: int) -> dict[str, str]:
    """Return {Vietnamese name: English name} of the public holidays the calendar knows in a year."""
    import holidays

    vi = holidays.country_holidays("VN", years=year, language="vi")
    en = holidays.country_holidays("VN", years=year, language="en_US")
    return {name: en.get(day, name) for day, name in vi.items()}


def day_name(name: str | None, on: date | str | None = None) -> str:
    """Return a day-off or make-up-day name in the reader's language (holiday names from the holidays package)."""
    if not name or _vietnamese():
        return name or ""
    if name in DAY_NAMES:
        return str(DAY_NAMES[name])
    found = MAKEUP_FOR.match(name)
    if found:
        return str(_l("Ngày làm bù cho ngày nghỉ %(date)s")) % {"date": found["date"]}
    year = on.year if isinstance(on, date) else _year_of(on)
    if year is not None:
        return _holiday_names(year).get(name, name)
    return name


def _year_of(text: str | None) -> int | None:
    match = re.search(r"(\d{4})", text or "")
    return int(match.group(1)) if match else None


def explain_step(step: str) -> str:
    """Return one stored explanation step in the reader's language (Vietnamese steps read as stored).

    The rule line loses its confidence code and admin wording in every language.
    """
    rule_line = RULE_LINE.match(step)
    if rule_line:
        params = rule_line.groupdict()
        params["unit"] = str(UNIT_WORDS[params["unit"]])
        return str(RULE_LINE_TEXT) % params
    if _vietnamese():
        return step
    for pattern, message in STEP_PATTERNS:
        found = pattern.match(step)
        if found:
            params = found.groupdict()
            if "name" in params:
                params["name"] = day_name(params["name"], params.get("date"))
            return str(message) % params
    return step


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
