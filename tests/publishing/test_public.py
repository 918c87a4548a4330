"""Public pages: the portal-style home, the filtered list with search, items, units and the widget."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from spokes.extensions import db

from .helpers import later, publish, statement, text_of


@pytest.fixture()
def items(world, answered, clock):
    """Three items: two of Đông Hưng in March and April 2026, one of Vân Khánh."""
    first = publish(world["deputy"], answered(subject="Tiến độ dự án đê biển"), title="Tiến độ dự án đê biển Đông Hưng",
                    summary="Đê biển hoàn thành 60%.")
    clock(datetime(2026, 4, 2, 3, 0, tzinfo=UTC))
    second = statement(world["chair"], world["dhu"], kind="periodic", title="Thông tin định kỳ tháng 4",
                       summary="Tình hình kinh tế xã hội.", body="Nội dung về **nông nghiệp**.")
    third = statement(world["other_chair"], world["vk"], kind="periodic", title="Vân Khánh thông tin định kỳ",
                      summary="Sạt lở bờ biển.")
    return first, second, third


def _titles(page: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<h2 class="h5 mb-1"><a href="/news/[^"]+">([^<]+)</a>', page)]


def test_home_lists_the_latest_in_portal_style(items, client):
    page = client.get("/").get_data(as_text=True)
    assert _titles(page) == ["Vân Khánh thông tin định kỳ", "Thông tin định kỳ tháng 4",
                             "Tiến độ dự án đê biển Đông Hưng"]
    assert "(09:00 | 10/03/2026)" in page and "(10:00 | 02/04/2026)" in page
    assert "UBND xã Vân Khánh" in page and "Đê biển hoàn thành 60%." in page
    assert 'type="application/atom+xml"' in page and 'href="/feed.rss"' in page


@pytest.mark.parametrize(("args", "expected"), [
    ({"unit": "AM-DHU"}, {"Tiến độ dự án đê biển Đông Hưng", "Thông tin định kỳ tháng 4"}),
    ({"kind": "answer"}, {"Tiến độ dự án đê biển Đông Hưng"}),
    ({"month": "2026-04"}, {"Thông tin định kỳ tháng 4", "Vân Khánh thông tin định kỳ"}),
    ({"month": "2026-03", "unit": "AM-DHU"}, {"Tiến độ dự án đê biển Đông Hưng"}),
    ({"q": "de bien"}, {"Tiến độ dự án đê biển Đông Hưng"}),
    ({"q": "ĐÊ BIỂN"}, {"Tiến độ dự án đê biển Đông Hưng"}),
    ({"q": "nong nghiep"}, {"Thông tin định kỳ tháng 4"}),  # found in the body
    ({"q": "van khanh"}, {"Vân Khánh thông tin định kỳ"}),
    ({"q": "sat lo", "unit": "AM-DHU"}, set()),
    ({}, {"Tiến độ dự án đê biển Đông Hưng", "Thông tin định kỳ tháng 4", "Vân Khánh thông tin định kỳ"}),
])
def test_news_filters_and_search(items, client, args, expected):
    response = client.get("/news", query_string=args)
    assert response.status_code == 200
    assert set(_titles(response.get_data(as_text=True))) == expected


@pytest.mark.parametrize("args", [{"month": "2026-13"}, {"month": "tháng 3"}, {"kind": "rumour"}, {"unit": "NOPE"}])
def test_news_bad_filter_is_a_400_page(items, client, args):
    response = client.get("/news", query_string=args)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_news_paginates(world, client, app):
    app.config["PAGE_SIZE"] = 3
    try:
        for n in range(7):
            statement(world["chair"], world["dhu"], title=f"Tin số {n:02d} của xã")
        first = _titles(client.get("/news").get_data(as_text=True))
        third = client.get("/news?page=3").get_data(as_text=True)
        assert len(first) == 3 and _titles(third) == ["Tin số 00 của xã"]
        assert 'rel="next"' in client.get("/news?page=2").get_data(as_text=True)
        past_end = client.get("/news?page=99").get_data(as_text=True)
        assert _titles(past_end) == []
        # Past the end the page says so and leads back, instead of "no items match" under "7 tin".
        assert "Trang 99 không có tin nào: danh sách hết ở trang 3." in past_end and "Không có tin nào phù hợp" not in past_end
        assert 'href="/news?page=3"' in past_end
    finally:
        app.config["PAGE_SIZE"] = 25


def test_slugs_are_readable_and_unique(world, client):
    a = statement(world["chair"], world["dhu"], title="Thông tin định kỳ tháng 5")
    b = statement(world["chair"], world["dhu"], title="Thông tin định kỳ tháng 5")
    assert a.slug == "thong-tin-dinh-ky-thang-5"
    assert re.fullmatch(r"thong-tin-dinh-ky-thang-5-[0-9a-f]{4}", b.slug)
    assert client.get(f"/news/{b.slug}").status_code == 200
    assert client.get("/news/khong-co-tin-nay").status_code == 404


def test_item_page_has_opengraph_and_print_styles(items, client):
    first = items[0]
    page = client.get(f"/news/{first.slug}").get_data(as_text=True)
    assert '<meta property="og:type" content="article">' in page
    assert f'<meta property="og:title" content="{first.title}">' in page
    assert '<meta property="og:description" content="Đê biển hoàn thành 60%.">' in page
    assert f'<meta property="og:url" content="http://localhost/news/{first.slug}">' in page
    assert f'<link rel="canonical" href="http://localhost/news/{first.slug}">' in page
    assert "/static/css/publishing.css" in page
    css = client.get("/static/css/publishing.css")
    assert "@media print" in css.get_data(as_text=True)
    css.close()
    text = text_of(page)
    assert "(09:00 | 10/03/2026)" in text and "Trương Thị Mai" in text
    assert "Trả lời câu hỏi: “Tiến độ dự án đê biển” — Báo Kiên Giang" in text


def test_permalinks_use_the_public_base_url(items, client, app):
    app.config["PUBLIC_BASE_URL"] = "https://spokes.angiang.gov.vn"
    try:
        page = client.get(f"/news/{items[0].slug}").get_data(as_text=True)
        assert f'content="https://spokes.angiang.gov.vn/news/{items[0].slug}"' in page
    finally:
        app.config["PUBLIC_BASE_URL"] = None


def test_unit_page_shows_items_speakers_feeds_and_widget(items, client):
    page = client.get("/units/AM-DHU").get_data(as_text=True)
    assert set(_titles(page)) == {"Tiến độ dự án đê biển Đông Hưng", "Thông tin định kỳ tháng 4"}
    text = text_of(page)
    assert "Trương Thị Mai — Phó Chủ tịch UBND xã Đông Hưng" in text  # the designated spokesperson
    assert "Nguyễn Văn Hải — Chủ tịch UBND xã Đông Hưng" in text  # the head
    assert "deputy@dhu.vn" in page  # the public e-mail of the designation (SP-07)
    assert 'href="/units/AM-DHU/feed.atom"' in page and 'href="/units/AM-DHU/feed.rss"' in page
    assert '&lt;iframe src="http://localhost/units/AM-DHU/widget"' in page
    assert client.get("/units/NOPE").status_code == 404


def test_unit_without_spokesperson_says_so(world, client):
    assert "Đơn vị chưa công bố người phát ngôn." in client.get("/units/AM-VHTT").get_data(as_text=True)


def test_only_the_widget_may_be_framed(items, client):
    widget = client.get("/units/AM-DHU/widget")
    assert widget.status_code == 200
    assert "X-Frame-Options" not in widget.headers
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
    page = widget.get_data(as_text=True)
    assert "Tiến độ dự án đê biển Đông Hưng" in page and "Vân Khánh thông tin định kỳ" not in page
    assert '<base target="_blank">' in page and "navbar" not in page
    for url in ("/", "/news", f"/news/{items[0].slug}", "/units/AM-DHU"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
    assert len(re.findall(r'class="widget-item"', client.get("/units/AM-DHU/widget?n=1").get_data(as_text=True))) == 1


def test_withdrawn_and_corrected_items_in_lists(world, items, client, clock):
    from spokes.publishing import services

    first, second, _third = items
    clock(later(60 * 24 * 30))
    services.withdraw(world["chair"], second, "Trùng với tin khác.")
    db.session.commit()
    assert "Thông tin định kỳ tháng 4" not in _titles(client.get("/news").get_data(as_text=True))
    assert "Thông tin định kỳ tháng 4" not in _titles(client.get("/units/AM-DHU/widget").get_data(as_text=True))
    assert _titles(client.get("/news", query_string={"q": "nong nghiep"}).get_data(as_text=True)) == []


def test_news_search_reads_the_publications_own_vector_on_postgresql(world, client):
    from .helpers import count_queries, statement

    statement(world["deputy"], world["dhu"], title="Nạo vét kênh Xẻo Nhàu")
    statement(world["deputy"], world["dhu"], title="Họp báo quý I")
    client.set_cookie("session", "x")
    with count_queries() as counter:
        page = client.get("/news?q=nao+vet").get_data(as_text=True)
    assert "Nạo vét kênh Xẻo Nhàu" in page and "Họp báo quý I" not in page and "1 tin" in page
    searched = [s for s in counter.statements if "search" in s]
    assert len(searched) == 1  # rows and their count in one statement
    if db.engine.dialect.name == "postgresql":
        assert "publications.search_vector @@" in searched[0]
    else:
        assert "search_fts_publication" in searched[0]


def test_the_unit_page_says_what_each_speaker_is(world, client, make_user):
    make_user("spokesperson", world["dhu"], designate="designated", name="Trương Thị Mai", email="mai@dhu.vn")
    body = client.get(f"/units/{world['dhu'].code}").get_data(as_text=True)
    head_at, deputy_at = body.index("Nguyễn Văn Hải"), body.index("Trương Thị Mai")
    assert "Người đứng đầu đơn vị" in body[head_at:head_at + 800]
    assert "Người được giao nhiệm vụ phát ngôn" in body[deputy_at:deputy_at + 800]
