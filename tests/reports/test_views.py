"""The reports page, its permissions and its drill-down lists."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from spokes.auth.models import Membership
from spokes.extensions import db

from .conftest import EXPECTED_AM
from .helpers import Q1, as_int, drill_total, figure, figure_links


def _page(client, query: str = Q1) -> str:
    response = client.get(f"/staff/reports/?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- the page


def test_overseer_sees_the_figures_of_the_subtree(client, login, report_data):
    login(report_data.users["overseer"])
    page = _page(client)
    assert figure(page, "fig-received") == "20"
    assert figure(page, "fig-on-time") == "8"
    assert figure(page, "fig-late") == "3"
    assert figure(page, "fig-open") == "6"
    assert figure(page, "fig-overdue") == "5"
    assert figure(page, "fig-refused") == "2"
    assert figure(page, "fig-transferred") == "3"
    assert figure(page, "fig-withdrawn") == "1"
    assert figure(page, "fig-median") == "4"
    assert figure(page, "fig-p90") == "7"
    # Said in words, not as statistics' terms (and the "%" comes through the translation whole).
    assert "90% số yêu cầu được trả lời trong chừng này ngày hoặc sớm hơn" in page
    assert "một nửa số yêu cầu được trả lời trong chừng này ngày" in page
    assert figure(page, "fig-published") == "2"
    assert figure(page, "fig-no-spokesperson") == "2"
    assert "72,7%" in page  # on-time rate, Vietnamese decimal comma
    ranking = re.findall(r'<th scope="row" class="fw-normal">([^<]+)</th>', page.split('id="table-ranking"')[1]
                         .split("</table>")[0])
    assert ranking == ["Ủy ban nhân dân huyện An Minh", "UBND xã Đông Hưng", "UBND xã Vân Khánh",
                       "Phòng Văn hóa và Thông tin huyện An Minh"]
    directory = re.sub(r"<[^>]+>", "", page.split('id="list-no-spokesperson"')[1].split("</ul>")[0])
    assert re.findall(r"\((AM-[A-Z]+)\)", directory) == ["AM-VK", "AM-VHTT"]


def test_charts_are_accessible_and_data_is_not_executable(client, login, report_data):
    login(report_data.users["overseer"])
    page = _page(client)
    canvases = re.findall(r"<canvas[^>]*>", page)
    assert len(canvases) == 3
    assert all('role="img"' in c and re.search(r'aria-label="[^"]{20,}"', c) for c in canvases)
    for table in ("table-monthly", "table-ranking", "table-ageing"):
        assert f'id="{table}"' in page  # the text alternative of each chart
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    inline = [attrs for attrs, body in scripts if body.strip() and "application/json" not in attrs]
    assert inline == []  # the CSP allows no inline executable script
    assert any("js/reports.js" in attrs for attrs, _body in scripts)
    assert any("vendor/chartjs/chart.umd.min.js" in attrs for attrs, _body in scripts)
    data = json.loads(unescape(re.search(r'id="report-chart-data">(.*?)</script>', page, re.S).group(1)))
    assert data["monthly"]["labels"] == ["01/2026", "02/2026", "03/2026"]
    assert [sum(ds["data"]) for ds in data["monthly"]["datasets"]] == list(EXPECTED_AM["by_type"].values())
    assert data["ageing"]["data"] == [1, 1, 2, 1]
    assert data["ontime"]["data"] == [100.0, 85.7, 50.0, 0.0]
    assert data["ontime"]["counts"] == ["1/1", "6/7", "1/2", "0/1"]
    assert "style=" not in page.split('<main')[1]  # CSP: no inline styles either


def test_default_period_is_the_current_year(client, login, report_data):
    login(report_data.users["overseer"])
    page = _page(client, "")
    assert 'value="01/01/2026"' in page and 'value="31/12/2026"' in page  # shown dd/mm/yyyy (issue 20)
    assert figure(page, "fig-received") == "21"  # + R13, received 01/04/2026


def test_dates_in_vietnamese_format_are_accepted(client, login, report_data):
    login(report_data.users["overseer"])
    page = _page(client, "from=01/01/2026&to=31/03/2026")
    assert figure(page, "fig-received") == "20"


@pytest.mark.parametrize("query", [
    "from=2026-03-31&to=2026-01-01",  # from after to
    "from=abc&to=2026-03-31",
    "from=2019-01-01&to=2026-03-31",  # more than five years
    "from=0001-01-01&to=0001-12-31",
    "unit=abc",
    "unit=99999999999999999999",
    "scope=everything",
])
def test_bad_input_is_a_400_with_the_form(client, login, report_data, query):
    login(report_data.users["overseer"])
    response = client.get(f"/staff/reports/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="form-errors"' in page and 'id="fig-received"' not in page


def test_head_sees_only_their_unit(client, login, report_data):
    units = report_data.units
    login(report_data.users["dhu_head"])
    page = _page(client)
    assert figure(page, "fig-received") == "12"
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(units["dhu"].id)]
    assert "UBND xã Vân Khánh" not in page
    assert 'name="scope"' not in page  # no subtree to choose
    for unit in ("vk", "district", "other_district"):
        assert client.get(f"/staff/reports/?{Q1}&unit={units[unit].id}").status_code == 403
    # A head may not widen the scope to a subtree.
    assert client.get(f"/staff/reports/?{Q1}&unit={units['dhu'].id}&scope=subtree").status_code == 403
    assert client.get(f"/staff/reports/requests?{Q1}&metric=received&unit={units['vk'].id}").status_code == 403
    assert client.get(f"/staff/reports/export.xlsx?{Q1}&unit={units['vk'].id}").status_code == 403


def test_overseer_may_narrow_but_not_leave_the_subtree(client, login, report_data):
    units = report_data.units
    login(report_data.users["overseer"])
    page = _page(client, f"{Q1}&unit={units['vk'].id}")
    assert figure(page, "fig-received") == "6"
    page = _page(client, f"{Q1}&unit={units['district'].id}&scope=unit")
    assert figure(page, "fig-received") == "1"
    assert client.get(f"/staff/reports/?{Q1}&unit={units['other_district'].id}").status_code == 403
    assert client.get(f"/staff/reports/?{Q1}&unit={units['province'].id}").status_code == 403
    assert client.get(f"/staff/reports/?{Q1}&unit=999999").status_code == 404


def test_admin_reports_on_the_province(client, login, report_data):
    login(report_data.users["admin"])
    page = _page(client)
    assert figure(page, "fig-received") == "22"


def test_clerks_spokespeople_and_anonymous_are_refused(client, login, report_data):
    assert client.get("/staff/reports/").status_code in (302, 401)
    login(report_data.users["dhu_clerk"])
    assert client.get("/staff/reports/").status_code == 403
    assert client.get(f"/staff/reports/requests?{Q1}").status_code == 403
    assert client.get(f"/staff/reports/export.csv?{Q1}").status_code == 403


def test_menu_shows_reports_to_heads_only(client, login, report_data):
    login(report_data.users["dhu_head"])
    assert 'href="/staff/reports/"' in client.get("/staff/").get_data(as_text=True)


# --------------------------------------------------------------------------- drill-down


@pytest.mark.parametrize("who", ["overseer", "dhu_head", "admin"])
def test_every_figure_links_to_exactly_its_requests(client, login, report_data, who):
    """Follow every linked number of the page: the list holds as many requests as the number says."""
    login(report_data.users[who])
    page = _page(client)
    links = figure_links(page)
    assert len(links) > 40
    checked = 0
    for href, text in links:
        if href.startswith("#"):
            continue
        response = client.get(unescape(href))
        assert response.status_code == 200, href
        assert drill_total(response.get_data(as_text=True)) == as_int(text), (href, text)
        checked += 1
    assert checked == len(links) - 1  # all but the directory anchor


def test_drill_down_lists_the_right_requests(client, login, report_data):
    login(report_data.users["overseer"])
    page = client.get(f"/staff/reports/requests?{Q1}&metric=on_time").get_data(as_text=True)
    refs = set(re.findall(r"T-R\d+", page))
    assert refs == {"T-R1", "T-R3", "T-R4", "T-R5", "T-R12", "T-R15", "T-R21", "T-R25"}
    page = client.get(f"/staff/reports/requests?{Q1}&metric=transferred").get_data(as_text=True)
    assert set(re.findall(r"T-R\d+", page)) == {"T-R21", "T-R22", "T-R23"}
    page = client.get(f"/staff/reports/requests?{Q1}&metric=overdue&bucket=11-30").get_data(as_text=True)
    assert set(re.findall(r"T-R\d+", page)) == {"T-R6", "T-R16"}
    ground = report_data.grounds["a"].id
    page = client.get(f"/staff/reports/requests?{Q1}&metric=refused&ground={ground}").get_data(as_text=True)
    assert set(re.findall(r"T-R\d+", page)) == {"T-R8"}
    assert "bí mật nhà nước" in page  # the ground is named in the heading


def test_drill_down_pages(app, client, login, report_data):
    app.config["PAGE_SIZE"] = 6
    login(report_data.users["overseer"])
    seen: list[str] = []
    for number in (1, 2, 3, 4):
        page = client.get(f"/staff/reports/requests?{Q1}&metric=received&page={number}").get_data(as_text=True)
        assert drill_total(page) == 20
        seen += re.findall(r">(T-R\d+)<", page)
    assert len(seen) == len(set(seen)) == 20
    last = client.get(f"/staff/reports/requests?{Q1}&metric=received&page=9").get_data(as_text=True)
    assert "Không có yêu cầu nào." in last


@pytest.mark.parametrize("query", [
    "metric=everything",
    "metric=received&ground=1",  # a ground narrows refusals only
    "metric=received&bucket=1-5",  # a bucket narrows overdue only
    "metric=overdue&bucket=99",
    "metric=received&month=2026-07",  # outside the period
    "metric=received&month=July",
    "metric=received&type=poem",
    "metric=received&page=0",
    "metric=refused&ground=99999999999999",
])
def test_drill_down_refuses_bad_parameters(client, login, report_data, query):
    login(report_data.users["overseer"])
    assert client.get(f"/staff/reports/requests?{Q1}&{query}").status_code == 400


def test_drill_down_offers_the_queue_with_the_agreed_parameters(app, client, login, report_data):
    if "press_requests.queue" not in app.view_functions:
        pytest.skip("the request queue is not installed")
    login(report_data.users["overseer"])
    page = client.get(f"/staff/reports/requests?{Q1}&metric=overdue&type=information").get_data(as_text=True)
    href = unescape(re.search(r'href="(/staff/requests/\?[^"]+)"', page).group(1))
    args = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
    assert args == {"unit": str(report_data.units["district"].id), "scope": "subtree", "state": "open",
                    "overdue": "1", "type": "information", "received_from": "2026-01-01",
                    "received_to": "2026-03-31", "sort": "received", "tab": "subtree"}
    # Figures the queue cannot express have no queue link.
    page = client.get(f"/staff/reports/requests?{Q1}&metric=on_time").get_data(as_text=True)
    assert "/staff/requests/?" not in page


def test_a_user_with_two_memberships_reports_on_both(client, login, report_data):
    head = report_data.users["dhu_head"]
    db.session.add(Membership(user_id=head.id, unit_id=report_data.units["vk"].id, role="head"))
    db.session.commit()
    login(head)
    page = _page(client)
    assert figure(page, "fig-received") == "18"  # DHU 12 + VK 6
    assert "Tải báo cáo (DOCX)" not in page  # the official report is made for one unit
    assert client.get(f"/staff/reports/export.docx?{Q1}").status_code == 400
    page = _page(client, f"{Q1}&unit={report_data.units['vk'].id}")
    assert figure(page, "fig-received") == "6" and "Tải báo cáo (DOCX)" in page
