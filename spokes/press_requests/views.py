"""Staff pages for press requests: queues, intake, the request page and its actions.

Every view follows the same recipe: load the request (404, also when the user may not see
it, so ids of other units reveal nothing), authorise (403), validate the form, call one
service, commit once, flash, redirect. Plain validation problems re-render the page with the
form's errors and HTTP 400; a refused workflow action raises DomainError, which the global
handler turns into a 409 page after rolling back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import aliased, joinedload, lazyload
from sqlalchemy.sql import Select
from werkzeug.datastructures import FileStorage

from spokes.attachments import store as files
from spokes.attachments.models import Attachment
from spokes.audit import history
from spokes.audit.models import AuditEvent
from spokes.auth.models import Membership, User
from spokes.auth.permissions import ROLE_PERMISSIONS, SUBTREE_ROLES, Permission, Role
from spokes.auth.policies import has_permission, permission_required, roles_of
from spokes.core.clock import now
from spokes.core.errors import DomainError
from spokes.core.forms import EmptyForm
from spokes.core.jinja import VN_TZ, vn_datetime
from spokes.deadlines.calendar import to_vn
from spokes.core.markdown import render_markdown
from spokes.core.pagination import paginate_counted
from spokes.core.params import id_or_none
from spokes.core.search import matching_condition, matching_ids
from spokes.core.text import fold
from spokes.core.uploads import UploadRejected, sniff_stream
from spokes.deadlines.services import refusal_grounds_for
from spokes.extensions import db
from spokes.mailin.services import awaiting_type_confirmation
from spokes.press_requests import services as svc
from spokes.press_requests import forms, policies
from spokes.press_requests.actions import VERBS, Verb
from spokes.press_requests.labels import conclusion_status, due_status, state_label
from spokes.press_requests.models import (
    CONCLUSION_TYPES,
    OPEN_STATES,
    Assignment,
    Channel,
    Extension,
    Journalist,
    Message,
    MessageKind,
    PressRequest,
    Transfer,
)
from spokes.press_requests.queries import due_soon_cutoff, visible_requests, with_list_options
from spokes.publishing.policies import can_publish_request
from spokes.press_requests.answer_models import AnswerKind, AnswerStatus
from spokes.units.models import Unit
from spokes.units.policies import scope_condition

log = logging.getLogger(__name__)

bp = Blueprint("press_requests", __name__, url_prefix="/staff/requests")


@bp.record_once
def _register_policies(state: Any) -> None:
    # Templates call the same policy functions as the views (can_act, can_view_request).
    policies.init_app(state.app)


OPEN_CODES = [s.value for s in OPEN_STATES]
JOURNALIST_MATCH_LIMIT = 20

# --------------------------------------------------------------------------- the queue

TAB_LABELS = {
    "mine": _l("Việc của tôi"),
    "unit": _l("Yêu cầu của đơn vị"),
    "subtree": _l("Toàn bộ phạm vi theo dõi"),
    "transferred": _l("Đã chuyển đi"),
}


def _view_roles(user: Any) -> list[Membership]:
    return [m for m in user.memberships if Permission.VIEW_REQUESTS in ROLE_PERMISSIONS[Role(m.role)]]


def _tabs_for(user: Any) -> list[str]:
    """Return the queue tabs the user's roles call for, the default one first."""
    roles = roles_of(user)
    tabs = []
    if roles & {Role.SPOKESPERSON, Role.HEAD}:
        tabs.append("mine")
    if any(Role(m.role) in SUBTREE_ROLES for m in _view_roles(user)):
        tabs.append("subtree")
    tabs.append("unit")
    tabs.append("transferred")
    return tabs


def _transferred_out(user: Any) -> Select:
    """Return a SELECT of requests that left one of the user's units (read-only there)."""
    left = (
        select(Transfer.request_id)
        .join(Unit, Unit.id == Transfer.from_unit_id)
        .where(scope_condition(user, Permission.VIEW_REQUESTS))
    )
    return select(PressRequest).join(Unit, PressRequest.unit_id == Unit.id).where(PressRequest.id.in_(left))


def _scope_units(user: Any) -> list[Any]:
    """Return (id, name) rows of the units the user sees, for the filter; no ORM objects to build."""
    return list(db.session.execute(
        select(Unit.id, Unit.name).where(scope_condition(user, Permission.VIEW_REQUESTS)).order_by(Unit.path)
    ))


def _scope_people(unit_ids: list[int]) -> list[Any]:
    """Return (id, name) rows of the people who can be assigned in those units."""
    if not unit_ids:
        return []
    return list(db.session.execute(
        select(User.id, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id.in_(unit_ids),
               Membership.role.in_([Role.SPOKESPERSON.value, Role.HEAD.value]))
        .distinct().order_by(User.name, User.id)
    ))


def _vn_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VN_TZ).astimezone(UTC)


def _apply_filters(stmt: Select, form: forms.QueueFilterForm) -> Select:
    """Narrow a request SELECT by the validated filter form."""
    moment = now()
    state = form.state.data or "open"
    if state == "open":
        # The states written into the SQL, not bound: a prepared (generic) plan could not prove
        # that the partial indexes of open requests (due order, search words) apply.
        stmt = stmt.where(PressRequest.state.in_(bindparam("open_states", list(OPEN_CODES), expanding=True,
                                                           literal_execute=True)))
    elif state == "closed":
        stmt = stmt.where(PressRequest.state.not_in(OPEN_CODES))
    elif state != "all":
        stmt = stmt.where(PressRequest.state == state)
    if form.type.data:
        stmt = stmt.where(PressRequest.type == form.type.data)
    if form.channel.data:
        stmt = stmt.where(PressRequest.channel == form.channel.data)
    if form.unit.data and form.scope.data == "subtree":
        # The chosen unit and every unit below it (its path is a prefix of theirs).
        chosen = aliased(Unit)
        stmt = stmt.where(Unit.path.startswith(select(chosen.path).where(chosen.id == form.unit.data).scalar_subquery()))
    elif form.unit.data:
        stmt = stmt.where(PressRequest.unit_id == form.unit.data)
    if form.assignee.data:
        stmt = stmt.where(PressRequest.assignee_id == form.assignee.data)
    if form.overdue.data or form.due_soon.data:
        stmt = stmt.where(PressRequest.state.in_(OPEN_CODES))
        if form.overdue.data and form.due_soon.data:
            stmt = stmt.where(PressRequest.due_at <= due_soon_cutoff(moment))
        elif form.overdue.data:
            stmt = stmt.where(PressRequest.due_at < moment)
        else:
            stmt = stmt.where(PressRequest.due_at >= moment, PressRequest.due_at <= due_soon_cutoff(moment))
    if form.received_from.data:
        stmt = stmt.where(PressRequest.received_at >= _vn_day_start(form.received_from.data))
    if form.received_to.data:
        stmt = stmt.where(PressRequest.received_at < _vn_day_start(form.received_to.data + timedelta(days=1)))
    if form.q.data and (found := matching_condition(svc.SEARCH_TYPE, form.q.data, PressRequest.id)) is not None:
        stmt = stmt.where(found)
    if form.sort.data == "received":
        return stmt.order_by(PressRequest.received_at.desc(), PressRequest.id.desc())
    return stmt.order_by(PressRequest.due_at, PressRequest.id)


@bp.get("/")
@login_required
@permission_required(Permission.VIEW_REQUESTS)
def queue():
    """List the requests the user works on, with filters, search, sorting and pages."""
    user = current_user
    tabs = _tabs_for(user)
    tab = request.args.get("tab") if request.args.get("tab") in tabs else tabs[0]
    form = forms.QueueFilterForm(formdata=request.args)
    units = _scope_units(user)
    form.unit.choices = [forms.choice("", _("Tất cả"))] + [forms.choice(u.id, u.name) for u in units]
    form.assignee.choices = [forms.choice("", _("Tất cả"))] + [
        forms.choice(u.id, u.name) for u in _scope_people([u.id for u in units])]
    # Only someone who oversees a subtree has units below units to include.
    show_scope = "subtree" in tabs
    if not form.validate():
        return render_template("press_requests/queue.html", form=form, tab=tab, tabs=tabs, tab_labels=TAB_LABELS,
                               page=None, show_scope=show_scope), 400
    if tab == "mine":
        stmt = visible_requests(user).where(PressRequest.assignee_id == user.id)
    elif tab == "unit":
        own = [m.unit_id for m in _view_roles(user)]
        stmt = visible_requests(user).where(PressRequest.unit_id.in_(own))
    elif tab == "transferred":
        stmt = _transferred_out(user)
    else:
        stmt = visible_requests(user)
    stmt = with_list_options(_apply_filters(stmt, form))
    page = paginate_counted(stmt, page=form.page.data or 1, per_page=current_app.config["PAGE_SIZE"])
    return render_template("press_requests/queue.html", form=form, tab=tab, tabs=tabs, tab_labels=TAB_LABELS,
                           page=page, now=now(), show_scope=show_scope)


# --------------------------------------------------------------------------- intake


def _units_with(user: Any, permission: Permission) -> list[Unit]:
    """Return the active units where the user holds a permission."""
    return list(db.session.execute(
        select(Unit).where(Unit.is_active.is_(True), scope_condition(user, permission)).order_by(Unit.path)
    ).scalars())


def _known_journalists(user: Any) -> Select:
    """Return a SELECT of the ids of journalists behind requests the user may see."""
    return visible_requests(user).with_only_columns(PressRequest.journalist_id).where(
        PressRequest.journalist_id.is_not(None))


def _journalist_matches(user: Any, query: str | None) -> list[Journalist]:
    """Find journalists who wrote to the user's units before, by name, agency or e-mail.

    The accent-insensitive request index narrows the candidates; the names are then
    checked here so a word of a subject alone does not count as a match.
    """
    query = (query or "").strip()
    if not query:
        return []
    terms = fold(query).split()
    conditions = []
    ids = matching_ids(svc.SEARCH_TYPE, query)
    if ids is not None:
        conditions.append(Journalist.id.in_(_known_journalists(user).where(PressRequest.id.in_(ids))))
    if "@" in query:
        conditions.append(and_(Journalist.email == query.lower(), Journalist.id.in_(_known_journalists(user))))
    if not conditions:
        return []
    candidates = db.session.execute(
        select(Journalist).where(or_(*conditions)).order_by(Journalist.name).limit(200)
    ).unique().scalars()
    found = []
    for j in candidates:
        haystack = " ".join([fold(j.name), fold(j.agency.name if j.agency else ""), (j.email or "").lower()])
        words = haystack.split()
        if all(any(w.startswith(t) for w in words) or t in haystack for t in terms):
            found.append(j)
    return found[:JOURNALIST_MATCH_LIMIT]


def _picked_journalist(user: Any, raw: str | None) -> Journalist | None:
    """Return the picked journalist if the user may see them, else None."""
    journalist_id = id_or_none(raw) if raw else None
    if journalist_id is None:
        return None
    return db.session.execute(
        select(Journalist).where(Journalist.id == journalist_id, Journalist.id.in_(_known_journalists(user)))
    ).unique().scalar_one_or_none()


def _chosen_files(field: Any) -> list[FileStorage]:
    data = field.data
    items = data if isinstance(data, list) else [data]
    return [f for f in items if isinstance(f, FileStorage) and f.filename]


def _check_uploads(field: Any) -> list[FileStorage]:
    """Sniff every chosen file before anything is saved; add errors to the field."""
    chosen = _chosen_files(field)
    limit = current_app.config["STAFF_UPLOAD_MAX_BYTES"]
    for upload in chosen:
        try:
            sniff_stream(upload.stream, files.STAFF_KINDS, max_bytes=limit)
        except UploadRejected as err:
            field.errors = [*field.errors, f"{upload.filename}: {err.message}"]
    return chosen


def _store_all(uploads: list[FileStorage], *, purpose: str, request_id: int,
               answer_id: int | None = None) -> list[Attachment]:
    """Store every upload, or none: on a refusal (a full disk) the files already written are removed
    and DomainError(400) tells the caller to roll back and show the form again, as it was filled."""
    limit = current_app.config["STAFF_UPLOAD_MAX_BYTES"]
    stored: list[Attachment] = []
    for upload in uploads:
        try:
            stored.append(files.store(upload.stream, upload.filename, max_bytes=limit, allowed=files.STAFF_KINDS,
                                      purpose=purpose, request_id=request_id, answer_id=answer_id,
                                      uploaded_by=current_user))
        except UploadRejected as err:
            files.remove_files(stored)
            raise DomainError(f"{upload.filename}: {err.message}", status=400) from err
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
    units = _units_with(user, Permission.LOG_REQUEST)
    form = forms.IntakeForm()
    form.unit.choices = [forms.choice(u.id, u.name) for u in units]
    search = forms.JournalistSearchForm(formdata=request.args)
    search.validate()
    matches = _journalist_matches(user, search.jq.data) if not search.errors else []
    picked = _picked_journalist(user, form.journalist_id.data)
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
    evidence = _check_uploads(form.attachments)
    letter = _check_uploads(form.letter)
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
    try:
        req, _token = svc.intake(user, unit, data)
    except DomainError as err:
        if err.status != 400:
            raise
        db.session.rollback()
        form.form_errors.append(err.message)
        return page(400)
    stored: list[Attachment] = []
    try:
        stored += _store_all(evidence, purpose="evidence", request_id=req.id)
        stored += _store_all(letter, purpose="letter", request_id=req.id)
    except DomainError as err:
        db.session.rollback()
        files.remove_files(stored)
        form.form_errors.append(err.message)
        return page(400)
    db.session.commit()
    flash(_("Đã tiếp nhận yêu cầu %(ref)s. Hạn trả lời: %(due)s.", ref=req.reference, due=vn_datetime(req.due_at)),
          "success")
    return redirect(url_for(".detail", request_id=req.id))


# --------------------------------------------------------------------------- the request page

ANSWER_STATUS_LABELS = {
    AnswerStatus.DRAFT.value: _l("Đang soạn"),
    AnswerStatus.SUBMITTED.value: _l("Đã trình, chờ duyệt"),
    AnswerStatus.RETURNED.value: _l("Bị trả lại, cần sửa"),
    AnswerStatus.APPROVED.value: _l("Đã duyệt"),
    AnswerStatus.SENT.value: _l("Đã gửi phóng viên"),
    AnswerStatus.SUPERSEDED.value: _l("Không còn hiệu lực"),
}
PURPOSE_LABELS = {
    "evidence": _l("tài liệu kèm yêu cầu"),
    "letter": _l("giấy giới thiệu"),
    "agency_request": _l("văn bản của cơ quan báo chí (yêu cầu hoặc nội dung chuyển đến)"),
    "answer": _l("kèm dự thảo trả lời"),
    "scan": _l("bản quét"),
}
TIME_UNITS = {"hours": _l("giờ"), "calendar_days": _l("ngày"), "working_days": _l("ngày làm việc")}


def _web_link(url: str | None) -> str | None:
    """Return the address if it is a plain web link (requests from the portal included), else None."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


def _skipped_days(explanation: dict[str, Any]) -> list[tuple[str, str]]:
    days = []
    for item in explanation.get("skipped_days") or []:
        try:
            shown = date.fromisoformat(str(item.get("date"))).strftime("%d/%m/%Y")
        except ValueError:
            shown = str(item.get("date"))
        days.append((shown, str(item.get("name") or "")))
    return days


# The form each verb posts, from the action registry (spokes/press_requests/actions.py).
FORM_CLASSES: dict[Verb, type] = {verb: spec.form for verb, spec in VERBS.items()}


def _distinct(users: Any) -> list[User]:
    seen: dict[int, User] = {}
    for u in users:
        seen.setdefault(u.id, u)
    return list(seen.values())


def unit_people(req: PressRequest) -> list[Any]:
    """Return (user, role) rows of the active people of the request's unit (two forms list them)."""
    return list(db.session.execute(
        select(User, Membership.role).join(Membership, Membership.user_id == User.id)
        .options(lazyload(User.memberships))
        .where(Membership.unit_id == req.unit_id, User.active.is_(True))
        .order_by(User.name, User.id)
    ).all())


def _build_form(verb: Verb, req: PressRequest, *, bound: bool = True, prefill: Any = None,
                people: list[Any] | None = None) -> Any:
    """Build an action's form with the choices it validates against.

    ``bound`` forms read the submitted data; the others are blank panels on the page (and
    the draft panel starts from the current draft). ``people`` is ``unit_people(req)`` when
    the caller has it already.
    """
    if verb in (Verb.REASSIGN, Verb.AUTHORISE) and people is None:
        people = unit_people(req)
    cls = FORM_CLASSES[verb]
    form = cls(prefix=verb.value) if bound else cls(prefix=verb.value, formdata=None)
    if not bound:
        form.version.data = str(req.version)
    if verb is Verb.REASSIGN:
        answering = {Role.SPOKESPERSON.value, Role.HEAD.value}
        people = _distinct(u for u, role in people if role in answering and u.id != req.assignee_id)
        form.assignee.choices = [forms.choice("", _("— Chọn người —"))] + [
            forms.choice(u.id, f"{u.name} — {u.title or ''}") for u in people]
    elif verb is Verb.AUTHORISE:
        people = _distinct(u for u, _role in people if u.id != current_user.id)
        form.user.choices = [forms.choice("", _("— Chọn người —"))] + [
            forms.choice(u.id, f"{u.name} — {u.title or ''}") for u in people]
    elif verb is Verb.DRAFT:
        form.refusal_ground.choices = [forms.choice("", _("— Chọn căn cứ —"))] + [
            forms.choice(g.id, f"{g.code}) {g.text} ({g.source})") for g in refusal_grounds_for(req.rulebook_id)]
        if prefill is not None and not bound:
            form.kind.data = prefill.kind
            form.form.data = prefill.form
            form.body.data = prefill.body
            form.refusal_ground.data = prefill.refusal_ground_id
            form.refusal_reason.data = prefill.refusal_reason
            form.interview_at.data = prefill.interview_at
            form.interview_place.data = prefill.interview_place
            form.questions_received.data = prefill.questions_received
            form.interviewee_consent.data = prefill.interviewee_consent
            form.review_requested.data = prefill.review_requested
    elif verb is Verb.RECLASSIFY:
        form.type.choices = [c for c in form.type.choices if c.value != req.type]
    elif verb is Verb.CONCLUDE and not bound and req.conclusion_at is not None:
        form.concluded_on.data = to_vn(req.conclusion_at).date()
        form.document.data = req.conclusion_document
        form.summary.data = req.conclusion_summary
    elif verb is Verb.TRANSFER:
        units = db.session.execute(
            select(Unit.id, Unit.name).where(Unit.is_active.is_(True), Unit.id != req.unit_id).order_by(Unit.name)
        )
        form.to_unit.choices = [forms.choice("", _("— Chọn đơn vị —"))] + [forms.choice(u.id, u.name) for u in units]
    return form


def _load(request_id: int) -> PressRequest:
    """Load a request the user may view; 404 otherwise, so other units' ids reveal nothing."""
    req = db.session.get(PressRequest, request_id, options=[
        # The page shows the assignee's name and the rule; the assignee's roles load only if read.
        joinedload(PressRequest.assignee).lazyload(User.memberships), joinedload(PressRequest.rule)])
    if req is None or not policies.can_view(current_user, req):
        abort(404)
    return req


def _render_detail(req: PressRequest, status: int = 200, failed: dict[Verb, Any] | None = None):
    """Render the request page; ``failed`` holds a submitted form to show with its errors."""
    user = current_user
    draft, final = svc.answers_on_file(req)
    rule = req.rule
    read_only = policies.is_read_only(user, req)
    allowed = {} if read_only else {verb: policies.can_act(user, req, verb, draft=draft) for verb in Verb}
    action_forms = {}
    people = unit_people(req) if allowed.get(Verb.REASSIGN) or allowed.get(Verb.AUTHORISE) else None
    for verb, ok in allowed.items():
        if failed and verb in failed:
            action_forms[verb] = failed[verb]
        elif ok:
            action_forms[verb] = _build_form(verb, req, bound=False, prefill=draft, people=people)
    events = list(db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "request", AuditEvent.object_id == req.id)
        .order_by(AuditEvent.seq)
    ).scalars())
    assignment_rows = db.session.execute(
        select(Assignment, Unit.name)
        .options(joinedload(Assignment.user).lazyload(User.memberships),
                 joinedload(Assignment.assigned_by).lazyload(User.memberships))
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.request_id == req.id).order_by(Assignment.created_at, Assignment.id)
    ).unique().all()
    assignments = [a for a, _name in assignment_rows]
    unit_names = {a.unit_id: name for a, name in assignment_rows}
    messages = list(db.session.execute(
        select(Message).options(joinedload(Message.author).lazyload(User.memberships)).where(Message.request_id == req.id)
        .order_by(Message.created_at, Message.id)
    ).unique().scalars())
    transfers = list(db.session.execute(
        select(Transfer).options(joinedload(Transfer.from_unit), joinedload(Transfer.to_unit))
        .where(Transfer.request_id == req.id).order_by(Transfer.created_at, Transfer.id)
    ).unique().scalars())
    extensions = list(db.session.execute(
        select(Extension).where(Extension.request_id == req.id).order_by(Extension.created_at)
    ).scalars())
    attachment_rows = list(db.session.execute(
        select(Attachment).where(Attachment.request_id == req.id).order_by(Attachment.created_at, Attachment.id)
    ).scalars())
    status_flag = due_status(req)
    # ND 09 asks every unit to publish who speaks for it; without that, a new request falls back to
    # the head (an automatic assignment with no designation behind it). Said on the open request's
    # page, with the way to fix it for those who may.
    current = next((a for a in assignments if a.ended_at is None), None)
    speaker_gap = (req.is_open and not read_only and current is not None and current.assigned_by_id is None
                   and current.designation_id is None)
    context = {
        "req": req,
        "assignee": req.assignee,
        "journalist": req.contact,
        "draft": draft,
        "final": final,
        "draft_html": render_markdown(draft.body) if draft and draft.kind == AnswerKind.ANSWER.value else None,
        "final_html": render_markdown(final.body) if final and final.kind == AnswerKind.ANSWER.value else None,
        "rule": rule,
        "explanation": req.deadline_explanation or {},
        "due_flag": status_flag,
        "overdue_note": rule.overdue_note if status_flag == "overdue" and rule.overdue_note else None,
        "extension_left": max(rule.extension_max_amount - req.extended_amount, 0) if rule.extension_allowed else 0,
        "read_only": read_only,
        "can_publish": can_publish_request(user, req, final),
        "allowed": allowed,
        "forms": action_forms,
        "timeline": history.staff_history(events, state_label),
        "assignments": assignments,
        "unit_names": unit_names,
        "notes": [m for m in messages if m.kind == MessageKind.INTERNAL_NOTE.value],
        "conversation": [m for m in messages if m.kind != MessageKind.INTERNAL_NOTE.value],
        "transfers": transfers,
        "extensions": extensions,
        "attachments": attachment_rows,
        "Verb": Verb,
        "speaker_gap": speaker_gap,
        "designations_url": url_for("admin.unit_designations", unit_id=req.unit_id) if speaker_gap and has_permission(
            user, Permission.AUTHORISE_SPOKESPERSON, req.unit) else None,
        "mail_awaiting_type": awaiting_type_confirmation(req.id) if req.channel == Channel.EMAIL.value else None,
        "article_link": _web_link(req.article_url),
        "deadline_start": history.as_time((req.deadline_explanation or {}).get("start")),
        "skipped_days": _skipped_days(req.deadline_explanation or {}),
        "form_labels": {k.value: v for k, v in forms.FORM_LABELS.items()},
        "answer_status_labels": ANSWER_STATUS_LABELS,
        "purpose_labels": PURPOSE_LABELS,
        "time_units": TIME_UNITS,
        "journalist_update_form": EmptyForm() if policies.can_update_journalist(user, req) else None,
        "conclusion_flag": conclusion_status(req),
        "conclusion_card": req.type in {t.value for t in CONCLUSION_TYPES},
        "requested_type": req.requested_type if req.requested_type and req.requested_type != req.type else None,
    }
    return render_template("press_requests/detail.html", **context), status


@bp.get("/<int:request_id>")
@login_required
def detail(request_id: int):
    """Show a request: deadline and its explanation, answer, notes, history and actions."""
    return _render_detail(_load(request_id))


@bp.get("/<int:request_id>/attachments/<int:attachment_id>")
@login_required
def attachment(request_id: int, attachment_id: int):
    """Send an attachment of a request the user may view."""
    req = _load(request_id)
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.request_id != req.id:
        abort(404)
    try:
        path = files.path_of(att)
    except UploadRejected:
        abort(404)
    if not path.is_file():
        log.warning("attachment %s of request %s is missing on disk", att.id, req.id)
        abort(404)
    return send_file(path, download_name=att.display_name, as_attachment=True, mimetype=att.mime_type)


# --------------------------------------------------------------------------- actions

SUCCESS = {
    Verb.REASSIGN: _l("Đã giao lại yêu cầu."),
    Verb.AUTHORISE: _l("Đã ủy quyền phát ngôn cho yêu cầu này."),
    Verb.DRAFT: _l("Đã lưu dự thảo."),
    Verb.SUBMIT: _l("Đã trình duyệt dự thảo."),
    Verb.APPROVE: _l("Đã duyệt; nội dung đã được gửi cho phóng viên."),
    Verb.RETURN: _l("Đã trả lại dự thảo kèm ý kiến."),
    Verb.SEND: _l("Đã gửi cho phóng viên."),
    Verb.TRANSFER: _l("Đã chuyển yêu cầu sang đơn vị có thẩm quyền."),
    Verb.EXTEND: _l("Đã gia hạn thời hạn trả lời."),
    Verb.REOPEN: _l("Đã mở lại yêu cầu."),
    Verb.WITHDRAW: _l("Đã ghi nhận phóng viên rút yêu cầu."),
    Verb.NOTE: _l("Đã thêm ghi chú nội bộ."),
    Verb.MESSAGE: _l("Đã gửi tin nhắn cho phóng viên."),
    Verb.RECLASSIFY: _l("Đã đổi loại yêu cầu; thời hạn được tính lại từ thời điểm tiếp nhận ban đầu."),
    Verb.CONCLUDE: _l("Đã ghi nhận kết luận giải quyết."),
    Verb.CONCLUSION_SENT: _l("Đã ghi nhận việc gửi kết luận cho cơ quan báo chí."),
}


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
    req = _load(request_id)
    if not policies.has_right(current_user, req, verb):
        abort(403)
    form = _build_form(verb, req)
    if not form.validate_on_submit():
        return _render_detail(req, 400, {verb: form})
    try:
        if verb not in UNVERSIONED:
            svc.check_version(req, form.seen_version())
        run(req, form)
    except DomainError as err:
        db.session.rollback()
        if err.status == 409:
            return _conflict(request_id, err)
        if err.status != 400:
            raise  # 403: the global handler explains
        form.form_errors.append(err.message)
        return _render_detail(db.session.get(PressRequest, request_id), 400, {verb: form})
    db.session.commit()
    flash(SUCCESS[verb], "success")
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
    uploads = _check_uploads(form.attachments)
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
    _store_all(uploads, purpose="answer", request_id=req.id, answer_id=answer.id)


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
    req = _load(request_id)
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
