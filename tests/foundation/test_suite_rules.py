"""Rules of the test suite itself: no sleeping, and the transaction-per-test fixture holds."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from spokes.extensions import db
from spokes.units.models import Unit

TESTS = Path(__file__).resolve().parents[1]


def _sleeps_outside_polling_loops(tree: ast.AST, lines: list[str]) -> list[int]:
    """Return the lines of sleep calls that are not inside a ``while`` loop (a poll on a condition)."""
    found: list[int] = []

    def visit(node: ast.AST, in_while: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                name = child.func.attr if isinstance(child.func, ast.Attribute) else getattr(child.func, "id", "")
                line = lines[child.lineno - 1]
                if name == "sleep" and not in_while and "# latency:" not in line:
                    found.append(child.lineno)
            # A function defined inside a loop is not itself polling.
            inner = isinstance(child, ast.While) or (in_while and not isinstance(child, (ast.FunctionDef,
                                                                                           ast.AsyncFunctionDef)))
            visit(child, inner)

    visit(tree, False)
    return found


def test_no_test_sleeps_except_to_poll_a_condition() -> None:
    """A fixed sleep is a race with the machine's speed: wait on a condition, in a bounded loop.

    A fake server may still be made slow on purpose (``# latency:`` on the line says why).
    """
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for line in _sleeps_outside_polling_loops(ast.parse(source), source.splitlines()):
            offenders.append(f"{path.relative_to(TESTS.parent)}:{line}")
    assert offenders == []


def test_the_rule_finds_a_bare_sleep_and_accepts_a_poll() -> None:
    bare = "import time\ndef f():\n    time.sleep(1)\n"
    poll = "import time\ndef f(ready):\n    while not ready():\n        time.sleep(0.1)\n"
    assert _sleeps_outside_polling_loops(ast.parse(bare), bare.splitlines()) == [3]
    assert _sleeps_outside_polling_loops(ast.parse(poll), poll.splitlines()) == []


# The two tests below run in this order (pytest keeps a module's order): the first commits a
# unit through the app's own session, the second must not find it.
_MARK = "SUITE-RULES-ROLLBACK"


def test_a_commit_inside_a_test_is_visible_to_the_test(app) -> None:
    db.session.add(Unit(code=_MARK, name="Đơn vị thử", name_folded="don vi thu", kind="commune",
                        reference_prefix=_MARK, path="/", depth=0))
    db.session.commit()
    db.session.remove()  # a new session (as the next request would have) still sees it
    assert db.session.execute(select(func.count()).select_from(Unit).where(Unit.code == _MARK)).scalar_one() == 1


def test_the_next_test_starts_without_it(app) -> None:
    assert db.session.execute(select(func.count()).select_from(Unit).where(Unit.code == _MARK)).scalar_one() == 0


def test_another_thread_on_the_shared_connection_fails_loudly(app) -> None:
    caught: list[BaseException] = []

    def use_the_database() -> None:
        with app.app_context():
            try:
                db.session.execute(select(func.count()).select_from(Unit)).scalar_one()
            except BaseException as err:  # noqa: BLE001 - inspected below
                caught.append(err)
            finally:
                db.session.remove()

    thread = threading.Thread(target=use_the_database)
    thread.start()
    thread.join(30)
    assert len(caught) == 1 and "real_commits" in str(caught[0])


@pytest.mark.real_commits
def test_real_commits_reach_another_connection(app, other_app) -> None:
    db.session.add(Unit(code=_MARK, name="Đơn vị thử", name_folded="don vi thu", kind="commune",
                        reference_prefix=_MARK, path="/", depth=0))
    db.session.commit()
    seen: list[int] = []

    def count_elsewhere() -> None:  # another thread, another app, another engine: another connection
        other = other_app()
        with other.app_context():
            seen.append(db.session.execute(select(func.count()).select_from(Unit).where(Unit.code == _MARK))
                        .scalar_one())

    thread = threading.Thread(target=count_elsewhere)
    thread.start()
    thread.join(30)
    assert seen == [1]


def test_real_commits_are_emptied_afterwards(app) -> None:
    assert db.session.execute(select(func.count()).select_from(Unit).where(Unit.code == _MARK)).scalar_one() == 0
