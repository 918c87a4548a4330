"""Issue 20 in a real browser: the staff interface on a 1366 px laptop and a 390 px phone.

Each demo role signs in and lands on its work page; on the laptop the top bar is one line; on
the phone no page of the staff journey scrolls sideways and no cell of the request list is
narrower than 90 px. A journalist who fills only the starred fields of /ask is accepted the first
time, the request reaches the unit's designated spokesperson's home page, and the tracking page
names her. axe-core (vendored in tests/e2e/vendor, test-only) finds no serious or critical
violation on the public pages and the staff pages, in Vietnamese and in English.

Screenshots of each role's home, laptop and phone, go to ci-output/staff-home/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from spokes.admin.demo import DEMO_PASSWORD
from tests.concurrency.live import PROJECT, LiveInstance
from tests.e2e.pages import log_in

pytestmark = pytest.mark.e2e

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DEVICES = {"laptop": LAPTOP, "phone": PHONE}
ROLES = {
    "admin": "quantri@angiang.demo",
    "overseer": "vanphong@angiang.demo",
    "head": "chutich.anminh@angiang.demo",
    "spokesperson": "phatngon.anminh@angiang.demo",
    "clerk": "vanthu.anminh@angiang.demo",
}
SO_SPEAKER = "phatngon.vhttdl@angiang.demo"
SO_SPEAKER_NAME = "Phạm Thị Lan"
SO_UNIT = "Sở Văn hóa, Thể thao và Du lịch"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = PROJECT / "ci-output" / "staff-home"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def shots() -> Path:
    """Return the (emptied) folder for the staff-home screenshots."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


@pytest.fixture()
def open_context(browser: Any, live_server: LiveInstance) -> Iterator[Any]:
    """Return a function opening a browser context for a device; all are closed afterwards."""
    opened: list[Any] = []

    def make(device: str, locale: str = "vi-VN") -> Any:
        context = browser.new_context(base_url=live_server.servers[0].base_url, locale=locale, **DEVICES[device])
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def scrolls_sideways(page: Any) -> bool:
    """Return whether the page is wider than the viewport it was opened in.

    Not ``window.innerWidth``: a phone context (``is_mobile``) zooms out to fit a wide page,
    and its inner width grows with the page, so that comparison could never fail.
    """
    return page.evaluate("document.documentElement.scrollWidth") > page.viewport_size["width"]


def narrow_cells(page: Any) -> list[str]:
    """Return the visible cells of the request list narrower than 90 px (with their width)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.request-table td, .request-table th'))
        .filter(c => c.offsetParent !== null && c.getBoundingClientRect().width > 0)
        .filter(c => c.getBoundingClientRect().width < 90)
        .map(c => Math.round(c.getBoundingClientRect().width) + 'px: ' + c.textContent.trim().slice(0, 30))""")


def serious_violations(page: Any) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, readable."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') rightly refuses
        # an injected <script>, and the app must never serve this test-only file.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return list(results)


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_lands_on_a_work_page_that_fits_laptop_and_phone(role: str, open_context: Any, shots: Path) -> None:
    # The laptop: the work page, a one-line top bar.
    laptop = log_in(open_context("laptop"), ROLES[role])
    assert re.search(r"/staff/$", laptop.url), laptop.url
    expect(laptop.locator("h1")).to_contain_text("Việc cần làm hôm nay")
    bar = laptop.locator("nav.staff-bar")
    expect(bar).to_be_visible()
    tops = laptop.evaluate("""() => Array.from(document.querySelectorAll('nav.staff-bar .navbar-brand, nav.staff-bar .navbar-nav > .nav-item'))
        .filter(e => e.offsetParent !== null).map(e => Math.round(e.getBoundingClientRect().top))""")
    assert tops and max(tops) - min(tops) <= 4, f"the top bar wraps for {role}: item tops {tops}"
    height = bar.evaluate("e => e.getBoundingClientRect().height")
    assert height < 70, f"the top bar is {height}px tall for {role}"
    assert not scrolls_sideways(laptop)
    laptop.screenshot(path=str(shots / f"{role}-laptop.png"), full_page=True)

    # The phone: the work page, the request list and one request, none wider than the screen.
    phone = log_in(open_context("phone"), ROLES[role])
    assert re.search(r"/staff/$", phone.url), phone.url
    assert not scrolls_sideways(phone), f"the home page scrolls sideways for {role}"
    phone.screenshot(path=str(shots / f"{role}-phone.png"), full_page=True)
    if role == "admin":  # an administrator manages people and units; requests are not theirs to see
        return
    phone.goto("/staff/requests/?tab=unit" if role != "overseer" else "/staff/requests/?tab=subtree")
    expect(phone.locator(".request-table tbody tr").first).to_be_visible()
    assert not scrolls_sideways(phone), f"the request list scrolls sideways for {role}"
    assert narrow_cells(phone) == [], narrow_cells(phone)
    phone.locator(".request-table tbody tr a").first.click()
    expect(phone.locator("main header h1")).to_be_visible()
    assert not scrolls_sideways(phone), f"the request page scrolls sideways for {role}"


def test_a_journalist_filling_only_the_starred_fields_reaches_the_designated_spokesperson(
        open_context: Any, shots: Path) -> None:
    phone = open_context("phone").new_page()
    phone.goto("/")
    phone.get_by_role("link", name="Gửi câu hỏi").last.click()  # the button in the "Dành cho phóng viên" box
    phone.wait_for_url(re.compile(r"/ask$"))
    # The starred fields that show with the default choices (a press card; not an interview).
    starred = phone.evaluate("""() => Array.from(document.querySelectorAll('#ask-form .text-danger[aria-hidden=true]'))
        .filter(s => s.offsetParent !== null)
        .map(s => { const l = s.previousElementSibling; return l && l.tagName === 'LABEL' ? l.htmlFor
                      : s.closest('fieldset') && s.closest('fieldset').id; })""")
    assert sorted(starred) == sorted(["name", "agency", "email", "phone", "credential", "card_number",
                                      "card_expiry", "unit", "type", "subject", "questions"]), starred
    expiry = (date.today() + timedelta(days=400)).strftime("%d/%m/%Y")
    phone.locator("#name").fill("Nguyễn Thị Phóng Viên")
    phone.locator("#agency").fill("Báo Văn hóa")
    phone.locator("#email").fill("pv.vanhoa@baovanhoa.vn")
    phone.locator("#phone").fill("0912 345 678")
    phone.locator("#card_number").fill("BC-54321")
    phone.locator("#card_expiry").fill(expiry)  # typed dd/mm/yyyy, whatever the browser's locale
    phone.locator("#unit-filter").fill("van hoa")
    value = phone.locator("#unit option:not([hidden])").filter(has_text=SO_UNIT).first.get_attribute("value")
    phone.locator("#unit").select_option(value)
    phone.locator("input[name=type][value=information]").check()
    phone.locator("#subject").fill("Kế hoạch tổ chức lễ hội Bà Chúa Xứ năm nay")
    phone.locator("#questions").fill("Đề nghị Sở cho biết kế hoạch, kinh phí và phương án bảo đảm an ninh.")
    phone.get_by_role("button", name="Gửi câu hỏi").tap()
    expect(phone.locator(".alert-success")).to_contain_text("Đã tiếp nhận câu hỏi")  # the first time
    expect(phone.locator(".alert-success")).to_contain_text("sẽ được gửi")  # queued, not yet sent
    reference = phone.locator(".reference").first.inner_text().strip()
    expect(phone.locator(".speaker-name")).to_have_text(SO_SPEAKER_NAME)

    # The tracking page names her, and says where the confirmation e-mail stands.
    phone.goto(phone.locator("#tracking-link").input_value())
    expect(phone.locator(".speaker-name")).to_have_text(SO_SPEAKER_NAME)
    expect(phone.locator("#receipt-mail")).to_have_text(re.compile(r"Đang chờ gửi|Đã gửi lúc"))

    # It is on her home page, first among what waits for her.
    laptop = log_in(open_context("laptop"), SO_SPEAKER)
    mine = laptop.locator("#home-mine")
    expect(mine.get_by_role("link", name=reference, exact=True)).to_be_visible()
    mine.get_by_role("link", name=reference, exact=True).click()
    expect(laptop.locator("#panel-draft")).to_have_attribute("open", "")  # the action is ready
    laptop.screenshot(path=str(shots / "spokesperson-opens-the-new-request.png"), full_page=True)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_axe_finds_no_serious_violation(language: str, open_context: Any) -> None:
    def check(page: Any, path: str) -> None:
        page.goto(path)
        found = serious_violations(page)
        assert found == [], f"{path} ({language}): {found}"

    public = open_context("laptop").new_page()
    public.goto(f"/lang/{language}?next=/")
    for path in ("/", "/ask", "/track", "/spokespersons", "/deadline"):
        check(public, path)
    public.goto("/")
    public.locator("main a[href^='/news/']").first.click()
    public.wait_for_url(re.compile(r"/news/[\w-]+$"))  # axe must not run on the page being left
    expect(public.locator("main h1")).to_be_visible()
    assert serious_violations(public) == [], f"a news item ({language})"

    head = log_in(open_context("laptop"), ROLES["head"])
    head.goto(f"/lang/{language}?next=/staff/")
    for path in ("/staff/", "/staff/requests/?tab=unit", "/staff/reports/"):
        check(head, path)
    head.goto("/staff/requests/?tab=unit")
    head.locator(".request-table tbody tr a").first.click()
    expect(head.locator("main header h1")).to_be_visible()
    assert serious_violations(head) == [], f"a request page ({language})"
    phone = log_in(open_context("phone"), ROLES["clerk"])
    phone.goto(f"/lang/{language}?next=/staff/requests/")
    assert serious_violations(phone) == [], f"the request list on a phone ({language})"


def test_keyboard_only_staff_journey_with_visible_focus(open_context: Any) -> None:
    page = open_context("laptop").new_page()
    page.goto("/login")
    page.get_by_role("textbox", name="Thư điện tử").focus()
    page.keyboard.type(ROLES["head"])
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/$"))

    def tab_to(predicate: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(() => {{ const e = document.activeElement; return {predicate}; }})()"):
                ring = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
                    return {outline: s.outlineStyle, shadow: s.boxShadow, visible: e.matches(':focus-visible'),
                            html: e.outerHTML.slice(0, 120)}; }""")
                assert ring["outline"] != "none" or ring["shadow"] != "none", f"no visible focus: {ring}"
                return
        raise AssertionError(f"no element matching {predicate} within {limit} tabs")

    # The skip link comes first, then the bar: open the request list with Enter.
    tab_to("e.classList.contains('skip-link')")
    tab_to("e.getAttribute('href') === '/staff/requests/'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/requests/"))
    # A request of the list, then its page, by keyboard.
    tab_to("e.tagName === 'A' && e.closest('.request-table tbody tr') !== null"
           " && !/Đã trả lời|Từ chối|Đã rút/.test(e.closest('tr').textContent)", limit=120)
    page.keyboard.press("Enter")
    expect(page.locator("main header h1")).to_be_visible()
    # An action panel opens from the keyboard.
    tab_to("e.tagName === 'SUMMARY' && e.parentElement.classList.contains('action-panel')", limit=120)
    page.keyboard.press("Enter")
    expect(page.locator("details.action-panel[open]").first).to_be_visible()
