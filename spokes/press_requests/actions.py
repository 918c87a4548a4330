"""The action registry: every verb on the request page, declared once.

A row says which workflow action (if any) a verb takes, which right it needs when it is not a
workflow action, which form it posts, and the words for it. The policies (``policies.decide``),
the services' refusal messages (``services.action_label``), the views (``FORM_CLASSES``) and the
tests read this table; the transitions themselves stay in the pure core, ``workflow.py``
(``TRANSITIONS``, ``REQUIRED_PERMISSION``).

Adding a workflow action: a row in ``workflow.TRANSITIONS`` and ``REQUIRED_PERMISSION``, a row
here (with its form in forms.py), one service function, one endpoint in views.py and one panel
in templates/press_requests/detail.html; tests/press_requests/test_transitions.py derives its
expectations from these tables. See docs/architecture.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from spokes.auth.permissions import Permission
from spokes.press_requests import forms
from spokes.press_requests.workflow import OPEN, TRANSITIONS, Action, State


class Verb(enum.StrEnum):
    """Every staff action on a request page; each has its own POST endpoint."""

    REASSIGN = "reassign"
    AUTHORISE = "authorise"
    DRAFT = "draft"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    SEND = "send"
    TRANSFER = "transfer"
    EXTEND = "extend"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    NOTE = "note"
    MESSAGE = "message"
    RECLASSIFY = "reclassify"
    CONCLUDE = "conclude"  # record the conclusion of a forwarded complaint or denunciation
    CONCLUSION_SENT = "conclusion_sent"  # the conclusion went to the press agency


# What the services demand for the message verbs (no workflow action, no state).
MESSAGE_PERMISSIONS = frozenset({Permission.VIEW_REQUESTS, Permission.LOG_REQUEST})


@dataclass(frozen=True)
class VerbSpec:
    """One verb of the request page."""

    verb: Verb
    action: Action | None  # the workflow action behind it; None: no state change
    form: type  # the form it posts (its fields are prefixed with the verb)
    # The rights it needs when it is not a workflow action (a workflow action's right is
    # workflow.REQUIRED_PERMISSION, read by the pure core).
    permissions: frozenset[Permission] = frozenset()
    open_only: bool = False  # a non-workflow verb that a closed request no longer offers


VERBS: dict[Verb, VerbSpec] = {spec.verb: spec for spec in (
    VerbSpec(Verb.REASSIGN, Action.ASSIGN, forms.ReassignForm),
    VerbSpec(Verb.AUTHORISE, None, forms.AuthoriseForm, frozenset({Permission.AUTHORISE_SPOKESPERSON}),
             open_only=True),
    VerbSpec(Verb.DRAFT, Action.DRAFT, forms.DraftForm),
    VerbSpec(Verb.SUBMIT, Action.SUBMIT, forms.SubmitDraftForm),
    VerbSpec(Verb.APPROVE, Action.APPROVE, forms.ApproveForm),  # APPROVE_REFUSAL for a proposed refusal
    VerbSpec(Verb.RETURN, Action.RETURN, forms.ReturnForm),
    VerbSpec(Verb.SEND, Action.ANSWER, forms.SendForm),  # REFUSE for a refusal
    VerbSpec(Verb.TRANSFER, Action.TRANSFER, forms.TransferForm),
    VerbSpec(Verb.EXTEND, Action.EXTEND, forms.ExtendForm),
    VerbSpec(Verb.REOPEN, Action.REOPEN, forms.ReopenForm),
    VerbSpec(Verb.WITHDRAW, Action.WITHDRAW, forms.WithdrawForm),
    VerbSpec(Verb.NOTE, None, forms.NoteForm, MESSAGE_PERMISSIONS),
    VerbSpec(Verb.MESSAGE, None, forms.MessageForm, MESSAGE_PERMISSIONS),
    VerbSpec(Verb.RECLASSIFY, Action.RECLASSIFY, forms.ReclassifyForm),
    VerbSpec(Verb.CONCLUDE, None, forms.ConclusionForm, frozenset({Permission.DRAFT_ANSWER})),
    VerbSpec(Verb.CONCLUSION_SENT, None, forms.ConclusionSentForm, frozenset({Permission.DRAFT_ANSWER})),
)}

# The words for each workflow action, as the refusal messages say them ("You may not <words>").
ACTION_WORDS: dict[Action, Any] = {
    Action.ASSIGN: _l("giao xử lý"),
    Action.DRAFT: _l("soạn dự thảo"),
    Action.SUBMIT: _l("trình duyệt"),
    Action.APPROVE: _l("duyệt trả lời"),
    Action.APPROVE_REFUSAL: _l("duyệt từ chối"),
    Action.RETURN: _l("trả lại dự thảo"),
    Action.ANSWER: _l("trả lời"),
    Action.REFUSE: _l("từ chối cung cấp thông tin"),
    Action.WITHDRAW: _l("rút yêu cầu"),
    Action.TRANSFER: _l("chuyển đơn vị"),
    Action.EXTEND: _l("gia hạn"),
    Action.REOPEN: _l("mở lại"),
    Action.RECLASSIFY: _l("đổi loại yêu cầu"),
}


# Verbs that act on a complaint's or denunciation's conclusion (policies check the milestone).
CONCLUSION_VERBS = frozenset({Verb.CONCLUDE, Verb.CONCLUSION_SENT})


def offered_by_the_table(verb: Verb, state: State | str) -> bool:
    """Tell whether the pure table lets a verb be taken in a state (rights and drafts aside)."""
    spec = VERBS[verb]
    if spec.action is None:
        return not spec.open_only or State(state) in OPEN
    return (State(state), spec.action) in TRANSITIONS
