"""Rulebooks scoped to part of the unit tree: provincial and local layers over the national rulebook."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select

from spokes.deadlines import services
from spokes.deadlines.calendar import VN_TZ, WorkCalendar
from spokes.deadlines.explain import render_step
from spokes.deadlines.models import Rule, Rulebook
from spokes.deadlines.rulebook import RulebookSpec, RuleSpec, evaluate, load_seed_rulebooks, select_layers
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from spokes.units.services import move_unit

NATIONAL = next(b for b in load_seed_rulebooks() if b.code == "qd1430-2017")
RECEIVED = datetime(2026, 3, 10, 9, 30, tzinfo=VN_TZ)  # Tue; 3 working days → Fri 13/03, 5 → Tue 17/03


def _three_days(scope: str, code: str = "am-target") -> RulebookSpec:
    rule = RuleSpec("information", 3, "working_days", "Cung cấp thông tin (chỉ tiêu huyện)", "Chỉ tiêu của huyện",
                    "Chỉ tiêu nội bộ của đơn vị", "U")
    return RulebookSpec(code, "Chỉ tiêu huyện An Minh", date(2026, 1, 1), None, (rule,), scope_unit_code=scope)


def test_pure_layers_apply_to_their_subtree_only() -> None:
    layer = _three_days("AM")
    chain_in, chain_out = ["KG", "AM", "AM-DHU"], ["KG", "HT"]
    assert select_layers([NATIONAL, layer], RECEIVED, chain_in) == [layer]
    assert select_layers([NATIONAL, layer], RECEIVED, chain_out) == []
    assert select_layers([NATIONAL, layer], datetime(2025, 12, 31, 9, 0), chain_in) == []  # not yet in force
    inside = evaluate(NATIONAL, "information", RECEIVED, WorkCalendar(), layers=[layer])
    outside = evaluate(NATIONAL, "information", RECEIVED, WorkCalendar())
    assert (inside.due_date, outside.due_date) == (date(2026, 3, 13), date(2026, 3, 17))
    assert inside.steps[2] == {"code": "layers", "book": NATIONAL.name,
                               "layers": [{"name": "Chỉ tiêu huyện An Minh", "unit": "AM", "sets_rule": True}]}
    assert "Chỉ tiêu huyện An Minh (đơn vị AM; đặt quy tắc này)" in render_step(inside.steps[2])
    # A layer without a rule for the type falls through to the national rule.
    assert evaluate(NATIONAL, "press_answer", RECEIVED, WorkCalendar(), layers=[layer]).amount == 30


def test_the_most_specific_layer_wins() -> None:
    province, district = _three_days("KG", "kg"), _three_days("AM", "am")
    district = RulebookSpec("am", "Huyện", date(2026, 1, 1), None,
                            (RuleSpec("information", 2, "working_days", "x", "x", "x", "U"),), scope_unit_code="AM")
    layers = select_layers([province, district], RECEIVED, ["KG", "AM", "AM-DHU"])
    assert [b.code for b in layers] == ["kg", "am"]
    assert evaluate(NATIONAL, "information", RECEIVED, WorkCalendar(), layers=layers).amount == 2


def _store_layer(scope: str) -> Rulebook:
    book = Rulebook(code="am-target", name="Chỉ tiêu huyện An Minh", valid_from=date(2026, 1, 1), scope_unit_code=scope)
    book.rules.append(Rule(request_type="information", milestone="main", amount=3, unit="working_days",
                           label="Cung cấp thông tin (chỉ tiêu huyện)", citation_text="Chỉ tiêu của huyện",
                           citation_source="Chỉ tiêu nội bộ của đơn vị", confidence="U", statutory=False,
                           reminder_offsets=[1]))
    db.session.add(book)
    db.session.commit()
    return book


def test_a_layer_applies_to_one_subtree_and_not_its_neighbour(app, district, make_request, frozen_clock):
    frozen_clock(RECEIVED)
    _store_layer("AM")
    inside = make_request(district["dhu"], received_at=None)
    outside = make_request(district["other_district"], received_at=None)
    assert inside.due_at.date() == date(2026, 3, 13) and outside.due_at.date() == date(2026, 3, 17)
    assert inside.rulebook.code == "qd1430-2017"  # the national book: its refusal grounds apply
    assert inside.rule.rulebook.code == "am-target"
    layers = [layer["code"] for layer in inside.deadline_explanation["layers"]]
    assert layers == ["qd1430-2017", "qd1430-2017-kg", "am-target"]  # every layer is named
    assert [layer["code"] for layer in outside.deadline_explanation["layers"]] == ["qd1430-2017", "qd1430-2017-kg"]


def test_a_moved_or_merged_unit_keeps_the_rulebook_its_requests_were_computed_under(app, district, make_request,
                                                                                    frozen_clock, make_user):
    frozen_clock(RECEIVED)
    _store_layer("AM")
    req = make_request(district["dhu"], received_at=None)
    stored = (req.due_at, req.rule_id, req.rulebook_id)
    admin = make_user("admin", district["province"])
    move_unit(admin, district["dhu"], district["other_district"])  # the commune now sits outside AM
    db.session.commit()
    services.recompute_open_deadlines(admin, "kiểm tra")  # a calendar recount keeps the stored period
    db.session.commit()
    req = db.session.get(PressRequest, req.id)
    assert (req.due_at, req.rule_id, req.rulebook_id) == stored
    # New requests of the moved commune follow its new place in the tree.
    assert make_request(district["dhu"], received_at=None).due_at.date() == date(2026, 3, 17)


def test_cli_deadline_with_and_without_unit(app, district, runner, rulebooks):
    _store_layer("AM")
    plain = json.loads(runner.invoke(args=["deadline", "information", "2026-03-10T09:30", "--json"]).output)
    assert plain["due_at"] == "2026-03-17T23:59:59+07:00"
    assert [layer["code"] for layer in plain["layers"]] == ["qd1430-2017"] and plain["estimated"] is False
    result = runner.invoke(args=["deadline", "information", "2026-03-10T09:30", "--unit", "AM-VK", "--json"])
    data = json.loads(result.output)
    assert data["due_at"] == "2026-03-13T23:59:59+07:00"
    assert [layer["code"] for layer in data["layers"]] == ["qd1430-2017", "qd1430-2017-kg", "am-target"]
    for key in ("due_at", "rulebook", "rule", "citation", "confidence", "skipped_days"):
        assert key in data
    text = runner.invoke(args=["deadline", "information", "2026-03-10T09:30", "--unit", "AM-VK"]).output
    assert "Lớp quy định: Chỉ tiêu huyện An Minh (đơn vị AM)" in text
    bad = runner.invoke(args=["deadline", "information", "2026-03-10T09:30", "--unit", "NOPE"])
    assert bad.exit_code == 2


def test_shipped_provincial_layers_hold_no_unread_values(app, rulebooks):
    layers = db.session.execute(select(Rulebook).where(Rulebook.scope_unit_code.is_not(None))).scalars().all()
    assert {(b.code, b.scope_unit_code) for b in layers} == {("qd1430-2017-kg", "KG"), ("qd1835-2017-ag", "AG")}
    assert all(not b.rules and not b.refusal_grounds for b in layers)
