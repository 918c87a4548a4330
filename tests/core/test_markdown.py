"""Markdown rendering: allow-listed HTML only, XSS payloads neutralised."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from spokes.core.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, plain_text, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<body onload=alert(1)>",
    "<!--<script>alert(1)//-->",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1))',
    "<javascript:alert(1)>",
    "**<script>**alert(1)**</script>**",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "- <a href=javascript:alert(1)>x</a>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
]


class _TagCollector(HTMLParser):
    """Collect every real start tag with its attributes (escaped text is not a tag)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _assert_safe(rendered: str) -> None:
    assert "<script" not in rendered.lower()
    collector = _TagCollector()
    collector.feed(rendered)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        href = "".join((attrs.get("href") or "").split()).lower()
        if ":" in href.split("/", 1)[0]:
            assert href.startswith(("http:", "https:", "mailto:")), href


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    _assert_safe(render_markdown(payload))


@given(st.lists(st.sampled_from([*XSS_PAYLOADS, "**b**", "[ok](https://a.vn)", "\n", "\n\n", "- ", "> ", " "])))
def test_combined_payloads_stay_safe(parts: list[str]) -> None:
    _assert_safe(render_markdown("".join(parts)))


@given(st.text())
def test_arbitrary_text_stays_safe(text: str) -> None:
    _assert_safe(render_markdown(text))


def test_raw_html_is_shown_as_text() -> None:
    assert render_markdown("<b>đậm</b>") == Markup("<p>&lt;b&gt;đậm&lt;/b&gt;</p>")


def test_returns_markup_not_double_escaped() -> None:
    rendered = render_markdown("**Phát ngôn** & trả lời")
    assert isinstance(rendered, Markup)
    assert escape(rendered) == rendered
    assert "<strong>Phát ngôn</strong> &amp; trả lời" in rendered


def test_allowed_markdown_survives() -> None:
    html = render_markdown(
        "# Tiêu đề\n\nDòng một\ndòng hai *nghiêng*\n\n1. một\n2. hai\n\n- a\n- b\n\n> trích dẫn\n\n"
        "`mã`\n\n```\nkhối mã\n```\n\n---\n\n| Cột | Số |\n|:----|---:|\n| a | 1 |\n\n"
        '[Cổng](https://example.gov.vn "Cổng TTĐT") [thư](mailto:vanphong@example.gov.vn)'
    )
    for fragment in (
        "<h3>Tiêu đề</h3>",  # headings are demoted below the page's own h1/h2
        "Dòng một<br>",
        "<em>nghiêng</em>",
        "<ol>",
        "<ul>",
        "<blockquote>",
        "<code>mã</code>",
        "<pre><code>khối mã",
        "<hr>",
        '<th align="left">Cột</th>',
        '<td align="right">1</td>',
        '<a href="https://example.gov.vn" title="Cổng TTĐT" rel="noopener noreferrer nofollow">Cổng</a>',
        '<a href="mailto:vanphong@example.gov.vn" rel="noopener noreferrer nofollow">thư</a>',
    ):
        assert fragment in html


def test_empty_input() -> None:
    assert render_markdown(None) == Markup("")
    assert render_markdown("") == Markup("")
    assert plain_text(None) == ""


def test_plain_text_strips_markup_and_keeps_paragraphs() -> None:
    text = "# Thông báo\n\n**Họp báo** lúc 9 giờ & <b>đúng giờ</b>\n\n- một\n- hai\n\n[Cổng](https://a.vn)"
    assert plain_text(text) == "Thông báo\n\nHọp báo lúc 9 giờ & <b>đúng giờ</b>\n\nmột\nhai\n\nCổng"


@pytest.mark.parametrize(
    ("max_length", "expected"),
    [
        (100, "Phát ngôn viên trả lời báo chí"),
        (30, "Phát ngôn viên trả lời báo chí"),
        (29, "Phát ngôn viên trả lời báo…"),
        (27, "Phát ngôn viên trả lời báo…"),
        (26, "Phát ngôn viên trả lời…"),
        (5, "Phát…"),
        (3, "Ph…"),
        (1, "…"),
    ],
)
def test_plain_text_truncates_on_word_boundary(max_length: int, expected: str) -> None:
    assert plain_text("Phát ngôn viên **trả lời** báo chí", max_length) == expected


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_plain_text_respects_max_length(text: str, max_length: int) -> None:
    assert len(plain_text(text, max_length)) <= max_length


def test_plain_text_rejects_non_positive_length() -> None:
    with pytest.raises(ValueError):
        plain_text("abc", 0)


def test_a_list_may_start_on_the_line_after_a_sentence():
    """The answer's help says one item per line starting with "- "; no blank line is needed before it."""
    html = str(render_markdown("Kết quả như sau:\n- Kinh phí 2 tỷ\n- Tiến độ 80%\n\nCác bước:\n1. Một\n2. Hai"))
    assert "<p>Kết quả như sau:</p>\n<ul>\n<li>Kinh phí 2 tỷ</li>\n<li>Tiến độ 80%</li>\n</ul>" in html
    assert "<p>Các bước:</p>\n<ol>\n<li>Một</li>\n<li>Hai</li>\n</ol>" in html
    assert "- Kinh phí" not in html


@pytest.mark.parametrize("text, kept", [
    ("Dự án khởi công từ năm\n2024. Đến nay đã hoàn thành 80%.", "2024. Đến nay"),  # a wrapped sentence
    ("Theo Điều\n3) của quy chế", "3) của quy chế"),
])
def test_a_wrapped_sentence_is_not_cut_into_a_list(text, kept):
    html, plain = str(render_markdown(text)), plain_text(text)
    assert kept in html and "<li>" not in html and "<ol>" not in html
    assert kept in plain


def test_text_that_only_looks_like_a_list_stays_text():
    html = str(render_markdown("Nhiệt độ\n-5 độ\n\n```\ncấu hình:\n- không phải danh sách\n```"))
    assert "-5 độ" in html and "<li>" not in html and "- không phải danh sách" in html
