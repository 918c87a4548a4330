"""File sizes read the same on every page, in the reader's language."""

from __future__ import annotations

import pytest
from flask import session

from spokes.core.jinja import file_size


@pytest.mark.parametrize("lang, size, shown", [
    ("vi", 70, "70 byte"), ("en", 70, "70 bytes"), ("en", 1, "1 byte"),
    ("vi", 1024, "1 KB"), ("vi", 1025, "2 KB"), ("vi", 30 * 1024, "30 KB"),
    ("vi", 1536 * 1024, "1,5 MB"), ("en", 1536 * 1024, "1.5 MB"), ("vi", 10 * 1024 * 1024, "10 MB"),
])
def test_a_size_in_bytes_kb_or_mb(app, lang, size, shown):
    with app.test_request_context("/"):
        session["lang"] = lang
        assert file_size(size) == shown
