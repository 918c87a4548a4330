"""Counts shown in sentences are grouped the way each language writes them (27.000 / 27,000)."""

from __future__ import annotations

import pytest
from flask import render_template_string


@pytest.mark.parametrize(("language", "expected"), [("vi", "Hơn 27.000 yêu cầu"), ("en", "More than 27,000 requests")])
def test_a_large_total_reads_with_the_languages_thousands_separator(app, language, expected):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        shown = render_template_string("{{ _('Hơn %(n)s yêu cầu', n=total|grouped) }}", total=27000)
    assert shown == expected


def test_a_small_or_missing_count_is_written_plainly(app):
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        assert render_template_string("{{ 7|grouped }}|{{ none|grouped }}", none=None) == "7|"
