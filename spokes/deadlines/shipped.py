"""The law that ships with the code: rulebooks and the official working calendar, as data.

Pure code: it reads the data files beside this module (rulebooks.json, calendar.json and the
earlier releases in law_history/) and turns them into flat items keyed like
"rule:qd1430-2017/information/main", each with the plain values a stored row must hold.
The database side (install, status, sync) is in spokes.deadlines.sync.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from spokes.deadlines.rulebook import load_seed_json

HERE = Path(__file__).parent
CALENDAR_PATH = HERE / "calendar.json"
HISTORY_DIR = HERE / "law_history"

RULEBOOK_FIELDS = ("name", "valid_from", "valid_to", "scope_unit_code",
                   "press_conference_notice_hours", "press_conference_notice_citation")
RULE_FIELDS = ("amount", "unit", "label", "citation_text", "citation_source", "confidence", "statutory",
               "reminder_offsets", "extension_allowed", "extension_max_amount", "extension_reason_required",
               "escalate_after_working_days", "overdue_note")
GROUND_FIELDS = ("text", "source", "confidence")
CALENDAR_FIELDS = ("kind", "reason", "document")


def rulebook_key(code: str) -> str:
    """Return the item key of a rulebook."""
    return f"rulebook:{code}"


def rule_key(code: str, request_type: str, milestone: str) -> str:
    """Return the item key of a rule."""
    return f"rule:{code}/{request_type}/{milestone}"


def ground_key(code: str, ground: str) -> str:
    """Return the item key of a refusal ground."""
    return f"ground:{code}/{ground}"


def calendar_key(day: date | str) -> str:
    """Return the item key of a calendar day."""
    return f"calendar:{day if isinstance(day, str) else day.isoformat()}"


def _rule_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "amount": raw["amount"], "unit": raw["unit"], "label": raw["label_vi"],
        "citation_text": raw["citation_text"], "citation_source": raw["citation_source"],
        "confidence": raw["confidence"], "statutory": bool(raw.get("statutory", False)),
        "reminder_offsets": list(raw.get("reminder_offsets", [3, 1])),
        "extension_allowed": raw.get("extension_allowed", False),
        "extension_max_amount": raw.get("extension_max_amount", 0),
        "extension_reason_required": raw.get("extension_reason_required", True),
        "escalate_after_working_days": raw.get("escalate_after_working_days", 2),
        "overdue_note": raw.get("overdue_note_vi", ""),
    }


def law_items(data: Mapping[str, Any], calendar: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Flatten shipped rulebooks (and calendar days) into {key: values}, in install order.

    A rule's or ground's values carry its rulebook code under "rulebook"; that is part of
    the key, not a field anyone edits.
    """
    items: dict[str, dict[str, Any]] = {}
    for book in data["rulebooks"]:
        code = book["code"]
        items[rulebook_key(code)] = {
            "name": book["name"], "valid_from": book["valid_from"], "valid_to": book.get("valid_to"),
            "scope_unit_code": book.get("scope_unit_code"),
            "press_conference_notice_hours": book.get("press_conference_notice_hours"),
            "press_conference_notice_citation": book.get("press_conference_notice_citation"),
        }
        for rule in book["rules"]:
            milestone = rule.get("milestone", "main")
            items[rule_key(code, rule["request_type"], milestone)] = _rule_values(rule)
        for ground in book.get("refusal_grounds", []):
            items[ground_key(code, ground["code"])] = {
                "text": ground["text_vi"], "source": ground["source"], "confidence": ground["confidence"],
            }
    for day in calendar_days(calendar) if calendar is not None else []:
        items[calendar_key(day.day)] = {"kind": day.kind, "reason": day.reason, "document": day.document}
    return items


@dataclass(frozen=True)
class OfficialDay:
    """A day the official schedule changes from the package: a day off or a make-up working day."""

    day: date
    kind: str
    reason: str
    document: str | None


def load_calendar(path: str | Path | None = None) -> dict[str, Any]:
    """Return the shipped official calendar document."""
    with open(path or CALENDAR_PATH, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def calendar_days(calendar: Mapping[str, Any]) -> list[OfficialDay]:
    """Return every shipped official day, in date order."""
    days = [
        OfficialDay(date.fromisoformat(d["date"]), d["kind"], d["reason"], d.get("document"))
        for year in calendar["years"].values()
        for d in year.get("days", [])
    ]
    return sorted(days, key=lambda d: d.day)


def announced_years(calendar: Mapping[str, Any]) -> frozenset[int]:
    """Return the years whose official schedule is known; the others are estimates (dự kiến)."""
    return frozenset(int(y) for y, v in calendar["years"].items() if v.get("status") == "announced")


def uncertain_day_notes(calendar: Mapping[str, Any]) -> dict[date, str]:
    """Return the package days off not verified against an enacted text, with the words to add."""
    return {
        date.fromisoformat(d["date"]): "(chưa kiểm chứng)"
        for year in calendar["years"].values()
        for d in year.get("uncertain_days", [])
    }


def year_documents(calendar: Mapping[str, Any], year: int) -> list[dict[str, Any]]:
    """Return the documents that set one year's schedule (empty for an estimated year)."""
    return list(calendar["years"].get(str(year), {}).get("documents", []))


def shipped_items() -> dict[str, dict[str, Any]]:
    """Return the items of the law shipped with this release."""
    return law_items(load_seed_json(), load_calendar())


def history_items() -> list[dict[str, dict[str, Any]]]:
    """Return the items of each earlier release, oldest first.

    A row installed before snapshots were kept equals one of these if no one edited it,
    so sync can tell an old shipped value from an admin's edit.
    """
    releases = []
    for path in sorted(HISTORY_DIR.glob("rulebooks-v*.json")):
        with open(path, encoding="utf-8") as fh:
            releases.append(law_items(json.load(fh)))
    return releases
