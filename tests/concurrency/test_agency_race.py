"""Two servers logging the first question of a new press agency (or journalist) at the same moment share one row.

Found by the /ask load test on PostgreSQL: both transactions looked the agency up, found
nothing, and inserted it; the second insert hit the unique folded name and the journalist got
a 500. Here the race is made certain: another connection has inserted the agency but not
committed when ``get_or_create_agency`` runs, so our insert waits for it, is refused, and
must then use the other server's row. (On SQLite the write lock serialises the two writers,
so the lookup simply finds the committed row.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from spokes.core.text import fold
from spokes.extensions import db
from spokes.press_requests.models import Journalist, PressAgency
from spokes.press_requests.services import JournalistData, get_or_create_agency, upsert_journalist

# Another server (own engine, own thread) must see our committed rows and wait on our locks.
pytestmark = pytest.mark.real_commits

NAME = "Tạp chí Đua Nhau"


def _while_another_server_inserts(make_app: Callable[..., Flask], row: Callable[[], Any],
                                  ours: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``ours`` while another app (own engine: "the other server") holds ``row()`` inserted
    but uncommitted, committing it half a second later; return (our result, the other row's id)."""
    other = make_app()
    inserted, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def other_server() -> None:
        try:
            with other.app_context():
                obj = row()
                db.session.add(obj)
                db.session.flush()  # the row exists, uncommitted: a unique insert of ours must wait
                inserted.set()
                release.wait(10)
                db.session.commit()
                outcome["id"] = obj.id
                db.session.remove()
                db.engine.dispose()
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = err
            inserted.set()

    thread = threading.Thread(target=other_server)
    thread.start()
    assert inserted.wait(10)
    timer = threading.Timer(0.5, release.set)  # commit while our insert waits on the unique key
    timer.start()
    try:
        result = ours()
        db.session.commit()
    finally:
        release.set()
        timer.join()
        thread.join(15)
    assert "error" not in outcome, outcome
    return result, outcome["id"]


def test_agency_created_by_another_server_meanwhile_is_reused(app: Flask, make_app: Callable[..., Flask]) -> None:
    agency, theirs = _while_another_server_inserts(
        make_app, lambda: PressAgency(name=NAME, name_folded=fold(NAME)),
        lambda: get_or_create_agency(NAME.upper()))  # same folded name, different spelling
    assert agency.id == theirs
    assert agency.name == NAME  # the first spelling stays
    assert db.session.execute(select(func.count()).select_from(PressAgency)).scalar_one() == 1


def test_journalist_created_by_another_server_meanwhile_is_reused(app: Flask, make_app: Callable[..., Flask]) -> None:
    """The same race for the journalist row: one (e-mail, name), one row."""
    journalist, theirs = _while_another_server_inserts(
        make_app, lambda: Journalist(name="Lê Văn Nhanh", email="nhanh@baochi.vn"),
        lambda: upsert_journalist(JournalistData(name="Lê Văn Nhanh", email="Nhanh@BaoChi.vn", phone="0900")))
    # Theirs, unchanged: details given with a request stay on the request (issue 17).
    assert journalist.id == theirs and journalist.phone is None
    assert db.session.execute(select(func.count()).select_from(Journalist)).scalar_one() == 1
