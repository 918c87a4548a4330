"""Deadline explanations as data, and the sentences they read as in either language.

A request stores how its deadline was counted as a list of steps, each a dict with a ``code``
and its facts (ISO dates, counts, the names of days off as the calendar gave them): see
``STEP_CODES``. This module turns a step into a sentence. Pure code: the caller passes the
translation function (Flask-Babel's ``gettext`` on pages, nothing for Vietnamese) and the
reader's language. Every msgid is the Vietnamese sentence itself, so Vietnamese reads the same
as the engine always wrote it. Names typed by people (rule labels, rulebook names, admin
reasons) are shown as stored; weekday and public-holiday names are translated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated when a step is rendered."""
    return message


def _same(message: str) -> str:
    return message


# The labels of the shipped rules (rulebooks.json), so a reader of English reads them in English. A label
# a unit wrote itself, or edited, is shown as written. (tests/deadlines check every shipped label is here.)
SHIPPED_RULE_LABELS = frozenset({
    N_("Cung cấp thông tin, tài liệu cho báo chí"),
    N_("Gửi kết luận giải quyết khiếu nại cho cơ quan báo chí"),
    N_("Gửi kết luận nội dung tố cáo cho cơ quan báo chí"),
    N_("Phát ngôn khi có sự kiện đột xuất, bất thường"),
    N_("Thông báo biện pháp xử lý ý kiến, kiến nghị, phản ánh, phê bình do báo chí chuyển đến"),
    N_("Thông báo bằng văn bản biện pháp xử lý ý kiến, kiến nghị, phản ánh, phê bình do báo chí chuyển đến"),
    N_("Thông báo thụ lý khiếu nại do báo chí chuyển đến"),
    N_("Thông báo thụ lý tố cáo do báo chí chuyển đến"),
    N_("Trả lời trên báo chí theo yêu cầu của người đứng đầu cơ quan báo chí"),
    N_("Trả lời đề nghị phỏng vấn (nhận lời hoặc từ chối)"),
    N_("Xử lý khiếu nại do báo chí chuyển đến"),
    N_("Xử lý tố cáo do báo chí chuyển đến"),
})


def rule_label(label: str | None, translate: Translate) -> str:
    """Return a rule's label in the reader's language when it is a shipped one, else as written."""
    return translate(label) if label in SHIPPED_RULE_LABELS else label or ""


# code → msgid. The params each code stores are listed beside it.
MESSAGES: dict[str, str] = {
    # at: the moment of receipt (ISO, +07:00)
    "received": N_("Nhận ngày %(date)s lúc %(time)s (giờ Việt Nam)."),
    # book, label, amount, unit (TimeUnit value), basis ("source" | "internal" | "unverified"), source
    "rule": N_("Áp dụng %(book)s: %(label)s — %(amount)s %(unit)s (%(source)s)."),
    # book (the national rulebook), layers: [{name, unit (a unit code), sets_rule}]
    "layers": N_("Các lớp quy định áp dụng cho đơn vị, trên bộ quy tắc %(book)s: %(layers)s."),
    # n
    "hours": N_("Thời hạn %(n)s giờ tính liên tục từ thời điểm nhận, kể cả ban đêm và ngày nghỉ "
                "(BLDS 2015, Điều 147)."),
    # at: the deadline (ISO), shown to the minute
    "due_time": N_("Hạn chót: %(time)s ngày %(date)s."),
    # first: the first day counted (ISO date)
    "days_start": N_("Thời hạn tính theo ngày: không tính ngày nhận, bắt đầu từ %(date)s (BLDS 2015, Điều 147)."),
    # day, name
    "received_off": N_("Ngày nhận %(date)s là ngày nghỉ (%(name)s); thời hạn vẫn bắt đầu từ ngày tiếp theo."),
    # n, last
    "calendar_days": N_("Tính %(n)s ngày theo lịch, kể cả ngày nghỉ: ngày cuối cùng là %(date)s."),
    # day, name
    "skip": N_("Bỏ qua %(date)s — %(name)s."),
    # from, to
    "moved": N_("Ngày cuối cùng %(date)s là ngày nghỉ; thời hạn kết thúc vào cuối ngày làm việc tiếp theo %(next)s "
                "(BLDS 2015, Điều 148)."),
    # (no params)
    "working_days": N_("Chỉ tính ngày làm việc: bỏ qua thứ Bảy, Chủ nhật và ngày nghỉ; tính cả ngày làm bù."),
    # day, name
    "makeup": N_("Tính %(date)s là ngày làm việc — %(name)s."),
    # n, day
    "working_day_n": N_("Ngày làm việc thứ %(n)s là %(date)s."),
    # years: [int]
    "estimated": N_("Lịch nghỉ năm %(years)s chưa được công bố chính thức: ngày nghỉ là dự kiến "
                    "(theo thư viện holidays), hạn chót có thể thay đổi."),
    # day: the last day, ends at 23:59:59
    "due_end_of_day": N_("Hạn chót: %(time)s ngày %(date)s."),
    # on: the day of the recount; change ("added" | "removed"), kind (a calendar day kind), day, reason (the
    # admin's words); or, stored before the change was data, reason: the whole sentence as written
    "recomputed": N_("Tính lại ngày %(day)s do lịch làm việc thay đổi: %(reason)s"),
}
# The public's wording of a step, where the staff sentence above names tools or sources a journalist
# does not need: used for a step public_explanation marked {"public": true}. Same params.
PUBLIC_MESSAGES: dict[str, str] = {
    "estimated": N_("Lịch nghỉ năm %(years)s chưa được công bố chính thức: ngày nghỉ là dự kiến, "
                    "hạn chót có thể thay đổi."),
}
# A sentence the engine did not write (or no longer recognised): {"code": "text", "text": ...}, shown as stored.
TEXT = "text"
STEP_CODES = frozenset(MESSAGES) | {TEXT}
# The steps that apply the Civil Code's counting rules (BLDS 2015, Điều 147–148).
CIVIL_CODE_STEPS = frozenset({"hours", "days_start", "moved"})

CALENDAR_CHANGES = {"added": N_("Thêm %(kind)s %(day)s — %(reason)s"),
                    "removed": N_("Bỏ %(kind)s %(day)s — %(reason)s")}
CALENDAR_KINDS = {"day_off": N_("ngày nghỉ"), "working_day": N_("ngày làm bù"), "cancelled_day_off": N_("hủy ngày nghỉ")}
UNIT_WORDS = {"hours": N_("giờ"), "calendar_days": N_("ngày"), "working_days": N_("ngày làm việc")}
BASIS_WORDS = {"internal": N_("chỉ tiêu nội bộ của đơn vị"), "unverified": N_("mức mặc định, nguồn đang được đối chiếu")}
LAYER_SETS_RULE = N_("%(name)s (đơn vị %(unit)s; đặt quy tắc này)")
LAYER_NO_RULE = N_("%(name)s (đơn vị %(unit)s; không đặt quy tắc cho loại yêu cầu này)")

# Notes stored beside the steps: code → msgid (a note may also be a plain string, shown as stored).
NOTES: dict[str, str] = {
    # unit: the receiving unit's name
    "transferred": N_("Thời hạn tính lại từ thời điểm chuyển đến %(unit)s."),
    # n, unit (TimeUnit value), reason
    "extended": N_("Đã gia hạn thêm %(n)d %(unit)s; lý do: %(reason)s"),
    "reclassified": N_("Thời hạn tính lại từ thời điểm tiếp nhận ban đầu sau khi đổi loại yêu cầu."),
}

DAY_NAMES = {
    "Thứ Hai": N_("Thứ Hai"),
    "Thứ Ba": N_("Thứ Ba"),
    "Thứ Tư": N_("Thứ Tư"),
    "Thứ Năm": N_("Thứ Năm"),
    "Thứ Sáu": N_("Thứ Sáu"),
    "Thứ Bảy": N_("Thứ Bảy"),
    "Chủ nhật": N_("Chủ nhật"),
    "Ngày làm bù": N_("Ngày làm bù"),
}
MAKEUP_FOR = re.compile(r"^Ngày làm bù cho ngày nghỉ (?P<date>\d{2}/\d{2}/\d{4})$")
MAKEUP_FOR_TEXT = N_("Ngày làm bù cho ngày nghỉ %(date)s")


def vn_day(value: str | date | None) -> str:
    """Return an ISO date (or datetime) as dd/mm/yyyy; anything else as given."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value or "")


def _clock(value: Any, fmt: str) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime(fmt)
    except ValueError:
        return ""


@lru_cache(maxsize=32)
def _holiday_names(year: int) -> dict[str, str]:
    """Return {Vietnamese name: English name} of the public holidays the holidays package knows in a year."""
    import holidays

    vi = holidays.country_holidays("VN", years=year, language="vi")
    en = holidays.country_holidays("VN", years=year, language="en_US")
    return {name: en.get(day, name) for day, name in vi.items()}


def day_name(name: str | None, on: date | str | None = None, translate: Translate = _same,
             language: str = "vi") -> str:
    """Return a day-off or make-up-day name in the reader's language; an admin's reason stays as typed."""
    if not name or language == "vi":
        return name or ""
    if name in DAY_NAMES:
        return translate(DAY_NAMES[name])
    found = MAKEUP_FOR.match(name)
    if found:
        return translate(MAKEUP_FOR_TEXT) % {"date": found["date"]}
    try:
        year = on.year if isinstance(on, date) else date.fromisoformat(str(on)[:10]).year
    except ValueError:
        found_year = re.search(r"\d{4}", str(on or ""))
        if found_year is None:
            return name
        year = int(found_year.group())
    return _holiday_names(year).get(name, name)


def _params(step: Mapping[str, Any], translate: Translate, language: str) -> dict[str, Any]:
    code = step.get("code")
    if code in ("received", "due_time"):
        return {"date": vn_day(step.get("at")), "time": _clock(step.get("at"), "%H:%M")}
    if code == "due_end_of_day":
        return {"date": vn_day(step.get("day")), "time": "23:59:59"}
    if code == "days_start":
        return {"date": vn_day(step.get("first"))}
    if code in ("received_off", "skip", "makeup"):
        return {"date": vn_day(step.get("day")),
                "name": day_name(step.get("name"), step.get("day"), translate, language)}
    if code == "calendar_days":
        return {"n": step.get("n"), "date": vn_day(step.get("last"))}
    if code == "moved":
        return {"date": vn_day(step.get("from")), "next": vn_day(step.get("to"))}
    if code == "working_day_n":
        return {"n": step.get("n"), "date": vn_day(step.get("day"))}
    if code == "estimated":
        return {"years": ", ".join(str(y) for y in step.get("years") or ())}
    if code == "recomputed":
        return {"day": vn_day(step.get("on")), "reason": _calendar_change(step, translate)}
    if code == "rule":
        basis = step.get("basis")
        source = translate(BASIS_WORDS[basis]) if basis in BASIS_WORDS else step.get("source") or ""
        unit = step.get("unit")
        return {"book": step.get("book", ""), "label": rule_label(step.get("label"), translate),
                "amount": step.get("amount", ""),
                "unit": translate(UNIT_WORDS[unit]) if unit in UNIT_WORDS else unit or "", "source": source}
    if code == "layers":
        layers = "; ".join(
            translate(LAYER_SETS_RULE if layer.get("sets_rule") else LAYER_NO_RULE)
            % {"name": layer.get("name", ""), "unit": layer.get("unit") or ""}
            for layer in step.get("layers") or ()
        )
        return {"book": step.get("book", ""), "layers": layers}
    return {"n": step.get("n")}


def _calendar_change(step: Mapping[str, Any], translate: Translate) -> str:
    change, kind = step.get("change"), step.get("kind")
    if change not in CALENDAR_CHANGES or kind not in CALENDAR_KINDS:
        return str(step.get("reason") or "")
    return translate(CALENDAR_CHANGES[change]) % {
        "kind": translate(CALENDAR_KINDS[kind]), "day": vn_day(step.get("day")), "reason": step.get("reason") or ""}


def render_step(step: Mapping[str, Any] | str, translate: Translate = _same, language: str = "vi") -> str:
    """Return one explanation step as a sentence in the reader's language (Vietnamese by default).

    A plain string (or a ``text`` step, or a code this version does not know) is shown as stored.
    """
    if isinstance(step, str):
        return step
    code = str(step.get("code"))
    message = (PUBLIC_MESSAGES.get(code) if step.get("public") else None) or MESSAGES.get(code)
    if message is None:
        return str(step.get("text") or "")
    return translate(message) % _params(step, translate, language)


def render_steps(steps: Iterable[Mapping[str, Any] | str], translate: Translate = _same,
                 language: str = "vi") -> list[str]:
    """Return every step as a sentence, in order."""
    return [render_step(step, translate, language) for step in steps]


def render_note(note: Mapping[str, Any] | str | None, translate: Translate = _same, language: str = "vi") -> str:
    """Return the explanation's note (why the deadline was recounted) in the reader's language."""
    if not note:
        return ""
    if isinstance(note, str):
        return note
    message = NOTES.get(str(note.get("code")))
    if message is None:
        return str(note.get("text") or "")
    unit = note.get("unit")
    if note.get("code") == "extended":
        unit = translate(UNIT_WORDS[unit]) if unit in UNIT_WORDS else unit
    return translate(message) % {"n": note.get("n") or 0, "unit": unit or "", "reason": note.get("reason") or ""}


def civil_code_steps(steps: Iterable[Mapping[str, Any] | str]) -> list[Mapping[str, Any]]:
    """Return the steps that apply the Civil Code counting rules (BLDS 2015)."""
    return [step for step in steps if not isinstance(step, str) and step.get("code") in CIVIL_CODE_STEPS]
