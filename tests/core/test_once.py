"""Single-use form keys (spokes/core/once.py): claimed with the work, once; the unique key decides a race."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from spokes.core import once
from spokes.extensions import db


def _rows() -> int:
    return db.session.execute(select(func.count()).select_from(once.FormSubmission)).scalar_one()


def test_a_key_does_its_work_once_and_a_repeat_learns_the_result(app, world):
    key = once.new_key()
    form: Any = SimpleNamespace(form_key=SimpleNamespace(data=key))  # a form shown with its key
    done: list[str] = []
    work = once.once(form, "test", lambda: done.append("made") or "made", lambda value: ("/made/1", "01/UBND-VP"),
                     user_id=world["chair"].id)
    assert work() == "made"
    db.session.commit()
    with pytest.raises(once.Repeated) as repeat:
        work()
    assert (repeat.value.url, repeat.value.label, done) == ("/made/1", "01/UBND-VP", ["made"])
    db.session.rollback()


def test_a_rolled_back_claim_leaves_the_key_free(app, world):
    key = once.new_key()
    once.claim(key, purpose="test", user_id=world["chair"].id)
    db.session.rollback()  # the work was refused
    row = once.claim(key, purpose="test", user_id=world["chair"].id)
    assert row.key == key and _rows() == 1


def test_the_unique_key_decides_when_both_looked_before_either_wrote(app, world, monkeypatch):
    """The second POST looked for the key while the first was still at work, then the first committed."""
    key, chair = once.new_key(), world["chair"].id
    first = once.claim(key, purpose="test", user_id=chair)
    once.record(first, url="/made/1", label="AM-DHU-2026-00001")
    db.session.commit()
    looked = iter([None])
    real = once._earlier
    monkeypatch.setattr(once, "_earlier", lambda k: next(looked, None) or real(k))
    with pytest.raises(once.Repeated) as repeat:
        once.claim(key, purpose="test", user_id=chair)
    assert repeat.value.label == "AM-DHU-2026-00001"
    # Only the failed claim's savepoint was rolled back: the transaction goes on.
    assert _rows() == 1
    db.session.rollback()


def test_a_shown_form_gets_a_key_and_a_posted_one_keeps_it(app):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context("/", method="POST"):
        fresh = once.OnceForm(formdata=MultiDict())
        assert once.KEY_SHAPE.fullmatch(fresh.form_key.data)
        posted = once.OnceForm(formdata=MultiDict({"form_key": fresh.form_key.data}))
        assert posted.form_key.data == fresh.form_key.data
        forged = once.OnceForm(formdata=MultiDict({"form_key": "<script>"}))
        assert forged.form_key.data != "<script>" and once.KEY_SHAPE.fullmatch(forged.form_key.data)
        assert 'value="&lt;script&gt;"' not in forged.form_key()


def test_a_key_of_another_form_or_another_person_is_served_under_a_fresh_key(app, world):
    key, chair, clerk = once.new_key(), world["chair"].id, world["clerk"].id
    once.record(once.claim(key, purpose="letter", user_id=chair), url="/letters/1", label="01/UBND-VP")
    db.session.commit()
    # The same person posts that key to another form: it is not "already sent" there.
    other_form = once.claim(key, purpose="intake", user_id=chair)
    # Another person posts it: nothing of the first person's is shown to them.
    other_person = once.claim(key, purpose="letter", user_id=clerk)
    assert key not in (other_form.key, other_person.key) and _rows() == 3
    db.session.rollback()


def test_a_race_with_another_persons_post_of_the_same_key_is_served_under_a_fresh_key(app, world, monkeypatch):
    key, chair, clerk = once.new_key(), world["chair"].id, world["clerk"].id
    once.claim(key, purpose="letter", user_id=chair)
    db.session.flush()
    looked = iter([None])  # the clerk's POST looked before the chair's row was there
    real = once._earlier
    monkeypatch.setattr(once, "_earlier", lambda k: next(looked, None) or real(k))
    row = once.claim(key, purpose="letter", user_id=clerk)
    assert row.key != key and row.user_id == clerk and _rows() == 2
    db.session.rollback()


def test_keys_older_than_a_month_are_forgotten(app, world):
    from datetime import UTC, datetime, timedelta

    moment = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    old, recent = once.new_key(), once.new_key()
    for key, age in ((old, timedelta(days=31)), (recent, timedelta(days=29))):
        row = once.claim(key, purpose="test", user_id=world["chair"].id)
        row.created_at = moment - age
    db.session.flush()
    assert once.prune(moment) == 1
    assert [r.key for r in db.session.execute(select(once.FormSubmission)).scalars()] == [recent]
    db.session.rollback()
