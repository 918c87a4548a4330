"""Fixtures of the API tests: the same world as the publishing tests."""

from tests.publishing.helpers import (  # noqa: F401
    _empty_feed_cache,
    answered,
    clock,
    world_options,
)
