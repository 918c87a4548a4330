"""The public deadline calculator and the admin screens for rulebooks and the calendar."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from spokes.core.forms import EmptyForm
from spokes.auth.permissions import Permission
from spokes.auth.policies import permission_required
from spokes.core.clock import today_vn
from spokes.core.errors import render_error
from spokes.core.outcome import commit_or_report
from spokes.deadlines import services
from spokes.deadlines.explain import rule_label
from spokes.deadlines.forms import (
    CALENDAR_KIND_LABELS,
    CONFIDENCE_LABELS,
    MILESTONE_LABELS,
    TIME_UNIT_LABELS,
    CalculatorForm,
    CalendarDayForm,
    GroundForm,
    RuleForm,
    VersionForm,
)
from spokes.deadlines.models import CalendarDay, RefusalGround, Rule
from spokes.deadlines.rulebook import public_explanation, public_terms
from spokes.extensions import db

bp = Blueprint("deadlines", __name__)


# --------------------------------------------------------------------------- template filters


@bp.app_template_filter("confidence_label")
def confidence_label(code: str | None) -> Any:
    """Return the label of a confidence flag (Q, S, U)."""
    return CONFIDENCE_LABELS.get(code or "", code or "")


@bp.app_template_filter("time_unit_label")
def time_unit_label(code: str | None) -> Any:
    """Return the label of a time unit code, as used after a number."""
    return TIME_UNIT_LABELS.get(code or "", code or "")


@bp.app_template_filter("rule_label")
def rule_label_filter(label: str | None) -> str:
    """Return a rule's label in the reader's language when it is a shipped one, else as written."""
    from flask_babel import gettext

    return rule_label(label, gettext)


@bp.app_template_filter("iso_vn")
def iso_vn(value: str | None, fmt: str = "%d/%m/%Y %H:%M:%S") -> str:
    """Format an ISO 8601 string from a stored explanation in Vietnamese time."""
    from spokes.core.jinja import vn_datetime

    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) == 10:  # a plain date
        return parsed.strftime("%d/%m/%Y")
    return vn_datetime(parsed, fmt)


# --------------------------------------------------------------------------- the public calculator


@bp.get("/deadline")
def calculator():
    """Compute a legal due date from a type and a received time, and show how it was counted."""
    submitted = "type" in request.args
    form = CalculatorForm(formdata=request.args if submitted else None)
    if not submitted:
        form.received_date.data = today_vn()
        form.received_time.data = time(8, 0)
    deadline = None
    error = None
    status = 200
    if submitted:
        if form.validate():
            try:
                deadline = services.calculate(
                    form.type.data, form.received_at(), milestone=form.milestone.data or "main")
            except services.DeadlineUnavailable as err:
                error, status = str(err), 400
        else:
            status = 400
    # The refusal grounds shown are those of the rulebook applied, else of today's rulebook.
    book = deadline.rulebook if deadline is not None else services.rulebook_on(today_vn())
    explanation = public_explanation(deadline.explanation()) if deadline else None
    terms = public_terms(
        bool(deadline.rule.statutory), deadline.rule.confidence, extension_allowed=deadline.rule.extension_allowed,
        extension_max_amount=deadline.rule.extension_max_amount, overdue_note=deadline.rule.overdue_note,
    ) if deadline else None
    return render_template(
        "deadlines/calculator.html",
        form=form,
        deadline=deadline,
        explanation=explanation,
        terms=terms,
        civil_code_steps=services.civil_code_steps(explanation) if explanation else [],
        error=error,
        book=book,
        grounds=services.refusal_grounds_for(book.id) if book else [],
        milestone_labels=MILESTONE_LABELS,
    ), status


# --------------------------------------------------------------------------- rulebooks


@bp.get("/admin/rulebooks")
@permission_required(Permission.MANAGE_RULEBOOKS)
def rulebooks():
    """List the rulebooks with their validity and counts."""
    return render_template("deadlines/rulebooks.html", rows=services.rulebook_overview(), today=today_vn())


@bp.get("/admin/rulebooks/<int:book_id>")
@permission_required(Permission.MANAGE_RULEBOOKS)
def rulebook(book_id: int):
    """Show every rule and refusal ground of a rulebook."""
    book = services.load_rulebook(book_id)
    if book is None:
        return render_error(404)
    return render_template("deadlines/rulebook.html", book=book, rules=list(book.rules),
                           grounds=list(book.refusal_grounds), milestone_labels=MILESTONE_LABELS)


@bp.route("/admin/rulebooks/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_RULEBOOKS)
def edit_rule(rule_id: int):
    """Edit a rule; stored requests keep the deadline they were given."""
    rule = db.get_or_404(Rule, rule_id)
    form = RuleForm(obj=rule)
    if request.method == "GET":
        form.reminder_offsets.data = ",".join(str(n) for n in rule.reminder_offsets or [])
    if form.validate_on_submit():
        data = services.RuleData(
            amount=form.amount.data, unit=form.unit.data, label=form.label.data,
            citation_text=form.citation_text.data, citation_source=form.citation_source.data,
            confidence=form.confidence.data, reminder_offsets=form.offsets(),
            extension_allowed=form.extension_allowed.data, extension_max_amount=form.extension_max_amount.data,
            extension_reason_required=form.extension_reason_required.data,
            escalate_after_working_days=form.escalate_after_working_days.data,
            overdue_note=form.overdue_note.data or "",
        )
        done = commit_or_report(lambda: services.update_rule(current_user, rule, data), form.amount)
        if done.ok:
            if done.value:
                flash(_("Đã lưu quy tắc. Các hồ sơ đã tiếp nhận giữ nguyên thời hạn."), "success")
            else:
                flash(_("Không có thay đổi nào."), "info")
            return redirect(url_for("deadlines.rulebook", book_id=rule.rulebook_id))
    status = 400 if request.method == "POST" else 200
    total, open_count = services.requests_using_rule(rule.id)
    return render_template("deadlines/rule_edit.html", form=form, rule=rule, book=rule.rulebook,
                           uses=total, open_uses=open_count, milestone_labels=MILESTONE_LABELS), status


@bp.route("/admin/rulebooks/grounds/<int:ground_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_RULEBOOKS)
def edit_ground(ground_id: int):
    """Edit a refusal ground's text, source and confidence."""
    ground = db.get_or_404(RefusalGround, ground_id)
    form = GroundForm(obj=ground)
    if form.validate_on_submit():
        data = services.GroundData(text=form.text.data, source=form.source.data, confidence=form.confidence.data)
        done = commit_or_report(lambda: services.update_refusal_ground(current_user, ground, data), form.text)
        if done.ok:
            flash(_("Đã lưu căn cứ từ chối.") if done.value else _("Không có thay đổi nào."),
                  "success" if done.value else "info")
            return redirect(url_for("deadlines.rulebook", book_id=ground.rulebook_id))
    status = 400 if request.method == "POST" else 200
    return render_template("deadlines/ground_edit.html", form=form, ground=ground, book=ground.rulebook), status


@bp.route("/admin/rulebooks/<int:book_id>/new-version", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_RULEBOOKS)
def new_version(book_id: int):
    """Copy a rulebook into a new version with its own code, name and start date."""
    source = services.load_rulebook(book_id)
    if source is None:
        return render_error(404)
    form = VersionForm()
    if request.method == "GET":
        form.name.data = _("%(name)s (phiên bản mới)", name=source.name)
    if form.validate_on_submit():
        done = commit_or_report(lambda: services.create_rulebook_version(
            current_user, source, code=form.code.data, name=form.name.data,
            valid_from=form.valid_from.data, notes=form.notes.data,
        ), form.code)
        if (book := done.value) is not None:
            flash(_("Đã tạo bộ quy tắc “%(name)s”, hiệu lực từ %(day)s. Các hồ sơ đã tiếp nhận giữ nguyên thời hạn.",
                    name=book.name, day=f"{book.valid_from:%d/%m/%Y}"), "success")
            return redirect(url_for("deadlines.rulebook", book_id=book.id))
    status = 400 if request.method == "POST" else 200
    return render_template("deadlines/new_version.html", form=form, source=source), status


# --------------------------------------------------------------------------- the calendar


def _year_arg() -> int | None:
    raw = request.args.get("year", "")
    if not raw:
        return today_vn().year
    return int(raw) if raw.isdigit() and len(raw) == 4 else None


def _render_calendar(year: int, form: CalendarDayForm, status: int = 200):
    return render_template(
        "deadlines/calendar.html", cal=services.calendar_year(year), form=form, remove_form=EmptyForm(),
        kind_labels=CALENDAR_KIND_LABELS, min_year=services.MIN_YEAR, max_year=services.MAX_YEAR,
    ), status


@bp.get("/admin/calendar")
@permission_required(Permission.MANAGE_CALENDAR)
def calendar():
    """Show one year's public holidays, package make-up days and local overrides."""
    year = _year_arg()
    if year is None or not services.MIN_YEAR <= year <= services.MAX_YEAR:
        return render_error(400, _("Năm phải từ %(min)d đến %(max)d.", min=services.MIN_YEAR, max=services.MAX_YEAR))
    return _render_calendar(year, CalendarDayForm())


@bp.post("/admin/calendar")
@permission_required(Permission.MANAGE_CALENDAR)
def add_calendar_day():
    """Add an extra day off or a make-up working day and recount the open deadlines."""
    form = CalendarDayForm()
    if form.validate_on_submit():
        done = commit_or_report(lambda: services.add_calendar_day(
            current_user, form.day.data, form.kind.data, form.reason.data, form.document.data), form.day)
        if done.value is not None:
            row, moved = done.value
            flash(_("Đã thêm ngày %(day)s vào lịch: %(kind)s.", kind=CALENDAR_KIND_LABELS[row.kind],
                    day=f"{row.day:%d/%m/%Y}"), "success")
            flash(_("Đã cập nhật thời hạn của %(n)d hồ sơ đang mở.", n=moved), "info")
            return redirect(url_for("deadlines.calendar", year=row.day.year))
    shown = form.day.data if isinstance(form.day.data, date) else today_vn()
    year = shown.year if services.MIN_YEAR <= shown.year <= services.MAX_YEAR else today_vn().year
    return _render_calendar(year, form, 400)


@bp.post("/admin/calendar/<int:day_id>/delete")
@permission_required(Permission.MANAGE_CALENDAR)
def remove_calendar_day(day_id: int):
    """Remove a local override and recount the open deadlines."""
    row = db.get_or_404(CalendarDay, day_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_error(400)
    year, day = row.day.year, row.day
    moved = services.remove_calendar_day(current_user, row)
    db.session.commit()
    flash(_("Đã xóa điều chỉnh ngày %(day)s.", day=f"{day:%d/%m/%Y}"), "success")
    flash(_("Đã cập nhật thời hạn của %(n)d hồ sơ đang mở.", n=moved), "info")
    return redirect(url_for("deadlines.calendar", year=year))
