"""Fixtures and helpers shared by the publishing and API tests.

The fixtures are re-exported by ``tests/publishing/conftest.py`` and ``tests/api/conftest.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from spokes.extensions import db

# Tuesday 10/03/2026 09:00 in Vietnam: the 2017 rulebook applies.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ANSWER_BODY = "Xã đã hoàn thành **60%** khối lượng nạo vét.\n\n- Kinh phí: 2 tỷ đồng\n- Hoàn thành: quý III/2026"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"



@pytest.fixture(autouse=True)
def _empty_feed_cache() -> Iterator[None]:
    """Start every test with an empty feed cache (ids restart with every test database)."""
    from spokes.publishing.feeds import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture()
def clock(frozen_clock: Callable[[datetime], None]) -> Callable[[datetime], None]:
    """Pin the clock to NOW; tests move it on with the returned function."""
    frozen_clock(NOW)
    return frozen_clock


@pytest.fixture()
def world_options(clock: Any) -> dict[str, Any]:
    """The shared ``world`` (tests/conftest.py) with Đông Hưng's deputy as its designated
    spokesperson, built on the fixed day NOW (asking for ``clock`` pins it first)."""
    return {"deputy_speaks": True}


def answer(req: Any, author: Any, head: Any | None = None, body: str = ANSWER_BODY) -> Any:
    """Draft and send the answer with the real services: submitted and approved when a head is given."""
    from spokes.press_requests import services as svc

    svc.save_draft(author, req, svc.DraftData(body=body))
    if head is not None and head.id != author.id:
        svc.submit_draft(author, req)
        svc.approve(head, req)
    else:
        svc.send_directly(author, req)
    db.session.commit()
    return svc.final_answer(req)


@pytest.fixture()
def answered(world: dict[str, Any], make_request: Callable[..., Any]) -> Callable[..., Any]:
    """Return a factory of Đông Hưng requests answered by the deputy and approved by the chair."""

    def make(body: str = ANSWER_BODY, **kwargs: Any) -> Any:
        req = make_request(world["dhu"], **kwargs)
        if req.assignee_id != world["deputy"].id:
            from spokes.press_requests import services as svc

            svc.reassign(world["chair"], req, world["deputy"], "Phó Chủ tịch phụ trách lĩnh vực.")
            db.session.commit()
        answer(req, world["deputy"], world["chair"], body=body)
        return req

    return make


def publish(user: Any, req: Any, **overrides: Any) -> Any:
    """Publish a request's answer through the service, prefilled as the form would be, and commit."""
    from spokes.press_requests.services import final_answer
    from spokes.publishing import services

    data = services.prefill_from_request(req, final_answer(req))
    for key, value in overrides.items():
        setattr(data, key, value)
    pub = services.publish_answer(user, req, data)
    db.session.commit()
    return pub


def statement(user: Any, unit: Any, kind: str = "periodic", **overrides: Any) -> Any:
    """Publish a statement through the service and commit."""
    from spokes.publishing import services

    data = services.PublicationData(title=overrides.pop("title", "Thông tin định kỳ tháng 3/2026"),
                                    summary=overrides.pop("summary", "Tóm tắt thông tin định kỳ."),
                                    body=overrides.pop("body", "Nội dung **định kỳ**."),
                                    speaker_name=user.name, speaker_title=user.title, **overrides)
    pub = services.publish_statement(user, unit, kind, data)
    db.session.commit()
    return pub


def correct(user: Any, pub: Any, note: str = "Sửa số liệu: 70%, không phải 60%.", **changes: Any) -> Any:
    """Correct an item through the service and commit."""
    from spokes.publishing import services

    data = services.PublicationData(title=pub.title, summary=pub.summary, body=pub.body,
                                    speaker_name=pub.speaker_name, speaker_title=pub.speaker_title,
                                    event_at=pub.event_at, conference_at=pub.conference_at)
    for key, value in changes.items():
        setattr(data, key, value)
    revision = services.correct(user, pub, data, note)
    db.session.commit()
    return revision


def content_form(**overrides: Any) -> dict[str, Any]:
    """Return a valid post of the publication form, with some fields replaced (None drops one)."""
    data: dict[str, Any] = {
        "title": "Kết quả nạo vét kênh Xẻo Nhàu",
        "summary": "Xã đã hoàn thành 60% khối lượng.",
        "body": ANSWER_BODY,
        "speaker_name": "Trương Thị Mai",
        "speaker_title": "Phó Chủ tịch UBND xã Đông Hưng",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class QueryCounter:
    """Count the SQL statements sent to the database while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        """Return how many statements were sent."""
        return len(self.statements)


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Count the statements sent inside the block (BEGIN/COMMIT included, as issued)."""
    counter = QueryCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def text_of(html: str) -> str:
    """Return the visible text of a page, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def later(minutes: int) -> datetime:
    """Return NOW plus some minutes."""
    return NOW + timedelta(minutes=minutes)
