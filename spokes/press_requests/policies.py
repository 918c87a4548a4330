"""Object-level policies for press requests: who may see a request, and who may act on it.

Views call these before they load a form, and templates call the very same functions to
decide which action panels to show, so the rules are written once. The final word stays
with the services (``transition()``), which check the same table again inside the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from spokes.auth.permissions import Permission
from spokes.auth.policies import permissions_in
from spokes.extensions import db
from spokes.press_requests import workflow
from spokes.press_requests.actions import CONCLUSION_VERBS, VERBS, Verb
from spokes.press_requests.models import CONCLUSION_TYPES, RequestState, Transfer
from spokes.press_requests.workflow import Action
from spokes.press_requests.answer_models import AnswerKind, AnswerStatus
from spokes.units.policies import may_pass_on_speaking

if TYPE_CHECKING:
    from spokes.press_requests.models import PressRequest
    from spokes.press_requests.answer_models import Answer


@dataclass(frozen=True)
class Decision:
    """Whether a verb is allowed now, and if not, why.

    ``reason`` is "permission" when the user lacks the right (the view answers 403), and
    anything else ("table", "approval_required", "no_draft", "closed", "extension") when the
    right is there but the request's state does not allow it (the service answers 409).
    """

    allowed: bool
    reason: str | None = None


ALLOWED = Decision(True)


def _unit_permissions(user: Any, req: PressRequest) -> frozenset[Permission]:
    return permissions_in(user, req.unit)


def can_view(user: Any, req: PressRequest) -> bool:
    """Return whether the user may open the request page.

    Staff with VIEW_REQUESTS in the request's current unit (or, for overseers, above it) may;
    so may the staff of a unit the request was transferred out of, read-only.
    """
    if Permission.VIEW_REQUESTS in _unit_permissions(user, req):
        return True
    return is_former_unit_viewer(user, req)


def is_former_unit_viewer(user: Any, req: PressRequest) -> bool:
    """Return whether the user sees the request only because it left one of their units."""
    if not getattr(user, "is_authenticated", False):
        return False
    transfers = db.session.execute(
        select(Transfer).options(joinedload(Transfer.from_unit)).where(Transfer.request_id == req.id)
    ).scalars()
    return bool(transfers_out_of_viewers_units(user, transfers))


def transfers_out_of_viewers_units(user: Any, transfers: Iterable[Transfer]) -> list[Transfer]:
    """Return the transfers (their ``from_unit`` loaded) that took the request out of a unit the user sees.

    A user whose only access to a request is as a former unit follows the case (state, deadline,
    what the journalist received, the final answer) and keeps what their unit wrote up to the last
    of these transfers, but not the receiving unit's internal notes and unapproved drafts.
    """
    return [t for t in transfers if Permission.VIEW_REQUESTS in permissions_in(user, t.from_unit)]


def is_read_only(user: Any, req: PressRequest) -> bool:
    """Return whether the user may look at the request but never act on it."""
    return Permission.VIEW_REQUESTS not in _unit_permissions(user, req)


def _draft_decision(verb: Verb, req: PressRequest, draft: Answer | None) -> Decision | None:
    """Mirror the services' checks on the current draft; None when they have nothing to say."""
    if verb is Verb.SUBMIT and (draft is None or draft.status != AnswerStatus.DRAFT.value):
        return Decision(False, "no_draft")
    if verb in (Verb.APPROVE, Verb.RETURN) and (draft is None or draft.status != AnswerStatus.SUBMITTED.value):
        return Decision(False, "no_draft")
    if verb is Verb.SEND and (
        draft is None or draft.status not in (AnswerStatus.DRAFT.value, AnswerStatus.RETURNED.value)
    ):
        return Decision(False, "no_draft")
    return None


def _conclusion_decision(verb: Verb, req: PressRequest) -> Decision:
    """Mirror services.check_conclusion: the type, the state, and where the milestone stands."""
    if req.type not in {t.value for t in CONCLUSION_TYPES}:
        return Decision(False, "type")
    if req.state not in {*(s.value for s in workflow.OPEN), RequestState.ANSWERED.value}:
        return Decision(False, "closed")
    if req.conclusion_sent_at is not None:
        return Decision(False, "sent")
    if verb is Verb.CONCLUSION_SENT and req.conclusion_at is None:
        return Decision(False, "no_conclusion")
    return ALLOWED


def _workflow_action(verb: Verb, draft: Answer | None) -> Action | None:
    action = VERBS[verb].action
    refusal = draft is not None and draft.kind == AnswerKind.REFUSAL.value
    if verb is Verb.APPROVE and refusal:
        return Action.APPROVE_REFUSAL
    if verb is Verb.SEND and refusal:
        return Action.REFUSE
    return action


def decide(user: Any, req: PressRequest, verb: Verb | str, *, draft: Answer | None = None) -> Decision:
    """Decide whether the user may take a verb on the request now.

    The right is checked first, so a user without it is told 403 whatever the state; then the
    workflow table, the approval setting and the draft, exactly as the services check them.
    ``draft`` is the current draft (``services.current_draft(req)``); pass it for the verbs
    that act on a draft.
    """
    verb = Verb(verb)
    perms = _unit_permissions(user, req)
    action = _workflow_action(verb, draft)
    if action is not None:
        needed = {workflow.REQUIRED_PERMISSION[action]}
    else:
        needed = set(VERBS[verb].permissions)
    if not needed <= perms:
        return Decision(False, "permission")
    if action is not None:
        outcome = workflow.check(
            req.state, action, permissions=perms, approval_required=req.unit.approval_required,
            is_head=Permission.APPROVE in perms,
        )
        if not outcome.allowed:
            return Decision(False, outcome.reason)
    if verb is Verb.AUTHORISE:
        if not req.is_open:
            return Decision(False, "closed")
        if not may_pass_on_speaking(user, req.unit_id):
            return Decision(False, "permission")
    if verb in CONCLUSION_VERBS:
        return _conclusion_decision(verb, req)
    if verb is Verb.EXTEND:
        rule = req.rule
        if not rule.extension_allowed or req.extended_amount >= rule.extension_max_amount:
            return Decision(False, "extension")
    return _draft_decision(verb, req, draft) or ALLOWED


def can_act(user: Any, req: PressRequest, verb: Verb | str, *, draft: Answer | None = None) -> bool:
    """Return whether the user may take the verb on the request now (templates use this)."""
    return decide(user, req, verb, draft=draft).allowed


def can_update_journalist(user: Any, req: PressRequest) -> bool:
    """Return whether the user may copy this request's contact details into the journalist record.

    Those who log requests for the unit hold the journalist records it uses (issue 17: a change
    of what staff hold is an explicit staff action, never a side effect of a form).
    """
    return req.journalist_id is not None and Permission.LOG_REQUEST in permissions_in(user, req.unit)


def has_right(user: Any, req: PressRequest, verb: Verb | str) -> bool:
    """Return whether the user holds the right for the verb in the request's unit, whatever its state.

    Views answer 403 when this is False and leave state problems to the services (409).
    """
    return decide(user, req, verb).reason != "permission"


def init_app(app: Flask) -> None:
    """Expose the request policies to every template as Jinja globals."""
    app.jinja_env.globals.update(
        can_view_request=can_view,
        can_act=can_act,
        request_read_only=is_read_only,
    )
