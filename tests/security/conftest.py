"""Fixtures of the security suite: the world of ``helpers.py``, signed-in clients, clean caches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from spokes.core import clock

from tests.publishing.helpers import _empty_feed_cache  # noqa: F401 - an autouse fixture

from .helpers import NOW, World, build_world, fast_passwords, forget_user_between_requests, sign_in


@pytest.fixture(autouse=True)
def _one_user_per_request(request: pytest.FixtureRequest) -> None:
    """Forget the signed-in user between requests of different clients (see helpers).

    Only for tests on the default ``app``: the modules that share one world for all their
    tests must not pull in ``app``, which empties the database after each test.
    """
    if "app" in request.fixturenames:
        forget_user_between_requests(request.getfixturevalue("app"))


@pytest.fixture()
def world(app: Flask) -> Iterator[World]:
    """Return the three-place world of helpers.py, built in the test's empty database at NOW."""
    clock.freeze(NOW)
    with fast_passwords():
        built = build_world()
    yield built
    clock.freeze(None)


@pytest.fixture()
def signed_in(app: Flask) -> Callable[[Any], FlaskClient]:
    """Return a function giving a new client of the default app signed in as a user."""

    def get(user: Any) -> FlaskClient:
        return sign_in(app, user)

    return get
