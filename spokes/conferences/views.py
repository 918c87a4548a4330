"""Screens of press conferences: the list, planning one, its notice to the regulator, sending, refusal.

Each view: load (404), authorise (403), validate, one service call, commit once, redirect.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from spokes.auth.permissions import Permission
from spokes.conferences import rules, services
from spokes.conferences.forms import ConferenceForm, NoticeForm, RefusalForm, SentForm
from spokes.conferences.models import PressConference
from spokes.core import once
from spokes.core.clock import now
from spokes.core.outcome import commit_or_report
from spokes.deadlines.services import load_rulebooks
from spokes.extensions import db
from spokes.letters import exports
from spokes.letters import services as letters
from spokes.letters.models import LetterKind
from spokes.letters.views import bounded_int
from spokes.units.models import Unit
from spokes.units.policies import units_in_scope

bp = Blueprint("conferences", __name__, url_prefix="/staff/conferences")

PER_PAGE = 25


def _units(permission: Permission) -> list[Unit]:
    return [u for u in db.session.execute(units_in_scope(current_user, permission)).scalars() if u.is_active
            or permission is Permission.VIEW_REQUESTS]


def _load(conference_id: int) -> PressConference:
    conference = db.session.get(PressConference, conference_id)
    if conference is None or not services.can_view(current_user, conference.unit):
        abort(404)
    return conference


@bp.get("")
@login_required
def index():
    """List the press conferences of the units the user sees, with where each notice stands."""
    units = _units(Permission.VIEW_REQUESTS)
    if not units:
        abort(403)
    q = (request.args.get("q") or "").strip()[:200]
    page = db.paginate(services.conferences_query(units, q=q or None),
                       page=bounded_int(request.args.get("page"), low=1, high=10_000) or 1, per_page=PER_PAGE,
                       error_out=False)
    notices = services.notices_of(list(page.items))
    moment = now()
    books = load_rulebooks()  # once for the page, not once a row
    standings = {c.id: services.standing(c, notices.get(c.id), moment, books) for c in page.items}
    return render_template("conferences/index.html", page=page, q=q, notices=notices, standings=standings,
                           may_plan=bool(_units(Permission.PUBLISH)))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Plan a press conference; the notice's recipient defaults to the province's press regulator."""
    units = _units(Permission.PUBLISH)
    if not units:
        abort(403)
    form = ConferenceForm()
    form.unit.choices = [(u.code, u.name) for u in units]
    if request.method == "GET":
        unit = next((u for u in units if u.code == request.args.get("unit")), units[0])
        form.unit.data = unit.code
        form.regulator_name.data = services.regulator_for(unit)[1]
        form.chair_name.data, form.chair_title.data = current_user.name, current_user.title or ""
    status = 200
    if form.validate_on_submit():
        unit = next(u for u in units if u.code == form.unit.data)
        data = services.ConferenceData(
            title=form.title.data, content=form.content.data or "", place=form.place.data,
            starts_at=form.starts_at.data, chair_name=form.chair_name.data, chair_title=form.chair_title.data,
            invited_outlets=form.invited_outlets.data or "", regulator_name=form.regulator_name.data)
        done = commit_or_report(lambda: services.create(current_user, unit, data), form.title)
        if done.ok:
            flash(_("Đã lưu họp báo. Tiếp theo: ban hành thông báo gửi cơ quan quản lý nhà nước về báo chí."), "success")
            return redirect(url_for("conferences.detail", conference_id=done.value.id))
        status = done.status()
    elif request.method == "POST":
        status = 400
    return render_template("conferences/new.html", form=form), status


def _notice_form(conference: PressConference, signers: list[Any]) -> NoticeForm:
    form = NoticeForm()
    form.offer_signers(signers)
    if request.method == "GET" and signers:
        defaults = services.default_choices(conference, signers[0])
        form.signer.data = signers[0].id
        form.position.data, form.summary.data = defaults.position, defaults.summary
        form.recipient.data, form.copies_to.data = defaults.recipient, "\n".join(defaults.copies_to)
    return form


def _page(conference: PressConference, *, form: NoticeForm | None = None, sent_form: SentForm | None = None,
          refusal_form: RefusalForm | None = None, status: int = 200):
    may_issue = letters.can_issue(current_user, conference.unit)
    signers = letters.signers_for(conference.unit) if may_issue else []
    history = services.letters_of(conference)
    current = history[0] if history else None
    st = services.standing(conference, current)
    return render_template(
        "conferences/detail.html", conference=conference, letters=history, current=current, standing=st,
        warning=services.late_warning(conference, st), may_issue=may_issue, signers=signers,
        may_plan=services.can_plan(current_user, conference.unit), form=form or _notice_form(conference, signers),
        sent_form=sent_form or SentForm(), refusal_form=refusal_form or RefusalForm(),
        refusal_citation=rules.REFUSAL_CITATION, refusal_hours=rules.REFUSAL_HOURS,
        duration_words=rules.duration_words), status


@bp.route("/<int:conference_id>", methods=["GET", "POST"])
@login_required
def detail(conference_id: int):
    """Show a conference and its notice; the unit's head previews or issues the notice."""
    conference = _load(conference_id)
    if request.method == "GET":
        return _page(conference)
    if not letters.can_issue(current_user, conference.unit):
        abort(403)
    signers = letters.signers_for(conference.unit)
    form = _notice_form(conference, signers)
    if not form.validate_on_submit():
        return _page(conference, form=form, status=400)
    signer = next((u for u in signers if u.id == form.signer.data), None)
    if signer is None:
        form.signer.errors = [_("Chọn người ký trong danh sách.")]
        return _page(conference, form=form, status=400)
    choices = letters.LetterChoices(
        kind=LetterKind.CONFERENCE, signer=signer, position=form.position.data, summary=form.summary.data.strip(),
        recipient=form.recipient.data.strip(),
        copies_to=[line.strip() for line in (form.copies_to.data or "").splitlines() if line.strip()])
    if form.preview.data:
        preview = commit_or_report(lambda: services.preview(conference, choices), commit=False)
        if preview.ok:
            return send_file(io.BytesIO(preview.value), mimetype=exports.DOCX_MIME, as_attachment=True,
                             download_name=f"du-thao-thong-bao-hop-bao-{conference.id}.docx")
        return _page(conference, form=form, status=preview.status(409))
    back = url_for("conferences.detail", conference_id=conference.id)
    try:  # the form's single-use key: sent twice, it takes one register number, not two
        done = commit_or_report(once.once(form, "conference_notice",
                                          lambda: services.issue_notice(current_user, conference, choices),
                                          lambda letter: (back, letter.number_and_symbol), user_id=current_user.id))
    except once.Repeated as repeat:
        return repeat.show(_("Biểu mẫu này đã được gửi; văn bản số %(number)s đã được ban hành.",
                             number=repeat.label), back)
    if not done.ok:
        return _page(conference, form=form, status=done.status(409))
    letter = done.value
    flash(_("Đã ban hành thông báo số %(number)s. Gửi văn bản cho cơ quan quản lý rồi ghi nhận thời điểm gửi.",
            number=letter.number_and_symbol), "success")
    return redirect(back)


def _planning_step(conference_id: int, form: Any, form_arg: str, field: Any,
                   call: Callable[[PressConference], Any]) -> tuple[PressConference, Any, Any]:
    """Run one step of a conference its unit plans: load, authorise, validate, call and commit.

    Return the conference, what the step returned, and None; or, when the form or the service
    refused, the conference, None and the page to show again (the message is on ``field``).
    """
    conference = _load(conference_id)
    if not services.can_plan(current_user, conference.unit):
        abort(403)
    done = commit_or_report(lambda: call(conference), field) if form.validate_on_submit() else None
    if done is None or not done.ok:
        return conference, None, _page(conference, **{form_arg: form}, status=done.status() if done else 400)
    return conference, done.value, None


@bp.post("/<int:conference_id>/sent")
@login_required
def record_sent(conference_id: int):
    """Record when the notice left for the regulator; warn when it left later than the rule asks."""
    form = SentForm()
    conference, st, shown = _planning_step(conference_id, form, "sent_form", form.sent_at, lambda conference: (
        services.record_sent(current_user, conference, sent_at=form.sent_at.data, via=form.via.data or "")))
    if shown is not None:
        return shown
    warning = services.late_warning(conference, st)
    if warning:
        flash(warning, "warning")
    else:
        flash(_("Đã ghi nhận gửi thông báo, trước giờ họp báo %(left)s.", left=rules.duration_words(st.check.margin)),
              "success")
    return redirect(url_for("conferences.detail", conference_id=conference.id))


@bp.post("/<int:conference_id>/refusal")
@login_required
def record_refusal(conference_id: int):
    """Record the regulator's written refusal."""
    form = RefusalForm()
    conference, _refusal, shown = _planning_step(conference_id, form, "refusal_form", form.document, lambda conference: (
        services.record_refusal(current_user, conference, refused_at=form.refused_at.data,
                                document=form.document.data, reason=form.reason.data or "")))
    if shown is not None:
        return shown
    flash(_("Đã ghi nhận văn bản không đồng ý của cơ quan quản lý; không tổ chức họp báo này."), "success")
    return redirect(url_for("conferences.detail", conference_id=conference.id))
