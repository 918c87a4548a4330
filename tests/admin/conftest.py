"""Fixtures of the admin tests: an admin at the province of the shared ``district`` tree."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture()
def admin(district: dict[str, Any], make_user: Any) -> Any:
    """Return an admin of the whole province (a root unit)."""
    return make_user("admin", district["province"], email="quantri@test.vn", name="Quản Trị Viên")


@pytest.fixture()
def as_admin(admin: Any, login: Any) -> Any:
    """Sign the admin in on the default client and return them."""
    login(admin)
    return admin
