"""Render user-written Markdown to sanitised HTML, to plain text, or to blocks for documents."""

from __future__ import annotations

import html
import re
import threading
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown
import nh3
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5", "h6", "a",
     "table", "thead", "tbody", "tr", "th", "td", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"}), "th": frozenset({"align"}), "td": frozenset({"align"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Only the parts of "extra" that emit allow-listed markup: attr_list would let authors set
# attributes, md_in_html processes raw HTML, and footnotes/abbr/def_list produce ids and
# tags the sanitiser would strip into confusing fragments.
_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]
# align= instead of the default style= so column alignment survives without allowing style.
_EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}
# Closing tags after which plain text needs a blank line (python-markdown already puts
# one newline between blocks, list items and <br> lines).
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|blockquote|pre|table|ul|ol)>|<hr\s*/?>")
_HEADINGS = {f"h{level}": f"h{min(level + 2, 6)}" for level in range(1, 7)}

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)
_stripper = nh3.Cleaner(tags=set())
_local = threading.local()


class _ShiftHeadings(Treeprocessor):
    """Demote headings by two levels: the page itself owns h1 and h2."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in _HEADINGS:
                element.tag = _HEADINGS[element.tag]


_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}\.)\s+\S")
# What may start a list right under a line of text (CommonMark's rule): a bullet, or a numbered list
# that starts at 1. A wrapped sentence whose next line opens "2024. Đến nay …" stays one paragraph.
_LIST_START = re.compile(r"^ {0,3}(?:[-*+]|1\.)\s+\S")


class _ListsAfterText(Preprocessor):
    """Start a list on the line after a sentence, as people type it.

    Markdown wants a blank line before a list; without one "Kết quả:\n- Một\n- Hai" reads as one
    paragraph of dashes. A blank line is put before a list item that follows a line of text.
    Fenced code is already set aside by the time this runs.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            previous = out[-1] if out else ""
            if (_LIST_START.match(line) and previous.strip() and not previous[0].isspace()
                    and not _LIST_ITEM.match(previous)):
                out.append("")
            out.append(line)
        return out


class _SafeMarkdown(Extension):
    """Treat raw HTML as literal text and demote headings."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - python-markdown API
        # Escaping raw HTML up front means the sanitiser is a second wall, not the only one.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 5)
        md.preprocessors.register(_ListsAfterText(md), "lists_after_text", 20)  # after fenced_code (25)


def _to_html(text: str) -> str:
    # Markdown instances keep per-document state, so each thread reuses its own.
    converter: markdown.Markdown | None = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(
            extensions=[*_EXTENSIONS, _SafeMarkdown()], extension_configs=_EXTENSION_CONFIGS, output_format="html"
        )
    return converter.reset().convert(text)


def render_markdown(text: str | None) -> Markup:
    """Convert Markdown to allow-listed, sanitised HTML that Jinja will not escape again."""
    if not text:
        return Markup("")
    return Markup(_cleaner.clean(_to_html(text)))


def plain_text(text: str | None, max_length: int | None = None) -> str:
    """Convert Markdown to plain text, cut on a word boundary with "…" beyond *max_length*.

    The result is unescaped text: escape it again wherever it is put into HTML.
    """
    if not text:
        return ""
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", _to_html(text))
    raw = html.unescape(_stripper.clean(marked))
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    # Blocks become paragraphs separated by one blank line; list items stay one per line.
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return result if max_length is None else _truncate(result, max_length)


@dataclass(frozen=True)
class Span:
    """A run of text with its emphasis; a line break is a "\\n" in the text."""

    text: str
    bold: bool = False
    italic: bool = False


Cell = tuple[Span, ...]


@dataclass(frozen=True)
class Block:
    """One block of rendered Markdown, for documents that are not web pages (a letter's DOCX and PDF).

    ``kind`` is "paragraph", "item" (a list item: ``marker`` is "-" or "1.", "2." … as the author
    would type it), "code" (preformatted: keep its spaces and line breaks) or "table" (``rows`` of
    cells, the header row first, its cells bold). ``depth`` is how far lists and quotes indent it.
    """

    kind: str
    spans: tuple[Span, ...] = ()
    depth: int = 0
    marker: str = ""
    rows: tuple[tuple[Cell, ...], ...] = ()

    @property
    def text(self) -> str:
        """Return the block's text without emphasis (the marker of an item in front)."""
        words = "".join(span.text for span in self.spans)
        if self.kind == "table":
            words = "\n".join(" | ".join("".join(s.text for s in cell) for cell in row) for row in self.rows)
        return f"{self.marker} {words}" if self.marker else words


def markdown_blocks(text: str | None) -> list[Block]:
    """Convert Markdown to blocks: paragraphs, list items, code and tables, with bold and italic.

    The blocks are read from the very HTML ``render_markdown`` returns, so they hold what the
    public pages show after the same sanitising, and nothing else: raw HTML an author typed is
    text here too, never markup.
    """
    if not text:
        return []
    walker = _BlockWalker()
    walker.feed(str(render_markdown(text)))
    walker.close()
    return walker.blocks


_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # not \s: a no-break space is text, as in a browser


class _BlockWalker(HTMLParser):
    """Walk sanitised HTML (only the tags of ``ALLOWED_TAGS``) into ``Block``s."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._spans: list[Span] | None = None  # the open block's text
        self._kind, self._depth, self._marker = "paragraph", 0, ""
        self._item_waiting = False  # a list item is open and has no text yet (a loose item's <p> joins it)
        self._lists: list[list[int]] = []  # per open list: [ordered (1/0), items so far]
        self._quotes = self._bold = self._italic = self._pre = 0
        self._rows: list[tuple[Cell, ...]] | None = None
        self._row: list[Cell] = []
        self._cell: list[Span] | None = None

    def _nesting(self) -> int:
        return max(len(self._lists) - 1, 0) + self._quotes

    def _open(self, kind: str = "paragraph", marker: str = "") -> None:
        self._flush()
        self._spans, self._kind, self._depth, self._marker = [], kind, self._nesting(), marker

    def _flush(self) -> None:
        spans, self._spans = self._spans, None
        self._item_waiting = False
        if spans is None:
            return
        tidy = tuple(spans) if self._kind == "code" else _tidy(spans)
        if self._kind == "code" and tidy:
            tidy = (*tidy[:-1], Span(tidy[-1].text.rstrip("\n")))
        if any(span.text.strip() for span in tidy):
            self.blocks.append(Block(self._kind, tidy, self._depth, self._marker))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("strong", "b", "th"):
            self._bold += 1
        elif tag in ("em", "i"):
            self._italic += 1
        if tag in ("ul", "ol"):
            self._flush()
            self._lists.append([int(tag == "ol"), 0])
        elif tag == "li":
            ordered, count = self._lists[-1] if self._lists else [0, 0]
            if self._lists:
                self._lists[-1][1] = count + 1
            self._open("item", f"{count + 1}." if ordered else "-")
            self._item_waiting = True
        elif tag == "p":
            if not (self._item_waiting and self._spans is not None
                    and not "".join(s.text for s in self._spans).strip()):
                self._open()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._open()
            self._bold += 1
        elif tag == "blockquote":
            self._flush()
            self._quotes += 1
        elif tag == "pre":
            self._open("code")
            self._pre += 1
        elif tag == "br":
            self._data("\n")  # already past handle_data's folding of spaces
        elif tag == "hr":
            self._flush()
        elif tag == "table":
            self._flush()
            self._rows = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("strong", "b", "th"):
            self._bold = max(self._bold - 1, 0)
        elif tag in ("em", "i"):
            self._italic = max(self._italic - 1, 0)
        if tag in ("ul", "ol"):
            self._flush()
            if self._lists:
                self._lists.pop()
        elif tag in ("li", "p"):
            self._flush()
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self._bold = max(self._bold - 1, 0)
        elif tag == "blockquote":
            self._flush()
            self._quotes = max(self._quotes - 1, 0)
        elif tag == "pre":
            self._flush()
            self._pre = max(self._pre - 1, 0)
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(_tidy(self._cell))
            self._cell = None
        elif tag == "tr" and self._rows is not None:
            if self._row:
                self._rows.append(tuple(self._row))
            self._row = []
        elif tag == "table" and self._rows is not None:
            if self._rows:
                self.blocks.append(Block("table", depth=self._nesting(), rows=tuple(self._rows)))
            self._rows = None

    def handle_data(self, data: str) -> None:
        self._data(data if self._pre else _HTML_SPACE.sub(" ", data))

    def _data(self, text: str) -> None:
        span = Span(text, self._bold > 0, self._italic > 0)
        if self._cell is not None:
            self._cell.append(span)
        elif self._rows is not None:
            return  # the spaces between a table's tags
        elif self._spans is None and text.strip():  # text after a nested list, say: a paragraph of its own
            self._open()
        if self._spans is not None:
            self._spans.append(span)


def _tidy(spans: list[Span]) -> tuple[Span, ...]:
    """Trim spaces at the ends of lines, merge runs of the same emphasis, drop empty ones."""
    out: list[Span] = []
    for span in spans:
        text = span.text
        if not out or out[-1].text.endswith((" ", "\n")):
            text = text.lstrip(" ")
        if text == "\n" and out:
            last = out[-1]
            out[-1] = Span(last.text.rstrip(" "), last.bold, last.italic)
        if not text:
            continue
        if out and (out[-1].bold, out[-1].italic) == (span.bold, span.italic):
            out[-1] = Span(out[-1].text + text, span.bold, span.italic)
        else:
            out.append(Span(text, span.bold, span.italic))
    if out:
        last = out[-1]
        out[-1] = Span(last.text.rstrip(" \n"), last.bold, last.italic)
    return tuple(span for span in out if span.text)


# Tags after which the text of an HTML e-mail breaks the line (the stripper drops the tags).
_HTML_BREAKS = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol)>|<hr\s*/?>", re.I)


def _folded_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def starts_with_sentence(body: str | None, sentence: str) -> bool:
    """Tell whether an answer (Markdown) opens with a sentence of the letter, e.g. "UBND xã An Minh trả lời như sau:".

    The answer's text is compared as printed (no Markdown), ignoring case and runs of spaces
    and line breaks but not diacritics ("tra loi" is not "trả lời"); the sentence's closing
    colon may be left out where the answer's line ends there.
    """
    words = _folded_text(sentence).rstrip().removesuffix(":").split()
    if not words or not body:
        return False
    opening = r"\s+".join(re.escape(word) for word in words) + r"[^\S\n]*(?::|\n|$)"
    return re.match(opening, _folded_text(plain_text(body)).lstrip()) is not None


def html_to_text(source: str | None) -> str:
    """Convert an HTML document (an e-mail body) to plain text: no tags, no script or style content.

    The same sanitiser as ``plain_text`` removes every tag; script and style elements go with
    their content, so nothing a sender wrote as code or remote content survives.
    """
    if not source:
        return ""
    marked = _HTML_BREAKS.sub(lambda m: m.group(0) + "\n", source)
    raw = html.unescape(_stripper.clean(marked))
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _truncate(text: str, max_length: int) -> str:
    if max_length < 1:
        raise ValueError("max_length must be positive")
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    if len(cut.split()) > 1 and not (cut[-1].isspace() or text[max_length - 1].isspace()):
        cut = cut.rsplit(None, 1)[0]  # the cut fell mid-word: drop the partial word
    return cut.rstrip(" \n,;:-–—") + "…"
