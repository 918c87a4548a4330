"""Issue 17, item 3: rate limits that hold behind a proxy and never lock the owner out."""

from __future__ import annotations

from typing import Any

import pytest

from spokes.extensions import db
from tests.conftest import PASSWORD


@pytest.fixture()
def limited(other_app: Any, _schema: None) -> Any:
    """Return a factory of apps with rate limits on (other_app's: own engines, disposed afterwards)."""
    return lambda **overrides: other_app(RATELIMIT_ENABLED=True, **overrides)


def _login(client: Any, email: str, password: str, address: str | None = None) -> int:
    headers = {"X-Forwarded-For": address} if address else {}
    response = client.post("/login", data={"email": email, "password": password}, headers=headers)
    return response.status_code


def test_thirty_failed_logins_from_rotating_addresses_behind_a_proxy_do_not_block_the_owner(
        limited: Any, district: dict[str, Any], make_user: Any) -> None:
    owner = make_user("head", district["dhu"], email="chutich@dhu.vn").email
    db.session.commit()  # and touch no object after it: SQLite would keep a read lock open
    app = limited(SPOKES_TRUSTED_PROXIES=1)
    attacker = app.test_client()
    codes = [_login(attacker, owner, f"doan-sai-{n}", f"203.0.113.{n}") for n in range(30)]
    assert set(codes) == {401}, codes  # each address has its own budget, as behind a real proxy
    assert _login(app.test_client(), owner, PASSWORD, "198.51.100.7") == 302


def test_one_address_hammering_one_account_is_slowed_but_the_owner_elsewhere_is_not(
        limited: Any, district: dict[str, Any], make_user: Any) -> None:
    owner = make_user("head", district["dhu"], email="chutich@dhu.vn").email
    db.session.commit()  # and touch no object after it: SQLite would keep a read lock open
    app = limited(SPOKES_TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="1000 per minute",
                  LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    attacker = app.test_client()
    codes = [_login(attacker, owner, "sai-mat-khau", "203.0.113.9") for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    # Another account from the same address, and the owner from another address, still work.
    assert _login(attacker, "khac@dhu.vn", "sai-mat-khau", "203.0.113.9") == 401
    assert _login(app.test_client(), owner, PASSWORD, "198.51.100.7") == 302


def test_without_the_setting_forwarded_addresses_are_ignored(
        limited: Any, district: dict[str, Any], make_user: Any) -> None:
    make_user("head", district["dhu"], email="chutich@dhu.vn")
    db.session.commit()
    app = limited(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [_login(client, "x@dhu.vn", "sai", f"203.0.113.{n}") for n in range(4)]
    assert codes == [401, 401, 401, 429]  # a made-up X-Forwarded-For buys no new budget


def test_a_bad_proxy_setting_refuses_to_start(make_app: Any, _schema: None) -> None:
    with pytest.raises(RuntimeError, match="SPOKES_TRUSTED_PROXIES"):
        make_app(SPOKES_TRUSTED_PROXIES="many")


def test_the_password_change_form_is_limited(limited: Any, district: dict[str, Any], make_user: Any) -> None:
    user = make_user("clerk", district["dhu"], email="vanthu@dhu.vn").email
    db.session.commit()
    app = limited(PASSWORD_CHANGE_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert _login(client, user, PASSWORD) == 302
    wrong = {"current": "khong-dung-dau", "new": "mat-khau-moi-2026", "confirm": "mat-khau-moi-2026"}
    codes = [client.post("/account/password", data=wrong).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
