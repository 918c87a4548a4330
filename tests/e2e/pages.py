"""Steps shared by the browser journeys."""

from __future__ import annotations

from typing import Any

from spokes.admin.demo import DEMO_PASSWORD


def log_in(context: Any, email: str) -> Any:
    """Sign a staff member in with the demo password; return their page, on the landing page."""
    page = context.new_page()
    page.goto("/login")
    page.get_by_role("textbox", name="Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page
