"""The pure workflow core, tested directly: no app, no database."""

from __future__ import annotations

import pytest

from spokes.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from spokes.press_requests.actions import ACTION_WORDS, VERBS, Verb
from spokes.press_requests.workflow import (
    CLOSED,
    OPEN,
    REQUIRED_PERMISSION,
    TRANSITIONS,
    Action,
    State,
    check,
    next_state,
)

HEAD = frozenset(ROLE_PERMISSIONS[Role.HEAD])
SPOKESPERSON = frozenset(ROLE_PERMISSIONS[Role.SPOKESPERSON])


def test_every_action_is_declared_once_with_a_right_and_words() -> None:
    assert set(REQUIRED_PERMISSION) == set(Action) == set(ACTION_WORDS)
    assert {spec.action for spec in VERBS.values() if spec.action} <= set(Action)
    assert all(spec.action or spec.permissions for spec in VERBS.values())


@pytest.mark.parametrize("state", sorted(OPEN))
def test_an_open_request_can_always_be_withdrawn_transferred_and_extended(state: State) -> None:
    assert next_state(state, Action.WITHDRAW) is State.WITHDRAWN
    assert next_state(state, Action.TRANSFER) is State.RECEIVED
    assert next_state(state, Action.EXTEND) is state


@pytest.mark.parametrize("state", sorted(CLOSED))
def test_a_closed_request_only_reopens(state: State) -> None:
    allowed = {action for (s, action) in TRANSITIONS if s is state}
    assert allowed == ({Action.REOPEN} if state is not State.WITHDRAWN else set())


def test_a_spokesperson_answers_directly_only_where_approval_is_off() -> None:
    on = check(State.DRAFTING, Action.ANSWER, permissions=SPOKESPERSON | {Permission.ANSWER_DIRECT},
               approval_required=True, is_head=False)
    off = check(State.DRAFTING, Action.ANSWER, permissions=SPOKESPERSON | {Permission.ANSWER_DIRECT},
                approval_required=False, is_head=False)
    assert (on.allowed, on.reason) == (False, "approval_required") and off.allowed
    assert check(State.DRAFTING, Action.ANSWER, permissions=HEAD, approval_required=True, is_head=True).allowed


def test_the_table_comes_before_the_right_and_a_journalist_may_only_withdraw() -> None:
    assert check(State.ANSWERED, Action.SUBMIT, permissions=HEAD, approval_required=True, is_head=True).reason == "table"
    assert check(State.DRAFTING, Action.SUBMIT, permissions=frozenset(), approval_required=True,
                 is_head=False).reason == "permission"
    assert check(State.ASSIGNED, Action.WITHDRAW, permissions=frozenset(), approval_required=True, is_head=False,
                 actor_is_journalist=True).allowed
    assert not check(State.ASSIGNED, Action.EXTEND, permissions=frozenset(), approval_required=True, is_head=False,
                     actor_is_journalist=True).allowed


def test_the_verbs_cover_the_page() -> None:
    assert set(VERBS) == set(Verb)
