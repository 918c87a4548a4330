"""Deadlines for stored requests: load rulebooks and the calendar from the database, compute, explain."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from spokes.audit import services as audit
from spokes.core import events
from spokes.core.clock import now
from spokes.core.db import rowcount
from spokes.core.errors import DomainError
from spokes.deadlines import explain, shipped
from spokes.deadlines.calendar import VN_TZ, WorkCalendar, public_holidays, public_makeup_working_days, to_vn
from spokes.deadlines.engine import DeadlineResult, TimeUnit, compute_due
from spokes.deadlines.models import CalendarDay, CalendarDayKind, Confidence, RefusalGround, Rule, Rulebook
from spokes.deadlines.rulebook import (
    CONFIDENCE_LABELS_VI,
    NoRulebook,
    RuleSpec,
    RulebookSpec,
    UnknownRule,
    evaluate,
    resolve_rule,
    select_layers,
    select_rulebook,
)
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.units.models import Unit

log = logging.getLogger(__name__)


def rule_spec(rule: Rule) -> RuleSpec:
    """Turn a stored rule into the pure core's RuleSpec."""
    return RuleSpec(
        request_type=rule.request_type,
        amount=rule.amount,
        unit=rule.unit,  # type: ignore[arg-type]
        label_vi=rule.label,
        citation_text=rule.citation_text,
        citation_source=rule.citation_source,
        confidence=rule.confidence,
        reminder_offsets=tuple(rule.reminder_offsets or ()),
        extension_allowed=rule.extension_allowed,
        extension_max_amount=rule.extension_max_amount,
        extension_reason_required=rule.extension_reason_required,
        escalate_after_working_days=rule.escalate_after_working_days,
        milestone=rule.milestone,
        statutory=bool(rule.statutory),
        overdue_note_vi=rule.overdue_note or "",
    )


def rulebook_spec(book: Rulebook) -> RulebookSpec:
    """Turn a stored rulebook into the pure core's RulebookSpec."""
    return RulebookSpec(
        code=book.code, name=book.name, valid_from=book.valid_from, valid_to=book.valid_to,
        rules=tuple(rule_spec(r) for r in book.rules), scope_unit_code=book.scope_unit_code,
    )


def unit_chain(unit: Any | None) -> list[str]:
    """Return the unit codes from the top of the tree down to unit (empty for None)."""
    if unit is None:
        return []

    ids = [int(part) for part in (unit.path or "").strip("/").split("/") if part]
    if unit.id not in ids:
        ids.append(unit.id)
    codes = {uid: code for uid, code in db.session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(ids)))}
    return [codes[i] for i in ids if i in codes]


def load_rulebooks() -> list[Rulebook]:
    """Return every stored rulebook with its rules."""
    return list(
        db.session.execute(
            select(Rulebook).options(selectinload(Rulebook.rules)).order_by(Rulebook.valid_from)
        ).scalars()
    )


def _day_label(day: CalendarDay) -> str:
    return f"{day.reason} ({day.document})" if day.document else day.reason


def work_calendar() -> WorkCalendar:
    """Build the working calendar: the package holidays, the official swaps and the admin's overrides.

    Years without an announced official schedule are flagged as estimates (dự kiến).
    """
    days = db.session.execute(select(CalendarDay)).scalars().all()
    official = shipped.load_calendar()
    return WorkCalendar(
        extra_days_off={d.day: _day_label(d) for d in days if d.kind == CalendarDayKind.DAY_OFF.value},
        makeup_working_days={d.day: _day_label(d) for d in days if d.kind == CalendarDayKind.WORKING_DAY.value},
        cancelled_days_off={d.day: _day_label(d) for d in days
                            if d.kind == CalendarDayKind.CANCELLED_DAY_OFF.value},
        announced_years=shipped.announced_years(official),
        day_notes=shipped.uncertain_day_notes(official),
    )


@dataclass(frozen=True)
class Deadline:
    """A computed deadline with the stored rulebook and rule it came from.

    ``rulebook`` is the national rulebook (its refusal grounds apply); ``rule`` may come from a
    layer over it, listed in ``layers`` (least specific first).
    """

    rulebook: Rulebook
    rule: Rule
    result: DeadlineResult
    layers: tuple[Rulebook, ...] = ()

    def explanation(self, *, note: str | dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the JSON explanation stored with a request and shown wherever its due date is."""
        return explanation_dict(self.rulebook, self.rule, self.result, note=note, layers=self.layers)


class DeadlineUnavailable(LookupError):
    """No rulebook or rule covers this request type on that date."""


def compute(
    request_type: str,
    start_at: datetime,
    *,
    milestone: str = "main",
    rulebook_for: datetime | None = None,
    calendar: WorkCalendar | None = None,
    books: list[Rulebook] | None = None,
    unit: Any | None = None,
) -> Deadline:
    """Compute a deadline for a request received by ``unit`` (None: national rules and shipped defaults).

    The national rulebook and the unit's layers are chosen by the Vietnamese date of
    ``rulebook_for`` (default: ``start_at``); the most specific layer with a rule wins.
    """
    books = books if books is not None else load_rulebooks()
    specs = {b.code: b for b in books}
    all_specs = [rulebook_spec(b) for b in books]
    moment = rulebook_for or start_at
    try:
        spec = select_rulebook(all_specs, moment)
        layers = select_layers(all_specs, moment, unit_chain(unit)) if unit is not None else []
        result = evaluate(spec, request_type, start_at, calendar or work_calendar(), milestone, layers)
        source, _rule = resolve_rule(spec, layers, request_type, milestone)
    except (LookupError, UnknownRule) as err:
        raise DeadlineUnavailable(str(err)) from err
    book = specs[source.code]
    rule = next(r for r in book.rules if r.request_type == request_type and r.milestone == milestone)
    return Deadline(rulebook=specs[spec.code], rule=rule, result=result,
                    layers=tuple(specs[layer.code] for layer in layers))


def explanation_dict(book: Rulebook, rule: Rule, result: DeadlineResult, *,
                     note: str | dict[str, Any] | None = None, layers: Sequence[Rulebook] = ()) -> dict[str, Any]:
    """Return a JSON-able explanation of a deadline; ``layers`` names every layer in force."""
    return {
        "start": to_vn(result.start).isoformat(),
        "due_at": result.due_at.isoformat(),
        "amount": result.amount,
        "unit": result.unit.value,
        "rulebook": {"code": book.code, "name": book.name},
        "rule": {"request_type": rule.request_type, "milestone": rule.milestone, "label": rule.label},
        "citation": {"text": rule.citation_text, "source": rule.citation_source},
        "confidence": rule.confidence,
        "confidence_label": CONFIDENCE_LABELS_VI.get(rule.confidence, rule.confidence),
        "statutory": bool(rule.statutory),
        "layers": [{"code": book.code, "name": book.name, "scope_unit_code": None}] + [
            {"code": layer.code, "name": layer.name, "scope_unit_code": layer.scope_unit_code} for layer in layers],
        "rule_rulebook": rule.rulebook.code if rule.rulebook is not None else book.code,
        "skipped_days": [{"date": d.date.isoformat(), "name": d.name} for d in result.skipped_days],
        "moved_from": result.moved_from.isoformat() if result.moved_from else None,
        "estimated": result.estimated,
        "estimated_years": list(result.estimated_years),
        "steps": list(result.steps),
        "note": note,
    }


def refusal_grounds_for(book_id: int) -> list[RefusalGround]:
    """Return the refusal grounds of a rulebook, in code order."""
    return list(
        db.session.execute(
            select(RefusalGround).where(RefusalGround.rulebook_id == book_id).order_by(RefusalGround.code)
        ).scalars()
    )


def seed_rulebooks() -> int:
    """Install the shipped law (rulebooks and official calendar) through the same sync as `db upgrade`.

    Idempotent, and keeps what an admin edited. Return how many rulebooks were added.
    """
    from spokes.deadlines.sync import sync

    report = sync(actor=None)
    return sum(1 for key in report.applied if key.startswith("rulebook:"))


# --------------------------------------------------------------------------- the public calculator

# Admins may enter calendar overrides and new rulebook versions for these years only: the
# holidays package is reliable here and a typo like 2206 is caught.
MIN_YEAR = 2017
MAX_YEAR = 2040


def _first_valid_from(books: Sequence[Rulebook]) -> date | None:
    return min((b.valid_from for b in books if b.scope_unit_code is None), default=None)


def rulebook_on(day: date, books: Sequence[Rulebook] | None = None) -> Rulebook | None:
    """Return the stored rulebook that applies to requests received on a Vietnamese date."""
    books = list(books) if books is not None else load_rulebooks()
    moment = datetime.combine(day, time(12, 0), tzinfo=VN_TZ)
    try:
        spec = select_rulebook([rulebook_spec(b) for b in books], moment)
    except NoRulebook:
        return None
    return next(b for b in books if b.code == spec.code)


def calculate(request_type: str, received_at: datetime, *, milestone: str = "main") -> Deadline:
    """Compute a deadline for the public calculator, with a Vietnamese reason when none applies.

    Raise DeadlineUnavailable whose message says whether no rulebook covers the date or the
    rulebook has no rule for this type and milestone.
    """
    books = load_rulebooks()
    try:
        return compute(request_type, received_at, milestone=milestone, books=books)
    except DeadlineUnavailable as err:
        day = to_vn(received_at).date()
        book = rulebook_on(day, books)
        if book is None:
            first = _first_valid_from(books)
            message = _("Không có bộ quy tắc nào áp dụng cho ngày %(day)s.", day=f"{day:%d/%m/%Y}")
            if first is not None:
                message += " " + _("Bộ quy tắc sớm nhất có hiệu lực từ %(day)s.", day=f"{first:%d/%m/%Y}")
            raise DeadlineUnavailable(message) from err
        if milestone != "main":
            message = _(
                "Bộ quy tắc “%(book)s” (áp dụng cho ngày %(day)s) không có mốc thời hạn này.",
                book=book.name, day=f"{day:%d/%m/%Y}",
            )
        else:
            message = _("Bộ quy tắc “%(book)s” không có quy tắc cho loại yêu cầu này.", book=book.name)
        raise DeadlineUnavailable(message) from err


def civil_code_steps(explanation: dict[str, Any]) -> list[Mapping[str, Any]]:
    """Return the explanation steps that apply the Civil Code counting rules (BLDS 2015)."""
    return list(explain.civil_code_steps(explanation.get("steps") or []))


# --------------------------------------------------------------------------- recomputing stored deadlines

_RECOMPUTE_BATCH = 500
# How far around a changed day to look. The exact window is clock start .. due date (a day
# outside it cannot move the end); the margin only guards against zone rounding at the edges.
_RECOMPUTE_MARGIN = timedelta(days=7)


def _day_start_utc(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=VN_TZ).astimezone(UTC)


def _rebuild_explanation(old: dict[str, Any], result: DeadlineResult, reason: str,
                         change: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the stored explanation with the counting redone; rule, citation and note stay."""
    steps: list[Any] = list(result.steps)
    # evaluate() puts the rule and layer steps after the first; keep them as stored, so the explanation
    # still cites the rule text the deadline was set under even if an admin has edited it since.
    kept = [step for step in old.get("steps") or [] if _code(step) in ("rule", "layers")]
    steps[1:1] = kept
    steps.append({"code": "recomputed", "on": to_vn(now()).date().isoformat(), **(change or {"reason": reason})})
    new = dict(old)
    new.update({
        "start": to_vn(result.start).isoformat(),
        "due_at": result.due_at.isoformat(),
        "amount": result.amount,
        "unit": result.unit.value,
        "skipped_days": [{"date": d.date.isoformat(), "name": d.name} for d in result.skipped_days],
        "moved_from": result.moved_from.isoformat() if result.moved_from else None,
        "estimated": result.estimated,
        "estimated_years": list(result.estimated_years),
        "steps": steps,
        "note": old.get("note"),
    })
    return new


def _code(step: Any) -> str | None:
    return step.get("code") if isinstance(step, dict) else None


def stored_period(req: PressRequest) -> tuple[int, str]:
    """Return the amount (extensions included) and unit the request's deadline was counted with.

    The stored explanation wins over the rule row: an admin may have edited the rule since,
    and a calendar change must not smuggle that edit into a stored deadline.
    """
    explanation = req.deadline_explanation or {}
    amount, unit = explanation.get("amount"), explanation.get("unit")
    if isinstance(amount, int) and amount > 0 and isinstance(unit, str) and unit in TimeUnit._value2member_map_:
        return amount, unit
    return req.rule.amount + (req.extended_amount or 0), req.rule.unit


def _open_request_ids(around: date | None) -> list[int]:
    # Open requests, and any request whose conclusion still has to go to the press agency
    # (the conclusion usually comes after the acceptance notice answered the request).
    pending_conclusion = PressRequest.conclusion_due_at.is_not(None) & PressRequest.conclusion_sent_at.is_(None)
    stmt = (
        select(PressRequest.id)
        .where(or_(PressRequest.state.in_([s.value for s in OPEN_STATES]), pending_conclusion))
        .order_by(PressRequest.id)
    )
    if around is not None:
        # Not filtered on the rule's unit: the rule may have been edited since the deadline
        # was counted, and the stored unit is what counts (see stored_period).
        low = _day_start_utc(around - _RECOMPUTE_MARGIN)
        high = _day_start_utc(around + _RECOMPUTE_MARGIN + timedelta(days=1))
        main_window = (PressRequest.clock_started_at < high) & (PressRequest.due_at >= low)
        conclusion_window = (
            PressRequest.conclusion_at.is_not(None)
            & (PressRequest.conclusion_at < high)
            & (PressRequest.conclusion_due_at >= low)
        )
        stmt = stmt.where(or_(main_window, conclusion_window))
    return list(db.session.execute(stmt).scalars())


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def rearm_alerts(condition: Any) -> int:
    """Ask the periodic job to look again, at its next run, at the open requests matching ``condition``.

    For changes that move reminder or escalation days without touching the request itself (a
    calendar day, a rule's offsets); the job then stores each request's exact next moment.
    ``updated_at`` is left alone: the request did not change.
    """
    moment = now()
    result = db.session.execute(
        update(PressRequest)
        .where(condition, PressRequest.state.in_([s.value for s in OPEN_STATES]),
               or_(PressRequest.next_alert_at.is_(None), PressRequest.next_alert_at > moment))
        .values(next_alert_at=moment, updated_at=PressRequest.updated_at)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def recompute_open_deadlines(
    actor: Any | None, reason: str, *, around: date | None = None, batch_size: int = _RECOMPUTE_BATCH,
    change: dict[str, Any] | None = None,
) -> int:
    """Recount the deadlines of open requests after a calendar change; return how many moved.

    Each request keeps its own rulebook, rule and counted period (the rulebook is not chosen
    again) and is recounted from its clock start with the current calendar. ``around`` limits
    the work to requests whose counting window contains that date; None recounts all open
    requests. Every moved request gets a public audit event, so the journalist sees the date.
    ``change`` ({"change": "added" | "removed", "kind", "day", "reason"}) is what the recount step of
    each explanation stores, so it reads in any language; without it the step keeps ``reason`` as written.
    """
    calendar = work_calendar()
    ids = _open_request_ids(around)
    books: list[Rulebook] | None = None  # loaded only if a request has a conclusion to send
    conclusion_rules = {
        (r.rulebook_id, r.request_type): r
        for r in db.session.execute(select(Rule).where(Rule.milestone == "conclusion")).scalars()
    }
    moved = 0
    for chunk in _batches(ids, batch_size):
        requests = db.session.execute(
            select(PressRequest)
            .where(PressRequest.id.in_(chunk))
            .options(selectinload(PressRequest.rule), lazyload(PressRequest.unit), lazyload(PressRequest.journalist))
            .order_by(PressRequest.id)
        ).scalars().all()
        for req in requests:
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            amount, unit = stored_period(req)
            if req.is_open and unit != TimeUnit.HOURS.value:
                result = compute_due(req.clock_started_at, amount, unit, calendar)
                if result.due_at != req.due_at:
                    before["due_at"], after["due_at"] = req.due_at, result.due_at
                    req.due_at = result.due_at
                    req.deadline_explanation = _rebuild_explanation(req.deadline_explanation or {}, result, reason,
                                                                    change)
            conclusion_book = None
            if req.conclusion_at is not None and req.conclusion_sent_at is None:
                books = books if books is not None else load_rulebooks()
                conclusion_book = rulebook_on(to_vn(req.conclusion_at).date(), books)
            conclusion_rule = conclusion_rules.get((conclusion_book.id, req.type)) if conclusion_book else None
            if req.conclusion_sent_at is None and req.conclusion_at is not None and req.conclusion_due_at is not None and conclusion_rule is not None \
                    and conclusion_rule.unit != TimeUnit.HOURS.value:
                result = compute_due(req.conclusion_at, conclusion_rule.amount, conclusion_rule.unit, calendar)
                if result.due_at != req.conclusion_due_at:
                    before["conclusion_due_at"], after["conclusion_due_at"] = req.conclusion_due_at, result.due_at
                    req.conclusion_due_at = result.due_at
            if after:
                moved += 1
                audit.record(
                    "request.deadline_recomputed", actor=actor, obj_type="request", obj_id=req.id,
                    unit_id=req.unit_id, before=before, after={**after, "reason": reason}, public=True,
                )
                events.deadline_recomputed.send(req, before=before, after=after, actor=actor)
        # Reminder and escalation days follow the calendar even where the due date stays.
        rearm_alerts(PressRequest.id.in_(chunk))
        db.session.flush()
    log.info("recomputed %d open request ids around %s; %d deadlines moved", len(ids), around, moved)
    return moved


# --------------------------------------------------------------------------- the calendar


@dataclass(frozen=True)
class CalendarYear:
    """What the admin sees for one year: package holidays, make-up days and local overrides."""

    year: int
    holidays: list[tuple[date, str]]
    makeup_days: list[tuple[date, str]]
    overrides: list[CalendarDay]
    estimated: bool = False  # no official schedule announced yet: the package's days are dự kiến
    documents: list[dict[str, Any]] = field(default_factory=list)


def check_year(year: int) -> None:
    """Raise DomainError (400) unless the year is one the calendar screens accept."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DomainError(_("Năm phải từ %(min)d đến %(max)d.", min=MIN_YEAR, max=MAX_YEAR), status=400)


def calendar_year(year: int) -> CalendarYear:
    """Return the package holidays, package make-up days and local overrides of one year."""
    check_year(year)
    overrides = list(db.session.execute(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    ).scalars())
    notes = shipped.uncertain_day_notes(shipped.load_calendar())
    return CalendarYear(
        year=year,
        holidays=sorted((day, f"{name} {notes[day]}" if day in notes else name)
                        for day, name in public_holidays(year).items()),
        makeup_days=sorted(public_makeup_working_days(year).items()),
        overrides=overrides,
        estimated=year not in shipped.announced_years(shipped.load_calendar()),
        documents=[{**doc, "date": date.fromisoformat(doc["date"])} if isinstance(doc.get("date"), str) else doc
                   for doc in shipped.year_documents(shipped.load_calendar(), year)],
    )


def _kind_label(kind: str) -> str:
    if kind == CalendarDayKind.CANCELLED_DAY_OFF.value:
        return _("hủy ngày nghỉ")
    return _("ngày nghỉ") if kind == CalendarDayKind.DAY_OFF.value else _("ngày làm bù")


def add_calendar_day(actor: Any, day: date, kind: str, reason: str,
                     document: str | None = None) -> tuple[CalendarDay, int]:
    """Add an extra day off, a make-up working day or a cancelled day off, then recount open requests.

    Return the new row and how many open requests had their deadline moved.
    """
    check_year(day.year)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Vui lòng nêu lý do."), status=400)
    if len(reason) > 255:
        raise DomainError(_("Lý do dài tối đa 255 ký tự."), status=400)
    if kind not in CalendarDayKind._value2member_map_:
        raise DomainError(_("Loại ngày không hợp lệ."), status=400)
    existing = db.session.execute(select(CalendarDay).where(CalendarDay.day == day)).scalar_one_or_none()
    if existing is not None:
        raise DomainError(_("Ngày %(day)s đã được điều chỉnh (%(kind)s: %(reason)s); hãy xóa điều chỉnh đó trước.",
                            day=f"{day:%d/%m/%Y}", kind=_kind_label(existing.kind), reason=existing.reason), status=409)
    calendar = work_calendar()
    off_name = calendar.day_off_name(day)
    # A no-op override would only clutter the calendar and mislead the next reader.
    if kind == CalendarDayKind.DAY_OFF.value and off_name is not None:
        raise DomainError(_("Ngày %(day)s đã là ngày nghỉ (%(name)s).", day=f"{day:%d/%m/%Y}", name=off_name),
                          status=400)
    if kind == CalendarDayKind.WORKING_DAY.value and off_name is None:
        raise DomainError(_("Ngày %(day)s đã là ngày làm việc; chỉ thêm ngày làm bù vào ngày nghỉ.",
                            day=f"{day:%d/%m/%Y}"), status=400)
    # A cancelled day off corrects the package: a weekday it assumed off that is in fact worked.
    # A weekend worked in exchange is a make-up working day instead.
    if kind == CalendarDayKind.CANCELLED_DAY_OFF.value and (off_name is None or day.weekday() >= 5):
        raise DomainError(_("Chỉ hủy được ngày nghỉ lễ rơi vào ngày thường (thứ Hai – thứ Sáu); "
                            "ngày %(day)s không phải ngày như vậy.", day=f"{day:%d/%m/%Y}"), status=400)
    document = (document or "").strip() or None
    if document is not None and len(document) > 255:
        raise DomainError(_("Số, ngày văn bản dài tối đa 255 ký tự."), status=400)
    row = CalendarDay(day=day, kind=kind, reason=reason, document=document, created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as err:  # another admin added the same day a moment ago
        raise DomainError(_("Ngày %(day)s vừa được người khác điều chỉnh; vui lòng tải lại trang.",
                            day=f"{day:%d/%m/%Y}"), status=409) from err
    audit.record("calendar.day_added", actor=actor, obj_type="calendar_day", obj_id=row.id,
                 after={"day": day, "kind": kind, "reason": reason, "document": document})
    moved = recompute_open_deadlines(
        actor, _("Thêm %(kind)s %(day)s — %(reason)s", kind=_kind_label(kind), day=f"{day:%d/%m/%Y}", reason=reason),
        around=day, change={"change": "added", "kind": kind, "day": day.isoformat(), "reason": reason},
    )
    log.info("calendar day %s (%s) added; %d deadlines moved", day.isoformat(), kind, moved)
    return row, moved


def remove_calendar_day(actor: Any, row: CalendarDay) -> int:
    """Remove a local calendar override, then recount the open requests it affected."""
    day, kind, reason = row.day, row.kind, row.reason
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar.day_removed", actor=actor, obj_type="calendar_day", obj_id=row.id,
                 before={"day": day, "kind": kind, "reason": reason})
    moved = recompute_open_deadlines(
        actor, _("Bỏ %(kind)s %(day)s — %(reason)s", kind=_kind_label(kind), day=f"{day:%d/%m/%Y}", reason=reason),
        around=day, change={"change": "removed", "kind": kind, "day": day.isoformat(), "reason": reason},
    )
    log.info("calendar day %s (%s) removed; %d deadlines moved", day.isoformat(), kind, moved)
    return moved


# --------------------------------------------------------------------------- rulebook administration


@dataclass(frozen=True)
class RulebookRow:
    """A rulebook in the admin list, with its counts."""

    book: Rulebook
    rules: int
    grounds: int
    requests: int
    open_requests: int


def rulebook_overview() -> list[RulebookRow]:
    """Return every rulebook with its rule, refusal-ground and request counts (one query)."""
    open_values = [s.value for s in OPEN_STATES]
    rules = select(func.count(Rule.id)).where(Rule.rulebook_id == Rulebook.id).scalar_subquery()
    grounds = select(func.count(RefusalGround.id)).where(RefusalGround.rulebook_id == Rulebook.id).scalar_subquery()
    requests = select(func.count(PressRequest.id)).where(PressRequest.rulebook_id == Rulebook.id).scalar_subquery()
    open_requests = (
        select(func.count(PressRequest.id))
        .where(PressRequest.rulebook_id == Rulebook.id, PressRequest.state.in_(open_values))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Rulebook, rules, grounds, requests, open_requests).order_by(Rulebook.valid_from)
    ).all()
    return [RulebookRow(book, n_rules, n_grounds, n_req, n_open) for book, n_rules, n_grounds, n_req, n_open in rows]


def load_rulebook(book_id: int) -> Rulebook | None:
    """Return a rulebook with its rules and refusal grounds loaded, or None."""
    return db.session.execute(
        select(Rulebook)
        .where(Rulebook.id == book_id)
        .options(selectinload(Rulebook.rules), selectinload(Rulebook.refusal_grounds))
    ).scalar_one_or_none()


def requests_using_rule(rule_id: int) -> tuple[int, int]:
    """Return how many stored requests, and how many open ones, were set by a rule."""
    open_values = [s.value for s in OPEN_STATES]
    total, open_count = db.session.execute(
        select(
            func.count(PressRequest.id),
            func.count(PressRequest.id).filter(PressRequest.state.in_(open_values)),
        ).where(PressRequest.rule_id == rule_id)
    ).one()
    return int(total), int(open_count)


@dataclass
class RuleData:
    """The editable fields of a rule."""

    amount: int
    unit: str
    label: str
    citation_text: str
    citation_source: str
    confidence: str
    reminder_offsets: list[int] = field(default_factory=list)
    extension_allowed: bool = False
    extension_max_amount: int = 0
    extension_reason_required: bool = True
    escalate_after_working_days: int = 2
    overdue_note: str = ""


_RULE_FIELDS = (
    "amount", "unit", "label", "citation_text", "citation_source", "confidence", "reminder_offsets",
    "extension_allowed", "extension_max_amount", "extension_reason_required", "escalate_after_working_days",
    "overdue_note",
)


def _check_rule_data(data: RuleData) -> None:
    problems = []
    if not 1 <= data.amount <= 3650:
        problems.append(_("Thời hạn phải từ 1 đến 3650."))
    if data.unit not in TimeUnit._value2member_map_:
        problems.append(_("Đơn vị thời gian không hợp lệ."))
    if data.confidence not in Confidence._value2member_map_:
        problems.append(_("Độ tin cậy phải là Q, S hoặc U."))
    if not data.label.strip() or not data.citation_text.strip() or not data.citation_source.strip():
        problems.append(_("Tên quy tắc, trích dẫn và nguồn không được để trống."))
    if any(not 0 <= n <= 365 for n in data.reminder_offsets) or len(data.reminder_offsets) > 10:
        problems.append(_("Mốc nhắc hạn phải là tối đa 10 số từ 0 đến 365."))
    if data.extension_max_amount < 0 or (data.extension_allowed and data.extension_max_amount < 1):
        problems.append(_("Khi cho phép gia hạn, mức gia hạn tối đa phải từ 1 trở lên."))
    if data.escalate_after_working_days < 0:
        problems.append(_("Số ngày làm việc trước khi báo cấp trên không được âm."))
    if problems:
        raise DomainError(" ".join(problems), status=400)


def update_rule(actor: Any, rule: Rule, data: RuleData) -> dict[str, Any]:
    """Change a rule and audit the change; return the changed fields' new values.

    Stored requests keep their due date, rule and explanation: the edit only applies to
    deadlines computed from now on.
    """
    data.label, data.citation_text = data.label.strip(), data.citation_text.strip()
    data.citation_source, data.overdue_note = data.citation_source.strip(), (data.overdue_note or "").strip()
    # Reminders are sent furthest first; duplicates would send the same reminder twice.
    data.reminder_offsets = sorted(set(data.reminder_offsets), reverse=True)
    if not data.extension_allowed:
        data.extension_max_amount = 0
    _check_rule_data(data)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in _RULE_FIELDS:
        old, new = getattr(rule, name), getattr(data, name)
        if name == "reminder_offsets":
            old = list(old or [])
        if old != new:
            before[name], after[name] = old, new
            setattr(rule, name, new)
    if not after:
        return {}
    db.session.flush()
    if "reminder_offsets" in after or "escalate_after_working_days" in after:
        rearm_alerts(PressRequest.rule_id == rule.id)  # reminder and escalation days move with the rule
    book = rule.rulebook
    audit.record("rulebook.rule_edit", actor=actor, obj_type="rule", obj_id=rule.id,
                 before=before, after={**after, "rulebook": book.code, "request_type": rule.request_type,
                                       "milestone": rule.milestone})
    log.info("rule %s/%s/%s edited: %s", book.code, rule.request_type, rule.milestone, ", ".join(after))
    return after


@dataclass
class GroundData:
    """The editable fields of a refusal ground."""

    text: str
    source: str
    confidence: str


def update_refusal_ground(actor: Any, ground: RefusalGround, data: GroundData) -> dict[str, Any]:
    """Change a refusal ground's text, source or confidence and audit it; return what changed."""
    text, source = data.text.strip(), data.source.strip()
    if not text or not source or len(text) > 2000 or len(source) > 255:
        raise DomainError(_("Nội dung (tối đa 2000 ký tự) và nguồn (tối đa 255 ký tự) không được để trống."),
                          status=400)
    if data.confidence not in Confidence._value2member_map_:
        raise DomainError(_("Độ tin cậy phải là Q, S hoặc U."), status=400)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, new in (("text", text), ("source", source), ("confidence", data.confidence)):
        if getattr(ground, name) != new:
            before[name], after[name] = getattr(ground, name), new
            setattr(ground, name, new)
    if not after:
        return {}
    db.session.flush()
    audit.record("rulebook.ground_edit", actor=actor, obj_type="refusal_ground", obj_id=ground.id,
                 before=before, after={**after, "rulebook": ground.rulebook.code, "code": ground.code})
    return after


_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


def create_rulebook_version(
    actor: Any, source: Rulebook, *, code: str, name: str, valid_from: date, notes: str | None = None
) -> Rulebook:
    """Copy a rulebook into a new version valid from a date, closing the one it follows.

    The rulebook in force just before ``valid_from`` ends the day before (if it was open-ended
    or ran past that day); the new one ends the day before the next version, if any. Stored
    requests keep the rule they were computed with: only requests received from
    ``valid_from`` on use the new version.
    """
    code, name = (code or "").strip().lower(), (name or "").strip()
    if not _CODE_RE.match(code):
        raise DomainError(_("Mã chỉ gồm chữ thường không dấu, số, dấu chấm, gạch nối (2–40 ký tự)."), status=400)
    if not name or len(name) > 255:
        raise DomainError(_("Tên bộ quy tắc dài từ 1 đến 255 ký tự."), status=400)
    check_year(valid_from.year)
    books = [b for b in load_rulebooks() if b.scope_unit_code is None]  # layers version on their own
    if any(b.code == code for b in books):
        raise DomainError(_("Mã “%(code)s” đã được dùng cho một bộ quy tắc khác.", code=code), status=400)
    if any(b.valid_from == valid_from for b in books):
        raise DomainError(_("Đã có bộ quy tắc bắt đầu từ %(day)s; hãy chọn ngày khác.",
                            day=f"{valid_from:%d/%m/%Y}"), status=400)
    earlier = [b for b in books if b.valid_from < valid_from]
    later = [b for b in books if b.valid_from > valid_from]
    predecessor = earlier[-1] if earlier else None
    successor = later[0] if later else None
    if predecessor is not None and (predecessor.valid_to is None or predecessor.valid_to >= valid_from):
        old_to = predecessor.valid_to
        predecessor.valid_to = valid_from - timedelta(days=1)
        db.session.flush()
        audit.record("rulebook.validity_changed", actor=actor, obj_type="rulebook", obj_id=predecessor.id,
                     before={"code": predecessor.code, "valid_to": old_to},
                     after={"code": predecessor.code, "valid_to": predecessor.valid_to, "next_version": code})
    book = Rulebook(
        code=code, name=name, valid_from=valid_from,
        valid_to=successor.valid_from - timedelta(days=1) if successor else None,
        press_conference_notice_hours=source.press_conference_notice_hours,
        press_conference_notice_citation=source.press_conference_notice_citation,
        notes=(notes or "").strip() or None,
    )
    for r in source.rules:
        copied = {name_: getattr(r, name_) for name_ in (*_RULE_FIELDS, "request_type", "milestone")}
        copied["reminder_offsets"] = list(r.reminder_offsets or [])
        book.rules.append(Rule(**copied))
    for g in source.refusal_grounds:
        book.refusal_grounds.append(RefusalGround(code=g.code, text=g.text, source=g.source, confidence=g.confidence))
    db.session.add(book)
    db.session.flush()
    audit.record("rulebook.version_created", actor=actor, obj_type="rulebook", obj_id=book.id,
                 after={"code": book.code, "name": book.name, "valid_from": book.valid_from,
                        "valid_to": book.valid_to, "copied_from": source.code,
                        "rules": len(book.rules), "refusal_grounds": len(book.refusal_grounds)})
    log.info("rulebook %s created from %s, valid from %s", code, source.code, valid_from.isoformat())
    return book
