"""The layout of an official letter (công văn) under Nghị định 30/2020/NĐ-CP, Phụ lục I.

Pure: it takes a ``LetterText`` and returns DOCX bytes, with no Flask and no database.

What the layout follows (Phụ lục I of NĐ 30/2020 on the form of administrative documents):
- A4 paper, portrait; margins top and bottom 20 mm, left 30 mm, right 15 mm (the decree
  allows 20–25, 20–25, 30–35 and 15–20 mm); Times New Roman.
- Top left, centred in its column: the parent body (not bold, when there is one) and the
  issuing body (bold, upper case), a short rule under it; below, "Số: 12/UBND-VP" and, for a
  công văn, the trích yếu "V/v …" (size 12).
- Top right: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (bold, upper case, size 12) and the motto
  "Độc lập - Tự do - Hạnh phúc" (bold, size 13) with a rule under it; below, in italics,
  "<place>, ngày 03 tháng 12 năm 2026" (days below 10 and months below 3 take a leading 0).
- "Kính gửi: …", the body (size 14, justified, first-line indent; the approved answer keeps its
  paragraphs, its list items as paragraphs of their own, "- …" or "1. …", 10 mm further in for each
  level of nesting, and its bold and italic), then two columns:
  "Nơi nhận:" (bold italic, size 12) with its list (size 11) on the left; on the right the
  signer's authority (TM., KT.), title (bold, upper case) and, after room for the signature
  and seal, the full name (bold).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from spokes.core.markdown import Block, Span, markdown_blocks
from spokes.core.word import FONT, remove_table_borders, set_font

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
MAX_DEPTH = 3  # nested lists and quotes in an answer indent 10 mm a step, three steps at most


@dataclass(frozen=True)
class AuthorText:
    """Text a person wrote in Markdown and had approved (an answer), as a part of a letter's body.

    It is printed with its own paragraphs, lists (an item per paragraph: "- …", "1. …"), bold and
    italic, read from the sanitised HTML the public pages show (``core.markdown.markdown_blocks``);
    whatever markup the author typed is printed as text. The letter's own sentences stay plain ``str``.
    """

    markdown: str

    @cached_property
    def blocks(self) -> list[Block]:
        """Return the text's paragraphs, list items, code and tables, indented at most ``MAX_DEPTH`` steps."""
        return [replace(block, depth=min(block.depth, MAX_DEPTH)) for block in markdown_blocks(self.markdown)]


@dataclass(frozen=True)
class LetterText:
    """Everything printed on a letter, already worded."""

    parent_body: str | None  # "UBND TỈNH AN GIANG", or None for a People's Committee
    issuing_body: list[str]  # ["ỦY BAN NHÂN DÂN", "XÃ ĐÔNG HƯNG"]
    number_and_symbol: str | None  # "12/UBND-VP"; None for an unnumbered draft
    summary: str  # "V/v trả lời câu hỏi của Báo An Giang"
    place_name: str
    issued_on: date
    recipient: str  # Kính gửi
    paragraphs: Sequence[str | AuthorText]  # the letter's own sentences, and the approved answer where it goes
    copies_to: list[str] = field(default_factory=list)
    signer_authority: list[str] = field(default_factory=list)  # ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"]
    signer_position: str = ""
    signer_name: str = ""
    draft: bool = False
    raw_copies: bool = False  # copies_to printed as given (the sample template's placeholders)
    # A document with a type name (NĐ 30/2020: quyết định, thông báo, giấy ủy quyền) prints the name
    # and its trích yếu centred under the heading instead of "V/v …" under the number; a decision
    # also has its issuing authority, its grounds ("Căn cứ …") and "QUYẾT ĐỊNH:" before the articles.
    doc_type: str | None = None
    preamble: list[str] = field(default_factory=list)
    grounds: list[str] = field(default_factory=list)
    decides: str | None = None


def date_line(place: str, day: date) -> str:
    """Return "<place>, ngày 03 tháng 12 năm 2026": a leading 0 for days below 10 and months below 3."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def copy_lines(copies: list[str]) -> list[str]:
    """Return the "Nơi nhận" list as printed: "- Như trên;" … and a full stop after the last."""
    lines = [f"- {line.rstrip(';.')};" for line in copies]
    if lines:
        lines[-1] = lines[-1][:-1] + "."
    return lines


def number_line(number_and_symbol: str | None) -> str:
    """Return "Số: 12/UBND-VP", or the blank a draft leaves for the records officer."""
    return f"Số: {number_and_symbol}" if number_and_symbol else "Số:      /"


def _run(paragraph, text: str, size: float, *, bold: bool = False, italic: bool = False):
    return set_font(paragraph.add_run(text), size, bold=bold, italic=italic)


def _para(container, text: str = "", size: float = 14, *, bold: bool = False, italic: bool = False,
          align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER, after: float = 0, indent_mm: float = 0):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0
    if indent_mm:
        fmt.first_line_indent = Mm(indent_mm)
    if text:
        _run(paragraph, text, size, bold=bold, italic=italic)
    return paragraph


def _runs(paragraph, spans: tuple[Span, ...], size: float) -> None:
    """Add spans as runs; a "\\n" in their text is a line break inside the paragraph."""
    for span in spans:
        for number, line in enumerate(span.text.split("\n")):
            if number:
                paragraph.add_run().add_break()
            if line:
                _run(paragraph, line, size, bold=span.bold, italic=span.italic)


def _author_blocks(document, text: AuthorText) -> None:
    """Print an approved answer: a paragraph for each of its paragraphs and list items, indented by depth."""
    for block in text.blocks:
        if block.kind == "table":
            _table(document, block)
            continue
        code = block.kind == "code"
        paragraph = _para(document, "", 14, align=WD_ALIGN_PARAGRAPH.LEFT if code else WD_ALIGN_PARAGRAPH.JUSTIFY,
                          after=6, indent_mm=0 if code else 10)
        if block.depth:
            paragraph.paragraph_format.left_indent = Mm(10 * block.depth)
        if block.marker:
            _run(paragraph, block.marker + " ", 14)
        _runs(paragraph, block.spans, 14)


def _table(document, block: Block) -> None:
    """Print a Markdown table as a Word table with borders, its header row bold."""
    columns = max(len(row) for row in block.rows)
    table = document.add_table(rows=len(block.rows), cols=columns)
    table.style = document.styles["Table Grid"]
    for row, cells in zip(table.rows, block.rows, strict=True):
        for cell, spans in zip(row.cells, cells, strict=False):
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            _runs(paragraph, spans, 13)
    _para(document).paragraph_format.line_spacing = Pt(6)  # 6 pt under the table, as after a paragraph


def _rule_under(paragraph, width_chars: int) -> None:
    """Draw the short horizontal rule under a heading as a bottom border of a narrow paragraph."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p_pr.append(borders)
    # Narrow the paragraph so the rule is about a third of the column, centred.
    indent = OxmlElement("w:ind")
    side = str(max(0, 2400 - width_chars * 60))
    indent.set(qn("w:left"), side)
    indent.set(qn("w:right"), side)
    p_pr.append(indent)


def _clear(cell) -> None:
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)


def render_docx(letter: LetterText, *, placeholders: bool = False) -> bytes:
    """Return the letter as a DOCX file in the NĐ 30/2020 layout (``placeholders``: the sample template)."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    # The default document has one empty paragraph: reuse none of it.
    for paragraph in list(document.paragraphs):
        paragraph._p.getparent().remove(paragraph._p)

    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    remove_table_borders(header)
    left, right = header.rows[0].cells
    left.width, right.width = Mm(65), Mm(100)
    _clear(left)
    _clear(right)
    if letter.parent_body:
        _para(left, letter.parent_body, 12)
    body_lines = letter.issuing_body
    last = None
    for line in body_lines:
        last = _para(left, line, 12, bold=True)
    if last is not None:
        _rule_under(last, max(len(line) for line in body_lines))
    _para(left, "", 6)
    _para(left, "{{ number_line }}" if placeholders else number_line(letter.number_and_symbol), 13)
    if not letter.doc_type:
        _para(left, letter.summary, 12)
    _para(right, NATIONAL_TITLE, 12, bold=True)
    motto = _para(right, MOTTO, 13, bold=True)
    _rule_under(motto, len(MOTTO))
    _para(right, "", 6)
    _para(right, "{{ date_line }}" if placeholders else date_line(letter.place_name, letter.issued_on), 14,
          italic=True)

    if placeholders:
        _para(document, "{%p if draft %}", 14)
    if letter.draft or placeholders:
        _para(document, "DỰ THẢO", 14, bold=True, after=0)
    if placeholders:
        _para(document, "{%p endif %}", 14)
    _para(document, "", 14)
    if letter.doc_type:
        _para(document, letter.doc_type, 14, bold=True)
        title = _para(document, letter.summary, 14, bold=True, after=0)
        _rule_under(title, 12)
        _para(document, "", 14)
    if letter.recipient:
        greeting = _para(document, "", 14, after=6)
        _run(greeting, "Kính gửi: ", 14)
        _run(greeting, letter.recipient, 14)
    for line in letter.preamble:
        _para(document, line, 14, bold=True, after=6)
    for line in letter.grounds:
        _para(document, line, 14, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=3, indent_mm=10)
    if letter.decides:
        _para(document, letter.decides, 14, bold=True, after=6)
    for text in letter.paragraphs:
        if isinstance(text, AuthorText):
            _author_blocks(document, text)
            continue
        for line in text.splitlines() or [""]:
            _para(document, line, 14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6, indent_mm=10)
    _para(document, "", 14)

    footer = document.add_table(rows=1, cols=2)
    remove_table_borders(footer)
    copies, signature = footer.rows[0].cells
    copies.width, signature.width = Mm(75), Mm(90)
    _clear(copies)
    _clear(signature)
    _para(copies, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in letter.copies_to if letter.raw_copies else copy_lines(letter.copies_to):
        _para(copies, line, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in letter.signer_authority:
        _para(signature, line, 13, bold=True)
    _para(signature, letter.signer_position, 13, bold=True)
    for _ in range(4):  # room for the signature and the seal
        _para(signature, "", 13)
    _para(signature, letter.signer_name, 14, bold=True)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_text(data: bytes) -> str:
    """Return every paragraph of a DOCX (tables included), one per line: for checks and search."""
    document = Document(io.BytesIO(data))
    lines: list[str] = []

    def walk(container) -> None:
        for block in container.iter_inner_content() if hasattr(container, "iter_inner_content") else container.paragraphs:
            if hasattr(block, "rows"):
                for row in block.rows:
                    for cell in row.cells:
                        walk(cell)
            else:
                lines.append(block.text)

    walk(document)
    return "\n".join(lines)


# --------------------------------------------------------------------------- a unit's own template

TEMPLATE_MAX_BYTES = 2 * 1024 * 1024


class TemplateError(ValueError):
    """An uploaded letter template cannot be used; the message says why."""


def paragraph_texts(letter: LetterText) -> list[str]:
    """Return the body as plain paragraphs: an approved answer gives one for each of its paragraphs and
    list items, markers in front ("- …", "1. …"), as a unit's own template prints them."""
    texts: list[str] = []
    for text in letter.paragraphs:
        texts += [block.text for block in text.blocks] if isinstance(text, AuthorText) else [text]
    return texts


def template_context(letter: LetterText) -> dict[str, object]:
    """Return what a unit's DOCX template (docxtpl) may print: the same values as the built-in layout."""
    return {
        "parent_body": letter.parent_body or "", "issuing_body": letter.issuing_body,
        "number_line": number_line(letter.number_and_symbol), "summary": letter.summary,
        "national_title": NATIONAL_TITLE, "motto": MOTTO, "date_line": date_line(letter.place_name, letter.issued_on),
        "recipient": letter.recipient, "paragraphs": paragraph_texts(letter), "copies": copy_lines(letter.copies_to),
        "signer_authority": letter.signer_authority, "signer_position": letter.signer_position,
        "signer_name": letter.signer_name, "draft": letter.draft, "doc_type": letter.doc_type or "",
        "preamble": letter.preamble, "grounds": letter.grounds, "decides": letter.decides or "",
    }


def render_with_template(template: bytes, letter: LetterText) -> bytes:
    """Fill a unit's DOCX template with the letter.

    The template is Jinja inside Word (docxtpl), run in a sandbox with every value
    XML-escaped, so neither a template nor a journalist's text can break out of the document.
    """
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError as JinjaError
    from jinja2.sandbox import SandboxedEnvironment

    try:
        document = DocxTemplate(io.BytesIO(template))
        document.render(template_context(letter), jinja_env=SandboxedEnvironment(), autoescape=True)
        out = io.BytesIO()
        document.save(out)
    except JinjaError as err:
        raise TemplateError(f"lỗi trong mẫu: {err}") from err
    except Exception as err:  # noqa: BLE001 - a damaged DOCX is a bad template, reported, never a 500
        raise TemplateError(f"không đọc được tệp DOCX: {err.__class__.__name__}") from err
    return out.getvalue()


def check_template(template: bytes) -> None:
    """Refuse a template that is too large, not a DOCX, or does not render a sample letter."""
    if len(template) > TEMPLATE_MAX_BYTES:
        raise TemplateError("tệp mẫu quá lớn (tối đa 2 MB)")
    if not template.startswith(b"PK"):
        raise TemplateError("tệp mẫu không phải DOCX")
    sample = LetterText(parent_body="UBND TỈNH AN GIANG", issuing_body=["SỞ MẪU"], number_and_symbol="01/MAU",
                        summary="V/v mẫu", place_name="An Giang", issued_on=date(2026, 1, 1), recipient="Báo mẫu",
                        paragraphs=["Đoạn một & <hai>."], copies_to=["Như trên", "Lưu: VT"],
                        signer_authority=["KT. GIÁM ĐỐC"], signer_position="PHÓ GIÁM ĐỐC", signer_name="Nguyễn Văn A")
    docx_text(render_with_template(template, sample))


def sample_template() -> bytes:
    """Return the built-in layout as a docxtpl template, for a unit to download, edit in Word and upload."""
    return render_docx(LetterText(
        parent_body="{{ parent_body }}", issuing_body=["{%p for line in issuing_body %}", "{{ line }}", "{%p endfor %}"],
        number_and_symbol=None, summary="{{ summary }}", place_name="", issued_on=date(2000, 1, 1),
        recipient="{{ recipient }}", paragraphs=["{%p for text in paragraphs %}", "{{ text }}", "{%p endfor %}"],
        copies_to=["{%p for line in copies %}", "{{ line }}", "{%p endfor %}"], raw_copies=True,
        signer_authority=["{%p for line in signer_authority %}", "{{ line }}", "{%p endfor %}"],
        signer_position="{{ signer_position }}", signer_name="{{ signer_name }}",
    ), placeholders=True)
