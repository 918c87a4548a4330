"""What a journalist reads about a deadline's basis and who speaks is plain and dated (QA, December 2026)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from .helpers import PDF, form_data

DECEMBER = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 08:00 on Saturday 05/12/2026 in Vietnam


def test_an_estimated_deadline_names_no_software_library(client, commune, clock):
    clock(DECEMBER)
    # 30 days from 05/12/2026 end in January 2027, whose days off are not announced yet.
    response = client.post("/ask", data=form_data(commune["dhu"], type="press_answer",
                                                  agency_document=(io.BytesIO(PDF), "yeu-cau.pdf")))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Thời hạn trả lời theo quy định" in body and "dự kiến" in body
    assert "holidays" not in body and "thư viện" not in body
    assert "Lịch nghỉ năm 2027 chưa được công bố chính thức: ngày nghỉ là dự kiến, hạn chót có thể thay đổi." in body


def test_the_directory_cites_the_decree_with_the_dates_it_governs(client, commune):
    page = client.get("/spokespersons").get_data(as_text=True)
    assert "Nghị định 09/2017/NĐ-CP, Điều 2" not in page
    assert "Nghị định 09/2017/NĐ-CP (áp dụng đến 30/06/2026)" in page
    assert "Từ 01/07/2026 áp dụng Luật Báo chí 2025 và Nghị định 237/2026/NĐ-CP" in page
