"""The action registry: every verb on the request page, declared once.

A row says which workflow action (if any) a verb takes, which right it needs when it is not a
workflow action, which form it posts, what the page says once it is done, and the words for it.
The policies (``policies.decide``), the services' refusal messages (``services.action_label``),
the request page (``read_models.FORM_CLASSES``), the action pipeline (``views/actions.py``) and
the tests read this table; the transitions themselves stay in the pure core, ``workflow.py``
(``TRANSITIONS``, ``REQUIRED_PERMISSION``).

Adding a workflow action: a row in ``workflow.TRANSITIONS`` and ``REQUIRED_PERMISSION``, a row
here (with its form in forms.py; the row also gives its address and endpoint), one service
function (services/), the line of ``views/actions.RUNS`` that calls it with the form's fields, and
one panel in templates/press_requests/detail.html;
tests/press_requests/test_transitions.py derives its expectations from these tables. See docs/architecture.md.
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
    success: Any = None  # the flash message once it is done
    path: str = ""  # its address below /staff/requests/<id>/ (default: the verb)
    endpoint: str = ""  # its endpoint on the blueprint (default: the verb)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", self.path or self.verb.value)
        object.__setattr__(self, "endpoint", self.endpoint or self.verb.value)


VERBS: dict[Verb, VerbSpec] = {spec.verb: spec for spec in (
    VerbSpec(Verb.REASSIGN, Action.ASSIGN, forms.ReassignForm,
             success=_l("Đã giao lại yêu cầu.")),
    VerbSpec(Verb.AUTHORISE, None, forms.AuthoriseForm, frozenset({Permission.AUTHORISE_SPOKESPERSON}),
             open_only=True,
             success=_l("Đã ủy quyền phát ngôn cho yêu cầu này.")),
    VerbSpec(Verb.DRAFT, Action.DRAFT, forms.DraftForm,
             success=_l("Đã lưu dự thảo.")),
    VerbSpec(Verb.SUBMIT, Action.SUBMIT, forms.SubmitDraftForm,
             success=_l("Đã trình duyệt dự thảo.")),
    VerbSpec(Verb.APPROVE, Action.APPROVE, forms.ApproveForm,
             success=_l("Đã duyệt; nội dung đã được gửi cho phóng viên.")),  # APPROVE_REFUSAL for a proposed refusal
    VerbSpec(Verb.RETURN, Action.RETURN, forms.ReturnForm,
             success=_l("Đã trả lại dự thảo kèm ý kiến."), endpoint="return_draft"),
    VerbSpec(Verb.SEND, Action.ANSWER, forms.SendForm,
             success=_l("Đã gửi cho phóng viên.")),  # REFUSE for a refusal
    VerbSpec(Verb.TRANSFER, Action.TRANSFER, forms.TransferForm,
             success=_l("Đã chuyển yêu cầu sang đơn vị có thẩm quyền.")),
    VerbSpec(Verb.EXTEND, Action.EXTEND, forms.ExtendForm,
             success=_l("Đã gia hạn thời hạn trả lời.")),
    VerbSpec(Verb.REOPEN, Action.REOPEN, forms.ReopenForm,
             success=_l("Đã mở lại yêu cầu.")),
    VerbSpec(Verb.WITHDRAW, Action.WITHDRAW, forms.WithdrawForm,
             success=_l("Đã ghi nhận phóng viên rút yêu cầu.")),
    VerbSpec(Verb.NOTE, None, forms.NoteForm, MESSAGE_PERMISSIONS,
             success=_l("Đã thêm ghi chú nội bộ.")),
    VerbSpec(Verb.MESSAGE, None, forms.MessageForm, MESSAGE_PERMISSIONS,
             success=_l("Đã gửi tin nhắn cho phóng viên.")),
    VerbSpec(Verb.RECLASSIFY, Action.RECLASSIFY, forms.ReclassifyForm,
             success=_l("Đã đổi loại yêu cầu; thời hạn được tính lại từ thời điểm tiếp nhận ban đầu.")),
    VerbSpec(Verb.CONCLUDE, None, forms.ConclusionForm, frozenset({Permission.DRAFT_ANSWER}),
             success=_l("Đã ghi nhận kết luận giải quyết."), path="conclusion"),
    VerbSpec(Verb.CONCLUSION_SENT, None, forms.ConclusionSentForm, frozenset({Permission.DRAFT_ANSWER}),
             success=_l("Đã ghi nhận việc gửi kết luận cho cơ quan báo chí."), path="conclusion/sent"),
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
