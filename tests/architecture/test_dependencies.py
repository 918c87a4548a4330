"""The direction of dependencies, checked on the source: no hidden cross-feature imports, a clean core.

A feature is a package directly under ``spokes/`` (press_requests, units, notifications …).
``core`` is the ground floor: it imports no feature. ``spokes/app.py`` is the composition root and
may import everything. Inside a feature, a function may not import another feature: such an import
hides a dependency (usually one that runs the wrong way) from whoever reads the module's head.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SPOKES = Path(__file__).resolve().parents[2] / "spokes"
# Packages that are not features: the ground floor, the composition root, tools and migrations.
NOT_FEATURES = {"core", "migrations", "bench", "translations", "static"}
ROOT_MODULES = {"app", "cli", "extensions", "__init__"}


def _package(path: Path) -> str:
    parts = path.relative_to(SPOKES).parts
    return parts[0] if len(parts) > 1 else Path(parts[0]).stem


def _imported_packages(node: ast.Import | ast.ImportFrom) -> list[str]:
    names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    found = []
    for name in names:
        parts = name.split(".")
        if parts[0] == "spokes" and len(parts) > 1:
            found.append(parts[1])
        elif parts[0] == "spokes" and isinstance(node, ast.ImportFrom):
            found += [alias.name for alias in node.names]
    return found


def _sources() -> list[Path]:
    return sorted(p for p in SPOKES.rglob("*.py") if "migrations" not in p.parts and "bench" not in p.parts)


def _function_imports(tree: ast.AST) -> list[tuple[int, ast.Import | ast.ImportFrom]]:
    found = []
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found.append((node.lineno, node))
    return found


def cross_feature_function_imports() -> list[str]:
    """Return "file:line imports pkg" for every import inside a function that crosses features."""
    problems = []
    for path in _sources():
        here = _package(path)
        if here in NOT_FEATURES or here in ROOT_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for lineno, node in _function_imports(tree):
            for target in _imported_packages(node):
                if target != here and target not in NOT_FEATURES and target not in ROOT_MODULES:
                    problems.append(f"{path.relative_to(SPOKES.parent)}:{lineno} imports spokes.{target}")
    return sorted(set(problems))


def core_feature_imports() -> list[str]:
    """Return "file:line imports pkg" for every import of a feature anywhere in core/."""
    problems = []
    for path in sorted((SPOKES / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported_packages(node):
                    if target not in NOT_FEATURES and target not in {"extensions"}:
                        problems.append(f"{path.relative_to(SPOKES.parent)}:{node.lineno} imports spokes.{target}")
    return sorted(set(problems))


def test_no_function_level_import_crosses_features() -> None:
    assert cross_feature_function_imports() == []


def test_core_imports_no_feature() -> None:
    assert core_feature_imports() == []


@pytest.mark.parametrize("source, expected", [
    ("def f():\n    from spokes.notifications import events\n", ["notifications"]),
    ("def f():\n    import spokes.units.models\n", ["units"]),
    ("def f():\n    from spokes import units\n", ["units"]),
])
def test_the_walker_sees_hidden_imports(source: str, expected: list[str]) -> None:
    imports = _function_imports(ast.parse(source))
    assert [pkg for _line, node in imports for pkg in _imported_packages(node)] == expected
