"""Fixtures for the staff request pages: one user per role, here and elsewhere, and helpers
that walk a request to a given state through the real services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
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
def world(district: dict[str, Any], make_user: Callable[..., Any], rulebooks: None) -> dict[str, Any]:
    """Return the district tree with one user per role "own" (Đông Hưng) and "other" (Vân Khánh).

    Overseers and admins sit above the commune: the district office for "own", the other
    district for "other"; the admin of "own" sits at the province.
    """
    d = district
    users = {
        ("head", "own"): make_user("head", d["dhu"], designate="head", name="Nguyễn Văn Hải", email="chair@dhu.vn"),
        ("clerk", "own"): make_user("clerk", d["dhu"], name="Lê Thị Thu", email="clerk@dhu.vn"),
        ("spokesperson", "own"): make_user("spokesperson", d["dhu"], name="Trương Thị Mai", email="deputy@dhu.vn"),
        ("overseer", "own"): make_user("overseer", d["district"], name="Đặng Quốc Bảo", email="office@am.vn"),
        ("admin", "own"): make_user("admin", d["province"], name="Trần Minh Quân", email="admin@kg.vn"),
        ("head", "other"): make_user("head", d["vk"], designate="head", email="chair@vk.vn"),
        ("clerk", "other"): make_user("clerk", d["vk"], email="clerk@vk.vn"),
        ("spokesperson", "other"): make_user("spokesperson", d["vk"], email="deputy@vk.vn"),
        ("overseer", "other"): make_user("overseer", d["other_district"], email="office@ht.vn"),
        ("admin", "other"): make_user("admin", d["other_district"], email="admin@ht.vn"),
    }
    return {**d, "users": users, "chair": users[("head", "own")], "clerk": users[("clerk", "own")],
            "deputy": users[("spokesperson", "own")], "office": users[("overseer", "own")]}


@pytest.fixture()
def client_for(app: Flask, login: Callable[..., Any]) -> Callable[[Any], FlaskClient]:
    """Return a function giving each user a signed-in client of their own."""
    clients: dict[int, FlaskClient] = {}

    def get(user: Any) -> FlaskClient:
        if user.id not in clients:
            c = app.test_client()
            login(user, target=c)
            clients[user.id] = c
        return clients[user.id]

    return get


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
