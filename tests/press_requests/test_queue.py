"""The queues: tabs, filters, search without diacritics, sorting, pages, badges, query count."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from spokes.core.clock import now
from spokes.extensions import db
from spokes.core import pagination
from spokes.core.pagination import Cursor
from spokes.press_requests import queries

from .helpers import count_queries


def _refs(page: str) -> list[str]:
    return re.findall(r">([A-Z-]+-\d{4}-\d{5})</a>", page)


def test_my_work_lists_what_is_assigned_to_me(world, make_request, client_for):
    mine = make_request(world["dhu"], subject="Yêu cầu của chủ tịch")
    other = make_request(world["vk"], subject="Yêu cầu Vân Khánh")
    response = client_for(world["chair"]).get("/staff/requests/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Việc của tôi" in page
    assert mine.reference in page and other.reference not in page
    assert 'aria-current="page" href="/staff/requests/?tab=mine"' in page


def test_clerk_has_unit_queue_but_no_my_work(world, make_request, client_for):
    req = make_request(world["dhu"])
    page = client_for(world["clerk"]).get("/staff/requests/").get_data(as_text=True)
    assert "Việc của tôi" not in page
    assert req.reference in page


def test_overseer_sees_the_subtree_and_unit_queue_is_only_own_units(world, make_request, client_for, make_user):
    a = make_request(world["dhu"])
    b = make_request(world["vk"])
    elsewhere = make_request(world["other_district"])
    client = client_for(world["office"])
    page = client.get("/staff/requests/").get_data(as_text=True)
    assert "Toàn bộ phạm vi theo dõi" in page
    assert a.reference in page and b.reference in page and elsewhere.reference not in page
    unit_tab = client.get("/staff/requests/?tab=unit").get_data(as_text=True)
    assert a.reference not in unit_tab  # the office's own unit is the district, not the commune


def test_admin_and_anonymous_cannot_open_the_queue(world, client_for, client):
    assert client_for(world["users"][("admin", "own")]).get("/staff/requests/").status_code == 403
    response = client.get("/staff/requests/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("query", "found"), [
    ("dong hung", True), ("DONG HUNG", True), ("Đông Hưng", True), ("đông hung", True), ("Dong", True),
    ("phat ngon", True), ("phát ngôn", True), ("PHÁT NGÔN", True),
    ("ho chi minh", False),
])
def test_search_ignores_case_and_diacritics(query, found, world, make_request, client_for):
    hit = make_request(world["dhu"], subject="Người phát ngôn xã Đông Hưng trả lời chậm",
                       questions="Vì sao chậm?")
    miss = make_request(world["dhu"], subject="Tiến độ nạo vét kênh", questions="Khi nào xong?")
    page = client_for(world["chair"]).get("/staff/requests/", query_string={"q": query, "tab": "unit"}).get_data(as_text=True)
    assert (hit.reference in page) is found
    assert miss.reference not in page


def test_search_covers_reference_journalist_and_agency(world, make_request, client_for):
    req = make_request(world["dhu"], journalist_name="Đỗ Thị Yến", agency="Báo Đại Đoàn Kết")
    other = make_request(world["dhu"], journalist_name="Trần Văn Nam", agency="Báo Kiên Giang")
    client = client_for(world["clerk"])
    for query in ("do thi yen", "dai doan ket", req.reference.lower()):
        page = client.get("/staff/requests/", query_string={"q": query}).get_data(as_text=True)
        assert req.reference in page and other.reference not in page, query


def test_filters_by_state_type_channel_assignee_and_unit(world, make_request, bring, client_for):
    phone = make_request(world["dhu"], channel="phone", type="information")
    letter = make_request(world["dhu"], channel="letter", type="press_answer")
    done = bring(make_request(world["dhu"], channel="email"), "answered")
    vk = make_request(world["vk"])
    client = client_for(world["office"])

    def refs(**args):
        return set(_refs(client.get("/staff/requests/", query_string={"tab": "subtree", **args}).get_data(as_text=True)))

    assert refs() == {phone.reference, letter.reference, vk.reference}  # open by default
    assert refs(state="answered") == {done.reference}
    assert refs(state="all") == {phone.reference, letter.reference, done.reference, vk.reference}
    assert refs(state="closed") == {done.reference}
    assert refs(channel="letter") == {letter.reference}
    assert refs(type="press_answer") == {letter.reference}
    assert refs(unit=world["vk"].id) == {vk.reference}
    assert refs(assignee=world["chair"].id) == {phone.reference, letter.reference}


def test_overdue_and_due_soon_filters_and_badges(world, make_request, client_for, frozen_clock):
    late = make_request(world["dhu"], subject="Quá hạn rồi", received_at=now() - timedelta(days=20))
    soon = make_request(world["dhu"], subject="Sắp đến hạn", type="emergency")  # 24 hours
    later = make_request(world["dhu"], subject="Còn lâu", type="press_answer")  # 30 days
    client = client_for(world["chair"])
    page = client.get("/staff/requests/").get_data(as_text=True)
    assert "Quá hạn" in page and "Sắp đến hạn" in page
    assert set(_refs(client.get("/staff/requests/?overdue=y").get_data(as_text=True))) == {late.reference}
    assert set(_refs(client.get("/staff/requests/?due_soon=y").get_data(as_text=True))) == {soon.reference}
    both = set(_refs(client.get("/staff/requests/?due_soon=y&overdue=y").get_data(as_text=True)))
    assert both == {late.reference, soon.reference}
    assert later.reference not in both


def test_received_date_range_accepts_both_date_formats(world, make_request, client_for):
    old = make_request(world["dhu"], received_at=now() - timedelta(days=10))
    new = make_request(world["dhu"])
    client = client_for(world["chair"])
    day = (now() - timedelta(days=10)).astimezone().date()
    from spokes.core.clock import today_vn

    iso = client.get("/staff/requests/", query_string={"received_to": (today_vn() - timedelta(days=5)).isoformat()})
    assert set(_refs(iso.get_data(as_text=True))) == {old.reference}
    vn = client.get("/staff/requests/", query_string={"received_from": today_vn().strftime("%d/%m/%Y")})
    assert set(_refs(vn.get_data(as_text=True))) == {new.reference}
    assert day  # the range is in Vietnamese dates; both formats parse


@pytest.mark.parametrize("args", [
    {"received_from": "31/02/2026"}, {"received_from": "hôm qua"}, {"page": "abc"}, {"page": "0"},
    {"state": "lost"}, {"type": "rumour"}, {"unit": "abc"}, {"assignee": "99999"},
    {"received_from": "2026-11-20", "received_to": "2026-11-01"}, {"sort": "random"}, {"q": "x" * 300},
])
def test_invalid_filters_give_400_with_a_message(args, world, client_for):
    response = client_for(world["chair"]).get("/staff/requests/", query_string=args)
    assert response.status_code == 400
    assert "Bộ lọc có giá trị không hợp lệ" in response.get_data(as_text=True)


def test_unit_filter_outside_scope_is_refused(world, make_request, client_for):
    make_request(world["vk"], subject="Bí mật của Vân Khánh")
    response = client_for(world["chair"]).get("/staff/requests/", query_string={"unit": world["vk"].id, "state": "all"})
    assert response.status_code == 400
    assert "Bí mật của Vân Khánh" not in response.get_data(as_text=True)


def test_unknown_tab_falls_back_to_the_default(world, make_request, client_for):
    req = make_request(world["dhu"])
    response = client_for(world["chair"]).get("/staff/requests/?tab=everything")
    assert response.status_code == 200 and req.reference in response.get_data(as_text=True)


def test_sort_and_pagination(world, make_request, client_for, app):
    app.config["PAGE_SIZE"] = 2
    first = make_request(world["dhu"], type="emergency", received_at=now() - timedelta(hours=2))  # due first
    second = make_request(world["dhu"], type="information", received_at=now() - timedelta(hours=3))
    third = make_request(world["dhu"], type="press_answer", received_at=now() - timedelta(hours=4))
    client = client_for(world["chair"])
    page1 = client.get("/staff/requests/").get_data(as_text=True)
    assert _refs(page1) == [first.reference, second.reference]
    assert "trang 1/2" in page1 and "page=2" in page1
    page2 = client.get("/staff/requests/?page=2").get_data(as_text=True)
    assert _refs(page2) == [third.reference]
    by_received = client.get("/staff/requests/?sort=received").get_data(as_text=True)
    assert _refs(by_received) == [first.reference, second.reference]  # newest receipt first
    beyond = client.get("/staff/requests/?page=9")
    assert beyond.status_code == 200 and not _refs(beyond.get_data(as_text=True))


def test_transferred_tab_lists_requests_that_left_the_unit(world, make_request, client_for):
    req = make_request(world["dhu"], subject="Lễ hội Nghinh Ông")
    client = client_for(world["chair"])
    assert client.post(f"/staff/requests/{req.id}/transfer", data={
        "transfer-to_unit": world["vhtt"].id, "transfer-reason": "Thuộc lĩnh vực văn hóa."}).status_code == 302
    assert req.reference not in client.get("/staff/requests/?tab=unit").get_data(as_text=True)
    assert req.reference in client.get("/staff/requests/?tab=transferred").get_data(as_text=True)


@pytest.mark.parametrize("tab", ["mine", "unit", "transferred"])
def test_queue_costs_the_same_number_of_queries_for_5_and_50_requests(tab, world, make_request, client_for, app):
    app.config["PAGE_SIZE"] = 100
    client = client_for(world["chair"])
    client.get("/staff/requests/")  # warm up: the login's own queries are not the page's

    def add(n):
        for i in range(n):
            req = make_request(world["dhu"], subject=f"Yêu cầu số {i}", journalist_name=f"Phóng viên {i}",
                               journalist_email=f"pv{i}@baochi.vn", agency=f"Báo số {i % 7}")
            if tab == "transferred":
                from spokes.press_requests import services as svc

                svc.transfer(world["chair"], req, world["vhtt"], "Đúng thẩm quyền.")
                db.session.commit()

    add(5)
    few, page = count_queries(client, f"/staff/requests/?tab={tab}")
    assert len(_refs(page)) == 5
    add(45)
    many, page = count_queries(client, f"/staff/requests/?tab={tab}")
    assert len(_refs(page)) == 50
    assert few == many


def test_unit_filter_can_take_the_units_below_as_the_reports_do(world, make_request, client_for):
    """A report over a district links to the queue with scope=subtree: the same requests."""
    a = make_request(world["dhu"])
    b = make_request(world["vk"])
    elsewhere = make_request(world["other_district"])
    client = client_for(world["office"])
    district = world["district"].id
    below = client.get("/staff/requests/", query_string={"tab": "subtree", "unit": district, "scope": "subtree"})
    assert below.status_code == 200
    assert set(_refs(below.get_data(as_text=True))) == {a.reference, b.reference}
    assert elsewhere.reference not in below.get_data(as_text=True)
    exact = client.get("/staff/requests/", query_string={"tab": "subtree", "unit": district, "scope": "unit"})
    assert _refs(exact.get_data(as_text=True)) == []  # the district office itself received nothing
    commune = client.get("/staff/requests/", query_string={"tab": "subtree", "unit": world["dhu"].id,
                                                          "scope": "subtree"})
    assert _refs(commune.get_data(as_text=True)) == [a.reference]
    bad = client.get("/staff/requests/", query_string={"unit": district, "scope": "everything"})
    assert bad.status_code == 400 and "Lựa chọn không hợp lệ." in bad.get_data(as_text=True)
    assert 'name="scope"' in below.get_data(as_text=True)
    # A commune's staff have no units below theirs: no such choice on their page.
    assert 'name="scope"' not in client_for(world["clerk"]).get("/staff/requests/").get_data(as_text=True)


def _statements(client, url):
    from sqlalchemy import event

    seen: list[str] = []

    def grab(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        page = client.get(url).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    return seen, page


def test_a_search_page_counts_its_total_once_and_capped(world, make_request, client_for, app):
    app.config["PAGE_SIZE"] = 2
    hits = [make_request(world["dhu"], subject=f"Nạo vét kênh Rạch Giá đợt {i}") for i in range(3)]
    make_request(world["dhu"], subject="Lễ hội Nghinh Ông")
    client = client_for(world["chair"])
    client.get("/staff/requests/")
    seen, page = _statements(client, "/staff/requests/?q=nao+vet+kenh")
    assert "trang 1/2" in page and len(_refs(page)) == 2
    searching = [s for s in seen if "search" in s.lower()]
    counting = [s for s in searching if "count(" in s.lower()]
    assert len(counting) == 1 and "LIMIT" in counting[0].split("count(", 1)[1], searching  # once, capped
    if db.engine.dialect.name == "postgresql":
        # Counted first (past the cap the rows walk the due order instead: the next test), then the
        # page read on the request's own stored vector, which the planner can combine with the
        # state and unit indexes.
        assert len(searching) == 2 and searching[0] is counting[0], searching
        assert all("press_requests.search_vector @@" in s for s in searching)
    else:
        assert searching == counting, searching  # the total rides in the rows' statement
    page2 = client.get("/staff/requests/?q=nao+vet+kenh&page=2").get_data(as_text=True)
    assert set(_refs(page) + _refs(page2)) == {h.reference for h in hits}
    assert not _refs(client.get("/staff/requests/?q=nao+vet+kenh&page=5").get_data(as_text=True))


def test_a_changed_search_document_changes_what_finds_the_request(world, make_request, client_for):
    from spokes.core.search import index_object

    req = make_request(world["dhu"], subject="Nạo vét kênh Rạch Giá")
    index_object("request", req.id, [req.reference, "Trùng tu đình Vĩnh Hòa"])
    db.session.commit()
    client = client_for(world["chair"])
    assert req.reference in client.get("/staff/requests/?q=dinh+vinh+hoa").get_data(as_text=True)
    assert req.reference not in client.get("/staff/requests/?q=nao+vet").get_data(as_text=True)


def test_a_whole_reference_finds_its_request_by_the_reference_index(world, make_request, client_for):
    wanted, other = make_request(world["dhu"], subject="Nạo vét kênh"), make_request(world["dhu"], subject="Lễ hội")
    client = client_for(world["chair"])
    client.get("/staff/requests/")
    for typed in (wanted.reference, f"  {wanted.reference.lower()} "):
        seen, page = _statements(client, "/staff/requests/?state=all&q=" + typed.replace(" ", "+"))
        assert _refs(page) == [wanted.reference], typed
        listing = [s for s in seen if "press_requests.reference =" in s and "LIMIT" in s]
        assert listing and not [s for s in seen if "search" in s.lower()], seen  # no word matching at all
    # A reference that no request has is searched as words, as before (nothing here has them).
    absent = wanted.reference[:-1] + ("8" if wanted.reference[-1] != "8" else "9")
    assert absent != other.reference and _refs(client.get(f"/staff/requests/?state=all&q={absent}")
                                              .get_data(as_text=True)) == []


@pytest.mark.parametrize("stretch", [1000, 2])
def test_a_search_matching_more_than_it_counts_walks_the_due_order_to_the_same_rows(stretch, world, make_request,
                                                                                      client_for, app, monkeypatch):
    monkeypatch.setattr(queries, "QUEUE_COUNT_CAP", 3)
    # 2 rows of the due order hold less than a page and its next row: the walk gives up, the word index answers.
    monkeypatch.setattr(queries, "WALK_ROWS", stretch)
    monkeypatch.setattr(pagination, "estimated_rows", lambda stmt: 1_000_000)  # a wild guess, which a search never shows
    app.config["PAGE_SIZE"] = 2
    app.config["PERSONAL_PAGE_CACHE"] = False
    hits = [make_request(world["dhu"], subject=f"Nạo vét kênh Rạch Giá đợt {i}") for i in range(5)]
    few = [make_request(world["dhu"], subject=f"Lễ hội Nghinh Ông năm {i}") for i in range(2)]
    for other in range(4):
        make_request(world["dhu"], subject=f"Cấp phép xây dựng số {other}")
    client = client_for(world["chair"])
    client.get("/staff/requests/")
    postgres = db.engine.dialect.name == "postgresql"

    def kinds(seen):
        searching = [s for s in seen if "search_vector" in s and not s.startswith("EXPLAIN")]  # not the estimate
        walking = [s for s in searching if "AS words" in s]
        return ([s for s in searching if "count(" in s.lower() and s not in walking],  # the word index's count
                [s for s in walking if "count(" not in s.lower()],  # a page read along the due order
                [s for s in searching if "count(" not in s.lower() and s not in walking],  # the word index's page
                [s for s in walking if "count(" in s.lower()])  # a count along the due order

    # More matches than the cap: counted (capped) first, then the page read along the due order.
    seen, page = _statements(client, "/staff/requests/?q=nao+vet+kenh")
    assert "Hơn 3 yêu cầu" in page  # a search past its cap: never the planner's guess
    walked = _refs(page)
    while (link := _next_link(page)) is not None:
        page = client.get(link).get_data(as_text=True)
        walked += _refs(page)
    assert walked == [r.reference for r in sorted(hits, key=lambda r: (r.due_at, r.id))]
    if postgres:
        counts, walks, indexed, walk_counts = kinds(seen)
        assert len(counts) == 1 and len(walks) == 1 and not walk_counts, seen
        assert len(indexed) == (0 if stretch == 1000 else 1), seen  # the fallback reads the word index
    # Over every state the count, too, goes along the due order (no closed request matches here).
    seen, page = _statements(client, "/staff/requests/?q=nao+vet+kenh&state=all")
    assert "Hơn 3 yêu cầu" in page  # a search past its cap: never the planner's guess
    assert _refs(page) == [r.reference for r in sorted(hits, key=lambda r: (r.due_at, r.id))][:2]
    walked_all, following = _refs(page), page
    while (link := _next_link(following)) is not None:  # the cursor pages, too, give the list's order
        following = client.get(link).get_data(as_text=True)
        walked_all += _refs(following)
    assert walked_all == [r.reference for r in sorted(hits, key=lambda r: (r.due_at, r.id))]
    if postgres:
        counts, walks, indexed, walk_counts = kinds(seen)
        # The list is shorter than a stretch of 1,000 (counted whole); 2 rows are a dense sample, read on.
        assert len(walk_counts) == (1 if stretch == 1000 else 2) and not counts and len(walks) == 1, seen
    else:
        # SQLite: counted from the full-text index outward, then the page read from a stretch of the
        # due order joined to the matches; 2 rows hold too few, and the list's own statement answers.
        joined_counts, joined_rows, listed = fts_kinds(seen)
        assert len(joined_counts) == 1 and len(joined_rows) == 1, seen
        assert len(listed) == (0 if stretch == 1000 else 1), seen
    # Fewer matches than the cap: an exact total and the word index, as before.
    seen, page = _statements(client, "/staff/requests/?q=nghinh+ong")
    assert "2 yêu cầu" in page and sorted(_refs(page)) == sorted(r.reference for r in few)
    assert not [s for s in seen if "AS words" in s], seen
    seen, page = _statements(client, "/staff/requests/?q=nghinh+ong&state=all")
    assert "2 yêu cầu" in page and sorted(_refs(page)) == sorted(r.reference for r in few)
    if not postgres:  # counted the same way; under the cap no stretch is read, the list's statement gives the rows
        joined_counts, joined_rows, listed = fts_kinds(seen)
        assert len(joined_counts) == 1 and not joined_rows and len(listed) == 1, seen
    # Another order or a numbered page: no walk.
    for url in ("/staff/requests/?q=nao+vet+kenh&sort=received", "/staff/requests/?q=nao+vet+kenh&page=2",
                "/staff/requests/?q=nao+vet+kenh&state=closed"):
        seen, page = _statements(client, url)
        assert not [s for s in seen if "AS words" in s], url
    for url in ("/staff/requests/?q=nao+vet+kenh&sort=received", "/staff/requests/?q=nao+vet+kenh&page=2"):
        assert len(_refs(client.get(url).get_data(as_text=True))) == 2, url


def fts_kinds(seen: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Split SQLite's search statements: counts joined to the full-text matches, rows joined, rows listed."""
    joined = [s for s in seen if "JOIN search_fts_request ON" in s]
    return ([s for s in joined if "count(" in s.lower()], [s for s in joined if "count(" not in s.lower()],
            [s for s in seen if "search_fts_request MATCH" in s and s not in joined])


def test_a_search_over_every_state_counts_along_the_due_order_only_where_its_matches_are_dense(
        world, make_request, client_for, app, monkeypatch):
    app.config["PAGE_SIZE"] = 2
    app.config["PERSONAL_PAGE_CACHE"] = False
    # In due order (created in order, received the same day): alpha is dense from the start,
    # beta sparse in the first stretch, gamma dense in the first stretch and then absent, delta
    # dense but only 3 in all.
    words = ["alpha delta", "gamma", "alpha delta", "beta gamma", "alpha", "alpha delta", "", "", "beta gamma",
             "beta gamma", "beta", "beta"]
    made = [make_request(world["dhu"], subject=f"Yêu cầu {w}".strip()) for w in words]
    assert [r.id for r in sorted(made, key=lambda r: (r.due_at, r.id))] == [r.id for r in made]
    client = client_for(world["chair"])
    page = client.get("/staff/requests/?state=all").get_data(as_text=True)
    assert 'role="status">12 yêu cầu' in page and _refs(page) == [r.reference for r in made][:2]  # nothing else
    for typed in ("%21%21", "+-+"):  # a search with no word to match lists them all, and counts them all
        page = client.get(f"/staff/requests/?state=all&q={typed}").get_data(as_text=True)
        assert 'role="status">12 yêu cầu' in page and _refs(page) == [r.reference for r in made][:2], typed
    monkeypatch.setattr(queries, "QUEUE_COUNT_CAP", 3)  # counted up to 4 (the cap and one)
    monkeypatch.setattr(queries, "WALK_ROWS", 4)  # the first stretch, which tells how dense the matches are
    monkeypatch.setattr(queries, "COUNT_WALK_ROWS", 8)  # the most rows a count along the order reads
    postgres = db.engine.dialect.name == "postgresql"

    def search(word, total="Hơn 3 yêu cầu"):
        seen, page = _statements(client, f"/staff/requests/?state=all&q={word}")
        assert f'role="status">{total}' in page, word
        expected = [r.reference for r, w in zip(made, words) if word in w.split()]
        assert _refs(page) == expected[:2], word
        searching = [s for s in seen if "search_vector" in s and "count(" in s.lower() and not s.startswith("EXPLAIN")]
        return [s for s in searching if "AS words" in s], [s for s in searching if "AS words" not in s]

    along, indexed = search("alpha")  # 2 of the first 4 rows: the count reads on and finds 4 in 8 rows
    if postgres:
        assert len(along) == 2 and not indexed, (along, indexed)
    along, indexed = search("beta")  # 1 of the first 4: too sparse to count along the order
    if postgres:
        assert len(along) == 1 and len(indexed) == 1, (along, indexed)
    along, indexed = search("gamma")  # dense at first, but only 2 in 8 rows: the word index counts
    if postgres:
        assert len(along) == 2 and len(indexed) == 1, (along, indexed)
    monkeypatch.setattr(queries, "COUNT_WALK_ROWS", 20)  # more than the list: a count along it is exact
    along, indexed = search("delta", "3 yêu cầu")
    if postgres:
        assert len(along) == 2 and not indexed, (along, indexed)


# --------------------------------------------------------------------------- a queue that costs the same at any size


def _next_link(page: str) -> str | None:
    found = re.search(r'rel="next" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def test_queue_costs_the_same_for_3_and_30_requests_and_after_a_cursor(world, make_request, client_for, app):
    app.config["PAGE_SIZE"] = 10
    app.config["PERSONAL_PAGE_CACHE"] = False  # count the page rendered, not the same page shown again
    client = client_for(world["chair"])

    def cost(url):
        client.get(url)  # the filter choices are cached per scope: count the page as most people get it
        return count_queries(client, url)

    def add(n):
        return [make_request(world["dhu"], subject=f"Yêu cầu số {i}") for i in range(n)]

    made = add(3)
    few, page = cost("/staff/requests/?tab=unit")
    assert len(_refs(page)) == 3
    made += add(27)
    many, page = cost("/staff/requests/?tab=unit")
    assert len(_refs(page)) == 10
    tenth = sorted(made, key=lambda r: (r.due_at, r.id))[9]
    later, page = cost(f"/staff/requests/?tab=unit&cursor={Cursor(tenth.due_at, tenth.id).encode()}")
    assert len(_refs(page)) == 10 and tenth.reference not in _refs(page)
    assert few == many == later
    assert many <= 15


@pytest.mark.parametrize("sort", ["due", "received"])
def test_trang_sau_walks_every_row_once_past_the_counted_ones(sort, world, make_request, client_for, app,
                                                               monkeypatch):
    monkeypatch.setattr(queries, "QUEUE_COUNT_CAP", 3)
    app.config["PAGE_SIZE"] = 2
    made = [make_request(world["dhu"], subject=f"Yêu cầu số {i}") for i in range(5)]
    if sort == "due":
        expected = [r.reference for r in sorted(made, key=lambda r: (r.due_at, r.id))]
    else:
        expected = [r.reference for r in sorted(made, key=lambda r: (r.received_at, r.id), reverse=True)]
    client = client_for(world["chair"])
    page = client.get(f"/staff/requests/?tab=unit&sort={sort}").get_data(as_text=True)
    # Past the cap the queue stops counting: a lower bound, or PostgreSQL's estimate (not a search).
    assert re.search(r"(Hơn 3|khoảng [\d.]+) yêu cầu", page)
    seen = _refs(page)
    while (link := _next_link(page)) is not None:
        assert "cursor=" in link and "page=" not in link
        page = client.get(link).get_data(as_text=True)
        assert "Về trang đầu" in page
        seen += _refs(page)
    assert seen == expected


def test_a_cursor_the_queue_did_not_make_is_refused(world, client_for):
    client = client_for(world["chair"])
    for bad in ("abc", "12", "1.x!", "-1.5", "9" * 30 + ".1"):
        answer = client.get("/staff/requests/", query_string={"cursor": bad})
        assert answer.status_code == 400, bad
        assert "Vị trí trang không hợp lệ" in answer.get_data(as_text=True)


def test_filter_choices_are_read_once_per_scope_and_show_a_new_person_at_once(world, client_for, make_user):
    client = client_for(world["chair"])
    client.get("/staff/requests/")
    seen, page = _statements(client, "/staff/requests/")
    assert not [s for s in seen if "ORDER BY units.path" in s], seen  # the scope's units come from the cache
    assert f'<option value="{world["dhu"].id}">' in page
    newcomer = make_user("spokesperson", world["dhu"], name="Trần Thị Mới Đến")
    page = client.get("/staff/requests/", query_string={"assignee": newcomer.id}).get_data(as_text=True)
    assert f'<option value="{newcomer.id}" selected>Trần Thị Mới Đến</option>' in page


def test_a_page_past_the_end_says_where_the_list_ends(world, make_request, client_for, app):
    app.config["PAGE_SIZE"] = 2
    made = [make_request(world["dhu"], subject=f"Yêu cầu số {i}") for i in range(3)]
    client = client_for(world["chair"])
    page = client.get("/staff/requests/?tab=unit&page=5").get_data(as_text=True)
    assert "Trang 5 không có yêu cầu nào: danh sách hết ở trang 2." in page and not _refs(page)
    assert "trang 5/2" not in page
    # On the first page "Trước" is text, not a link to "#" that the keyboard would stop on.
    first = client.get("/staff/requests/?tab=unit").get_data(as_text=True)
    pager = first[first.index('class="pagination'):]
    assert 'href="#"' not in pager and '<span class="page-link">Trước</span>' in pager and 'rel="next">Sau</a>' in pager
    last = sorted(made, key=lambda r: (r.due_at, r.id))[-1]
    after_last = client.get(f"/staff/requests/?tab=unit&cursor={Cursor(last.due_at, last.id).encode()}")
    assert "Hết danh sách: không còn yêu cầu nào sau vị trí này." in after_last.get_data(as_text=True)
    empty = client.get("/staff/requests/?tab=unit&q=khongconao").get_data(as_text=True)
    assert "Không có yêu cầu nào phù hợp." in empty


def test_the_unit_filter_tells_apart_a_merged_unit_and_its_successor_of_the_same_name(world, client_for, make_unit):
    """After the 2025 mergers a stopped commune and its successor can share a name: the filter shows the code,
    the tree and which one stopped, in the reader's language."""
    stopped = make_unit("AM-DHU-OLD", "UBND xã Đông Hưng", parent=world["district"])
    stopped.is_active = False
    db.session.flush()
    client = client_for(world["office"])  # the district's overseer
    page = client.get("/staff/requests/?tab=subtree").get_data(as_text=True)
    assert f'<option value="{world["dhu"].id}">— — UBND xã Đông Hưng (AM-DHU)</option>' in page
    assert f'<option value="{stopped.id}">— — UBND xã Đông Hưng (AM-DHU-OLD) (ngừng hoạt động)</option>' in page
    # Under the district, by name (not by id): the two Đông Hưng side by side, Vân Khánh after them.
    at = [page.index(f'<option value="{u.id}">') for u in (world["vhtt"], world["dhu"], stopped, world["vk"])]
    assert at[0] < min(at[1], at[2]) and max(at[1], at[2]) < at[3]
    client.get("/lang/en")
    english = client.get("/staff/requests/?tab=subtree").get_data(as_text=True)
    assert f'<option value="{stopped.id}">— — UBND xã Đông Hưng (AM-DHU-OLD) (inactive)</option>' in english
