"""Audit actions are one enum; each has words in Vietnamese and English and reads the same on every timeline."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from spokes.audit.actions import AuditAction
from spokes.audit.history import PUBLIC_EVENTS, public_entry, public_event, staff_history
from spokes.audit.labels import ACTION_LABELS, action_label
from spokes.audit.models import AuditEvent
from spokes.press_requests.labels import state_label
from spokes.press_requests.models import MessageKind
from spokes.press_requests.workflow import Action

SPOKES = Path(__file__).resolve().parents[2] / "spokes"
ENGLISH = SPOKES / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _written_codes() -> set[str]:
    """Every audit action the code writes: literal first arguments of record()/record_many(),
    and the codes built from the workflow's actions and the message kinds."""
    codes: set[str] = set()
    for path in SPOKES.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
                    "record", "record_many") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    codes.add(first.value)
                elif isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name) and \
                        first.value.id in ("AuditAction", "A"):
                    codes.add(AuditAction[first.attr].value)
    codes |= {f"request.{a.value}" for a in Action}
    codes |= {f"message.{k.value}" for k in MessageKind}
    return codes


def test_every_written_action_is_in_the_enum() -> None:
    written = _written_codes()
    assert len(written) > 40  # the walker found the call sites
    assert sorted(written - set(AuditAction)) == []


def test_the_enum_and_the_words_list_the_same_actions() -> None:
    assert sorted(set(AuditAction) ^ set(ACTION_LABELS)) == []


def test_every_action_has_vietnamese_and_english_words(app) -> None:
    with ENGLISH.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [code for code in AuditAction
                    if not (catalog.get(str(ACTION_LABELS[code]._args[0])) or None)
                    or not catalog.get(str(ACTION_LABELS[code]._args[0])).string]
    assert untranslated == []
    with app.test_request_context():
        for code in AuditAction:
            with force_locale("vi"):
                vietnamese = str(action_label(code))
            with force_locale("en"):
                english = str(action_label(code))
            assert vietnamese and vietnamese != code, code
            assert english and english != code and english != vietnamese, code


def _event(action: str, after: dict | None = None) -> AuditEvent:
    return AuditEvent(action=action, created_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC), actor_label="system",
                      after=after or {}, before={}, public=True)


@pytest.mark.parametrize("code", list(AuditAction))
def test_the_staff_history_shows_words_never_a_code(app, code: AuditAction) -> None:
    with app.test_request_context(), force_locale("en"):
        (entry,) = staff_history([_event(code)], state_label)
        assert str(entry.label) == str(ACTION_LABELS[code]) and str(entry.label) != code


def test_published_and_recomputed_read_as_words_on_the_staff_page(app) -> None:
    events = [_event("request.published", {"publication_slug": "de-bien", "title": "Đê biển"}),
              _event("request.deadline_recomputed", {"due_at": "2026-12-09T16:59:59+00:00", "reason": "x"})]
    with app.test_request_context(), force_locale("vi"):
        published, recomputed = staff_history(events, state_label)
        assert str(published.label) == "Đăng câu trả lời lên trang tin"
        assert ("Tiêu đề", "Đê biển") in [(str(k), v) for k, v in published.details]
        assert str(recomputed.label) == "Tính lại thời hạn theo lịch làm việc"
        assert ("Hạn mới", "09/12/2026 23:59") in [(str(k), v) for k, v in recomputed.details]


def test_the_public_timeline_and_the_api_use_the_same_titles(app) -> None:
    with app.test_request_context(), force_locale("vi"):
        for code, (event_code, title) in PUBLIC_EVENTS.items():
            entry = public_entry(_event(code, {"message_id": 1}), {1: "nội dung"}, lambda slug: f"/tin/{slug}")
            assert entry is not None and str(entry.title) == str(title)
            api = public_event(code)
            assert api is None or api == (event_code, title)
        assert public_entry(_event("message.internal_note", {"message_id": 1}), {1: "x"}, str) is None
