"""How a letter is worded from a request's recorded data. Pure: plain values in, text out.

Nothing here is retyped by a person: the body of a reply is the approved answer, a refusal
cites the ground recorded with it, and the heading comes from the unit tree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from spokes.letters.models import LetterKind

# Request types whose items a press agency forwards (Law on Press; ND 09/ND 237): the unit
# notifies acceptance, the measures taken and the conclusion.
FORWARDED_TYPES = frozenset({"forwarded_feedback", "forwarded_complaint", "forwarded_denunciation"})

_PC_PREFIX = re.compile(r"^(ủy ban nhân dân|uỷ ban nhân dân|ubnd)\s+", re.IGNORECASE)
_KIND_WORD = re.compile(r"^(xã|phường|đặc khu|thị trấn|huyện|thị xã|thành phố|tỉnh)\s+", re.IGNORECASE)
_TITLE_CUT = re.compile(r"\s+(ubnd|ủy ban|uỷ ban|sở|văn phòng|phòng|xã|phường|đặc khu|tỉnh|huyện)\b.*$",
                        re.IGNORECASE)


def upper(text: str) -> str:
    """Return Vietnamese text in upper case, composed (NFC) as Word expects it."""
    return unicodedata.normalize("NFC", text).upper()


def is_peoples_committee(unit_name: str) -> bool:
    """Tell whether a unit is a People's Committee (its letters are signed "TM. ỦY BAN NHÂN DÂN")."""
    return bool(_PC_PREFIX.match(unit_name.strip()))


def heading(unit_name: str, parent_name: str | None) -> tuple[str | None, list[str]]:
    """Return (parent body, issuing body lines) for the top-left block.

    A People's Committee prints "ỦY BAN NHÂN DÂN" over its place ("XÃ ĐÔNG HƯNG") and no
    parent; a department prints its parent, shortened as is the custom ("UBND TỈNH AN GIANG"),
    over its own name.
    """
    name = unit_name.strip()
    if is_peoples_committee(name):
        return None, ["ỦY BAN NHÂN DÂN", upper(_PC_PREFIX.sub("", name))]
    parent = None
    if parent_name:
        parent = upper(_PC_PREFIX.sub("UBND ", parent_name.strip()))
    return parent, [upper(name)]


def default_place_name(unit_name: str, parent_name: str | None) -> str:
    """Return the place printed before the date: "Đông Hưng" for UBND xã Đông Hưng; a department's province."""
    name = unit_name.strip()
    if is_peoples_committee(name):
        return _KIND_WORD.sub("", _PC_PREFIX.sub("", name)).strip()
    if parent_name:
        return default_place_name(parent_name, None)
    return name


def default_symbol(unit_name: str, reference_prefix: str) -> str:
    """Return the symbol after the number: UBND-VP for a People's Committee; for a department the
    initials of its name, as offices write them (Sở Văn hóa, Thể thao và Du lịch → SVHTTDL-VP)."""
    if is_peoples_committee(unit_name):
        return "UBND-VP"
    words = [w for w in re.split(r"[\s,;.()-]+", unit_name) if w and w.lower() != "và"]
    initials = "".join(_ascii_initial(w) for w in words)
    return f"{initials or reference_prefix.upper()}-VP"


def _ascii_initial(word: str) -> str:
    first = unicodedata.normalize("NFD", word[0].replace("đ", "d").replace("Đ", "D"))[0]
    return first.upper() if first.isalnum() else ""


def position_from_title(title: str | None) -> str:
    """Return the signer's position in capitals from a title: "Phó Chủ tịch UBND xã …" → "PHÓ CHỦ TỊCH"."""
    text = _TITLE_CUT.sub("", (title or "").strip())
    return upper(text) if text else ""


def authority(unit_name: str, position: str) -> list[str]:
    """Return the lines above the position: "TM. ỦY BAN NHÂN DÂN", and "KT. CHỦ TỊCH" for a deputy."""
    lines = ["TM. ỦY BAN NHÂN DÂN"] if is_peoples_committee(unit_name) else []
    if position.startswith("PHÓ "):
        lines.append("KT. " + position.removeprefix("PHÓ ").strip())
    return lines


@dataclass(frozen=True)
class RequestFacts:
    """What a letter says about its request, as plain values."""

    reference: str
    type: str
    state: str
    subject: str
    received_on: date
    journalist_name: str | None
    agency_name: str | None
    article_url: str | None
    answer_body: str | None  # the answer sent (kind "answer"), if any
    refusal_ground_text: str | None
    refusal_ground_source: str | None  # None when the ground's source is not verified
    refusal_reason: str | None
    conclusion_on: date | None
    conclusion_document: str | None = None  # the conclusion's number and symbol, as recorded
    conclusion_summary: str | None = None  # its summary as recorded on the request


def available_kinds(facts: RequestFacts) -> list[LetterKind]:
    """Return the letters the request's recorded data can support now, in the order offered."""
    kinds: list[LetterKind] = []
    forwarded = facts.type in FORWARDED_TYPES
    if facts.state == "answered" and facts.answer_body:
        kinds.append(LetterKind.MEASURES if forwarded else LetterKind.REPLY)
        if forwarded and facts.conclusion_on is not None:
            kinds.append(LetterKind.CONCLUSION)
        if facts.article_url:
            kinds.append(LetterKind.CORRECTION)
    if facts.state == "refused" and facts.refusal_ground_text:
        kinds.append(LetterKind.REFUSAL)
    if forwarded and facts.state not in ("withdrawn", "refused"):
        kinds.insert(0, LetterKind.ACCEPTANCE)
    return kinds


def _blocks(body: str | None) -> list[str]:
    """Split an answer into its paragraphs (blank lines between them); list items stay lines of one paragraph."""
    return [block.strip() for block in re.split(r"\n\s*\n", body or "") if block.strip()]


def _vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def recipient(facts: RequestFacts) -> str:
    """Return whom the letter is addressed to: the press agency, else the journalist."""
    return facts.agency_name or facts.journalist_name or "Cơ quan báo chí"


def summary(kind: LetterKind, facts: RequestFacts) -> str:
    """Return the trích yếu ("V/v …") of a letter."""
    who = recipient(facts)
    return {
        LetterKind.REPLY: f"V/v trả lời, cung cấp thông tin cho {who}",
        LetterKind.REFUSAL: f"V/v từ chối cung cấp thông tin cho {who}",
        LetterKind.ACCEPTANCE: "V/v thông báo thụ lý nội dung do cơ quan báo chí chuyển đến",
        LetterKind.MEASURES: "V/v thông báo biện pháp giải quyết nội dung do cơ quan báo chí chuyển đến",
        LetterKind.CONCLUSION: "V/v thông báo kết luận giải quyết nội dung do cơ quan báo chí chuyển đến",
        LetterKind.CORRECTION: f"V/v đề nghị {who} đăng phản hồi, cải chính thông tin",
    }[kind]


def paragraphs(kind: LetterKind, facts: RequestFacts, unit_name: str) -> list[str]:
    """Return the body of a letter, paragraph by paragraph."""
    asked_by = facts.journalist_name or "phóng viên"
    if facts.agency_name:
        asked_by += f" ({facts.agency_name})"
    opening = (f"{unit_name} nhận được yêu cầu của {asked_by} ngày {_vn(facts.received_on)} "
               f"(số tiếp nhận {facts.reference}) về việc: {facts.subject}.")
    if kind is LetterKind.REPLY:
        return [opening, f"{unit_name} trả lời như sau:", *_blocks(facts.answer_body),
                f"{unit_name} trả lời để {recipient(facts)} được biết./."]
    if kind is LetterKind.REFUSAL:
        basis = f"Căn cứ {facts.refusal_ground_source}, " if facts.refusal_ground_source else ""
        body = [opening, f"{basis}{unit_name} không cung cấp thông tin về nội dung trên vì thuộc trường hợp: "
                         f"{facts.refusal_ground_text}"]
        if facts.refusal_reason:
            body.append(f"Lý do cụ thể: {facts.refusal_reason}")
        body.append(f"{unit_name} thông báo để {recipient(facts)} được biết./.")
        return body
    if kind is LetterKind.ACCEPTANCE:
        return [opening, f"{unit_name} đã tiếp nhận và thụ lý giải quyết nội dung trên theo quy định của pháp luật; "
                         f"kết quả giải quyết sẽ được thông báo đến {recipient(facts)}.",
                f"{unit_name} thông báo để {recipient(facts)} được biết./."]
    if kind is LetterKind.MEASURES:
        return [opening, f"{unit_name} thông báo các biện pháp đã và đang thực hiện để giải quyết như sau:",
                *_blocks(facts.answer_body), f"{unit_name} thông báo để {recipient(facts)} được biết./."]
    if kind is LetterKind.CONCLUSION:
        on = _vn(facts.conclusion_on) if facts.conclusion_on else ""
        document = f" (văn bản số {facts.conclusion_document})" if facts.conclusion_document else ""
        return [opening, f"Ngày {on}, nội dung trên đã có kết luận giải quyết{document}. "
                         f"{unit_name} thông báo kết quả như sau:",
                *_blocks(facts.conclusion_summary or facts.answer_body),
                f"{unit_name} thông báo để {recipient(facts)} được biết./."]
    # LetterKind.CORRECTION
    return [f"Ngày {_vn(facts.received_on)}, {recipient(facts)} đăng tải bài viết {facts.article_url} "
            f"về việc: {facts.subject}.",
            f"{unit_name} phản hồi, cải chính thông tin như sau:", *_blocks(facts.answer_body),
            f"Đề nghị {recipient(facts)} đăng tải nội dung phản hồi, cải chính trên theo quy định "
            f"của pháp luật về báo chí./."]


def copies_to(kind: LetterKind, facts: RequestFacts) -> list[str]:
    """Return the default "Nơi nhận" list."""
    return ["Như trên", "Lưu: VT"]
