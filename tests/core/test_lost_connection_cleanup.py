"""A session whose connection is lost is discarded, not left behind for the next request."""

from __future__ import annotations

from spokes.core import db as core_db
from spokes.extensions import db


def test_a_session_that_cannot_close_is_invalidated_and_forgotten(app, monkeypatch):
    with app.app_context():
        session = db.session()
        invalidated = []
        monkeypatch.setattr(db.session, "remove", lambda: (_ for _ in ()).throw(ConnectionError("gone")))
        monkeypatch.setattr(session, "invalidate", lambda: invalidated.append(True))
        core_db._remove_session_quietly()
        assert invalidated == [True]
        assert not db.session.registry.has()  # the next db.session() is a new session
