"""Vietnamese-aware text keys: accent-insensitive search folding and URL slugs."""

from __future__ import annotations

import re
import unicodedata

# đ/Đ carry a stroke, not a combining mark, so NFD leaves them intact; ð/Ð (eth) are
# mapped too because legacy TCVN3/VNI converters and some keyboards emit U+00D0 for Đ.
_STROKED_D = str.maketrans({"đ": "d", "ð": "d"})
# Terms exclude "_" as well as punctuation so they are safe inside SQL LIKE patterns.
_WORD = re.compile(r"[^\W_]+")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
MAX_TERM_LENGTH = 64


def fold(text: str | None) -> str:
    """Return a search key for *text* that ignores case, diacritics and spacing.

    The order NFD → casefold → NFD follows Unicode canonical caseless matching:
    casefolding can itself produce precomposed letters, and decomposing again
    before dropping marks keeps ``fold`` idempotent.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.translate(_STROKED_D).split())


def search_terms(query: str, max_terms: int = 8) -> list[str]:
    """Split *query* into at most *max_terms* distinct folded words, each capped in length."""
    terms: list[str] = []
    for word in _WORD.findall(fold(query)):
        term = word[:MAX_TERM_LENGTH]
        if term not in terms:
            terms.append(term)
    return terms[: max(max_terms, 0)]


def slugify(text: str, max_length: int = 80) -> str:
    """Return an ASCII, hyphen-separated URL slug for *text*, never empty ("muc")."""
    slug = _NON_SLUG.sub("-", fold(text)).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        # The cut fell mid-word: back off to the last whole word when there is one.
        if slug[max_length] != "-" and cut.rfind("-") > 0:
            cut = cut[: cut.rfind("-")]
        slug = cut.strip("-")
    return slug or "muc"
