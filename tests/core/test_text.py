"""Search folding and slugs for Vietnamese text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spokes.core.text import MAX_TERM_LENGTH, fold, search_terms, slugify

# Every vowel with every tone (none, huyền, sắc, hỏi, ngã, nặng), written out literally.
VOWEL_ROWS = {
    "a": "aàáảãạ", "ă": "ăằắẳẵặ", "â": "âầấẩẫậ", "e": "eèéẻẽẹ", "ê": "êềếểễệ", "i": "iìíỉĩị",
    "o": "oòóỏõọ", "ô": "ôồốổỗộ", "ơ": "ơờớởỡợ", "u": "uùúủũụ", "ư": "ưừứửữự", "y": "yỳýỷỹỵ",
}
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VIETNAMESE_LETTERS = "".join(VOWEL_ROWS.values()) + "bcdđghklmnpqrstvx" + "fjwz"
VIETNAMESE_ALPHABET = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
VIETNAMESE_NON_ASCII = frozenset(ch for ch in VIETNAMESE_ALPHABET if not ch.isascii())


def test_vowel_table_is_complete_and_correct() -> None:
    for vowel, row in VOWEL_ROWS.items():
        assert row == "".join(unicodedata.normalize("NFC", vowel + tone) for tone in TONES)


@pytest.mark.parametrize(("vowel", "row"), VOWEL_ROWS.items())
def test_fold_drops_every_tone_in_both_cases(vowel: str, row: str) -> None:
    base = fold(vowel)
    assert len(base) == 1 and base in "aeiouy"
    assert fold(row) == base * 6
    assert fold(row.upper()) == base * 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phát ngôn", "phat ngon"),
        ("Đông Hưng", "dong hung"),
        ("UBND xã Vân Khánh Đông", "ubnd xa van khanh dong"),
        ("đường ĐÊ biển", "duong de bien"),
        ("ĐẢNG ỦY Xã", "dang uy xa"),
        ("  Trả   lời\tbáo\nchí  ", "tra loi bao chi"),
        ("NGƯỜI PHÁT NGÔN", "nguoi phat ngon"),
        ("Thủ tướng Chính phủ", "thu tuong chinh phu"),
        ("Ðông", "dong"),  # U+00D0 eth, emitted by legacy converters for Đ
        (unicodedata.normalize("NFD", "Quyết định số 12/QĐ-UBND"), "quyet dinh so 12/qd-ubnd"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_fold_table(text: str | None, expected: str) -> None:
    assert fold(text) == expected


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert not set(folded) & VIETNAMESE_NON_ASCII


@given(st.text(alphabet=VIETNAMESE_ALPHABET + " \t\n0123456789.,-"))
def test_fold_of_vietnamese_is_ascii(text: str) -> None:
    assert fold(text).isascii()
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)


def test_search_terms() -> None:
    assert search_terms("  Đê biển  đê BIỂN, Vân-Khánh ") == ["de", "bien", "van", "khanh"]
    assert search_terms("a b c d e", max_terms=3) == ["a", "b", "c"]
    assert search_terms("100% ho_so") == ["100", "ho", "so"]  # no LIKE wildcards survive
    assert search_terms("   ,;  ") == []
    assert search_terms("x" * 500) == ["x" * MAX_TERM_LENGTH]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trả lời báo chí về dự án đê biển", "tra-loi-bao-chi-ve-du-an-de-bien"),
        ("ĐÁP ỨNG thông tin: Đông Hưng!", "dap-ung-thong-tin-dong-hung"),
        ("  --Quyết định 12/QĐ-UBND--  ", "quyet-dinh-12-qd-ubnd"),
        ("Ưu tiên ưu đãi", "uu-tien-uu-dai"),
        ("", "muc"),
        ("!!!", "muc"),
        ("北京", "muc"),
    ],
)
def test_slugify_table(text: str, expected: str) -> None:
    assert slugify(text) == expected


def test_slugify_truncates_on_word_boundary() -> None:
    assert slugify("Trả lời báo chí về dự án đê biển", max_length=12) == "tra-loi-bao"
    assert slugify("Trả lời báo chí", max_length=11) == "tra-loi-bao"
    assert slugify("a" * 100, max_length=10) == "a" * 10


@given(st.text())
def test_slugify_is_always_a_short_ascii_slug(text: str) -> None:
    slug = slugify(text, max_length=30)
    assert slug and len(slug) <= 30
    assert all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in slug)
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
