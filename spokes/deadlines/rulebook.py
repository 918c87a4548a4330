"""Rulebooks: versioned deadline rules, chosen by the Vietnamese date a request is received.

Pure code over plain dataclasses. The seeded rulebooks live in rulebooks.json beside this
module, so citation text stays data that admins can edit once it is in the database.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from spokes.deadlines.calendar import WorkCalendar, to_vn
from spokes.deadlines.engine import DeadlineResult, TimeUnit, compute_due

SEED_PATH = Path(__file__).with_name("rulebooks.json")

REQUEST_TYPES = (
    "information",
    "interview",
    "press_answer",
    "forwarded_feedback",
    "forwarded_complaint",
    "forwarded_denunciation",
    "emergency",
)

CONFIDENCE_LABELS_VI = {
    "Q": "trích từ cơ sở dữ liệu pháp luật",
    "S": "diễn giải từ nguồn thứ cấp",
    "U": "chưa kiểm chứng, quản trị viên có thể sửa",
}


class UnknownRule(KeyError):
    """The rulebook has no rule for this request type and milestone."""


class NoRulebook(LookupError):
    """No rulebook is valid on the date a request was received."""


class ExtensionNotAllowed(ValueError):
    """An extension the rule forbids; the message is Vietnamese and shown to the user."""

    def __init__(self, message_vi: str) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi


@dataclass(frozen=True)
class RuleSpec:
    """One deadline rule: a request type (and milestone), an amount, a unit and its source."""

    request_type: str
    amount: int
    unit: TimeUnit
    label_vi: str
    citation_text: str
    citation_source: str
    confidence: str
    reminder_offsets: tuple[int, ...] = (3, 1)
    extension_allowed: bool = False
    extension_max_amount: int = 0
    extension_reason_required: bool = True
    escalate_after_working_days: int = 2
    milestone: str = "main"
    # True: a legal text sets this duty; False: an internal target of the unit.
    statutory: bool = False
    # Shown to the unit once the request is overdue (ND 237 Điều 18(4)); empty when none.
    overdue_note_vi: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", TimeUnit(self.unit))
        object.__setattr__(self, "reminder_offsets", tuple(self.reminder_offsets))
        if self.confidence not in CONFIDENCE_LABELS_VI:
            raise ValueError(f"confidence must be Q, S or U, got {self.confidence!r}")


@dataclass(frozen=True)
class RulebookSpec:
    """A named set of rules, valid from one date to another (both included)."""

    code: str
    name: str
    valid_from: date
    valid_to: date | None
    rules: tuple[RuleSpec, ...]
    # None: national. A code: a layer over the national rulebook for that unit and its subtree,
    # holding only the rules that regulation (or the unit) sets.
    scope_unit_code: str | None = None

    def is_valid_on(self, day: date) -> bool:
        """Return True if this rulebook applies to requests received on day."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def rule_for(self, request_type: str, milestone: str = "main") -> RuleSpec:
        """Return the rule for a request type and milestone; raise UnknownRule if absent."""
        for rule in self.rules:
            if rule.request_type == request_type and rule.milestone == milestone:
                return rule
        raise UnknownRule(f"{self.code}: no rule for {request_type!r} ({milestone})")


def select_rulebook(rulebooks: Iterable[RulebookSpec], received_at: datetime) -> RulebookSpec:
    """Return the rulebook valid on the Vietnamese date of received_at.

    The date is taken in Vietnamese time: 01/07/2026 00:10 in Vietnam is still 30/06 in UTC
    but falls under the new law. If several books overlap, the most recent valid_from wins.
    Raise NoRulebook if none applies. Layers (books with a scope unit) are never chosen here.
    """
    day = to_vn(received_at).date()
    valid = [book for book in rulebooks if book.scope_unit_code is None and book.is_valid_on(day)]
    if not valid:
        raise NoRulebook(f"Không có bộ quy tắc nào áp dụng cho ngày {day:%d/%m/%Y}.")
    return max(valid, key=lambda book: book.valid_from)


def select_layers(
    rulebooks: Iterable[RulebookSpec], received_at: datetime, unit_chain: Sequence[str]
) -> list[RulebookSpec]:
    """Return the layers in force for a unit on the Vietnamese date of receipt, least specific first.

    ``unit_chain`` lists unit codes from the top of the tree down to the receiving unit; a layer
    applies if its scope unit is in that chain. A deeper scope is more specific; at one depth
    the later valid_from is.
    """
    day = to_vn(received_at).date()
    depth = {code: i for i, code in enumerate(unit_chain)}
    chosen = [b for b in rulebooks
              if b.scope_unit_code is not None and b.scope_unit_code in depth and b.is_valid_on(day)]
    return sorted(chosen, key=lambda b: (depth[b.scope_unit_code or ""], b.valid_from))


def resolve_rule(
    national: RulebookSpec, layers: Sequence[RulebookSpec], request_type: str, milestone: str = "main"
) -> tuple[RulebookSpec, RuleSpec]:
    """Return the book and rule that set a deadline: the most specific layer that has one, else national."""
    for book in reversed(layers):
        for rule in book.rules:
            if rule.request_type == request_type and rule.milestone == milestone:
                return book, rule
    return national, national.rule_for(request_type, milestone)


def evaluate(
    rulebook: RulebookSpec,
    request_type: str,
    received_at: datetime,
    calendar: WorkCalendar,
    milestone: str = "main",
    layers: Sequence[RulebookSpec] = (),
) -> DeadlineResult:
    """Compute the deadline a rulebook (and its layers) sets for a request, naming the rule and every layer."""
    book, rule = resolve_rule(rulebook, layers, request_type, milestone)
    result = compute_due(received_at, rule.amount, rule.unit, calendar)
    steps = [result.steps[0], rule_step(book.name, rule.label_vi, rule.amount, rule.unit.value,
                                        rule.citation_source, rule.confidence, rule.statutory)]
    if layers:
        steps.append({"code": "layers", "book": rulebook.name, "layers": [
            {"name": layer.name, "unit": layer.scope_unit_code, "sets_rule": layer is book} for layer in layers]})
    return dataclasses.replace(result, steps=(*steps, *result.steps[1:]))


def is_public_statutory(statutory: bool, confidence: str) -> bool:
    """Return True if a deadline may be called "thời hạn theo quy định" in public.

    Only a statutory rule whose source was read (Q or S) qualifies; an unverified figure is
    never presented to a journalist as the law.
    """
    return bool(statutory) and confidence in ("Q", "S")


def rule_basis(confidence: str, statutory: bool) -> str:
    """Return what the rule line cites: its "source", an "internal" target, or an "unverified" default."""
    if not statutory:
        return "internal"
    return "unverified" if confidence == "U" else "source"


def public_terms(statutory: bool, confidence: str, *, extension_allowed: bool, extension_max_amount: int,
                 overdue_note: str | None) -> dict[str, Any]:
    """Return what the public may read about extending and missing a deadline.

    A legal consequence of a missed deadline (``overdue_note``) and a legal extension belong to a
    deadline the law sets and whose source was read; for an internal target (or an unverified
    figure) the extension is the unit's own practice and no legal consequence is attached.
    """
    is_law = is_public_statutory(statutory, confidence)
    return {
        "statutory": is_law,
        "extension": ("law" if is_law else "internal") if extension_allowed and extension_max_amount > 0 else "none",
        "extension_max_amount": extension_max_amount,
        "overdue_note": (overdue_note or "") if is_law else "",
    }


def rule_step(book_name: str, label: str, amount: int, unit: str, source: str,
              confidence: str, statutory: bool) -> dict[str, Any]:
    """Return the explanation step naming the rule; safe to show in public (no U citation)."""
    basis = rule_basis(confidence, statutory)
    step: dict[str, Any] = {"code": "rule", "book": book_name, "label": label, "amount": amount, "unit": unit,
                            "basis": basis}
    if basis == "source":
        step["source"] = source
    return step


def public_explanation(explanation: dict[str, Any]) -> dict[str, Any]:
    """Return a stored deadline explanation as a journalist may see it.

    Drops the confidence code and label (staff only) and an unverified (U) citation, words the
    steps for the public (no tool names), and says the rule line's basis from the explanation's
    confidence, so explanations stored before these rules were kept are safe as well. A read
    citation is kept as the rulebook words it: its text opens by saying how it was read.
    """
    if not explanation:
        return {}
    confidence = explanation.get("confidence") or "U"
    statutory = explanation.get("statutory")
    if statutory is None:  # stored before the flag existed: only a read source counted as law
        statutory = confidence in ("Q", "S")
    public = {k: v for k, v in explanation.items() if k not in ("confidence", "confidence_label")}
    public["statutory"] = is_public_statutory(statutory, confidence)
    citation = explanation.get("citation") or {}
    if confidence == "U":
        public.pop("citation", None)
    steps = []
    for step in explanation.get("steps") or []:
        if isinstance(step, dict) and step.get("code") == "rule":
            step = _public_rule_step(step, confidence, bool(statutory), citation.get("source"))
        elif isinstance(step, dict) and step.get("code") == "layers":
            step = _layers_with_effect(step)
        elif isinstance(step, dict) and step.get("code") == "estimated":
            step = {**step, "public": True}  # worded for the public (explain.PUBLIC_MESSAGES)
        if step is not None:
            steps.append(step)
    public["steps"] = steps
    return public


def _layers_with_effect(step: dict[str, Any]) -> dict[str, Any] | None:
    """Return the regulation-layers step with only the layers that set this request's rule, or None.

    Staff see every layer (which provincial texts sit on the national rulebook); to a journalist
    a decision that changed nothing in the date shown is noise.
    """
    layers = [layer for layer in step.get("layers") or () if isinstance(layer, dict) and layer.get("sets_rule")]
    return {**step, "layers": layers} if layers else None


def _public_rule_step(step: dict[str, Any], confidence: str, statutory: bool,
                      citation_source: str | None) -> dict[str, Any]:
    public = {k: v for k, v in step.items() if k != "source"}
    public["basis"] = rule_basis(confidence, statutory)
    source = step.get("source") or citation_source
    if public["basis"] == "source" and source:
        public["source"] = source
    elif public["basis"] == "source":
        public["basis"] = "unverified"
    return public


def validate_extension(
    rule: RuleSpec, extra_amount: int, already_extended: int, *, reason: str | None = None
) -> None:
    """Raise ExtensionNotAllowed unless the rule allows extending by extra_amount more.

    extra_amount and already_extended are in the rule's unit. Pass reason to have it
    checked as well; None leaves the reason check to the caller.
    """
    unit = rule.unit.label_vi
    if not rule.extension_allowed:
        raise ExtensionNotAllowed(f"Quy tắc “{rule.label_vi}” không cho phép gia hạn.")
    if extra_amount < 1:
        raise ExtensionNotAllowed(f"Thời gian gia hạn phải từ 1 {unit} trở lên.")
    total = already_extended + extra_amount
    if total > rule.extension_max_amount:
        raise ExtensionNotAllowed(
            f"Tổng thời gian gia hạn {total} {unit} vượt quá mức tối đa "
            f"{rule.extension_max_amount} {unit} (đã gia hạn {already_extended} {unit})."
        )
    if reason is not None and rule.extension_reason_required and not reason.strip():
        raise ExtensionNotAllowed("Gia hạn phải nêu lý do.")


def load_seed_json(path: str | Path | None = None) -> dict[str, Any]:
    """Return the raw seeded rulebooks document (rules, refusal grounds, notices)."""
    with open(path or SEED_PATH, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def rulebook_from_dict(book: dict[str, Any]) -> RulebookSpec:
    """Build a RulebookSpec from one rulebook object of the seed JSON."""
    fields = {f.name for f in dataclasses.fields(RuleSpec)}
    rules = tuple(RuleSpec(**{k: v for k, v in rule.items() if k in fields}) for rule in book["rules"])
    return RulebookSpec(
        code=book["code"],
        name=book["name"],
        valid_from=date.fromisoformat(book["valid_from"]),
        valid_to=date.fromisoformat(book["valid_to"]) if book.get("valid_to") else None,
        rules=rules,
        scope_unit_code=book.get("scope_unit_code"),
    )


def load_seed_rulebooks(path: str | Path | None = None) -> tuple[RulebookSpec, ...]:
    """Load the seeded rulebooks from rulebooks.json (or from path)."""
    return tuple(rulebook_from_dict(book) for book in load_seed_json(path)["rulebooks"])
