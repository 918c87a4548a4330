"""Intake: staff log a request that reached the unit by any channel; the upload checks they share."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage

from spokes.attachments import store as files
from spokes.attachments.models import Attachment
from spokes.auth.permissions import Permission
from spokes.auth.policies import permission_required
from spokes.core import once
from spokes.core.clock import now
from spokes.core.errors import DomainError
from spokes.core.jinja import vn_datetime
from spokes.core.forms import upload_error
from spokes.core.uploads import UploadRejected, sniff_stream
from spokes.extensions import db
from spokes.press_requests import forms, queries
from spokes.press_requests import services as svc
from spokes.press_requests.models import Journalist
from spokes.press_requests.views import attempt, bp
from spokes.units.models import Unit


def chosen_files(field: Any) -> list[FileStorage]:
    """Return the files actually chosen in a file field."""
    data = field.data
    items = data if isinstance(data, list) else [data]
    return [f for f in items if isinstance(f, FileStorage) and f.filename]


def check_uploads(field: Any) -> list[FileStorage]:
    """Sniff every chosen file before anything is saved; add errors to the field."""
    chosen = chosen_files(field)
    limit = current_app.config["STAFF_UPLOAD_MAX_BYTES"]
    for upload in chosen:
        try:
            sniff_stream(upload.stream, files.STAFF_KINDS, max_bytes=limit)
        except UploadRejected as err:
            field.errors = [*field.errors, f"{upload.filename}: {upload_error(err)}"]
    return chosen


def store_all(uploads: list[FileStorage], *, purpose: str, request_id: int,
              answer_id: int | None = None, stored: list[Attachment] | None = None) -> list[Attachment]:
    """Store every upload, or none: on a refusal (a full disk) the files already written are removed
    and DomainError(400) tells the caller to roll back and show the form again, as it was filled.

    ``stored`` collects the attachments across several calls, so a later refusal removes them all.
    """
    limit = current_app.config["STAFF_UPLOAD_MAX_BYTES"]
    stored = [] if stored is None else stored
    for upload in uploads:
        try:
            stored.append(files.store(upload.stream, upload.filename, max_bytes=limit, allowed=files.STAFF_KINDS,
                                      purpose=purpose, request_id=request_id, answer_id=answer_id,
                                      uploaded_by=current_user))
        except UploadRejected as err:
            files.remove_files(stored)
            raise DomainError(f"{upload.filename}: {upload_error(err)}", status=400) from err
    return stored


def _journalist_data(form: forms.IntakeForm, picked: Journalist | None) -> svc.JournalistData:
    def typed(f: Any) -> Any:
        value = f.data
        return value.strip() if isinstance(value, str) else value

    consent = bool(form.consent_publish_name.data)  # given per request, never carried over
    if picked is not None:
        # The request links to the picked record (same e-mail and name); details typed here are
        # the request's own and do not change the record (that is "update_journalist").
        return svc.JournalistData(
            name=picked.name,
            agency=typed(form.agency) or (picked.agency.name if picked.agency else None),
            email=picked.email,
            phone=typed(form.phone) or picked.phone,
            press_card_number=typed(form.press_card_number) or picked.press_card_number,
            press_card_expiry=form.press_card_expiry.data or picked.press_card_expiry,
            consent_publish_name=consent,
        )
    return svc.JournalistData(
        name=typed(form.journalist_name), agency=typed(form.agency) or None, email=typed(form.email) or None,
        phone=typed(form.phone) or None, press_card_number=typed(form.press_card_number) or None,
        press_card_expiry=form.press_card_expiry.data, consent_publish_name=consent,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
@permission_required(Permission.LOG_REQUEST)
def new():
    """Log a request that reached the unit by any channel."""
    user = current_user
    units = queries.units_with(user, Permission.LOG_REQUEST)
    form = forms.IntakeForm()
    form.unit.choices = [forms.choice(u.id, u.name) for u in units]
    search = forms.JournalistSearchForm(formdata=request.args)
    search.validate()
    matches = queries.journalist_matches(user, search.jq.data) if not search.errors else []
    picked = queries.picked_journalist(user, form.journalist_id.data)
    if request.method == "GET":
        form.received_at.data = now()
        if len(units) == 1:
            form.unit.data = units[0].id

    def page(status: int):
        return render_template("press_requests/new.html", form=form, search=search, matches=matches,
                               picked=picked), status

    if not form.validate_on_submit():
        return page(400 if request.method == "POST" else 200)
    if form.journalist_id.data and picked is None:
        form.journalist_id.errors = [_("Không tìm thấy phóng viên đã chọn; vui lòng tìm lại.")]
        return page(400)
    evidence = check_uploads(form.attachments)
    letter = check_uploads(form.letter)
    if form.attachments.errors or form.letter.errors:
        return page(400)
    unit = db.session.get(Unit, form.unit.data)
    data = svc.IntakeData(
        type=form.type.data, channel=form.channel.data, subject=form.subject.data, questions=form.questions.data,
        journalist=_journalist_data(form, picked), article_url=(form.article_url.data or "").strip() or None,
        interview_wanted_at=form.interview_wanted_at.data, interview_place=form.interview_place.data or None,
        event_at=form.event_at.data, received_at=form.received_at.data,
        received_at_reason=form.received_at_reason.data or None,
    )
    logged: list[Any] = []

    def log_request() -> Any:
        req, _token = svc.intake(user, unit, data)
        logged.append(req)
        stored: list[Attachment] = []
        store_all(evidence, purpose="evidence", request_id=req.id, stored=stored)
        store_all(letter, purpose="letter", request_id=req.id, stored=stored)
        return req

    try:
        # Single-use: the same page sent twice (a double click) logs one request and one receipt.
        refused = attempt(form, once.once(form, "request", log_request,
                                          lambda req: (url_for(".detail", request_id=req.id), req.reference),
                                          user_id=user.id))
    except once.Repeated as repeat:
        return repeat.show(_("Biểu mẫu này đã được gửi; yêu cầu %(ref)s đã được tiếp nhận.", ref=repeat.label),
                           url_for(".queue"))
    if refused is not None:
        return page(400)
    req = logged[0]
    db.session.commit()
    flash(_("Đã tiếp nhận yêu cầu %(ref)s. Hạn trả lời: %(due)s.", ref=req.reference, due=vn_datetime(req.due_at)),
          "success")
    return redirect(url_for(".detail", request_id=req.id))
