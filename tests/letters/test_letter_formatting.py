"""The approved answer keeps its shape in the letter: paragraphs, lists, bold and italic, never markup of its own.

The answer is Markdown (the draft form says so, and the public page renders it); the letter's PDF
and DOCX print it from the same sanitised rendering, and the letter's lead-in ("… trả lời như
sau:") is printed once even when the answer opens with it.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from spokes.extensions import db
from spokes.letters import services, wording
from spokes.letters.layout import LetterText, docx_text, render_docx, template_context
from spokes.letters.models import Letter, LetterKind

LEAD_IN = "UBND xã Đông Hưng trả lời như sau:"
ANSWER = ("UBND xã Đông Hưng trả lời như sau:\r\n\r\n"
          "- Kênh Thứ Mười Một được nạo vét **3,2 km** trong năm 2026.\r\n"
          "- Kinh phí: 4,5 tỷ đồng.\r\n"
          "- Dự kiến hoàn thành 30/12/2026.\r\n\r\n"
          "Các bước tiếp theo:\r\n\r\n"
          "1. Nghiệm thu *phần* **cuối**.\r\n"
          "2. Bàn giao cho xã.")
ITEMS = ["- Kênh Thứ Mười Một được nạo vét 3,2 km trong năm 2026.", "- Kinh phí: 4,5 tỷ đồng.",
         "- Dự kiến hoàn thành 30/12/2026.", "1. Nghiệm thu phần cuối.", "2. Bàn giao cho xã."]
# Raw HTML and dangerous Markdown an author might type; WeasyPrint would fetch or attach what a
# real tag names (a local file, an internal address), so none of it may reach the letter as markup.
PAYLOAD = ('- <b>in đậm giả</b> <script>alert(1)</script>\n'
           '- <img src="file:///etc/passwd">\n'
           '- <link rel="attachment" href="/etc/passwd">\n'
           '- ![ảnh](file:///etc/hostname) [liên kết](javascript:alert(1)) <style>*{color:red}</style>\n'
           '- **thật**')


@pytest.fixture()
def answered_with(world: dict[str, Any], make_request: Callable[..., Any]) -> Callable[[str], Any]:
    """Return a function that makes an answered request of UBND xã Đông Hưng with a given answer."""
    from spokes.press_requests import services as svc

    def make(body: str) -> Any:
        req = make_request(world["dhu"], subject="Tiến độ nạo vét kênh Thứ Mười Một", agency="Báo An Giang",
                           journalist_name="Nguyễn Thị Phóng Viên")
        svc.save_draft(world["chair"], req, svc.DraftData(body=body))
        svc.submit_draft(world["chair"], req)
        svc.approve(world["chair"], req)
        db.session.commit()
        assert req.state == "answered"
        return req

    return make


def _issue(world: dict[str, Any], req: Any) -> Letter:
    letter = services.issue(world["chair"], req, services.default_choices(req, LetterKind.REPLY, world["chair"]))
    db.session.commit()
    return letter


def _pdf_text(letter: Letter) -> str:
    if letter.pdf is None:
        pytest.skip("this server cannot make PDFs (WeasyPrint or Pango missing)")
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) not installed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=letter.pdf, capture_output=True,
                          check=True).stdout.decode()


def _pdf_bold(pdf: bytes, folder: Path) -> str:
    """Return what poppler reads as set in a bold font (pdftohtml marks it <b>), the pieces joined by "|".

    A letter with diacritics may come in several pieces ("cu", "ố", "i") where the font changes.
    """
    xml = _poppler("pdftohtml", "-xml -i -stdout -q", pdf, folder)
    pieces = re.findall(r"<text [^>]*>(?:<i>)?<b>([^<]*)</b>(?:</i>)?</text>", xml)
    return html.unescape("|".join(pieces))


def _poppler(tool: str, options: str, pdf: bytes, folder: Path) -> str:
    """Run a poppler tool on a PDF (some read no standard input) and return what it prints."""
    if not shutil.which(tool):
        pytest.skip(f"poppler-utils ({tool}) not installed")
    path = folder / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *options.split(), str(path)], capture_output=True, check=True).stdout.decode()


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _body(paragraphs: list[Any]) -> str:
    """Return a letter body as the DOCX prints it, one paragraph a line."""
    return docx_text(render_docx(LetterText(
        parent_body=None, issuing_body=["ỦY BAN NHÂN DÂN", "XÃ ĐÔNG HƯNG"], number_and_symbol="01/UBND-VP",
        summary="V/v trả lời", place_name="Đông Hưng", issued_on=date(2026, 12, 3), recipient="Báo An Giang",
        paragraphs=paragraphs, copies_to=["Như trên", "Lưu: VT"], signer_authority=["TM. ỦY BAN NHÂN DÂN"],
        signer_position="CHỦ TỊCH", signer_name="Nguyễn Văn Hải")))


def _facts(answer: str, **changes: Any) -> wording.RequestFacts:
    base: dict[str, Any] = dict(
        reference="AM-DHU-2026-00001", type="information", state="answered", subject="Kênh",
        received_on=date(2026, 12, 1), journalist_name="A", agency_name="Báo An Giang", article_url=None,
        answer_body=answer, refusal_ground_text=None, refusal_ground_source=None, refusal_reason=None,
        conclusion_on=None)
    base.update(changes)
    return wording.RequestFacts(**base)


def test_the_pdf_keeps_the_answers_list_and_bold(world, answered_with, tmp_path):
    letter = _issue(world, answered_with(ANSWER))
    text = _pdf_text(letter)
    lines = _lines(text)
    for item in ITEMS:  # each item on a line of its own, its bullet or number in front
        assert item in lines, (item, text)
    assert "Các bước tiếp theo:" in lines
    assert "**" not in text and "*phần*" not in text
    bold = _pdf_bold(letter.pdf, tmp_path)
    assert "3,2 km" in bold and "cu|ố|i" in bold, bold
    assert "Kinh ph" not in bold and "Nghi" not in bold  # only what the author set in bold


def test_the_docx_keeps_the_answers_list_and_bold(world, answered_with):
    letter = _issue(world, answered_with(ANSWER))
    paragraphs = Document(io.BytesIO(letter.docx)).paragraphs
    texts = [p.text for p in paragraphs]
    for item in ITEMS:  # a paragraph for each list item, its bullet or number in front
        assert item in texts, (item, texts)
    item = paragraphs[texts.index(ITEMS[0])]
    assert [r.text for r in item.runs if r.bold] == ["3,2 km"]
    assert item.paragraph_format.first_line_indent is not None  # indented like the letter's paragraphs
    numbered = paragraphs[texts.index(ITEMS[3])]
    assert [r.text for r in numbered.runs if r.italic] == ["phần"]
    assert [r.text for r in numbered.runs if r.bold] == ["cuối"]
    assert "**" not in docx_text(letter.docx)
    # A unit's own template (docxtpl) prints the body as plain paragraphs: one for each item too.
    parts = template_context(services.compose(
        letter.request, services.default_choices(letter.request, LetterKind.REPLY, world["chair"]),
        number_and_symbol=None, issued_on=date(2026, 12, 3)))["paragraphs"]
    assert all(item in parts for item in ITEMS), parts


def test_markup_in_the_answer_is_printed_as_text_never_obeyed(world, answered_with, tmp_path):
    letter = _issue(world, answered_with(PAYLOAD))
    docx = Document(io.BytesIO(letter.docx)).paragraphs
    texts = [p.text for p in docx]
    assert "- <b>in đậm giả</b> <script>alert(1)</script>" in texts, texts
    fake = docx[texts.index("- <b>in đậm giả</b> <script>alert(1)</script>")]
    assert not any(r.bold for r in fake.runs)  # the typed <b> is text, not bold
    assert '- <img src="file:///etc/passwd">' in texts and '- <link rel="attachment" href="/etc/passwd">' in texts
    # Markdown images and unsafe links go as on the public page: no image, the link's words only.
    assert "- liên kết <style>*{color:red}</style>" in texts
    assert [r.text for r in docx[texts.index("- thật")].runs if r.bold] == ["thật"]
    body = docx_text(letter.docx)
    assert "javascript" not in body and "etc/hostname" not in body
    assert not any("alert" in t and "**" in t for t in texts)
    lines = _lines(_pdf_text(letter))
    assert "- <b>in đậm giả</b> <script>alert(1)</script>" in lines, lines
    assert "- liên kết <style>*{color:red}</style>" in lines and "- thật" in lines
    assert '- <img src="file:///etc/passwd">' in lines and '- <link rel="attachment" href="/etc/passwd">' in lines
    bold = _pdf_bold(letter.pdf, tmp_path)
    assert "th|ậ|t" in bold and "đậm" not in bold.replace("|", "") and "alert" not in bold, bold
    # Nothing was fetched, attached or drawn: no embedded file, no image.
    assert _poppler("pdfdetach", "-list", letter.pdf, tmp_path).startswith("0 embedded files")
    assert len(_poppler("pdfimages", "-list", letter.pdf, tmp_path).splitlines()) == 2  # the table's heading only


def test_the_lead_in_is_printed_once_in_the_issued_letter(world, answered_with):
    letter = _issue(world, answered_with(ANSWER))
    assert docx_text(letter.docx).count("trả lời như sau") == 1
    text = _pdf_text(letter)
    assert text.count("trả lời như sau") == 1
    lines = _lines(text)
    assert lines[lines.index(LEAD_IN) + 1] == ITEMS[0]  # the answer's own lead-in, then its list
    assert "UBND xã Đông Hưng trả lời để Báo An Giang được biết./." in lines


def test_the_lead_in_gives_way_only_to_the_same_sentence():
    def body(answer: str, kind: LetterKind = LetterKind.REPLY, **changes: Any) -> str:
        return _body(wording.paragraphs(kind, _facts(answer, **changes), "UBND xã Đông Hưng"))

    # The same sentence, whatever its case, spacing, line breaks, emphasis or a missing colon: printed once.
    for same in (LEAD_IN, "ubnd  XÃ ĐÔNG HƯNG\ntrả lời NHƯ SAU:", "**UBND xã Đông Hưng trả lời như sau:**",
                 "UBND xã Đông Hưng trả lời như sau", "UBND xã Đông Hưng trả lời như sau: kênh đã thông."):
        text = body(same + "\n\n- Một.\n- Hai.")
        assert text.lower().count("trả lời như sau") == 1, (same, text)
        assert "- Một.\n- Hai." in text
    # Another sentence keeps the letter's own lead-in: diacritics count, and so do other words.
    for other in ("UBND xa Dong Hung tra loi nhu sau:", "UBND xã Vân Khánh trả lời như sau:",
                  "UBND xã Đông Hưng trả lời như sau về hai nội dung:", "Kênh đã thông.", "- Một.\n- Hai."):
        text = body(other)
        assert f"{LEAD_IN}\n" in text, (other, text)
    # The other letters that introduce the answer with a sentence of their own do the same.
    measures = "UBND xã Đông Hưng thông báo các biện pháp đã và đang thực hiện để giải quyết như sau:"
    text = body(f"{measures}\n\n- Nạo vét.", LetterKind.MEASURES, type="forwarded_feedback")
    assert text.count(measures) == 1 and "- Nạo vét." in text
    text = body("UBND xã Đông Hưng có ý kiến phản hồi, cải chính như sau:\n\n- Sai số liệu.", LetterKind.CORRECTION,
                article_url="https://baoangiang.com.vn/x")
    assert text.count("có ý kiến phản hồi, cải chính như sau") == 1 and "- Sai số liệu." in text
