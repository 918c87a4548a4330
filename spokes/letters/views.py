"""Screens of official letters: issue from a request, the register of outgoing documents, headings.

Each view: load (404), authorise (403), validate, one service call, commit once, redirect.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.auth.policies import has_permission
from spokes.core import once
from spokes.core.clock import now, today_vn
from spokes.core.errors import DomainError
from spokes.core.outcome import commit_or_report
from spokes.extensions import db
from spokes.letters import exports, layout, services
from spokes.letters.forms import (
    KIND_LABELS,
    DesignationLetterForm,
    HeadingForm,
    LetterForm,
    PublishedForm,
    SignedCopyForm,
    TemplateForm,
)
from spokes.letters.models import Letter, LetterKind
from spokes.press_requests import policies as request_policies
from spokes.press_requests.models import PressRequest
from spokes.units.models import Unit
from spokes.units.policies import units_in_scope
from spokes.auth.policies import can_manage_unit_designations
from spokes.units.models import Designation

bp = Blueprint("letters", __name__, url_prefix="/staff/letters")

PER_PAGE = 25
SIGNED_COPY_MAX_BYTES = 10 * 1024 * 1024


def bounded_int(value: str | None, *, low: int, high: int) -> int | None:
    """Return a query argument as an int within [low, high], or None when it is missing or out of range."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if low <= number <= high else None


@bp.app_template_filter("letter_kind_label")
def letter_kind_label(code: str | None) -> Any:
    """Return the label of a letter kind."""
    return KIND_LABELS.get(code or "", code or "")


def _load_request(request_id: int) -> PressRequest:
    req = db.session.get(PressRequest, request_id)
    if req is None or not request_policies.can_view(current_user, req):
        abort(404)
    return req


def _letter_form(req: PressRequest, kinds: list[LetterKind], signers: list[User], letters: list[Letter]) -> LetterForm:
    form = LetterForm()
    form.kind.choices = [(k.value, KIND_LABELS[k.value]) for k in kinds]
    form.offer_signers(signers)
    form.replaces.choices = [(0, _("Không thay thế văn bản nào"))] + [
        (x.id, f"{x.number_and_symbol} ({x.issued_on:%d/%m/%Y})") for x in letters]
    if request.method == "GET" and kinds and signers:
        kind = LetterKind(request.args.get("kind")) if request.args.get("kind") in {k.value for k in kinds} else kinds[0]
        defaults = services.default_choices(req, kind, signers[0])
        form.kind.data = kind.value
        form.signer.data = signers[0].id
        form.position.data = defaults.position
        form.summary.data = defaults.summary
        form.recipient.data = defaults.recipient
        form.copies_to.data = "\n".join(defaults.copies_to)
    return form


def _docx_download(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=exports.DOCX_MIME, as_attachment=True, download_name=name)


def _preview_or_issue(form: Any, preview: Callable[[], bytes], name: str, issue: Callable[[], Letter],
                      back: str) -> tuple[Any, int]:
    """Download the draft as DOCX (the preview button) or issue the letter and go back.

    Return the response and 200, or None and the status of the refusal (its message is flashed).
    Issuing claims the form's single-use key with the number (a preview claims nothing): the same
    page sent again issues nothing and goes back, saying which letter the first sending issued.
    """
    if form.preview.data:
        draft = commit_or_report(preview, commit=False)
        if draft.ok:
            return _docx_download(draft.value, name), 200
        return None, draft.status(409)
    try:
        done = commit_or_report(once.once(form, "letter", issue, lambda letter: (back, letter.number_and_symbol),
                                          user_id=current_user.id))
    except once.Repeated as repeat:
        return repeat.show(_("Biểu mẫu này đã được gửi; văn bản số %(number)s đã được ban hành.",
                             number=repeat.label), back), 200
    if not done.ok:
        return None, done.status(409)
    flash(_("Đã ban hành văn bản số %(number)s.", number=done.value.number_and_symbol), "success")
    return redirect(back), 200


@bp.route("/request/<int:request_id>", methods=["GET", "POST"])
@login_required
def for_request(request_id: int):
    """List a request's letters, and let its unit's head preview or issue one."""
    req = _load_request(request_id)
    letters = services.letters_of_request(req)
    may_issue = services.can_issue(current_user, req.unit)
    kinds = services.available_kinds(req) if may_issue else []
    signers = services.signers_for(req.unit, req=req) if may_issue else []
    form = _letter_form(req, kinds, signers, letters)
    status = 200
    if request.method == "POST":
        if not may_issue:
            abort(403)
        if form.validate_on_submit():
            signer = next((u for u in signers if u.id == form.signer.data), None)
            replaces = next((x for x in letters if x.id == form.replaces.data), None)
            if signer is None:
                form.signer.errors = [_("Chọn người ký trong danh sách.")]
            else:
                asks = tuple(code for code, chosen in (("feedback", form.ask_feedback.data),
                                                       ("correction", form.ask_correction.data),
                                                       ("apology", form.ask_apology.data)) if chosen)
                choices = services.LetterChoices(
                    kind=LetterKind(form.kind.data), signer=signer, position=form.position.data,
                    summary=form.summary.data.strip(), recipient=form.recipient.data.strip(),
                    copies_to=[line.strip() for line in (form.copies_to.data or "").splitlines() if line.strip()],
                    asks=asks, publication_due_on=form.publication_due_on.data)
                def issue() -> Any:
                    services.check_in_force(req, choices.kind, replaces, also_issue=bool(form.also_issue.data))
                    return services.issue(current_user, req, choices, replaces=replaces, send=bool(form.send.data))

                response, status = _preview_or_issue(
                    form, lambda: services.preview_docx(req, choices), f"du-thao-{req.reference}-{choices.kind.value}.docx",
                    issue, url_for("letters.for_request", request_id=req.id))
                if response is not None:
                    return response
        if status == 200:
            status = 400
    checks = {x.id: services.signature_of(x) for x in letters if x.pdf_signer}
    return render_template("letters/request.html", req=req, letters=letters, form=form, may_issue=may_issue,
                           kinds=kinds, signers=signers, checks=checks, upload_form=SignedCopyForm(),
                           published_form=PublishedForm(), moment=now(),
                           may_follow_up=has_permission(current_user, Permission.DRAFT_ANSWER, req.unit)), status


@bp.post("/<int:letter_id>/published")
@login_required
def record_published(letter_id: int):
    """Record that the press agency published what a sixth-form letter asked."""
    letter = _readable_letter(letter_id)
    if not has_permission(current_user, Permission.DRAFT_ANSWER, letter.unit):
        abort(403)
    form = PublishedForm()
    back = url_for("letters.for_request", request_id=letter.request_id) if letter.request_id else url_for(
        "letters.register", unit=letter.unit.code)
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(back), 303
    if not commit_or_report(lambda: services.record_published(current_user, letter, published_on=form.published_on.data,
                                                              url=form.url.data)).ok:
        return redirect(back), 303
    flash(_("Đã ghi nhận cơ quan báo chí đăng nội dung của văn bản %(n)s.", n=letter.number_and_symbol), "success")
    return redirect(back)


# --------------------------------------------------------------------------- designation letters


@bp.route("/designation/<int:designation_id>", methods=["GET", "POST"])
@login_required
def for_designation(designation_id: int):
    """List a designation's letters; the unit's head issues its decision, authorisation or announcement."""

    designation = db.session.get(Designation, designation_id)
    if designation is None or not can_manage_unit_designations(current_user, designation.unit):
        abort(404)
    unit = designation.unit
    letters = services.letters_of_designation(designation)
    may_issue = services.can_issue(current_user, unit)
    kinds = services.designation_letter_kinds(designation) if may_issue else []
    signers = [u for u in services.signers_for(unit) if services.can_issue(u, unit)] if may_issue else []
    form = DesignationLetterForm()
    form.kind.choices = [(k.value, KIND_LABELS[k.value]) for k in kinds]
    form.offer_signers(signers)
    if request.method == "GET" and kinds and signers:
        kind = LetterKind(request.args.get("kind")) if request.args.get("kind") in {k.value for k in kinds} else kinds[0]
        defaults = services.default_designation_choices(designation, kind, signers[0])
        form.kind.data, form.signer.data = kind.value, signers[0].id
        form.position.data, form.summary.data = defaults.position, defaults.summary
        form.copies_to.data = "\n".join(defaults.copies_to)
    status = 200
    if request.method == "POST":
        if not may_issue:
            abort(403)
        status = 400
        signer = next((u for u in signers if u.id == form.signer.data), None)
        if form.validate_on_submit() and signer is not None:
            kind = LetterKind(form.kind.data)
            choices = services.LetterChoices(
                kind=kind, signer=signer, position=form.position.data, summary=form.summary.data.strip(),
                recipient="", copies_to=[x.strip() for x in (form.copies_to.data or "").splitlines() if x.strip()])
            replaces = next((x for x in letters if x.kind == kind.value), None)
            response, status = _preview_or_issue(
                form, lambda: services.preview_designation(designation, choices),
                f"du-thao-{kind.value}-{designation.id}.docx",
                lambda: services.issue_for_designation(current_user, designation, choices, replaces=replaces),
                url_for("letters.for_designation", designation_id=designation.id))
            if response is not None:
                return response
        elif signer is None and form.signer.data is not None:
            form.signer.errors = [_("Chọn người ký trong danh sách.")]
    return render_template("letters/designation.html", designation=designation, letters=letters, form=form,
                           may_issue=may_issue, kinds=kinds, signers=signers), status


def _readable_letter(letter_id: int) -> Letter:
    """Load a letter of a register the user may read; 404 otherwise, so other units' ids reveal nothing."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not _may_read_register(letter.unit):
        abort(404)
    return letter


@bp.get("/<int:letter_id>.docx")
@login_required
def download(letter_id: int):
    """Download an issued letter exactly as it was issued."""
    letter = _readable_letter(letter_id)
    return _docx_download(letter.docx, exports.file_name(letter))


@bp.get("/<int:letter_id>.pdf")
@login_required
def download_pdf(letter_id: int):
    """Download the issued letter as PDF (the signed copy when there is one)."""
    letter = _readable_letter(letter_id)
    if letter.pdf is None:
        abort(404)
    return send_file(io.BytesIO(letter.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=exports.file_name(letter).removesuffix(".docx") + ".pdf")


@bp.post("/<int:letter_id>/signed-copy")
@login_required
def signed_copy(letter_id: int):
    """Keep a copy of the letter signed elsewhere (the unit's token), once its signature is checked."""
    letter = _readable_letter(letter_id)
    if not services.can_issue(current_user, letter.unit):
        abort(403)
    form = SignedCopyForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("letters.for_request", request_id=letter.request_id)), 303
    data = form.file.data.read(SIGNED_COPY_MAX_BYTES + 1)

    def attach() -> Any:
        if len(data) > SIGNED_COPY_MAX_BYTES:
            raise DomainError(_("Tệp quá lớn (tối đa 10 MB)."), 400)
        return services.attach_signed_copy(current_user, letter, data)

    done = commit_or_report(attach)
    if not done.ok:
        return redirect(url_for("letters.for_request", request_id=letter.request_id)), 303
    check = done.value
    flash(_("Đã lưu bản ký số của văn bản %(n)s (người ký: %(who)s).", n=letter.number_and_symbol,
            who=check.signer or ""), "success")
    return redirect(url_for("letters.for_request", request_id=letter.request_id))


def _may_read_register(unit: Unit) -> bool:
    return has_permission(current_user, Permission.VIEW_REQUESTS, unit)


def _register_units() -> list[Unit]:
    """Return the units whose register the user may read (their own units, and subtrees they watch)."""

    return list(db.session.execute(units_in_scope(current_user, Permission.VIEW_REQUESTS)).scalars())


@bp.get("/register")
@login_required
def register():
    """Show a unit's register of outgoing documents, with search, filters, pages and an XLSX export."""
    units = _register_units()
    if not units:
        abort(403)
    code = request.args.get("unit", "")
    unit = next((u for u in units if u.code == code), units[0])
    year = bounded_int(request.args.get("year"), low=2000, high=2100)
    q = (request.args.get("q") or "").strip()[:200]
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None
    stmt = services.register_query(unit, year=year, q=q or None, kind=kind)
    if request.args.get("format") == "xlsx":
        letters = list(db.session.execute(stmt).unique().scalars())
        return send_file(io.BytesIO(exports.register_xlsx(unit, letters)), mimetype=exports.XLSX_MIME,
                         as_attachment=True, download_name=exports.register_file_name(unit, year))
    page = db.paginate(stmt, page=bounded_int(request.args.get("page"), low=1, high=10_000) or 1,
                       per_page=PER_PAGE, error_out=False)
    return render_template("letters/register.html", unit=unit, units=units, page=page, year=year, q=q, kind=kind,
                           years=services.register_years(unit) or [today_vn().year], kind_labels=KIND_LABELS,
                           may_edit_heading=services.can_issue(current_user, unit)
                           or has_permission(current_user, Permission.MANAGE_UNITS, unit),
                           heading=services.heading_for(unit))


@bp.route("/heading/<code>", methods=["GET", "POST"])
@login_required
def heading(code: str):
    """Set the symbol and place name printed on a unit's letters."""
    unit = db.session.execute(select(Unit).where(Unit.code == code[:40])).scalar_one_or_none()
    if unit is None or not _may_read_register(unit) and not has_permission(current_user, Permission.MANAGE_UNITS, unit):
        abort(404)
    if not (services.can_issue(current_user, unit) or has_permission(current_user, Permission.MANAGE_UNITS, unit)):
        abort(403)
    current = services.heading_for(unit)
    form = HeadingForm(data={"symbol": current.symbol, "place_name": current.place_name})
    template_form = TemplateForm()
    if request.method == "POST" and (template_form.upload.data or template_form.remove.data):
        return _save_template(unit, template_form)
    if form.validate_on_submit():
        services.save_heading(current_user, unit, symbol=form.symbol.data, place_name=form.place_name.data)
        db.session.commit()
        flash(_("Đã lưu thể thức văn bản của đơn vị."), "success")
        return redirect(url_for("letters.register", unit=unit.code))
    return render_template("letters/heading.html", unit=unit, form=form, heading=current,
                           template_form=template_form), 400 if request.method == "POST" else 200


def _save_template(unit: Unit, form: TemplateForm):
    if not form.validate_on_submit():
        abort(400)
    data: bytes | None = None
    name = None
    if form.upload.data:
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            flash(_("Chọn tệp DOCX của mẫu."), "danger")
            return redirect(url_for("letters.heading", code=unit.code)), 303
        data = upload.read(layout.TEMPLATE_MAX_BYTES + 1)
        name = upload.filename
    if not commit_or_report(lambda: services.save_template(current_user, unit, name, data)).ok:
        return redirect(url_for("letters.heading", code=unit.code)), 303
    flash(_("Đã lưu mẫu văn bản riêng của đơn vị.") if data else _("Đơn vị dùng lại mẫu văn bản chuẩn."), "success")
    return redirect(url_for("letters.heading", code=unit.code))


@bp.get("/template.docx")
@login_required
def sample_template():
    """Download the built-in layout as a template to edit in Word (tags in {{ }} are filled at issue)."""
    if not _register_units():
        abort(403)
    return _docx_download(layout.sample_template(), "mau-cong-van.docx")
