"""Reports for heads, overseers and admins: the page, its drill-down lists and the exports."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, stream_with_context, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from spokes.auth.permissions import Permission
from spokes.auth.policies import can_view_unit_requests, permission_required, scope_paths
from spokes.core.clock import today_vn
from spokes.core.errors import render_error
from spokes.deadlines.models import RefusalGround
from spokes.extensions import db
from spokes.press_requests.labels import TYPE_LABELS
from spokes.press_requests.models import RequestType
from spokes.reports import exports
from spokes.reports.docx import report_docx
from spokes.reports.forms import DrillDownForm, ReportFilterForm, choice
from spokes.reports.services import (
    BUCKETS,
    METRIC_LABELS,
    DrillFilter,
    Period,
    Report,
    ReportScope,
    build_report,
    requests_for,
    scope_for,
    units_in_scope,
)
from spokes.units.models import Unit

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")

# Figures the request queue can list exactly with the agreed query parameters.
QUEUE_METRICS = {"received": "all", "answered": "answered", "open": "open", "overdue": "open",
                 "refused": "refused", "withdrawn": "withdrawn"}


@bp.app_template_filter("report_number")
def report_number(value: float | int | None) -> str:
    """Format a count or a number of days for the current locale (1.234 / 5,5 in Vietnamese)."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.#")


@bp.app_template_filter("report_percent")
def report_percent(value: float | None) -> str:
    """Format a rate as a percentage with one decimal, or a dash when there is none."""
    if value is None:
        return "—"
    return format_percent(value, format="#,##0.0%")


# --------------------------------------------------------------------------- loading and links


def _resolve(form: ReportFilterForm) -> ReportScope:
    """Load the chosen unit (404) and check it lies in the user's reach (403)."""
    unit = db.get_or_404(Unit, form.unit.data) if form.unit.data is not None else None
    return scope_for(current_user, unit, subtree=form.subtree())


def _unit_choices() -> list[SelectChoice]:
    units = units_in_scope(scope_for(current_user))
    top = min((u.depth for u in units), default=0)
    return [choice("", _("Toàn bộ phạm vi của tôi"))] + [
        choice(u.id, "\u2003" * (u.depth - top) + u.name + ("" if u.is_active else " " + _("(ngừng hoạt động)")))
        for u in units
    ]


def _scope_args(scope: ReportScope, period: Period) -> dict[str, Any]:
    args: dict[str, Any] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if scope.unit is not None:
        args["unit"] = scope.unit.id
        args["scope"] = "subtree" if scope.subtree else "unit"
    return args


@dataclass
class DrillLinks:
    """Build the drill-down link of each figure: the list of exactly the requests it counts."""

    args: dict[str, Any]
    unit_args: dict[str, Any] = field(default_factory=dict)
    base: str = ""

    def __call__(self, metric: str, **filters: Any) -> str:
        """Return the URL listing the requests counted by a metric with optional filters.

        The path is built once (a report has a thousand links; url_for for each cost half the page).
        """
        if not self.base:
            self.base = url_for("reports.requests")
        extra = {k: v for k, v in filters.items() if v not in (None, "")}
        return self.base + "?" + urlencode({"metric": metric, **self.args, **self.unit_args, **extra})

    def unit(self, unit_id: int) -> DrillLinks:
        """Return the links for one unit alone (a row of the ranking)."""
        return DrillLinks(self.args, {"unit": unit_id, "scope": "unit"}, self.base)


def _queue_url(scope: ReportScope, period: Period, flt: DrillFilter) -> str | None:
    """Return the request queue filtered to the same requests, when the queue can say it."""
    if ("press_requests.queue" not in current_app.view_functions or scope.unit is None
            or flt.metric not in QUEUE_METRICS or flt.ground_id is not None or flt.bucket
            or not can_view_unit_requests(current_user, scope.unit)):
        return None
    first, last = period.month_bounds(flt.month) if flt.month else (period.start, period.end)
    args: dict[str, Any] = {
        "unit": scope.unit.id, "state": QUEUE_METRICS[flt.metric],
        "received_from": first.isoformat(), "received_to": last.isoformat(), "sort": "received",
        # The queue opens on "my work" for heads; the tab that lists the whole reach is needed.
        "tab": "subtree" if scope_paths(current_user, Permission.VIEW_REQUESTS)[1] else "unit",
    }
    if scope.subtree:
        args["scope"] = "subtree"
    if flt.metric == "overdue":
        args["overdue"] = 1
    if flt.type:
        args["type"] = flt.type
    if flt.channel:
        args["channel"] = flt.channel
    return url_for("press_requests.queue", **args)


def chart_data(report: Report) -> dict[str, Any]:
    """Return what the charts draw, with their Vietnamese labels (the same numbers as the tables)."""
    types = [t.value for t in RequestType]
    rated = [u for u in report.ranking if u.on_time_rate is not None]
    return {
        "monthly": {
            "title": _("Số yêu cầu tiếp nhận theo tháng, theo loại"),
            "labels": [m.label for m in report.monthly],
            "datasets": [{"label": str(TYPE_LABELS[RequestType(t)]), "data": [m.by_type.get(t, 0) for m in report.monthly]}
                         for t in types],
            "axis": _("Số yêu cầu"),
        },
        "ontime": {
            "title": _("Tỷ lệ trả lời đúng hạn theo đơn vị (%)"),
            "labels": [u.name for u in rated],
            "data": [round(100 * (u.on_time_rate or 0), 1) for u in rated],
            "counts": [f"{u.on_time}/{u.answered}" for u in rated],
            "axis": _("Tỷ lệ đúng hạn (%)"),
            "count_label": _("đúng hạn/đã trả lời"),
        },
        "ageing": {
            "title": _("Yêu cầu đang quá hạn theo số ngày quá hạn"),
            "labels": [str(b.bucket.label) for b in report.ageing],
            "data": [b.count for b in report.ageing],
            "axis": _("Số yêu cầu"),
        },
    }


# --------------------------------------------------------------------------- views


@bp.get("/")
@login_required
@permission_required(Permission.VIEW_REPORTS)
def index():
    """Show the report of a period for a unit or the user's whole reach, with charts and tables."""
    form = ReportFilterForm(formdata=request.args)
    scope = _resolve(form)
    form.unit.choices = _unit_choices()
    # Heads report on their own unit only: the subtree choice would just be refused.
    can_subtree = bool(scope_paths(current_user, Permission.VIEW_REPORTS)[1])
    period = form.checked_period(today_vn())
    if period is None:
        return render_template("reports/index.html", form=form, report=None, can_subtree=can_subtree), 400
    form.date_from.data, form.date_to.data = period.start, period.end  # show the defaults that were applied
    report = build_report(scope, period)
    args = _scope_args(scope, period)
    return render_template(
        "reports/index.html", form=form, report=report, drill=DrillLinks(args), charts=chart_data(report),
        export_args=args, has_docx=scope.unit is not None, can_subtree=can_subtree,
        ranked=list(enumerate(report.ranking, start=1)),  # (rank, unit row), as the exports number them
    )


@bp.get("/requests")
@login_required
@permission_required(Permission.VIEW_REPORTS)
def requests():
    """List exactly the requests behind one figure of a report, with pages."""
    form = DrillDownForm(formdata=request.args)
    scope = _resolve(form)
    form.month.choices = [choice("", "")]  # any month of the period; checked by the form
    period = form.checked_period(today_vn())
    if period is None:
        return render_template("reports/requests.html", form=form, page=None), 400
    flt = DrillFilter(
        metric=form.metric.data, type=form.type.data or None, channel=form.channel.data or None,
        month=form.month.data or None, ground_id=form.ground.data, bucket=form.bucket.data or None,
    )
    page = db.paginate(requests_for(scope, period, flt), page=form.page.data or 1,
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "reports/requests.html", form=form, page=page, flt=flt, scope=scope, period=period,
        metric_label=METRIC_LABELS[flt.metric], bucket=BUCKETS.get(flt.bucket or ""),
        ground=db.session.get(RefusalGround, flt.ground_id) if flt.ground_id else None,
        back_url=url_for("reports.index", **_scope_args(scope, period)),
        queue_url=_queue_url(scope, period, flt),
    )


EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8" to text types
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@bp.get("/export.<fmt>")
@login_required
@permission_required(Permission.VIEW_REPORTS)
def export(fmt: str):
    """Download the report as XLSX, CSV (``table=requests`` for the request list) or the DOCX report."""
    if fmt not in EXPORT_TYPES:
        abort(404)
    form = ReportFilterForm(formdata=request.args)
    scope = _resolve(form)
    period = form.checked_period(today_vn())
    if period is None:
        return render_error(400, " ".join(str(m) for errors in form.errors.values() for m in errors))
    if fmt == "docx" and scope.unit is None:
        return render_error(400, _("Hãy chọn một đơn vị để lập báo cáo bằng văn bản."))
    report = build_report(scope, period)
    if fmt == "csv" and request.args.get("table") == "requests":
        # The request list may be long: stream it instead of building it in memory.
        name = exports.file_name(report, fmt, suffix="ds-ho-so")
        return Response(stream_with_context(exports.requests_csv_chunks(report)), mimetype=EXPORT_TYPES[fmt],
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    if fmt == "xlsx":
        data = exports.report_xlsx(report)
    elif fmt == "csv":
        data = exports.report_csv(report)
    else:
        data = report_docx(report)
    return send_file(io.BytesIO(data), mimetype=EXPORT_TYPES[fmt], as_attachment=True,
                     download_name=exports.file_name(report, fmt))

