"""Every action × every role × own unit / other unit, through the HTTP endpoints.

"own" is Đông Hưng (or the district above it for the overseer, the province for the admin);
"other" is Vân Khánh (or the other district). A denied action changes nothing: neither the
state nor the audit chain moves, and a request the user may not see is a 404 that does not
show its subject.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from spokes.core.clock import today_vn
from spokes.extensions import db
from spokes.attachments import store as attachments
from spokes.press_requests.models import PressRequest

from .conftest import ROLES, days

VIEWERS = {"clerk", "spokesperson", "head", "overseer"}


@dataclass(frozen=True)
class Case:
    """One action: the state it needs, how to call it, and who may do it in their own unit."""

    state: str
    path: str  # appended to /staff/requests/<id>; "GET ..." for reads
    data: Callable[[dict[str, Any]], dict[str, Any]]
    allowed: frozenset[str]
    approval_required: bool = True
    refused_code: dict[str, int] | None = None  # own-unit viewers refused with another code than 403


def _none(world: dict[str, Any]) -> dict[str, Any]:
    return {}


CASES: dict[str, Case] = {
    "view": Case("assigned", "GET", _none, frozenset(VIEWERS)),
    "download": Case("assigned", "GET attachment", _none, frozenset(VIEWERS)),
    "reassign": Case("assigned", "/reassign", lambda w: {
        "reassign-assignee": w["deputy"].id, "reassign-reason": "Phó Chủ tịch phụ trách lĩnh vực này."},
        frozenset({"head", "overseer"})),
    "authorise": Case("assigned", "/authorise", lambda w: {
        "authorise-user": w["deputy"].id, "authorise-title": "Phó Chủ tịch UBND xã",
        "authorise-document_number": "25/GUQ-UBND", "authorise-document_date": (today_vn() - days(1)).isoformat(),
        "authorise-valid_to": (today_vn() + days(10)).strftime("%d/%m/%Y")}, frozenset({"head"})),
    "draft": Case("assigned", "/draft", lambda w: {
        "draft-kind": "answer", "draft-form": "written", "draft-body": "Đã nạo vét 80% tuyến kênh."},
        frozenset({"spokesperson", "head"})),
    "submit": Case("drafting", "/submit", _none, frozenset({"spokesperson", "head"})),
    "approve": Case("awaiting_approval", "/approve", _none, frozenset({"head"})),
    "return": Case("awaiting_approval", "/return", lambda w: {"return-comment": "Bổ sung số liệu kinh phí."},
                   frozenset({"head"})),
    "send": Case("drafting", "/send", _none, frozenset({"head"}), refused_code={"spokesperson": 409}),
    "send_without_approval": Case("drafting", "/send", _none, frozenset({"spokesperson", "head"}),
                                  approval_required=False),
    "transfer": Case("assigned", "/transfer", lambda w: {
        "transfer-to_unit": w["vhtt"].id, "transfer-reason": "Thuộc lĩnh vực văn hóa – thông tin."},
        frozenset({"head", "overseer"})),
    "extend": Case("assigned", "/extend", lambda w: {"extend-amount": "2", "extend-reason": "Cần xác minh tại ấp."},
                   frozenset({"head"})),
    "reopen": Case("answered", "/reopen", lambda w: {"reopen-reason": "Phóng viên hỏi thêm về kinh phí."},
                   frozenset({"head", "overseer"})),
    "withdraw": Case("assigned", "/withdraw", lambda w: {"withdraw-reason": "Phóng viên gọi điện xin rút."},
                     frozenset({"clerk", "spokesperson", "head"})),
    "note": Case("assigned", "/note", lambda w: {"note-body": "Đã gọi cho trưởng ấp xác minh."},
                 frozenset({"clerk", "spokesperson", "head"})),
    "message": Case("assigned", "/message", lambda w: {"message-body": "Đơn vị đang tổng hợp số liệu."},
                    frozenset({"clerk", "spokesperson", "head"})),
}

SUBJECT = "Tiến độ nạo vét kênh Xẻo Nhàu"


def _expected(case: Case, role: str, place: str) -> int:
    if place == "own" and role in case.allowed:
        return 200 if case.path.startswith("GET") else 302
    if place == "own" and role in VIEWERS:
        return (case.refused_code or {}).get(role, 403)
    return 404


@pytest.mark.parametrize("place", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(CASES))
def test_action_role_unit(action, role, place, world, make_request, bring, client_for, audit_count):
    case = CASES[action]
    if not case.approval_required:
        world["dhu"].approval_required = False
        db.session.commit()
    req = bring(make_request(world["dhu"], actor=world["clerk"], subject=SUBJECT), case.state)
    att = attachments.store(io.BytesIO(b"%PDF-1.4\n%test\n"), "cong-van.pdf", max_bytes=1000,
                            allowed=attachments.STAFF_KINDS, purpose="evidence", request_id=req.id)
    db.session.commit()
    before_state, before_events = req.state, audit_count()
    client = client_for(world["users"][(role, place)])

    if case.path == "GET":
        response = client.get(f"/staff/requests/{req.id}")
    elif case.path == "GET attachment":
        response = client.get(f"/staff/requests/{req.id}/attachments/{att.id}")
    else:
        response = client.post(f"/staff/requests/{req.id}{case.path}", data=case.data(world))

    expected = _expected(case, role, place)
    raw = response.get_data()
    response.close()  # a sent file keeps its handle open until the response is closed
    body = raw.decode("utf-8", "replace")
    assert response.status_code == expected, body[:2000]
    if expected in (200, 302) and not case.path.startswith("GET"):
        assert audit_count() > before_events, "an allowed action leaves an audit event"
    if expected not in (200, 302):
        db.session.expire_all()
        assert db.session.get(PressRequest, req.id).state == before_state
        assert audit_count() == before_events
    if expected == 404:
        assert SUBJECT not in body
    if case.path == "GET" and expected == 200:
        assert SUBJECT in body
    if case.path == "GET attachment" and expected == 200:
        assert raw.startswith(b"%PDF")
        assert "attachment" in response.headers["Content-Disposition"]
