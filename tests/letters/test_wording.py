"""The pure parts of a letter: the date line, the heading, the signer's authority, what is offered."""

from __future__ import annotations

from datetime import date

import pytest

from spokes.letters import wording
from spokes.letters.layout import LetterText, date_line, docx_text, number_line, render_docx
from spokes.letters.models import LetterKind


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 12, 3), "Đông Hưng, ngày 03 tháng 12 năm 2026"),
    (date(2027, 2, 5), "Đông Hưng, ngày 05 tháng 02 năm 2027"),  # months below 3 take a 0
    (date(2026, 7, 15), "Đông Hưng, ngày 15 tháng 7 năm 2026"),  # the others do not
    (date(2026, 1, 31), "Đông Hưng, ngày 31 tháng 01 năm 2026"),
])
def test_date_line_follows_decree_30(day: date, expected: str) -> None:
    assert date_line("Đông Hưng", day) == expected


def test_number_line_and_blank_for_a_draft() -> None:
    assert number_line("05/UBND-VP") == "Số: 05/UBND-VP"
    assert number_line(None).startswith("Số:") and "05" not in number_line(None)


def test_a_peoples_committee_heads_with_its_place_and_no_parent() -> None:
    assert wording.heading("UBND xã Đông Hưng", "UBND tỉnh An Giang") == (None, ["ỦY BAN NHÂN DÂN", "XÃ ĐÔNG HƯNG"])
    assert wording.heading("Ủy ban nhân dân đặc khu Phú Quốc", None) == (None, ["ỦY BAN NHÂN DÂN", "ĐẶC KHU PHÚ QUỐC"])
    assert wording.default_place_name("UBND xã Đông Hưng", "UBND tỉnh An Giang") == "Đông Hưng"
    assert wording.default_symbol("UBND xã Đông Hưng", "AG-DHU") == "UBND-VP"


def test_a_department_heads_under_its_parent() -> None:
    parent, body = wording.heading("Sở Văn hóa, Thể thao và Du lịch", "Ủy ban nhân dân tỉnh An Giang")
    assert parent == "UBND TỈNH AN GIANG" and body == ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"]
    assert wording.default_place_name("Sở Văn hóa, Thể thao và Du lịch", "Ủy ban nhân dân tỉnh An Giang") == "An Giang"
    assert wording.default_symbol("Sở Văn hóa, Thể thao và Du lịch", "AG-VHTTDL") == "SVHTTDL-VP"
    assert wording.default_symbol("Sở Nội vụ", "AG-SNV") == "SNV-VP"
    assert wording.default_symbol("Văn phòng UBND tỉnh", "AG-VP") == "VPUT-VP"


@pytest.mark.parametrize(("unit", "title", "position", "authority"), [
    ("UBND xã Đông Hưng", "Chủ tịch UBND xã Đông Hưng", "CHỦ TỊCH", ["TM. ỦY BAN NHÂN DÂN"]),
    ("UBND xã Đông Hưng", "Phó Chủ tịch UBND xã Đông Hưng", "PHÓ CHỦ TỊCH", ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"]),
    ("Sở Văn hóa, Thể thao và Du lịch", "Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch", "PHÓ GIÁM ĐỐC",
     ["KT. GIÁM ĐỐC"]),
    ("Sở Văn hóa, Thể thao và Du lịch", "Giám đốc Sở", "GIÁM ĐỐC", []),
])
def test_signer_position_and_authority(unit: str, title: str, position: str, authority: list[str]) -> None:
    assert wording.position_from_title(title) == position
    assert wording.authority(unit, position) == authority


def _facts(**changes: object) -> wording.RequestFacts:
    base = dict(reference="AG-DHU-2026-00001", type="information", state="answered", subject="Kênh",
                received_on=date(2026, 12, 1), journalist_name="A", agency_name="Báo An Giang", article_url=None,
                answer_body="Trả lời", refusal_ground_text=None, refusal_ground_source=None, refusal_reason=None,
                conclusion_on=None)
    base.update(changes)
    return wording.RequestFacts(**base)  # type: ignore[arg-type]


def test_kinds_offered_follow_the_records() -> None:
    assert wording.available_kinds(_facts()) == [LetterKind.REPLY]
    assert wording.available_kinds(_facts(state="drafting", answer_body=None)) == []
    assert wording.available_kinds(_facts(article_url="https://baoangiang.com.vn/x")) == [
        LetterKind.REPLY, LetterKind.CORRECTION]
    assert wording.available_kinds(_facts(state="refused", answer_body=None, refusal_ground_text="bí mật")) == [
        LetterKind.REFUSAL]
    forwarded = _facts(type="forwarded_complaint", state="drafting", answer_body=None)
    assert wording.available_kinds(forwarded) == [LetterKind.ACCEPTANCE]
    done = _facts(type="forwarded_feedback", conclusion_on=date(2026, 12, 2))
    assert wording.available_kinds(done) == [LetterKind.ACCEPTANCE, LetterKind.MEASURES, LetterKind.CONCLUSION]


def test_a_refusal_cites_its_source_only_when_it_has_one() -> None:
    facts = _facts(state="refused", refusal_ground_text="bí mật nhà nước", refusal_reason="Hồ sơ mật")
    body = "\n".join(wording.paragraphs(LetterKind.REFUSAL, facts, "UBND xã Đông Hưng"))
    assert "Căn cứ" not in body and "bí mật nhà nước" in body and "Hồ sơ mật" in body
    cited = _facts(state="refused", refusal_ground_text="bí mật", refusal_ground_source="Luật Báo chí 2016, Điều 38")
    assert "Căn cứ Luật Báo chí 2016, Điều 38, UBND xã Đông Hưng không cung cấp" in "\n".join(
        wording.paragraphs(LetterKind.REFUSAL, cited, "UBND xã Đông Hưng"))


def test_the_docx_has_the_decree_layout() -> None:
    data = render_docx(LetterText(
        parent_body=None, issuing_body=["ỦY BAN NHÂN DÂN", "XÃ ĐÔNG HƯNG"], number_and_symbol="07/UBND-VP",
        summary="V/v trả lời", place_name="Đông Hưng", issued_on=date(2026, 12, 3), recipient="Báo An Giang",
        paragraphs=["Nội dung."], copies_to=["Như trên", "Lưu: VT"], signer_authority=["TM. ỦY BAN NHÂN DÂN"],
        signer_position="CHỦ TỊCH", signer_name="Nguyễn Văn Hải"))
    text = docx_text(data)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: 07/UBND-VP",
                     "Đông Hưng, ngày 03 tháng 12 năm 2026", "Kính gửi: Báo An Giang", "Nơi nhận:", "- Như trên;", "- Lưu: VT.",
                     "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Hải", "XÃ ĐÔNG HƯNG"):
        assert expected in text, expected
    from docx import Document
    import io

    section = Document(io.BytesIO(data)).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)
