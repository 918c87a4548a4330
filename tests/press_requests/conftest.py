"""Fixtures for the staff request pages (the ``world`` of ``tests/conftest.py``: one user per
role, here and elsewhere) and helpers that walk a request to a given state through the real services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from jinja2.bccache import BytecodeCache, Bucket
from sqlalchemy import func, select

from spokes.audit.models import AuditEvent
from spokes.extensions import db

ROLES = ("clerk", "spokesperson", "head", "overseer", "admin")



class _MemoryBytecodeCache(BytecodeCache):
    """Keep compiled templates for the whole session: every test builds a fresh app."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Load a template's compiled code if this session compiled it before."""
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Remember a template's compiled code."""
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _MemoryBytecodeCache()


@pytest.fixture(autouse=True)
def _shared_template_cache(app: Flask) -> None:
    """Compile each template once per session instead of once per test (the suite is large)."""
    app.jinja_env.bytecode_cache = _TEMPLATES


@pytest.fixture()
def bring(world: dict[str, Any]) -> Callable[..., Any]:
    """Return a function that walks a request to a state with the real services (as the chair)."""
    from spokes.deadlines.models import RefusalGround
    from spokes.press_requests import services as svc

    def walk(req: Any, state: str, *, author: Any = None) -> Any:
        head = world["chair"]
        author = author or head
        if state in ("assigned", "received"):
            return req
        if state == "withdrawn":
            svc.withdraw(None, req)
        elif state == "refused":
            ground = db.session.execute(select(RefusalGround).where(
                RefusalGround.rulebook_id == req.rulebook_id).order_by(RefusalGround.code)).scalars().first()
            svc.save_draft(author, req, svc.DraftData(kind="refusal", refusal_ground_id=ground.id,
                                                      refusal_reason="Vụ việc đang thanh tra, chưa có kết luận."))
            svc.submit_draft(author, req)
            svc.approve(head, req)
        else:
            svc.save_draft(author, req, svc.DraftData(body="Trả lời: **đã nạo vét xong** 80% tuyến kênh."))
            if state in ("awaiting_approval", "answered"):
                svc.submit_draft(author, req)
            if state == "answered":
                svc.approve(head, req)
        db.session.commit()
        assert req.state == state
        return req

    return walk


@pytest.fixture()
def audit_count(app: Flask) -> Callable[[], int]:
    """Return a function counting audit events."""

    def count() -> int:
        db.session.expire_all()
        return db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    return count


def days(n: int) -> timedelta:
    """Return n days (readability helper)."""
    return timedelta(days=n)
