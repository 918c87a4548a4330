"""The request state machine as a pure table: {(state, action): next_state}.

No Flask and no database here. ``transition()`` in services.py applies this table together
with the actor's permissions and the guards.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from spokes.auth.permissions import Permission


class State(enum.StrEnum):
    """Workflow states (same codes as RequestState)."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    DRAFTING = "drafting"
    AWAITING_APPROVAL = "awaiting_approval"
    ANSWERED = "answered"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Action(enum.StrEnum):
    """Everything that can happen to a request."""

    ASSIGN = "assign"  # first assignment, or a reassignment by the head
    DRAFT = "draft"  # save a draft answer or proposed refusal
    SUBMIT = "submit"  # send a draft to the head for approval
    APPROVE = "approve"  # head approves an answer → answered
    APPROVE_REFUSAL = "approve_refusal"  # head approves a proposed refusal → refused
    RETURN = "return"  # head returns the draft with a comment
    ANSWER = "answer"  # answer without approval (approval off, or the head answers)
    REFUSE = "refuse"  # refuse without approval (approval off, or the head refuses)
    WITHDRAW = "withdraw"  # the journalist withdraws
    TRANSFER = "transfer"  # to the competent unit; starts there as received
    EXTEND = "extend"  # lawful extension; state unchanged
    REOPEN = "reopen"  # head or overseer reopens an answered or refused request
    RECLASSIFY = "reclassify"  # change the type; deadline recounted from the original receipt


S, A = State, Action
OPEN = frozenset({S.RECEIVED, S.ASSIGNED, S.DRAFTING, S.AWAITING_APPROVAL})
CLOSED = frozenset({S.ANSWERED, S.REFUSED, S.WITHDRAWN})

TRANSITIONS: dict[tuple[State, Action], State] = {
    (S.RECEIVED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,
    (S.DRAFTING, A.ASSIGN): S.DRAFTING,
    (S.AWAITING_APPROVAL, A.ASSIGN): S.AWAITING_APPROVAL,
    (S.ASSIGNED, A.DRAFT): S.DRAFTING,
    (S.DRAFTING, A.DRAFT): S.DRAFTING,
    (S.DRAFTING, A.SUBMIT): S.AWAITING_APPROVAL,
    (S.AWAITING_APPROVAL, A.APPROVE): S.ANSWERED,
    (S.AWAITING_APPROVAL, A.APPROVE_REFUSAL): S.REFUSED,
    (S.AWAITING_APPROVAL, A.RETURN): S.DRAFTING,
    (S.DRAFTING, A.ANSWER): S.ANSWERED,
    (S.ANSWERED, A.REOPEN): S.DRAFTING,
    (S.REFUSED, A.REOPEN): S.DRAFTING,
}
for _state in OPEN:
    TRANSITIONS[(_state, A.WITHDRAW)] = S.WITHDRAWN
    TRANSITIONS[(_state, A.TRANSFER)] = S.RECEIVED
    TRANSITIONS[(_state, A.EXTEND)] = _state
    TRANSITIONS[(_state, A.RECLASSIFY)] = _state
    if _state is not S.AWAITING_APPROVAL:  # a pending draft is approved or returned first
        TRANSITIONS[(_state, A.REFUSE)] = S.REFUSED
del _state

# The permission a staff actor needs in the request's unit for each action. A journalist,
# identified by the tracking token instead, may only withdraw (JOURNALIST_ACTIONS).
REQUIRED_PERMISSION: dict[Action, Permission] = {
    A.ASSIGN: Permission.REASSIGN,
    A.DRAFT: Permission.DRAFT_ANSWER,
    A.SUBMIT: Permission.DRAFT_ANSWER,
    A.APPROVE: Permission.APPROVE,
    A.APPROVE_REFUSAL: Permission.APPROVE,
    A.RETURN: Permission.APPROVE,
    A.ANSWER: Permission.ANSWER_DIRECT,
    A.REFUSE: Permission.ANSWER_DIRECT,
    A.WITHDRAW: Permission.LOG_REQUEST,  # staff record a withdrawal the journalist phoned in
    A.TRANSFER: Permission.TRANSFER,
    A.EXTEND: Permission.EXTEND,
    A.REOPEN: Permission.REOPEN,
    # Choosing the type chooses the legal clock: those who route requests (heads, overseers) decide it.
    A.RECLASSIFY: Permission.TRANSFER,
}

JOURNALIST_ACTIONS = frozenset({A.WITHDRAW})

# Actions that skip approval: allowed to a spokesperson only where the unit turned approval off.
DIRECT_ACTIONS = frozenset({A.ANSWER, A.REFUSE})


@dataclass(frozen=True)
class Decision:
    """The outcome of checking an action against the table."""

    allowed: bool
    next_state: State | None
    reason: str | None = None


def next_state(state: State | str, action: Action | str) -> State | None:
    """Return the state an action leads to from a state, or None if the table forbids it."""
    return TRANSITIONS.get((State(state), Action(action)))


def check(
    state: State | str,
    action: Action | str,
    *,
    permissions: frozenset[Permission] | set[Permission],
    approval_required: bool,
    is_head: bool,
    actor_is_journalist: bool = False,
) -> Decision:
    """Decide whether an action is allowed: the table, then the permission, then approval.

    Messages are Vietnamese plain text; the caller shows them with HTTP 409 or 403.
    """
    state, action = State(state), Action(action)
    target = TRANSITIONS.get((state, action))
    if target is None:
        return Decision(False, None, "table")
    if actor_is_journalist:
        if action not in JOURNALIST_ACTIONS:
            return Decision(False, None, "permission")
        return Decision(True, target)
    if REQUIRED_PERMISSION[action] not in permissions:
        return Decision(False, None, "permission")
    if action in DIRECT_ACTIONS and approval_required and not is_head:
        return Decision(False, None, "approval_required")
    return Decision(True, target)
