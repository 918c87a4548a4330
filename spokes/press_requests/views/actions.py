"""The request page's actions: one POST endpoint per verb of the action registry, all through ``_act``.

The endpoints are made from the registry (``actions.VERBS``: address and endpoint name) and
``RUNS`` (the one service call a verb makes); ``_act`` does the rest (row lock, 404/403, form
validation, the page-version check, the service, one commit, the flash, and the 400/409 pages
through ``attempt``). Copying a request's contact details into the journalist record is not a
verb of the page's state: it has its own endpoint at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from spokes.auth.models import User
from spokes.core.errors import DomainError
from spokes.core.forms import EmptyForm
from spokes.extensions import db
from spokes.press_requests import forms, policies
from spokes.press_requests import services as svc
from spokes.press_requests.actions import VERBS, Verb
from spokes.press_requests.answer_models import AnswerKind
from spokes.press_requests.models import MessageKind, PressRequest
from spokes.press_requests.read_models import build_form
from spokes.press_requests.views import attempt, bp
from spokes.press_requests.views.detail import load, render_detail
from spokes.press_requests.views.intake import check_uploads, store_all
from spokes.units.models import Unit


# A note or a message does not depend on what the page showed: it never meets a 409 for a stale page.
UNVERSIONED = frozenset({Verb.NOTE, Verb.MESSAGE})


def _act(request_id: int, verb: Verb, run: Callable[[PressRequest, Any], None]):
    """Run one action: lock and load (404), authorise (403), validate (400), call the service, commit.

    The request row is locked first (``lock_request``), so whoever comes second waits for the
    first commit and is judged on what it left: a page that showed an older version, or a
    state the table no longer allows, gets the 409 page saying who changed the request.
    """
    if svc.lock_request(request_id) is None:
        abort(404)
    req = load(request_id)
    if not policies.has_right(current_user, req, verb):
        abort(403)
    form = build_form(verb, req, current_user)
    if not form.validate_on_submit():
        return render_detail(req, 400, {verb: form})

    def run_checked() -> None:
        if verb not in UNVERSIONED:
            svc.check_version(req, form.seen_version())
        run(req, form)

    refused = attempt(form, run_checked, conflicts=True)
    if refused is not None and refused.status == 409:
        return _conflict(request_id, refused)
    if refused is not None:
        return render_detail(db.session.get(PressRequest, request_id), 400, {verb: form})
    db.session.commit()
    flash(VERBS[verb].success, "success")
    return redirect(url_for(".detail", request_id=request_id))


def _conflict(request_id: int, err: DomainError):
    """Render the 409 page: why the action was refused, who changed the request last, and a reload link."""
    req = db.session.get(PressRequest, request_id)
    change = getattr(err, "change", None)
    if change is None and req is not None:
        change = svc.last_change(req)
    who = None
    if change is not None:
        who = {"journalist": _("phóng viên"), "system": _("hệ thống")}.get(change.actor_label, change.actor_label)
    return render_template("press_requests/conflict.html", req=req, message=err.message, change=change, who=who,
                           action_label=_change_label(change.action) if change is not None else None), 409


def _change_label(action: str) -> str:
    """Return a readable label for an audit action code of a request (e.g. request.approve)."""
    code = action.removeprefix("request.")
    try:
        return svc.action_label(svc.Action(code))
    except ValueError:
        return _("cập nhật yêu cầu") if code != "received" else _("tiếp nhận")


def _user_choice(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(400)
    return user


def _transfer(req: PressRequest, form: forms.TransferForm) -> None:
    unit = db.session.get(Unit, form.to_unit.data)
    if unit is None:
        abort(400)
    svc.transfer(current_user, req, unit, form.reason.data)


def _save_draft(req: PressRequest, form: forms.DraftForm) -> None:
    uploads = check_uploads(form.attachments)
    if form.attachments.errors:
        raise DomainError(_("Tệp đính kèm không hợp lệ; vui lòng xem lại."), status=400)
    refusal = form.kind.data == AnswerKind.REFUSAL.value
    answer = svc.save_draft(current_user, req, svc.DraftData(
        kind=form.kind.data, form=form.form.data, body=form.body.data or "",
        refusal_ground_id=form.refusal_ground.data if refusal else None,
        refusal_reason=form.refusal_reason.data if refusal else None,
        interview_at=form.interview_at.data, interview_place=form.interview_place.data or None,
        questions_received=form.questions_received.data, interviewee_consent=form.interviewee_consent.data,
        review_requested=form.review_requested.data,
    ))
    store_all(uploads, purpose="answer", request_id=req.id, answer_id=answer.id)


# What each verb does once ``_act`` has loaded, authorised and validated: one service call.
RUNS: dict[Verb, Callable[[PressRequest, Any], None]] = {
    # Give the request to another spokesperson, with a reason.
    Verb.REASSIGN: lambda req, form: svc.reassign(current_user, req, _user_choice(form.assignee.data), form.reason.data),
    # Authorise a deputy to speak on this case until an end date.
    Verb.AUTHORISE: lambda req, form: svc.authorise_for_case(current_user, req, svc.CaseAuthorisation(
        user=_user_choice(form.user.data), title=form.title.data, document_number=form.document_number.data,
        document_date=form.document_date.data, valid_to=form.valid_to.data)),
    # Save the draft answer or proposed refusal.
    Verb.DRAFT: _save_draft,
    # Send the draft to the head for approval.
    Verb.SUBMIT: lambda req, form: svc.submit_draft(current_user, req),
    # Approve the submitted draft; the answer or refusal goes to the journalist.
    Verb.APPROVE: lambda req, form: svc.approve(current_user, req),
    # Return the submitted draft with a comment.
    Verb.RETURN: lambda req, form: svc.return_draft(current_user, req, form.comment.data),
    # Send the draft without approval (approval off, or the head sends it).
    Verb.SEND: lambda req, form: svc.send_directly(current_user, req),
    # Transfer the request to the competent unit, with a reason.
    Verb.TRANSFER: _transfer,
    # Extend the deadline where the rule allows it.
    Verb.EXTEND: lambda req, form: svc.extend(current_user, req, form.amount.data, form.reason.data),
    # Reopen an answered or refused request, with a reason.
    Verb.REOPEN: lambda req, form: svc.reopen(current_user, req, form.reason.data),
    # Record that the journalist withdrew the request (by phone, in writing…).
    Verb.WITHDRAW: lambda req, form: svc.withdraw(current_user, req, form.reason.data),
    # Add an internal note, which never reaches the journalist.
    Verb.NOTE: lambda req, form: svc.add_message(current_user, req, MessageKind.INTERNAL_NOTE, form.body.data),
    # Send a message to the journalist.
    Verb.MESSAGE: lambda req, form: svc.add_message(current_user, req, MessageKind.TO_JOURNALIST, form.body.data),
    # Change the request's type with a reason; the deadline is recounted from the original receipt.
    Verb.RECLASSIFY: lambda req, form: svc.reclassify(current_user, req, form.type.data, form.reason.data),
    # Record the conclusion of a forwarded complaint or denunciation; starts the sending milestone.
    Verb.CONCLUDE: lambda req, form: svc.record_conclusion(current_user, req, svc.ConclusionData(
        concluded_on=form.concluded_on.data, document=form.document.data, summary=form.summary.data)),
    # Record that the conclusion went to the press agency.
    Verb.CONCLUSION_SENT: lambda req, form: svc.mark_conclusion_sent(current_user, req),
}


def _endpoint(verb: Verb) -> Callable[..., Any]:
    def view(request_id: int):
        return _act(request_id, verb, RUNS[verb])

    view.__name__ = VERBS[verb].endpoint
    view.__doc__ = f"POST /staff/requests/<id>/{VERBS[verb].path}: the {verb.value} action, through ``_act``."
    return login_required(view)


def _register() -> None:
    """Give every verb of the registry its POST endpoint."""
    for verb, spec in VERBS.items():
        bp.add_url_rule(f"/<int:request_id>/{spec.path}", spec.endpoint, _endpoint(verb), methods=["POST"])


_register()


@bp.post("/<int:request_id>/journalist")
@login_required
def update_journalist(request_id: int):
    """Copy the details given with this request into the journalist record staff hold (audited)."""
    req = load(request_id)
    if not policies.can_update_journalist(current_user, req):
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit() and req.journalist is not None and req.contact is not None:
        contact = req.contact
        svc.update_journalist(current_user, req.journalist, svc.JournalistData(
            name=contact.name, agency=contact.agency, phone=contact.phone,
            press_card_number=contact.press_card_number, press_card_expiry=contact.press_card_expiry))
        db.session.commit()
        flash(_("Đã cập nhật thông tin phóng viên đã lưu theo yêu cầu này."), "success")
    return redirect(url_for(".detail", request_id=request_id))
