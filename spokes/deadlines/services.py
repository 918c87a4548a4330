"""Deadlines for stored requests: load rulebooks and the calendar from the database, compute, explain."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spokes.audit import services as audit
from spokes.deadlines.calendar import WorkCalendar, to_vn
from spokes.deadlines.engine import DeadlineResult
from spokes.deadlines.models import CalendarDay, CalendarDayKind, RefusalGround, Rule, Rulebook
from spokes.deadlines.rulebook import (
    CONFIDENCE_LABELS_VI,
    RulebookSpec,
    RuleSpec,
    UnknownRule,
    evaluate,
    load_seed_json,
    select_rulebook,
)
from spokes.extensions import db

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
        overdue_note_vi=rule.overdue_note or "",
    )


def rulebook_spec(book: Rulebook) -> RulebookSpec:
    """Turn a stored rulebook into the pure core's RulebookSpec."""
    return RulebookSpec(
        code=book.code, name=book.name, valid_from=book.valid_from, valid_to=book.valid_to,
        rules=tuple(rule_spec(r) for r in book.rules),
    )


def load_rulebooks() -> list[Rulebook]:
    """Return every stored rulebook with its rules."""
    return list(
        db.session.execute(
            select(Rulebook).options(selectinload(Rulebook.rules)).order_by(Rulebook.valid_from)
        ).scalars()
    )


def work_calendar() -> WorkCalendar:
    """Build the working calendar from the package holidays and the admin's overrides."""
    days = db.session.execute(select(CalendarDay)).scalars().all()
    return WorkCalendar(
        extra_days_off={d.day: d.reason for d in days if d.kind == CalendarDayKind.DAY_OFF.value},
        makeup_working_days={d.day: d.reason for d in days if d.kind == CalendarDayKind.WORKING_DAY.value},
    )


@dataclass(frozen=True)
class Deadline:
    """A computed deadline with the stored rulebook and rule it came from."""

    rulebook: Rulebook
    rule: Rule
    result: DeadlineResult

    def explanation(self, *, note: str | None = None) -> dict[str, Any]:
        """Return the JSON explanation stored with a request and shown wherever its due date is."""
        return explanation_dict(self.rulebook, self.rule, self.result, note=note)


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
) -> Deadline:
    """Compute a deadline. The rulebook is chosen by ``rulebook_for`` (default: ``start_at``)."""
    books = books if books is not None else load_rulebooks()
    specs = {b.code: b for b in books}
    try:
        spec = select_rulebook([rulebook_spec(b) for b in books], rulebook_for or start_at)
        result = evaluate(spec, request_type, start_at, calendar or work_calendar(), milestone)
    except (LookupError, UnknownRule) as err:
        raise DeadlineUnavailable(str(err)) from err
    book = specs[spec.code]
    rule = next(r for r in book.rules if r.request_type == request_type and r.milestone == milestone)
    return Deadline(rulebook=book, rule=rule, result=result)


def explanation_dict(book: Rulebook, rule: Rule, result: DeadlineResult, *, note: str | None = None) -> dict[str, Any]:
    """Return a JSON-able explanation of a deadline."""
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
        "skipped_days": [{"date": d.date.isoformat(), "name": d.name} for d in result.skipped_days],
        "moved_from": result.moved_from.isoformat() if result.moved_from else None,
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
    """Load the two seeded rulebooks if they are not stored yet; return how many were added."""
    data = load_seed_json()
    existing = set(db.session.execute(select(Rulebook.code)).scalars())
    added = 0
    for raw in data["rulebooks"]:
        if raw["code"] in existing:
            continue
        book = Rulebook(
            code=raw["code"],
            name=raw["name"],
            valid_from=date.fromisoformat(raw["valid_from"]),
            valid_to=date.fromisoformat(raw["valid_to"]) if raw.get("valid_to") else None,
            press_conference_notice_hours=raw.get("press_conference_notice_hours"),
            press_conference_notice_citation=raw.get("press_conference_notice_citation"),
        )
        for r in raw["rules"]:
            book.rules.append(Rule(
                request_type=r["request_type"], milestone=r.get("milestone", "main"), amount=r["amount"],
                unit=r["unit"], label=r["label_vi"], citation_text=r["citation_text"],
                citation_source=r["citation_source"], confidence=r["confidence"],
                reminder_offsets=list(r.get("reminder_offsets", [3, 1])),
                extension_allowed=r.get("extension_allowed", False),
                extension_max_amount=r.get("extension_max_amount", 0),
                extension_reason_required=r.get("extension_reason_required", True),
                escalate_after_working_days=r.get("escalate_after_working_days", 2),
                overdue_note=r.get("overdue_note_vi", ""),
            ))
        for g in raw.get("refusal_grounds", []):
            book.refusal_grounds.append(RefusalGround(
                code=g["code"], text=g["text_vi"], source=g["source"], confidence=g["confidence"],
            ))
        db.session.add(book)
        db.session.flush()
        audit.record("rulebook.seed", actor=None, obj_type="rulebook", obj_id=book.id,
                     after={"code": book.code, "name": book.name, "rules": len(book.rules)})
        added += 1
    return added
