"""Render user-written Markdown to sanitised HTML or to plain text."""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
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


class _SafeMarkdown(Extension):
    """Treat raw HTML as literal text and demote headings."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - python-markdown API
        # Escaping raw HTML up front means the sanitiser is a second wall, not the only one.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 5)


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


# Tags after which the text of an HTML e-mail breaks the line (the stripper drops the tags).
_HTML_BREAKS = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol)>|<hr\s*/?>", re.I)


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
