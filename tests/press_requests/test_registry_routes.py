"""Every verb of the action registry has its POST endpoint and its service call, and nothing else does."""

from __future__ import annotations

from spokes.press_requests.actions import VERBS
from spokes.press_requests.views.actions import RUNS


def test_every_verb_has_one_service_call():
    assert set(RUNS) == set(VERBS)


def test_every_verb_has_its_post_endpoint_at_its_address(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for verb, spec in VERBS.items():
        rule = rules[f"press_requests.{spec.endpoint}"]
        assert rule.rule == f"/staff/requests/<int:request_id>/{spec.path}", verb
        assert rule.methods == {"POST", "OPTIONS"}, verb


def test_the_addresses_people_bookmark_did_not_move(app):
    urls = {spec.endpoint: spec.path for spec in VERBS.values()}
    assert urls["return_draft"] == "return"
    assert urls["conclude"] == "conclusion"
    assert urls["conclusion_sent"] == "conclusion/sent"
