"""deadline explanations as data

``press_requests.deadline_explanation`` kept its "steps" as Vietnamese sentences (and its
"note" as a sentence in the language of whoever caused it). They become data: each step is
``{"code": ..., facts}`` (ISO dates, counts, day names as the calendar gave them) and the
note ``{"code": ..., facts}``; pages render them in the reader's language. Each sentence the
engine ever wrote is recognised by a pattern below; a step is converted only if its data
reads back as exactly the stored sentence (the rule line also when it still carries the
confidence wording pages dropped), otherwise it becomes ``{"code": "text", "text": ...}``
and is shown as stored. Downgrade writes the Vietnamese sentences back.

Self-contained on purpose: the patterns and sentences are the ones in force at this revision.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0011explain'
down_revision = '0010scale'

D = r"(\d{2}/\d{2}/\d{4})"
UNITS = {"giờ": "hours", "ngày": "calendar_days", "ngày làm việc": "working_days"}
UNIT_WORDS = {v: k for k, v in UNITS.items()}
INTERNAL = "chỉ tiêu nội bộ của đơn vị"
UNVERIFIED = "mức mặc định, nguồn đang được đối chiếu"
SETS_RULE = {True: "đặt quy tắc này", False: "không đặt quy tắc cho loại yêu cầu này"}
LAYER = re.compile(r"(?P<name>.+?) \(đơn vị (?P<unit>[^;()]*); (?P<sets>đặt quy tắc này|"
                   r"không đặt quy tắc cho loại yêu cầu này)\)(?:; |$)")


def iso(day: str) -> str:
    d, m, y = day.split("/")
    return f"{y}-{m}-{d}"


def vn(value: str) -> str:
    y, m, d = str(value)[:10].split("-")
    return f"{d}/{m}/{y}"


def _basis(text: str) -> dict[str, Any]:
    if text == INTERNAL:
        return {"basis": "internal"}
    if text == UNVERIFIED:
        return {"basis": "unverified"}
    return {"basis": "source", "source": text}


def _basis_text(step: dict[str, Any]) -> str:
    return {"internal": INTERNAL, "unverified": UNVERIFIED}.get(step.get("basis"), step.get("source") or "")


def _rule(m: re.Match[str]) -> dict[str, Any]:
    return {"book": m["book"], "label": m["label"], "amount": int(m["amount"]), "unit": UNITS[m["unit"]],
            **_basis(m["source"])}


def _old_rule(m: re.Match[str], explanation: dict[str, Any]) -> dict[str, Any]:
    # The confidence wording is staff-only; what the line cites follows the explanation's flags.
    confidence = m["confidence"]
    statutory = explanation.get("statutory")
    if statutory is None:
        statutory = confidence in ("Q", "S")
    step = {"book": m["book"], "label": m["label"], "amount": int(m["amount"]), "unit": UNITS[m["unit"]]}
    if not statutory:
        return {**step, "basis": "internal"}
    if confidence == "U":
        return {**step, "basis": "unverified"}
    return {**step, "basis": "source", "source": m["source"]}


def _layers(m: re.Match[str]) -> dict[str, Any]:
    layers = [{"name": part["name"], "unit": part["unit"], "sets_rule": part["sets"] == SETS_RULE[True]}
              for part in LAYER.finditer(m["names"])]
    return {"book": m["book"], "layers": layers}


def _layers_text(s: dict[str, Any]) -> str:
    names = "; ".join(f"{layer['name']} (đơn vị {layer['unit']}; {SETS_RULE[bool(layer['sets_rule'])]})"
                      for layer in s["layers"])
    return f"Các lớp quy định áp dụng cho đơn vị, trên bộ quy tắc {s['book']}: {names}."


# The calendar change a recount names: (Vietnamese, English) words of the change and of the day's kind.
CHANGES = {"added": ("Thêm", "Added"), "removed": ("Bỏ", "Removed")}
KINDS = {"day_off": ("ngày nghỉ", "day off"), "working_day": ("ngày làm bù", "make-up working day"),
         "cancelled_day_off": ("hủy ngày nghỉ", "cancelled day off")}
CHANGE = re.compile(rf"^(?P<change>{'|'.join(w for pair in CHANGES.values() for w in pair)}) "
                    rf"(?P<kind>{'|'.join(w for pair in KINDS.values() for w in pair)}) {D} — (?P<reason>.*)$", re.S)


def _calendar_change(reason: str) -> dict[str, Any]:
    found = CHANGE.match(reason)
    if found is None:
        return {"reason": reason}
    change = next(code for code, words in CHANGES.items() if found["change"] in words)
    kind = next(code for code, words in KINDS.items() if found["kind"] in words)
    return {"change": change, "kind": kind, "day": iso(found[3]), "reason": found["reason"]}


def _recount_text(step: dict[str, Any]) -> str:
    reason = step["reason"]
    if step.get("change") in CHANGES and step.get("kind") in KINDS:
        reason = f"{CHANGES[step['change']][0]} {KINDS[step['kind']][0]} {vn(step['day'])} — {reason}"
    return f"Tính lại ngày {vn(step['on'])} do lịch làm việc thay đổi: {reason}"


Reader = Callable[[re.Match[str]], dict[str, Any]]
Writer = Callable[[dict[str, Any]], str]

# A placeholder's pattern in a stored sentence, its data from the text, and the text from the data.
FIELDS: dict[str, tuple[str, Callable[[str], Any], Callable[[Any], str]]] = {
    **{name: (D, iso, vn) for name in ("day", "first", "last", "from", "to", "on")},
    "n": (r"\d+", int, str),
    "name": (".+", str, str),
    "reason": (".*", str, str),
}


def _sentence(code: str, sentence: str) -> tuple[str, re.Pattern[str], Reader, Writer]:
    """Return the pattern, reader and writer of a sentence whose {placeholders} are FIELDS."""
    parts = re.split(r"\{(\w+)\}", sentence)
    pattern = re.compile("^" + "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>{FIELDS[part][0].replace('(', '(?:')})"
        for i, part in enumerate(parts)) + "$", re.S)
    names = parts[1::2]

    def reader(m: re.Match[str]) -> dict[str, Any]:
        return {name: FIELDS[name][1](m[name]) for name in names}

    def writer(step: dict[str, Any]) -> str:
        return sentence.format(**{name: FIELDS[name][2](step[name]) for name in names})

    return code, pattern, reader, writer


# code, the stored sentence, its data, and the sentence back from the data.
STEPS: tuple[tuple[str, re.Pattern[str], Reader, Writer], ...] = (
    ("received", re.compile(rf"^Nhận ngày {D} lúc (\d{{2}}:\d{{2}}) \(giờ Việt Nam\)\.$"),
     lambda m: {"at": f"{iso(m[1])}T{m[2]}:00+07:00"},
     lambda s: f"Nhận ngày {vn(s['at'])} lúc {s['at'][11:16]} (giờ Việt Nam)."),
    ("rule", re.compile(r"^Áp dụng (?P<book>.+?): (?P<label>.+) — (?P<amount>\d+) (?P<unit>giờ|ngày làm việc|ngày) "
                        r"\((?P<source>.+)\)\.$"),
     _rule,
     lambda s: f"Áp dụng {s['book']}: {s['label']} — {s['amount']} {UNIT_WORDS[s['unit']]} ({_basis_text(s)})."),
    ("layers", re.compile(r"^Các lớp quy định áp dụng cho đơn vị, trên bộ quy tắc (?P<book>.+?): (?P<names>.+)\.$"),
     _layers, _layers_text),
    ("due_time", re.compile(rf"^Hạn chót: (\d{{2}}:\d{{2}}) ngày {D}\.$"),
     lambda m: {"at": f"{iso(m[2])}T{m[1]}:00+07:00"},
     lambda s: f"Hạn chót: {s['at'][11:16]} ngày {vn(s['at'])}."),
    ("estimated", re.compile(r"^Lịch nghỉ năm (\d{4}(?:, \d{4})*) chưa được công bố chính thức: ngày nghỉ là dự kiến "
                             r"\(theo thư viện holidays\), hạn chót có thể thay đổi\.$"),
     lambda m: {"years": [int(y) for y in m[1].split(", ")]},
     lambda s: f"Lịch nghỉ năm {', '.join(str(y) for y in s['years'])} chưa được công bố chính thức: ngày nghỉ là "
               "dự kiến (theo thư viện holidays), hạn chót có thể thay đổi."),
    _sentence("hours", "Thời hạn {n} giờ tính liên tục từ thời điểm nhận, kể cả ban đêm và ngày nghỉ "
                       "(BLDS 2015, Điều 147)."),
    _sentence("due_end_of_day", "Hạn chót: 23:59:59 ngày {day}."),
    _sentence("days_start", "Thời hạn tính theo ngày: không tính ngày nhận, bắt đầu từ {first} (BLDS 2015, Điều 147)."),
    _sentence("received_off", "Ngày nhận {day} là ngày nghỉ ({name}); thời hạn vẫn bắt đầu từ ngày tiếp theo."),
    _sentence("calendar_days", "Tính {n} ngày theo lịch, kể cả ngày nghỉ: ngày cuối cùng là {last}."),
    _sentence("skip", "Bỏ qua {day} — {name}."),
    _sentence("moved", "Ngày cuối cùng {from} là ngày nghỉ; thời hạn kết thúc vào cuối ngày làm việc tiếp theo {to} "
                       "(BLDS 2015, Điều 148)."),
    _sentence("working_days", "Chỉ tính ngày làm việc: bỏ qua thứ Bảy, Chủ nhật và ngày nghỉ; tính cả ngày làm bù."),
    _sentence("makeup", "Tính {day} là ngày làm việc — {name}."),
    _sentence("working_day_n", "Ngày làm việc thứ {n} là {day}."),
    ("recomputed", re.compile(rf"^Tính lại ngày {D} do lịch làm việc thay đổi: (.*)$", re.S),
     lambda m: {"on": iso(m[1]), **_calendar_change(m[2])}, _recount_text),
)
WRITERS = {code: writer for code, _pattern, _reader, writer in STEPS}
# Sentences stored in another shape than the engine writes today: converted without the read-back check.
OLDER_STEPS: tuple[tuple[str, re.Pattern[str], Callable[..., dict[str, Any]]], ...] = (
    ("rule", re.compile(r"^Áp dụng (?P<book>.+?): (?P<label>.+) — (?P<amount>\d+) (?P<unit>giờ|ngày làm việc|ngày) "
                        r"\((?P<source>.+); độ tin cậy (?P<confidence>[A-Z]): [^)]*\)\.$"), _old_rule),
    # Written in the language of the admin who changed the calendar.
    ("recomputed", re.compile(rf"^Recalculated on {D} because the working calendar changed: (.*)$", re.S),
     lambda m, _e: {"on": iso(m[1]), **_calendar_change(m[2])}),
)

NOTES: tuple[tuple[str, re.Pattern[str], Reader], ...] = (
    ("transferred", re.compile(r"^(?:Thời hạn tính lại từ thời điểm chuyển đến|"
                               r"Deadline recalculated from the time of transfer to) (.+)\.$", re.S),
     lambda m: {"unit": m[1]}),
    ("extended", re.compile(r"^(?:Đã gia hạn thêm|Extended by) (\d+) (giờ|ngày làm việc|ngày); "
                            r"(?:lý do|reason): (.*)$", re.S),
     lambda m: {"n": int(m[1]), "unit": UNITS[m[2]], "reason": m[3]}),
    ("reclassified", re.compile(r"^(?:Thời hạn tính lại từ thời điểm tiếp nhận ban đầu sau khi đổi loại yêu cầu|"
                                r"Deadline recounted from the original receipt after the type was changed)\.$"),
     lambda m: {}),
)
NOTE_WRITERS: dict[str, Writer] = {
    "transferred": lambda n: f"Thời hạn tính lại từ thời điểm chuyển đến {n['unit']}.",
    "extended": lambda n: f"Đã gia hạn thêm {n['n']} {UNIT_WORDS.get(n['unit'], n['unit'])}; lý do: {n['reason']}",
    "reclassified": lambda n: "Thời hạn tính lại từ thời điểm tiếp nhận ban đầu sau khi đổi loại yêu cầu.",
}


def step_to_data(step: Any, explanation: dict[str, Any]) -> Any:
    """Return one stored step as data; a sentence no pattern reads back exactly becomes a text step."""
    if not isinstance(step, str):
        return step
    for code, pattern, older in OLDER_STEPS:  # first: the rule line's older shape also fits today's pattern
        found = pattern.match(step)
        if found:
            return {"code": code, **older(found, explanation)}
    for code, pattern, reader, writer in STEPS:
        found = pattern.match(step)
        if found:
            try:
                data = {"code": code, **reader(found)}
                if writer(data) == step:
                    return data
            except (KeyError, ValueError):
                pass
    return {"code": "text", "text": step}


def step_to_text(step: Any) -> Any:
    """Return one step as the Vietnamese sentence the engine wrote."""
    if not isinstance(step, dict):
        return step
    if step.get("code") in WRITERS:
        return WRITERS[step["code"]](step)
    return str(step.get("text") or "")


def note_to_data(note: Any) -> Any:
    """Return a stored note as data; what no pattern knows stays the sentence it was."""
    if not isinstance(note, str):
        return note
    for code, pattern, reader in NOTES:
        found = pattern.match(note)
        if found:
            return {"code": code, **reader(found)}
    return note


def note_to_text(note: Any) -> Any:
    if isinstance(note, dict):
        writer = NOTE_WRITERS.get(str(note.get("code")))
        return writer(note) if writer is not None else str(note.get("text") or "")
    return note


def to_data(explanation: dict[str, Any]) -> dict[str, Any]:
    """Return a stored explanation with its steps and note as data."""
    if not explanation:
        return explanation
    new = dict(explanation)
    new["steps"] = [step_to_data(step, explanation) for step in explanation.get("steps") or []]
    if "note" in explanation:
        new["note"] = note_to_data(explanation["note"])
    return new


def to_text(explanation: dict[str, Any]) -> dict[str, Any]:
    """Return a stored explanation with its steps and note as Vietnamese sentences."""
    if not explanation:
        return explanation
    new = dict(explanation)
    new["steps"] = [step_to_text(step) for step in explanation.get("steps") or []]
    if "note" in explanation:
        new["note"] = note_to_text(explanation["note"])
    return new


REQUESTS = sa.table("press_requests", sa.column("id", sa.Integer), sa.column("deadline_explanation", sa.JSON))
BATCH = 500


def _rewrite(convert: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(REQUESTS.c.id, REQUESTS.c.deadline_explanation)
            .where(REQUESTS.c.id > last).order_by(REQUESTS.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row_id, explanation in rows:
            if isinstance(explanation, dict) and explanation:
                new = convert(explanation)
                if new != explanation:
                    bind.execute(sa.update(REQUESTS).where(REQUESTS.c.id == row_id)
                                 .values(deadline_explanation=new))
        last = rows[-1][0]


def upgrade():
    _rewrite(to_data)


def downgrade():
    _rewrite(to_text)
