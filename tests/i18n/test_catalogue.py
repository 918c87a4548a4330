"""The English catalogue: it compiles, is complete, and covers every string in the code.

msgids are Vietnamese (the default locale); ``en/messages.po`` translates them. When a test
here fails because a string was added or changed, re-extract and update the catalogue:

    .venv/bin/pybabel extract -F spokes/translations/babel.cfg -k _l -k lazy_pgettext:1c,2 -o spokes/translations/messages.pot spokes templates
    .venv/bin/pybabel update -i spokes/translations/messages.pot -d spokes/translations -l en

then translate the new entries in ``spokes/translations/en/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "spokes" / "translations"
BABEL_CFG = TRANSLATIONS / "babel.cfg"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
SOURCE_DIRS = (ROOT / "spokes", ROOT / "templates")
# The same keywords as `pybabel extract -k _l -k lazy_pgettext:1c,2`.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_pgettext": ((1, "c"), 2)}

# A printf conversion (``%(name)s``, ``%d``, ``%%``) and a ``{…}`` placeholder.
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACES = re.compile(r"\{[^{}]*\}")


def _placeholders(text: str) -> Counter[str]:
    return Counter(PERCENT.findall(text)) + Counter(BRACES.findall(text))


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    """Return the English catalogue as read from the repository."""
    with EN_PO.open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str, str | None], list[str]]:
    """Extract every msgid from spokes/ and templates/ in-process, with where it occurs."""
    with BABEL_CFG.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(BABEL_CFG))
    found: dict[tuple[str, str | None], list[str]] = {}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(directory), method_map, options_map, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, (list, tuple)) else message
            if msgid:
                found.setdefault((msgid, context), []).append(f"{directory.name}/{filename}:{lineno}")
    return found


def _entries(catalogue: Catalog):
    return [m for m in catalogue if m.id]


def test_header_declares_english_with_two_plural_forms(catalogue: Catalog) -> None:
    assert str(catalogue.locale) == "en"
    assert catalogue.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not catalogue.fuzzy


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue: Catalog) -> None:
    entries = _entries(catalogue)
    assert len(entries) > 1000  # the whole UI, not a stub
    empty = [m.id for m in entries if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not empty, f"{len(empty)} untranslated msgids, e.g. {empty[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries to review, e.g. {fuzzy[:5]}"


def test_translations_keep_placeholders_exactly(catalogue: Catalog) -> None:
    wrong = []
    for m in _entries(catalogue):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for translated in strings:
            if _placeholders(translated) != _placeholders(ids[0]):
                wrong.append((ids[0], translated))
    assert not wrong, f"placeholders differ: {wrong[:5]}"
    # Babel's own python-format checker agrees.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check()]
    assert not problems, problems[:5]


def test_python_format_entries_are_flagged(catalogue: Catalog) -> None:
    flagged = {m.id for m in _entries(catalogue) if m.python_format}
    assert "Đã tiếp nhận yêu cầu %(ref)s. Hạn trả lời: %(due)s." in flagged
    assert "Gửi câu hỏi" not in flagged


def test_catalogue_compiles_and_translates(catalogue: Catalog) -> None:
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    translations = Translations(fp=buffer)
    assert translations.gettext("Gửi câu hỏi") == "Ask a question"
    assert translations.gettext("Người phát ngôn") == "Spokesperson"
    assert translations.gettext("Hạn trả lời") == "Answer due"
    assert translations.gettext("Quá hạn") == "Overdue"
    formatted = translations.gettext("Cải chính lúc %(at)s") % {"at": "01/07/2026 09:30"}
    assert formatted == "Corrected at 01/07/2026 09:30"
    # A msgid that is not in the catalogue falls back to itself (Vietnamese), never to "".
    assert translations.gettext("Không có trong danh mục") == "Không có trong danh mục"


def test_extraction_finds_python_and_template_strings(extracted) -> None:
    places = {place.split("/", 1)[0] for where in extracted.values() for place in where}
    assert places == {"spokes", "templates"}
    assert ("Bỏ qua, đến nội dung chính", None) in extracted  # templates/base.html
    assert ("Vui lòng nhập mã yêu cầu.", None) in extracted  # a lazy _l() in a form
    assert len(extracted) > 1000


def test_every_extracted_msgid_has_an_english_translation(extracted, catalogue: Catalog) -> None:
    missing = []
    for (msgid, context), where in sorted(extracted.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        message = catalogue.get(msgid, context=context)
        if message is None or not message.string or message.fuzzy:
            missing.append(f"{msgid!r} ({where[0]})")
    assert not missing, (
        f"{len(missing)} msgids have no English translation; re-extract, update and translate "
        f"(see this module's docstring):\n  " + "\n  ".join(missing[:30])
    )
