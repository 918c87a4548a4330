"""Every action the workflow forbids in a state answers 409 and changes nothing; the request
page offers exactly the actions that are possible."""

from __future__ import annotations

from typing import Any

import pytest

from spokes.core.clock import today_vn
from spokes.extensions import db
from spokes.press_requests.actions import CONCLUSION_VERBS, VERBS, Verb, offered_by_the_table
from spokes.press_requests.models import PressRequest
from spokes.press_requests.workflow import State

from .conftest import days

STATES = tuple(State)
# The verbs whose panels and endpoints this file exercises (notes and messages have their own tests,
# and so do the conclusion verbs, which only forwarded complaints and denunciations offer:
# tests/press_requests/test_reclassify_and_conclusion.py).
ACTIONS = tuple(v.value for v in VERBS if v not in (Verb.NOTE, Verb.MESSAGE, *CONCLUSION_VERBS))
# What the head of the unit (approval on, every right) may do in each state: exactly what the
# pure table allows. Read from the registry and the workflow table, never copied here.
VALID: dict[str, set[str]] = {s.value: {a for a in ACTIONS if offered_by_the_table(Verb(a), s)} for s in STATES}


def test_the_head_may_do_what_a_head_does() -> None:
    """A spot check that the derived table is the one people know (so a wrong table fails loudly)."""
    assert VALID["received"] == {"reassign", "authorise", "transfer", "extend", "withdraw", "reclassify"}
    assert VALID["drafting"] >= {"draft", "submit", "send"} and "approve" not in VALID["drafting"]
    assert VALID["awaiting_approval"] >= {"approve", "return"} and "send" not in VALID["awaiting_approval"]
    assert VALID["answered"] == VALID["refused"] == {"reopen"} and VALID["withdrawn"] == set()


def _data(action: str, people: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    return {
        "reassign": {"reassign-assignee": people["deputy"].id, "reassign-reason": "Phân công lại."},
        "authorise": {"authorise-user": people["deputy"].id, "authorise-title": "Phó Chủ tịch",
                      "authorise-document_number": "7/GUQ", "authorise-document_date": today_vn().isoformat(),
                      "authorise-valid_to": (today_vn() + days(5)).isoformat()},
        "draft": {"draft-kind": "answer", "draft-form": "written", "draft-body": "Nội dung trả lời."},
        "submit": {}, "approve": {}, "send": {},
        "return": {"return-comment": "Bổ sung."},
        "transfer": {"transfer-to_unit": world["vhtt"].id, "transfer-reason": "Đúng thẩm quyền."},
        "extend": {"extend-amount": "1", "extend-reason": "Cần xác minh."},
        "reopen": {"reopen-reason": "Phóng viên hỏi thêm."},
        "withdraw": {"withdraw-reason": "Phóng viên rút."},
        "reclassify": {"reclassify-type": "press_answer", "reclassify-reason": "Có văn bản của cơ quan báo chí."},
    }[action]


@pytest.fixture()
def setup_request(world, make_unit, make_user, make_request, bring):
    """Return a function building a request in a state, with the head and a deputy of its unit."""

    def build(state: str) -> tuple[PressRequest, dict[str, Any]]:
        if state == "received":
            # A unit nobody speaks for yet: the request stays "received" until someone is assigned.
            unit = make_unit("AM-TT", "UBND thị trấn Thứ Mười Một", parent=world["district"])
            req = make_request(unit, subject="Yêu cầu chưa giao")
            people = {"head": make_user("head", unit), "deputy": make_user("spokesperson", unit)}
            assert req.state == "received"
            return req, people
        req = bring(make_request(world["dhu"], actor=world["clerk"]), state)
        return req, {"head": world["chair"], "deputy": world["deputy"]}

    return build


INVALID = [(s, a) for s in STATES for a in ACTIONS if a not in VALID[s]]


@pytest.mark.parametrize(("state", "action"), INVALID)
def test_invalid_transition_is_409_and_changes_nothing(state, action, world, setup_request, client_for, audit_count):
    req, people = setup_request(state)
    events = audit_count()
    client = client_for(people["head"])
    response = client.post(f"/staff/requests/{req.id}/{action}", data=_data(action, people, world))
    assert response.status_code == 409, response.get_data(as_text=True)[:1500]
    page = response.get_data(as_text=True)
    assert "Không thể thực hiện thao tác" in page
    db.session.expire_all()
    after = db.session.get(PressRequest, req.id)
    assert (after.state, after.unit_id, after.assignee_id, after.due_at) == (req.state, req.unit_id, req.assignee_id, req.due_at)
    assert audit_count() == events


@pytest.mark.parametrize("state", STATES)
def test_request_page_offers_exactly_the_possible_actions(state, world, setup_request, client_for):
    req, people = setup_request(state)
    page = client_for(people["head"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    shown = {a for a in ACTIONS if f'id="panel-{a}"' in page}
    assert shown == VALID[state]


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in STATES for a in ACTIONS if a in VALID[s]])
def test_valid_actions_succeed(state, action, world, setup_request, client_for, audit_count):
    req, people = setup_request(state)
    events = audit_count()
    response = client_for(people["head"]).post(f"/staff/requests/{req.id}/{action}", data=_data(action, people, world))
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    assert audit_count() > events


def test_spokesperson_cannot_send_when_the_unit_wants_approval(world, make_request, bring, client_for, audit_count):
    req = bring(make_request(world["dhu"]), "drafting", author=world["deputy"])
    events = audit_count()
    response = client_for(world["deputy"]).post(f"/staff/requests/{req.id}/send")
    assert response.status_code == 409
    assert "duyệt" in response.get_data(as_text=True)
    assert audit_count() == events
    page = client_for(world["deputy"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert 'id="panel-send"' not in page and 'id="panel-submit"' in page


def test_extension_beyond_the_rule_is_409(world, make_request, client_for, audit_count):
    req = make_request(world["dhu"], type="information")  # 5 working days, extension up to 5 more
    client = client_for(world["chair"])
    assert client.post(f"/staff/requests/{req.id}/extend",
                       data={"extend-amount": "5", "extend-reason": "Cần xác minh."}).status_code == 302
    events = audit_count()
    response = client.post(f"/staff/requests/{req.id}/extend", data={"extend-amount": "1", "extend-reason": "Thêm."})
    assert response.status_code == 409
    assert audit_count() == events
    press = make_request(world["dhu"], type="press_answer")  # no extension for this type
    response = client.post(f"/staff/requests/{press.id}/extend", data={"extend-amount": "1", "extend-reason": "Thêm."})
    assert response.status_code == 409
