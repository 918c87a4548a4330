"""The public news feed (home, list, items, units, widget, feeds) and the staff publishing screens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.http import is_resource_modified

from spokes.attachments.models import Attachment
from spokes.attachments.store import Upload, send_attachment
from spokes.core import pagecache
from spokes.core.errors import DomainError
from spokes.core.forms import upload_error
from spokes.core.markdown import render_markdown
from spokes.core.pagination import Cursor
from spokes.core.pagecache import public_page
from spokes.core.params import id_arg, page_arg
from spokes.core.uploads import UploadRejected
from spokes.deadlines.services import load_rulebooks
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from spokes.publishing import feeds, policies, services
from spokes.publishing.forms import (
    AnswerPublicationForm,
    CorrectionForm,
    DutyForm,
    StatementForm,
    WithdrawForm,
    unit_choices,
)
from spokes.publishing.labels import KIND_HELP, KIND_LABELS, kind_label
from spokes.publishing.models import Publication, PublicationKind, PublicationRevision, RecurringDuty
from spokes.units.models import Unit
from spokes.units.services import current_speakers, resolve_unit

bp = Blueprint("publishing", __name__)
bp.add_app_template_filter(kind_label, "kind_label")
bp.add_app_template_global(policies.can_publish_request, "can_publish_request")
bp.add_app_template_global(policies.can_correct, "can_correct_publication")
bp.add_app_template_global(feeds.absolute, "publishing_url")

# What the cached public pages show: a commit that writes any of these turns the page cache over.
pagecache.watch(Publication)
pagecache.watch(PublicationRevision)
pagecache.watch(Attachment, when=lambda att: att.publication_id is not None)
pagecache.watch(Unit)

HOME_LIMIT = 20
WIDGET_DEFAULT = 5
WIDGET_MAX = 20
FEED_MAX_AGE = 60


@bp.after_request
def _staff_pages_are_private(response: Response) -> Response:
    # The security layer leaves "publishing.*" cacheable for the public pages; staff pages of
    # this blueprint must never sit in a shared cache.
    if request.path.startswith("/staff/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _page() -> int:
    return page_arg()


def _cursor() -> Cursor | None:
    """Return the keyset position of a next-page link; a damaged one reads as none (page by number)."""
    try:
        return Cursor.decode(request.args.get("cursor") or "")
    except ValueError:
        return None


def _load(slug: str) -> Publication:
    pub = services.find_by_slug(slug)
    if pub is None:
        abort(404)
    return pub


def _unit_or_404(code: str) -> Unit:
    """Return the unit of a public address; a merged unit's old address moves for good to its successor."""
    if len(code) > 40:
        abort(404)
    unit, merged = resolve_unit(code)
    if unit is None:
        abort(404)
    if merged:
        target = url_for(request.endpoint or "publishing.unit_page", **{**(request.view_args or {}), "code": unit.code})
        query = request.query_string.decode("latin-1")  # passed on exactly as it came
        abort(redirect(f"{target}?{query}" if query else target, 301))
    return unit


# --------------------------------------------------------------------------- public pages


@bp.get("/")
@public_page()
def home():
    """Show the latest published answers and statements, in the portal style."""
    return render_template("publishing/home.html", items=services.latest(HOME_LIMIT))


@bp.get("/news")
@public_page(query=("unit", "kind", "month", "page"))
def news():
    """List the items, filtered by unit, kind and month, with accent-insensitive search."""
    code = (request.args.get("unit") or "").strip()
    flt = services.NewsFilter(
        unit=services.unit_by_code(code) if code else None,
        kind=(request.args.get("kind") or "").strip() or None,
        month=services.normal_month((request.args.get("month") or "").strip() or None),
        q=(request.args.get("q") or "").strip()[:200] or None,
    )
    error = None
    pagination = None
    if code and flt.unit is None:
        error = _("Không có đơn vị mã “%(code)s”.", code=code[:40])
    else:
        try:
            pagination = services.news_page(flt, _page(), current_app.config["PAGE_SIZE"], _cursor())
        except services.BadFilter as err:
            error = err.message
    return render_template("publishing/news.html", pagination=pagination, flt=flt, code=code, error=error,
                           month_text=services.shown_month(flt.month),
                           units=services.units_with_items(), kinds=KIND_LABELS), (400 if error else 200)


@bp.get("/news/<slug>")
@public_page()
def item(slug: str):
    """Show one item: its body, or the withdrawal notice; its correction and earlier versions."""
    pub = _load(slug)
    return render_template("publishing/item.html", pub=pub, files=services.public_files(pub),
                           body_html=None if pub.withdrawn_at else render_markdown(pub.body),
                           note=services.latest_note(pub), permalink=feeds.absolute("publishing.item", slug=pub.slug))


@bp.get("/news/<slug>/revisions/<int:number>")
def revision(slug: str, number: int):
    """Show an earlier version of a corrected item, as it read before the correction."""
    pub = _load(slug)
    if number == pub.revision_number:
        return redirect(url_for("publishing.item", slug=pub.slug))
    rev = next((r for r in pub.revisions if r.number == number), None)
    if rev is None:
        abort(404)
    return render_template("publishing/revision.html", pub=pub, rev=rev,
                           body_html=None if pub.withdrawn_at else render_markdown(rev.body))


@bp.get("/news/<slug>/files/<int:attachment_id>")
def file(slug: str, attachment_id: int):
    """Download a public file of an item."""

    pub = _load(slug)
    response = send_attachment(next((a for a in services.public_files(pub) if a.id == attachment_id), None))
    if response is None:
        abort(404)
    return response


@bp.get("/units/<code>")
def unit_page(code: str):
    """Show a unit's items, its current spokespersons, its feeds and the widget snippet."""
    unit = _unit_or_404(code)
    pagination = services.news_page(services.NewsFilter(unit=unit), _page(), current_app.config["PAGE_SIZE"],
                                    _cursor())
    widget_url = feeds.absolute("publishing.widget", code=unit.code)
    return render_template("publishing/unit.html", unit=unit, pagination=pagination,
                           speakers=current_speakers(unit), widget_url=widget_url)


@bp.get("/units/<code>/widget")
@public_page(query=("n",))
def widget(code: str):
    """Show a minimal, frameable list of the unit's latest items for its own portal."""
    unit = _unit_or_404(code)
    limit = min(max(request.args.get("n", WIDGET_DEFAULT, type=int) or WIDGET_DEFAULT, 1), WIDGET_MAX)
    return render_template("publishing/widget.html", unit=unit, items=services.latest(limit, unit=unit))


# --------------------------------------------------------------------------- feeds


def _feed(fmt: str, unit: Unit | None) -> Response:
    marks = feeds.validators(fmt, unit)
    if is_resource_modified(request.environ, etag=marks.etag, last_modified=marks.last_modified):
        response = Response(feeds.render(fmt, unit, marks), mimetype=feeds.MIMETYPES[fmt])
    else:
        response = Response(status=304)
    response.set_etag(marks.etag)
    response.last_modified = marks.last_modified
    response.headers["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
    return response


@bp.get("/feed.atom")
@public_page()
def feed_atom():
    """Serve the site-wide Atom feed."""
    return _feed("atom", None)


@bp.get("/feed.rss")
@public_page()
def feed_rss():
    """Serve the site-wide RSS feed."""
    return _feed("rss", None)


@bp.get("/units/<code>/feed.atom")
@public_page()
def unit_feed_atom(code: str):
    """Serve a unit's Atom feed."""
    return _feed("atom", _unit_or_404(code))


@bp.get("/units/<code>/feed.rss")
@public_page()
def unit_feed_rss(code: str):
    """Serve a unit's RSS feed."""
    return _feed("rss", _unit_or_404(code))


# --------------------------------------------------------------------------- staff: publications


@bp.get("/staff/publications")
@login_required
def staff_list():
    """List the publications of the units in whose name the user may publish."""
    units = policies.publish_units(current_user)
    if not units:
        abort(403)
    unit_id = id_arg("unit")
    shown = [u for u in units if u.id == unit_id] or units
    pagination = db.paginate(services.staff_query(shown), page=_page(),
                             per_page=current_app.config["PAGE_SIZE"], error_out=False)

    books = load_rulebooks()
    warnings = {pub.id: services.warnings_for(pub, books) for pub in pagination.items}
    return render_template("publishing/staff/list.html", pagination=pagination, units=units, unit_id=unit_id,
                           warnings=warnings, kinds=services.STATEMENT_KINDS,
                           waiting=services.unpublished_answers(shown))


def _upload(form: Any) -> Upload | None:
    return Upload.of(form.upload(), current_app.config["STAFF_UPLOAD_MAX_BYTES"])


@bp.route("/staff/publications/new", methods=["GET", "POST"])
@login_required
def new():
    """Publish the answer to a request (?request_id=N) or a statement made without a request."""
    raw_request_id = request.args.get("request_id")
    request_id = id_arg("request_id")
    if raw_request_id is not None and request_id is None:
        abort(404)
    if request_id is not None:
        return _new_answer(request_id)
    return _new_statement()


def _new_answer(request_id: int):

    req = db.get_or_404(PressRequest, request_id)
    if not policies.can_publish_in(current_user, req.unit):
        abort(403)
    existing = services.live_publication_for(req)
    if existing is not None:
        flash(_("Câu trả lời này đã được đăng. Muốn sửa nội dung, hãy cải chính tin đã đăng."), "info")
        return redirect(url_for("publishing.item", slug=existing.slug))
    answer = services.publishable_answer(req)
    form = AnswerPublicationForm()
    if request.method == "GET":
        form.fill(services.prefill_from_request(req, answer))
    if form.validate_on_submit():
        try:
            pub = services.publish_answer(current_user, req, form.data_for(PublicationKind.ANSWER.value),
                                          upload=_upload(form))
        except UploadRejected as err:
            db.session.rollback()
            form.attachment.errors = [upload_error(err)]
        else:
            db.session.commit()
            flash(_("Đã đăng câu trả lời lên trang tin và báo cho phóng viên."), "success")
            return redirect(url_for("publishing.item", slug=pub.slug))
    return render_template("publishing/staff/form.html", form=form, mode="answer", req=req,
                           question=services.question_of(req), kind=PublicationKind.ANSWER.value,
                           files=services.answer_files(answer)), (400 if form.errors else 200)


def _new_statement():
    units = policies.publish_units(current_user)
    if not units:
        abort(403)
    form = StatementForm()
    form.unit_id.choices = unit_choices(units)
    if request.method == "GET":
        wanted = request.args.get("kind")
        known = {k.value for k in services.STATEMENT_KINDS}
        form.kind.data = wanted if wanted in known else PublicationKind.PERIODIC.value
        form.speaker_name.data = current_user.name
        form.speaker_title.data = current_user.title
        if len(units) == 1:
            form.unit_id.data = units[0].id
    if form.validate_on_submit():
        unit = next(u for u in units if u.id == form.unit_id.data)
        try:
            pub = services.publish_statement(current_user, unit, form.kind.data, form.data_for(form.kind.data),
                                             upload=_upload(form))
        except UploadRejected as err:
            db.session.rollback()
            form.attachment.errors = [upload_error(err)]
        else:
            warnings = services.warnings_for(pub)
            db.session.commit()
            flash(_("Đã đăng tin lên trang tin."), "success")
            for warning in warnings:
                flash(warning, "warning")
            return redirect(url_for("publishing.item", slug=pub.slug))
    return render_template("publishing/staff/form.html", form=form, mode="statement", kind=form.kind.data,
                           kind_help=KIND_HELP), (400 if form.errors else 200)


def _staff_pub(pub_id: int) -> Publication:
    pub = db.get_or_404(Publication, pub_id)
    if not policies.can_publish_in(current_user, pub.unit):
        abort(403)
    if pub.withdrawn_at is not None:
        raise DomainError(_("Tin đã gỡ không thể cải chính hoặc gỡ lại."), status=409)
    return pub


@bp.route("/staff/publications/<int:pub_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pub_id: int):
    """Correct a published item: the previous version stays public as a revision."""
    pub = _staff_pub(pub_id)
    form = CorrectionForm()
    if request.method == "GET":
        form.fill(services.PublicationData(
            title=pub.title, summary=pub.summary, body=pub.body, speaker_name=pub.speaker_name,
            speaker_title=pub.speaker_title, event_at=pub.event_at, conference_at=pub.conference_at))
    if form.validate_on_submit() and form.check_times(pub.kind):
        services.correct(current_user, pub, form.data_for(pub.kind), form.correction_note.data or "")
        db.session.commit()
        flash(_("Đã lưu cải chính; phiên bản trước vẫn được công khai."), "success")
        return redirect(url_for("publishing.item", slug=pub.slug))
    return render_template("publishing/staff/form.html", form=form, mode="correct", pub=pub,
                           kind=pub.kind), (400 if form.errors else 200)


@bp.route("/staff/publications/<int:pub_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(pub_id: int):
    """Withdraw a published item, leaving a public notice with the reason."""
    pub = _staff_pub(pub_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        services.withdraw(current_user, pub, form.reason.data or "")
        db.session.commit()
        flash(_("Đã gỡ tin; địa chỉ của tin hiển thị thông báo gỡ kèm lý do."), "success")
        return redirect(url_for("publishing.item", slug=pub.slug))
    return render_template("publishing/staff/withdraw.html", form=form, pub=pub), (400 if form.errors else 200)


# --------------------------------------------------------------------------- staff: recurring duties


@bp.get("/staff/duties")
@login_required
def duties():
    """List the recurring duties of the user's units (heads may add and edit them)."""
    managed = policies.duty_units(current_user)
    units = {u.id: u for u in [*policies.publish_units(current_user), *managed]}
    if not units:
        abort(403)
    due = {d.duty.id for d in services.due_duties(current_user)}
    return render_template("publishing/staff/duties.html", duties=services.duties_of(list(units.values())),
                           managed_ids={u.id for u in managed}, due=due)


def _duty_form(units: list[Unit]) -> DutyForm:
    form = DutyForm()
    form.unit_id.choices = unit_choices(units)
    return form


@bp.route("/staff/duties/new", methods=["GET", "POST"])
@login_required
def new_duty():
    """Add a recurring duty to a unit the user heads."""
    units = policies.duty_units(current_user)
    if not units:
        abort(403)
    form = _duty_form(units)
    if request.method == "GET":
        form.publication_kind.data = PublicationKind.PRESS_CONFERENCE_OUTCOME.value
        form.every_months.data = 3
    if form.validate_on_submit():
        unit = next(u for u in units if u.id == form.unit_id.data)
        services.save_duty(current_user, unit, _duty_data(form))
        db.session.commit()
        flash(_("Đã thêm nghĩa vụ định kỳ."), "success")
        return redirect(url_for("publishing.duties"))
    return render_template("publishing/staff/duty_form.html", form=form, duty=None), (400 if form.errors else 200)


@bp.route("/staff/duties/<int:duty_id>/edit", methods=["GET", "POST"])
@login_required
def edit_duty(duty_id: int):
    """Change a recurring duty of a unit the user heads."""
    duty = db.get_or_404(RecurringDuty, duty_id)
    if not policies.can_manage_duties(current_user, duty.unit):
        abort(403)
    form = _duty_form([duty.unit])
    if request.method == "GET":
        form.process(obj=duty)
    if form.validate_on_submit():
        services.save_duty(current_user, duty.unit, _duty_data(form), duty)
        db.session.commit()
        flash(_("Đã lưu nghĩa vụ định kỳ."), "success")
        return redirect(url_for("publishing.duties"))
    return render_template("publishing/staff/duty_form.html", form=form, duty=duty), (400 if form.errors else 200)


def _duty_data(form: DutyForm) -> services.DutyData:
    return services.DutyData(
        label=form.label.data or "", publication_kind=form.publication_kind.data,
        every_months=form.every_months.data or 0, next_due_on=form.next_due_on.data,
        remind_days_before=form.remind_days_before.data or 0, citation=form.citation.data or None,
        active=bool(form.active.data),
    )
