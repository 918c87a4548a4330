"""Fixtures of the publishing tests (shared with the API tests through helpers.py)."""

from .helpers import _empty_feed_cache, answered, clock, world_options  # noqa: F401
