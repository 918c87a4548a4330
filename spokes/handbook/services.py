"""The spokesperson's handbook: the rules in force, read from the same rulebook rows as the deadline engine.

Nothing legal is written here twice: the deadlines, their citations, the refusal grounds and the
press-conference notice come from the stored rulebook that the engine would pick for the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from spokes.core.clock import VN_TZ
from spokes.deadlines.models import RefusalGround, Rule, Rulebook
from spokes.deadlines.rulebook import REQUEST_TYPES, NoRulebook, rule_basis, select_rulebook
from spokes.deadlines.services import load_rulebooks, rulebook_spec


@dataclass(frozen=True)
class RuleRow:
    """A rule as the handbook lists it: a deadline the law sets, or the unit's internal target.

    ``basis`` is the deadline engine's (rulebook.rule_basis): "source" (a statutory rule whose source
    was read), "internal" (an internal target) or "unverified" (a statutory duty whose figure was not
    verified: shown as an internal target). The public reads the citation of a "source" row only.
    """

    rule: Rule
    basis: str

    @property
    def statutory(self) -> bool:
        """Return True if the public may be told the law sets this deadline."""
        return self.basis == "source"


def _row(rule: Rule) -> RuleRow:
    return RuleRow(rule=rule, basis=rule_basis(rule.confidence, bool(rule.statutory)))


@dataclass
class Handbook:
    """What the handbook shows for a day."""

    on: date
    rulebook: Rulebook | None
    rules: list[Rule] = field(default_factory=list)
    grounds: list[RefusalGround] = field(default_factory=list)
    upcoming: list[Rulebook] = field(default_factory=list)

    def rule_for(self, request_type: str, milestone: str = "main") -> Rule | None:
        """Return the rule of a request type (and milestone) in force, if the rulebook has one."""
        return next((r for r in self.rules if r.request_type == request_type and r.milestone == milestone), None)

    @property
    def statutory_rules(self) -> list[RuleRow]:
        """Return the deadlines the law sets (statutory, source read), in type order."""
        return [row for row in map(_row, self.rules) if row.statutory]

    @property
    def internal_targets(self) -> list[RuleRow]:
        """Return the unit's internal targets, and statutory duties whose figure was not verified."""
        return [row for row in map(_row, self.rules) if not row.statutory]

    @property
    def emergency(self) -> Rule | None:
        """Return the rule that sets how soon a first statement on an emergency is due."""
        return self.rule_for("emergency")


def _type_order(rule: Rule) -> tuple[int, int, int]:
    known = REQUEST_TYPES.index(rule.request_type) if rule.request_type in REQUEST_TYPES else len(REQUEST_TYPES)
    return known, 0 if rule.milestone == "main" else 1, rule.id


def build_handbook(on: date) -> Handbook:
    """Return the rules in force on a (Vietnamese) date, with the rulebooks that start later.

    The rulebook is chosen exactly as the deadline engine chooses it for a request received that day.
    """
    books = load_rulebooks()
    moment = datetime.combine(on, time(12), tzinfo=VN_TZ)
    try:
        code = select_rulebook([rulebook_spec(b) for b in books], moment).code
    except NoRulebook:
        code = None
    book = next((b for b in books if b.code == code), None)
    upcoming = [b for b in books if b.valid_from > on]
    if book is None:
        return Handbook(on=on, rulebook=None, upcoming=upcoming)
    return Handbook(
        on=on, rulebook=book, rules=sorted(book.rules, key=_type_order),
        grounds=list(book.refusal_grounds), upcoming=upcoming,
    )
