"""The request page's actions: one POST endpoint per verb of the action registry, all through ``_act``.

An endpoint names its verb and the one service call it makes; ``_act`` does the rest (row lock,
404/403, form validation, the page-version check, the service, one commit, the flash, and the
400/409 pages through ``attempt``).
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


@bp.post("/<int:request_id>/reassign")
@login_required
def reassign(request_id: int):
    """Give the request to another spokesperson, with a reason."""
    return _act(request_id, Verb.REASSIGN, lambda req, form: svc.reassign(
        current_user, req, _user_choice(form.assignee.data), form.reason.data))


@bp.post("/<int:request_id>/authorise")
@login_required
def authorise(request_id: int):
    """Authorise a deputy to speak on this case until an end date."""
    return _act(request_id, Verb.AUTHORISE, lambda req, form: svc.authorise_for_case(current_user, req, svc.CaseAuthorisation(
        user=_user_choice(form.user.data), title=form.title.data, document_number=form.document_number.data,
        document_date=form.document_date.data, valid_to=form.valid_to.data)))


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


@bp.post("/<int:request_id>/draft")
@login_required
def draft(request_id: int):
    """Save the draft answer or proposed refusal."""
    return _act(request_id, Verb.DRAFT, _save_draft)


@bp.post("/<int:request_id>/submit")
@login_required
def submit(request_id: int):
    """Send the draft to the head for approval."""
    return _act(request_id, Verb.SUBMIT, lambda req, form: svc.submit_draft(current_user, req))


@bp.post("/<int:request_id>/approve")
@login_required
def approve(request_id: int):
    """Approve the submitted draft; the answer or refusal goes to the journalist."""
    return _act(request_id, Verb.APPROVE, lambda req, form: svc.approve(current_user, req))


@bp.post("/<int:request_id>/return")
@login_required
def return_draft(request_id: int):
    """Return the submitted draft with a comment."""
    return _act(request_id, Verb.RETURN, lambda req, form: svc.return_draft(current_user, req, form.comment.data))


@bp.post("/<int:request_id>/send")
@login_required
def send(request_id: int):
    """Send the draft without approval (approval off, or the head sends it)."""
    return _act(request_id, Verb.SEND, lambda req, form: svc.send_directly(current_user, req))


def _transfer(req: PressRequest, form: forms.TransferForm) -> None:
    unit = db.session.get(Unit, form.to_unit.data)
    if unit is None:
        abort(400)
    svc.transfer(current_user, req, unit, form.reason.data)


@bp.post("/<int:request_id>/transfer")
@login_required
def transfer(request_id: int):
    """Transfer the request to the competent unit, with a reason."""
    return _act(request_id, Verb.TRANSFER, _transfer)


@bp.post("/<int:request_id>/extend")
@login_required
def extend(request_id: int):
    """Extend the deadline where the rule allows it."""
    return _act(request_id, Verb.EXTEND, lambda req, form: svc.extend(current_user, req, form.amount.data, form.reason.data))


@bp.post("/<int:request_id>/reopen")
@login_required
def reopen(request_id: int):
    """Reopen an answered or refused request, with a reason."""
    return _act(request_id, Verb.REOPEN, lambda req, form: svc.reopen(current_user, req, form.reason.data))


@bp.post("/<int:request_id>/withdraw")
@login_required
def withdraw(request_id: int):
    """Record that the journalist withdrew the request (by phone, in writing…)."""
    return _act(request_id, Verb.WITHDRAW, lambda req, form: svc.withdraw(current_user, req, form.reason.data))


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


@bp.post("/<int:request_id>/note")
@login_required
def note(request_id: int):
    """Add an internal note, which never reaches the journalist."""
    return _act(request_id, Verb.NOTE, lambda req, form: svc.add_message(
        current_user, req, MessageKind.INTERNAL_NOTE, form.body.data))


@bp.post("/<int:request_id>/message")
@login_required
def message(request_id: int):
    """Send a message to the journalist."""
    return _act(request_id, Verb.MESSAGE, lambda req, form: svc.add_message(
        current_user, req, MessageKind.TO_JOURNALIST, form.body.data))


@bp.post("/<int:request_id>/reclassify")
@login_required
def reclassify(request_id: int):
    """Change the request's type with a reason; the deadline is recounted from the original receipt."""
    return _act(request_id, Verb.RECLASSIFY, lambda req, form: svc.reclassify(
        current_user, req, form.type.data, form.reason.data))


@bp.post("/<int:request_id>/conclusion")
@login_required
def conclude(request_id: int):
    """Record the conclusion of a forwarded complaint or denunciation; starts the sending milestone."""
    return _act(request_id, Verb.CONCLUDE, lambda req, form: svc.record_conclusion(current_user, req, svc.ConclusionData(
        concluded_on=form.concluded_on.data, document=form.document.data, summary=form.summary.data)))


@bp.post("/<int:request_id>/conclusion/sent")
@login_required
def conclusion_sent(request_id: int):
    """Record that the conclusion went to the press agency."""
    return _act(request_id, Verb.CONCLUSION_SENT, lambda req, form: svc.mark_conclusion_sent(current_user, req))
