"""The journalist portal: ask a question, track it, find a spokesperson."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from spokes.attachments import store as attachments
from spokes.core.limits import config_limit
from spokes.core.forms import upload_error
from spokes.core.uploads import UploadRejected
from spokes.extensions import db, limiter
from spokes.portal import services
from spokes.portal.forms import AskForm, FollowUpForm, TrackForm, WithdrawForm
from spokes.press_requests import services as requests_svc
from spokes.press_requests.labels import TYPE_HELP
from spokes.press_requests.services import JournalistData
from spokes.press_requests.models import MessageKind, PressRequest
from spokes.publishing.services import published_items

log = logging.getLogger(__name__)

bp = Blueprint("portal", __name__)

TRACK_SCOPE = "portal-track"

_public_form_limit = config_limit("PUBLIC_FORM_RATE_LIMIT")
# Every post of the question form, accepted or not: a looser limit against a flood of bad posts.
_public_form_attempt_limit = config_limit("PUBLIC_FORM_ATTEMPT_RATE_LIMIT")
_track_limit = config_limit("TRACK_RATE_LIMIT")
_lookup_limit = config_limit("TRACK_LOOKUP_RATE_LIMIT")


def _question_accepted(response) -> bool:
    """Count a question against the hourly limit only when it was taken (or the honeypot answered).

    A form sent back for a typo costs nothing there, so a newsroom sharing one address does
    not lock itself out by mistakes; the attempts limit still bounds a flood of bad posts.
    """
    return response.status_code == 200


def _lookup_email_key() -> str:
    """Key the look-up limit on the address typed, whoever types it (a new link per address is rare)."""
    return "email:" + (request.form.get("email") or "").strip().lower()[:255]


def _lookup_reference_key() -> str:
    """Key the look-up limit on the reference typed, so one request's address cannot be guessed fast."""
    return "ref:" + (request.form.get("reference") or "").strip().upper()[:40]


def _private(response):
    """Keep a page that shows a tracking link or a request out of referrers (and caches)."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- /ask


def _ask_page(form: AskForm, status: int):
    letter_lost = form.is_submitted() and form.has_letter() and isinstance(form.letter.data, FileStorage) \
        and bool(form.letter.data.filename)
    document_lost = form.is_submitted() and form.agency_document_attached()
    return render_template(
        "portal/ask.html", form=form, letter_lost=letter_lost, document_lost=document_lost,
        type_help={t.value: TYPE_HELP[t] for t in services.PUBLIC_TYPES},
        document_types=" ".join(sorted(services.AGENCY_DOCUMENT_TYPES)),
    ), status


def _question_data(form: AskForm) -> services.QuestionData:
    card = not form.has_letter()
    return services.QuestionData(
        journalist=JournalistData(
            name=form.name.data, agency=form.agency.data, email=form.email.data, phone=form.phone.data or None,
            press_card_number=form.card_number.data if card else None,
            press_card_expiry=form.card_expiry.data if card else None,
            consent_publish_name=bool(form.consent.data)),
        unit_id=form.unit.data, type=form.type.data, subject=form.subject.data, questions=form.questions.data,
        article_url=form.article_url.data or None,
        interview_wanted_at=form.interview_wanted_at(), interview_place=form.interview_place.data or None,
    )


def _tracking_link(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("portal.track_token", token=token)
    return url_for("portal.track_token", token=token, _external=True)


@bp.route("/ask", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"], deduct_when=_question_accepted)
@limiter.limit(_public_form_attempt_limit, methods=["POST"], scope="portal-ask-attempts")
def ask():
    """Show the question form; on a valid post, log the request and show its confirmation.

    The confirmation is the POST response itself, so the one-time tracking link never sits
    in a redirect URL. A filled honeypot gets a neutral thank-you page and nothing is stored.
    ``?unit=<code>`` (the unit page's link) preselects that unit when it is active.
    """
    form = AskForm()
    form.set_units(services.unit_choices())
    if not form.is_submitted():
        form.unit.data = services.active_unit_id(request.args.get("unit"))
    if form.is_submitted() and form.website.data:
        log.info("honeypot field filled on the question form; nothing stored")
        return _private(make_response(render_template("portal/received.html"), 200))
    if form.validate_on_submit():
        letter = form.letter.data if form.has_letter() else None
        document = form.agency_document.data if form.agency_document_attached() else None
        try:
            submission = services.submit_question(
                _question_data(form), letter=letter.stream if letter else None,
                letter_filename=letter.filename if letter else None,
                max_bytes=current_app.config["PUBLIC_UPLOAD_MAX_BYTES"],
                agency_document=document.stream if document else None,
                agency_document_filename=document.filename if document else None,
            )
        except UploadRejected as err:
            db.session.rollback()
            (form.agency_document if getattr(err, "field", None) == "agency_document" else form.letter).errors.append(upload_error(err))
            return _ask_page(form, 400)
        req = submission.request
        # The confirmation is rendered before the commit and sent after it: once the question is
        # committed, nothing may need the database any more, so a connection lost right after the
        # commit cannot replace the confirmation with an error.
        if not submission.duplicate:
            services.grant_access(session, req)
        page = render_template(
            "portal/confirmation.html", req=req, duplicate=submission.duplicate,
            tracking_link=_tracking_link(submission.token) if submission.token else None,
            speaker=services.answering_speaker(req), explanation=req.deadline_explanation or {},
            receipt=services.receipt_mail(req), interview=services.wanted_interview(req),
            kept_document=submission.kept_document,
        )
        db.session.commit()
        return _private(make_response(page, 200))
    return _ask_page(form, 400 if form.is_submitted() else 200)


# --------------------------------------------------------------------------- /track


def _not_found():
    """Answer every failed lookup the same way, so nothing about a request can be guessed."""
    form = TrackForm(formdata=None)
    return _private(make_response(render_template("portal/track_lookup.html", form=form, not_found=True), 404))


def _tracked(reference: str) -> PressRequest | None:
    """Return the request if this browser opened it with its current secret link, else None."""
    req = services.request_by_reference(reference)
    if req is None or not services.has_access(session, req):
        return None
    return req


def _opened(reference: str, *, lock: bool = False) -> PressRequest:
    """Return the request this browser opened (locked for a change), or stop with the same 404 as any miss."""
    req = _tracked(reference)
    if req is not None and lock:
        req = requests_svc.lock_request(req.id)  # one writer at a time; the state is re-read under the lock
    if req is None:
        abort(_not_found())
    return req


def _publication_link(pub) -> str:
    return url_for("publishing.item", slug=pub.slug)


def _track_page(req: PressRequest, *, follow_form: FollowUpForm | None = None,
                withdraw_form: WithdrawForm | None = None, status: int = 200):
    outcome = services.public_outcome(req)
    page = render_template(
        "portal/track.html", req=req,
        timeline=services.public_timeline(req),
        outcome=outcome,
        publications=[(p.title, _publication_link(p)) for p in published_items(req)],
        explanation=req.deadline_explanation or {},
        interview=services.wanted_interview(req),
        assignee=services.answering_speaker(req) if req.assignee_id else None,
        receipt=services.receipt_mail(req),
        follow_form=follow_form or FollowUpForm(prefix="followup", formdata=None),
        withdraw_form=withdraw_form or WithdrawForm(prefix="withdraw", formdata=None),
    )
    return _private(make_response(page, status))


@bp.route("/track", methods=["GET", "POST"])
@limiter.shared_limit(_track_limit, scope=TRACK_SCOPE, methods=["POST"])
@limiter.limit(_lookup_limit, key_func=_lookup_email_key, methods=["POST"], scope="portal-lookup-email")
@limiter.limit(_lookup_limit, key_func=_lookup_reference_key, methods=["POST"], scope="portal-lookup-reference")
def track():
    """Mail a fresh tracking link when reference and e-mail match; open nothing, answer the same either way.

    Only the secret link opens a request. Whoever types a reference and an address learns
    nothing here: the new link (which revokes the old one) goes to the mailbox on file.
    """
    form = TrackForm()
    if form.validate_on_submit():
        services.send_new_link(form.reference.data, form.email.data)
        db.session.commit()
        page = render_template("portal/track_lookup.html", form=TrackForm(formdata=None), not_found=False,
                               link_sent=True)
        return _private(make_response(page, 200))
    status = 400 if form.is_submitted() else 200
    return _private(make_response(render_template("portal/track_lookup.html", form=form, not_found=False), status))


@bp.get("/track/<token>")
@limiter.shared_limit(_track_limit, scope=TRACK_SCOPE)
def track_token(token: str):
    """Open a request by its secret tracking link."""
    req = requests_svc.find_by_token(token)
    if req is None:
        return _not_found()
    services.grant_access(session, req)
    return _track_page(req)


@bp.get("/track/request/<reference>")
def track_view(reference: str):
    """Show a request this browser has already opened with its current secret link."""
    req = _tracked(reference)
    if req is None:
        flash(_("Vui lòng mở đường dẫn theo dõi trong thư xác nhận, hoặc nhập mã yêu cầu và thư điện tử để nhận đường dẫn mới."), "info")
        return redirect(url_for("portal.track"))
    return _track_page(req)


def _done_on_track(req: PressRequest, message: str):
    """Commit what the journalist did and go back to the tracking page, saying it is done."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("portal.track_view", reference=req.reference), 303)


@bp.post("/track/request/<reference>/message")
@limiter.limit(_public_form_limit)
def track_message(reference: str):
    """Send a follow-up message to the unit."""
    req = _opened(reference)
    form = FollowUpForm(prefix="followup")
    if not form.validate_on_submit():
        return _track_page(req, follow_form=form, status=400)
    requests_svc.add_message(None, req, MessageKind.FROM_JOURNALIST, form.body.data)
    return _done_on_track(req, _("Đã gửi tin nhắn tới đơn vị."))


@bp.post("/track/request/<reference>/withdraw")
@limiter.limit(_public_form_limit)
def track_withdraw(reference: str):
    """Withdraw the request (the journalist's own decision; it cannot be undone here)."""
    req = _opened(reference, lock=True)
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _track_page(req, withdraw_form=form, status=400)
    requests_svc.withdraw(None, req, form.reason.data)
    return _done_on_track(req, _("Đã rút yêu cầu. Đơn vị sẽ dừng xử lý."))


@bp.get("/track/request/<reference>/files/<int:attachment_id>")
def track_file(reference: str, attachment_id: int):
    """Download a public file of the answer, under its display name."""
    req = _tracked(reference)
    response = attachments.send_attachment(services.public_file(req, attachment_id) if req is not None else None)
    if response is None:
        return _not_found()
    return _private(response)


# --------------------------------------------------------------------------- /spokespersons


@bp.get("/spokespersons")
def directory():
    """Show the public directory of spokespersons, grouped by the unit tree (SP-07)."""
    query = (request.args.get("q") or "").strip()[:100]
    entries = services.directory(query or None)
    return render_template("portal/directory.html", entries=entries, query=query)
