"""The home page promises an answer deadline without calling every deadline statutory (QA, December 2026)."""

from __future__ import annotations


def test_the_home_page_does_not_promise_a_statutory_deadline_for_every_question(client, rulebooks):
    page = client.get("/").get_data(as_text=True)
    assert "thời hạn trả lời theo quy định" not in page
    assert ("hạn trả lời (thời hạn luật định, hoặc chỉ tiêu nội bộ của đơn vị khi chưa xác định được "
            "thời hạn luật định)") in page
