"""Load the migration that stores deadline explanations as data, to test its conversion functions."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

PATH = Path(__file__).resolve().parents[2] / "spokes" / "migrations" / "versions" / "0014_explain.py"


@cache
def explanation_migration() -> ModuleType:
    """Return the migration module 0011explain (its file name does not import as a module name)."""
    spec = importlib.util.spec_from_file_location("migration_0011explain", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
