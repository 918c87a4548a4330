"""How a letter is worded from a request's recorded data. Pure: plain values in, text out.

Nothing here is retyped by a person: the body of a reply is the approved answer, a refusal
cites the ground recorded with it, and the heading comes from the unit tree. The approved answer is
Markdown and goes into the letter whole, as an ``AuthorText`` the DOCX and the PDF print with its lists
and emphasis; every other sentence is plain text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TypedDict
from datetime import date, datetime

from spokes.core.markdown import starts_with_sentence
from spokes.letters.layout import AuthorText
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
    answer_body: str | None  # the answer sent (kind "answer"), if any: Markdown, as the author wrote it
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
    """Split plain text (a recorded conclusion, a conference's content) into its paragraphs (blank lines
    between them); list items stay lines of one paragraph."""
    return [block.strip() for block in re.split(r"\n\s*\n", body or "") if block.strip()]


def _answer(body: str | None) -> list[str | AuthorText]:
    """Return the approved answer as one part of the body (none when it is empty)."""
    return [AuthorText(body)] if body and body.strip() else []


def _lead_in(sentence: str, body: str | None) -> list[str | AuthorText]:
    """Return the letter's sentence that introduces the answer, unless the answer already opens with it.

    The approved answer is printed as approved, never cut, so it is the letter's own sentence
    that gives way: the lead-in is printed once either way.
    """
    return [] if starts_with_sentence(body, sentence) else [sentence]


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
    }.get(kind) or publication_summary(facts, ["feedback", "correction"])


def paragraphs(kind: LetterKind, facts: RequestFacts, unit_name: str,
               asks: list[str] | None = None) -> list[str | AuthorText]:
    """Return the body of a letter, paragraph by paragraph; the approved answer is one ``AuthorText``."""
    asked_by = facts.journalist_name or "phóng viên"
    if facts.agency_name:
        asked_by += f" ({facts.agency_name})"
    opening = (f"{unit_name} nhận được yêu cầu của {asked_by} ngày {_vn(facts.received_on)} "
               f"(số tiếp nhận {facts.reference}) về việc: {facts.subject}.")
    if kind is LetterKind.REPLY:
        lead = f"{unit_name} trả lời như sau:"
        return [opening, *_lead_in(lead, facts.answer_body), *_answer(facts.answer_body),
                f"{unit_name} trả lời để {recipient(facts)} được biết./."]
    if kind is LetterKind.REFUSAL:
        basis = f"Căn cứ {facts.refusal_ground_source}, " if facts.refusal_ground_source else ""
        body: list[str | AuthorText] = [
            opening, f"{basis}{unit_name} không cung cấp thông tin về nội dung trên vì thuộc trường hợp: "
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
        lead = f"{unit_name} thông báo các biện pháp đã và đang thực hiện để giải quyết như sau:"
        return [opening, *_lead_in(lead, facts.answer_body), *_answer(facts.answer_body),
                f"{unit_name} thông báo để {recipient(facts)} được biết./."]
    if kind is LetterKind.CONCLUSION:
        on = _vn(facts.conclusion_on) if facts.conclusion_on else ""
        document = f" (văn bản số {facts.conclusion_document})" if facts.conclusion_document else ""
        return [opening, f"Ngày {on}, nội dung trên đã có kết luận giải quyết{document}. "
                         f"{unit_name} thông báo kết quả như sau:",
                *(_blocks(facts.conclusion_summary) if facts.conclusion_summary else _answer(facts.answer_body)),
                f"{unit_name} thông báo để {recipient(facts)} được biết./."]
    # LetterKind.CORRECTION: the sixth form
    return publication_paragraphs(facts, unit_name, asks or ["feedback", "correction"])


def copies_to(kind: LetterKind, facts: RequestFacts) -> list[str]:
    """Return the default "Nơi nhận" list."""
    return ["Như trên", "Lưu: VT"]


# --------------------------------------------------------------------------- the sixth form

ASK_WORDS = {"feedback": "phản hồi", "correction": "cải chính", "apology": "xin lỗi"}


def asks_phrase(asks: list[str]) -> str:
    """Return what a sixth-form letter asks for, in words: "phản hồi, cải chính và xin lỗi"."""
    words = [ASK_WORDS[a] for a in ("feedback", "correction", "apology") if a in asks] or [ASK_WORDS["correction"]]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " và " + words[-1]


def publication_summary(facts: RequestFacts, asks: list[str]) -> str:
    """Return the trích yếu of a sixth-form letter for what it asks."""
    return f"V/v đề nghị {recipient(facts)} đăng, phát {asks_phrase(asks)}"


def publication_paragraphs(facts: RequestFacts, unit_name: str, asks: list[str]) -> list[str | AuthorText]:
    """Return the body of a sixth-form letter: the article, the unit's text, what is asked."""
    phrase = asks_phrase(asks)
    return [f"Ngày {_vn(facts.received_on)}, {recipient(facts)} đăng tải bài viết {facts.article_url} "
            f"về việc: {facts.subject}.",
            *_lead_in(f"{unit_name} có ý kiến {phrase} như sau:", facts.answer_body), *_answer(facts.answer_body),
            f"Đề nghị {recipient(facts)} đăng, phát nội dung {phrase} trên theo quy định "
            f"của pháp luật về báo chí./."]


# --------------------------------------------------------------------------- press conferences


@dataclass(frozen=True)
class ConferenceFacts:
    """What a press-conference notice states (Law on Press 2016 Điều 41; NĐ 237/2026 Điều 22)."""

    title: str
    content: str
    place: str
    starts_at_vn: datetime  # Vietnamese time
    chair_name: str
    chair_title: str
    outlets: list[str]
    regulator_name: str
    law_2016: bool  # the conference falls under the Law on Press 2016 (before 01/07/2026)


def conference_summary(facts: ConferenceFacts) -> str:
    """Return the trích yếu of a press-conference notice."""
    return f"V/v thông báo tổ chức họp báo về {facts.title}"


def conference_paragraphs(facts: ConferenceFacts, unit_name: str) -> list[str]:
    """Return the body of the notice: content, time, place, chair and invited press agencies."""
    basis = ("Thực hiện quy định tại khoản 3 Điều 41 Luật Báo chí năm 2016" if facts.law_2016
             else "Thực hiện quy định của pháp luật về báo chí")
    at = facts.starts_at_vn
    outlets = "; ".join(facts.outlets) if facts.outlets else "các cơ quan báo chí trên địa bàn"
    return [f"{basis}, {unit_name} thông báo tổ chức họp báo như sau:",
            f"1. Nội dung họp báo: {facts.title}.", *_blocks(facts.content),
            f"2. Thời gian: {at:%H} giờ {at:%M}, ngày {at:%d/%m/%Y}.",
            f"3. Địa điểm: {facts.place}.",
            f"4. Người chủ trì họp báo: {facts.chair_name}, {facts.chair_title}.",
            f"5. Cơ quan báo chí được mời: {outlets}.",
            f"{unit_name} kính thông báo để {facts.regulator_name} biết, theo dõi./."]


# --------------------------------------------------------------------------- spokesperson designation


@dataclass(frozen=True)
class DesignationFacts:
    """What the designation letters say about one designation."""

    kind: str  # head | designated | authorised
    person_name: str
    title: str
    phone: str | None
    email: str | None
    valid_from: date
    valid_to: date | None
    topic: str | None
    case_reference: str | None
    decision: str | None  # "05/QĐ-UBND ngày 03/12/2026" once a decision is numbered
    law_2016: bool  # designated before 01/07/2026: NĐ 09/2017 applies


def designation_kinds(kind: str) -> list[LetterKind]:
    """Return the letters a designation can have: its decision or authorisation, and the announcement."""
    if kind == "designated":
        return [LetterKind.DESIGNATION, LetterKind.ANNOUNCEMENT]
    if kind == "authorised":
        return [LetterKind.AUTHORISATION, LetterKind.ANNOUNCEMENT]
    return [LetterKind.ANNOUNCEMENT]


def _term(facts: DesignationFacts) -> str:
    if facts.valid_to is None:
        return f"từ ngày {_vn(facts.valid_from)}"
    return f"từ ngày {_vn(facts.valid_from)} đến hết ngày {_vn(facts.valid_to)}"


def _case(facts: DesignationFacts) -> str:
    case = facts.topic or ""
    if facts.case_reference:
        case += f" (mã yêu cầu {facts.case_reference})"
    return case.strip()


def _grounds(facts: DesignationFacts) -> list[str]:
    if facts.law_2016:
        return ["Căn cứ Luật Báo chí ngày 05 tháng 4 năm 2016;",
                "Căn cứ Nghị định số 09/2017/NĐ-CP của Chính phủ quy định chi tiết việc phát ngôn và cung cấp "
                "thông tin cho báo chí của các cơ quan hành chính nhà nước;"]
    return ["Căn cứ Luật Báo chí số 126/2025/QH15;",
            "Căn cứ Nghị định số 237/2026/NĐ-CP của Chính phủ;"]


def head_title(unit_name: str, position: str) -> str:
    """Return the issuing authority of a decision: "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ ĐÔNG HƯNG"."""
    _parent, body = heading(unit_name, None)
    head = position.removeprefix("PHÓ ").strip() or "THỦ TRƯỞNG"
    return f"{head} {' '.join(body)}"


class DesignationParts(TypedDict):
    """The parts of a designation letter, as ``designation_text`` writes them."""

    doc_type: str
    summary: str
    recipient: str
    preamble: list[str]
    grounds: list[str]
    decides: str | None
    paragraphs: list[str]


def designation_text(kind: LetterKind, facts: DesignationFacts, unit_name: str,
                     head_position: str) -> DesignationParts:
    """Return the parts of a designation letter: doc_type, summary, recipient, preamble, grounds, decides, paragraphs."""
    contact = "; ".join(x for x in (f"điện thoại: {facts.phone}" if facts.phone else "",
                                    f"thư điện tử: {facts.email}" if facts.email else "") if x)
    if kind is LetterKind.DESIGNATION:
        return {
            "doc_type": "QUYẾT ĐỊNH",
            "summary": "Về việc giao nhiệm vụ phát ngôn và cung cấp thông tin cho báo chí",
            "recipient": "", "preamble": [head_title(unit_name, head_position)], "grounds": _grounds(facts),
            "decides": "QUYẾT ĐỊNH:",
            "paragraphs": [
                f"Điều 1. Giao nhiệm vụ phát ngôn và cung cấp thông tin cho báo chí của {unit_name} cho "
                f"đồng chí {facts.person_name}, {facts.title}" + (f" ({contact})" if contact else "") + ".",
                "Điều 2. Người được giao nhiệm vụ phát ngôn có trách nhiệm phát ngôn, cung cấp thông tin cho "
                "báo chí theo quy định của pháp luật; họ tên, chức vụ, số điện thoại, thư điện tử của người "
                f"phát ngôn được công bố bằng văn bản và đăng trên trang thông tin điện tử của {unit_name}.",
                f"Điều 3. Quyết định này có hiệu lực {_term(facts)}. Văn phòng, các bộ phận có liên quan và "
                f"đồng chí {facts.person_name} chịu trách nhiệm thi hành Quyết định này./."],
        }
    if kind is LetterKind.AUTHORISATION:
        return {
            "doc_type": "GIẤY ỦY QUYỀN",
            "summary": "Phát ngôn và cung cấp thông tin cho báo chí",
            "recipient": "", "preamble": [], "grounds": _grounds(facts), "decides": None,
            "paragraphs": [
                f"Người ủy quyền: người đứng đầu {unit_name}.",
                f"Người được ủy quyền: đồng chí {facts.person_name}, {facts.title}"
                + (f" ({contact})" if contact else "") + ".",
                f"Nội dung ủy quyền: phát ngôn, cung cấp thông tin cho báo chí về vụ việc: {_case(facts)}.",
                f"Thời hạn ủy quyền: {_term(facts)}.",
                "Người được ủy quyền chịu trách nhiệm về nội dung phát ngôn, cung cấp thông tin và không được "
                "ủy quyền tiếp cho người khác./."],
        }
    # LetterKind.ANNOUNCEMENT
    what = {"head": "người đứng đầu, trực tiếp phát ngôn",
            "designated": "người được giao nhiệm vụ phát ngôn",
            "authorised": "người được ủy quyền phát ngôn"}.get(facts.kind, "người phát ngôn")
    body = [f"{unit_name} thông báo {what} và cung cấp thông tin cho báo chí như sau:",
            f"- Họ và tên: {facts.person_name}.", f"- Chức vụ: {facts.title}."]
    if facts.phone:
        body.append(f"- Điện thoại: {facts.phone}.")
    if facts.email:
        body.append(f"- Thư điện tử: {facts.email}.")
    if facts.kind == "authorised" and _case(facts):
        body.append(f"- Phạm vi: vụ việc {_case(facts)}.")
    if facts.decision:
        body.append(f"- Văn bản: số {facts.decision}.")
    body.append(f"- Thời gian: {_term(facts)}.")
    body.append(f"{unit_name} thông báo để các cơ quan báo chí biết, liên hệ./.")
    return {"doc_type": "THÔNG BÁO", "summary": "Về người phát ngôn và cung cấp thông tin cho báo chí",
            "recipient": "", "preamble": [], "grounds": [], "decides": None, "paragraphs": body}


def doc_symbol(kind: LetterKind, unit_symbol: str) -> str:
    """Return the symbol of a document (NĐ 30/2020, Phụ lục III abbreviations): a công văn keeps the unit's
    symbol ("UBND-VP"); a decision is "QĐ-UBND", a notice "TB-UBND", an authorisation "GUQ-UBND"."""
    prefix = {LetterKind.DESIGNATION: "QĐ", LetterKind.ANNOUNCEMENT: "TB", LetterKind.AUTHORISATION: "GUQ"}.get(kind)
    if prefix is None:
        return unit_symbol
    return f"{prefix}-{unit_symbol.split('-')[0] or unit_symbol}"
