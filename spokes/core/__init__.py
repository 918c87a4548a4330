"""Shared building blocks: pure helpers, app wiring and cross-cutting concerns."""
