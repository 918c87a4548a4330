"""Turn models into the JSON documents of the API (and nothing more: no private field ever).

Every document here is described by a schema in ``openapi.py``; the tests validate real
responses against those schemas, which forbid extra properties, so a field added here
without documenting it fails the build.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


from spokes.attachments.models import Attachment
from spokes.audit.history import public_event
from spokes.audit.models import AuditEvent
from spokes.core.clock import VN_TZ
from spokes.core.markdown import render_markdown
from spokes.deadlines.reader import explain_note, explain_step
from spokes.deadlines.rulebook import public_explanation
from spokes.press_requests.labels import state_label, type_label
from spokes.press_requests.models import PressRequest
from spokes.publishing.feeds import absolute
from spokes.publishing.labels import kind_label
from spokes.publishing.models import Publication
from spokes.units.models import Unit
from spokes.units.services import PublicSpeaker


def iso(value: datetime | None) -> str | None:
    """Return an ISO 8601 time in Vietnamese time (+07:00), to the second."""
    if value is None:
        return None
    return value.astimezone(VN_TZ).isoformat(timespec="seconds")


def iso_date(value: date | None) -> str | None:
    """Return an ISO 8601 date."""
    return value.isoformat() if value is not None else None


def unit_ref(unit: Unit) -> dict[str, Any]:
    """Return the short form of a unit."""
    return {"code": unit.code, "name": unit.name, "url": absolute("publishing.unit_page", code=unit.code)}


def unit_doc(unit: Unit, parent_code: str | None, merged_into_code: str | None = None) -> dict[str, Any]:
    """Return a unit with its public links, and the unit that took it over if it was merged."""
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_code": parent_code,
        "active": bool(unit.is_active),
        "merged_into": merged_into_code,
        "url": absolute("publishing.unit_page", code=unit.code),
        "api_url": absolute("api.unit", code=unit.code),
        "feeds": {
            "atom": absolute("publishing.unit_feed_atom", code=unit.code),
            "rss": absolute("publishing.unit_feed_rss", code=unit.code),
        },
        "widget_url": absolute("publishing.widget", code=unit.code),
    }


def item_summary(pub: Publication) -> dict[str, Any]:
    """Return an item as it appears in lists."""
    withdrawn = pub.withdrawn_at is not None
    return {
        "slug": pub.slug,
        "url": absolute("publishing.item", slug=pub.slug),
        "api_url": absolute("api.item", slug=pub.slug),
        "kind": pub.kind,
        "kind_label": str(kind_label(pub.kind)),
        "title": pub.title,
        "summary": None if withdrawn else pub.summary,
        "unit": unit_ref(pub.unit),
        "published_at": iso(pub.published_at),
        "updated_at": iso(pub.updated_at),
        "corrected_at": iso(pub.corrected_at),
        "revision_number": pub.revision_number,
        "withdrawn": withdrawn,
    }


def item_detail(pub: Publication, files: list[Attachment], note: str | None) -> dict[str, Any]:
    """Return one item in full: the body, or the withdrawal notice in its place."""
    withdrawn = pub.withdrawn_at is not None
    doc = item_summary(pub)
    question = None
    if pub.question_subject:
        question = {"subject": pub.question_subject, "agency": pub.question_agency,
                    "journalist": pub.question_journalist}
    doc.update({
        "body_markdown": None if withdrawn else pub.body,
        "body_html": None if withdrawn else str(render_markdown(pub.body)),
        "speaker": None if withdrawn else {"name": pub.speaker_name, "title": pub.speaker_title},
        "question": question,
        "event_at": iso(pub.event_at),
        "due_at": iso(pub.due_at),
        "conference_at": iso(pub.conference_at),
        "correction_note": None if withdrawn else note,
        "withdrawn_at": iso(pub.withdrawn_at),
        "withdrawal_reason": pub.withdrawn_reason if withdrawn else None,
        "revisions": [] if withdrawn else [
            {
                "number": rev.number,
                "title": rev.title,
                "valid_from": iso(rev.valid_from),
                "valid_until": iso(rev.valid_until),
                "correction_note": rev.correction_note,
                "url": absolute("publishing.revision", slug=pub.slug, number=rev.number),
            }
            for rev in pub.revisions
        ],
        "attachments": [
            {"name": f.display_name, "mime_type": f.mime_type, "size_bytes": f.size_bytes,
             "url": absolute("publishing.file", slug=pub.slug, attachment_id=f.id)}
            for f in files
        ],
    })
    return doc


def speaker_doc(speaker: PublicSpeaker) -> dict[str, Any]:
    """Return a current designation as the public directory shows it (SP-07)."""
    return {
        "unit": unit_ref(speaker.unit) if speaker.unit is not None else None,
        "kind": speaker.kind,
        "name": speaker.name,
        "title": speaker.title,
        "phone": speaker.phone,
        "email": speaker.email,
        "document_number": speaker.document_number,
        "document_date": iso_date(speaker.document_date),
        "valid_from": iso_date(speaker.valid_from),
        "valid_to": iso_date(speaker.valid_to),
        "topic": speaker.topic,
    }


# Public audit actions → (event code, Vietnamese title). Only these codes ever reach the API.
def timeline_entry(event: AuditEvent) -> dict[str, Any] | None:
    """Return one public timeline entry: the event code, its time and title, and a link when published.

    Nothing else of the audit record is copied: no actor, no reason, no message body.
    """
    known = public_event(event.action)
    if known is None:
        return None
    code, title = known
    entry: dict[str, Any] = {"at": iso(event.created_at), "event": code, "title": str(title), "url": None}
    if code == "published":
        slug = (event.after or {}).get("publication_slug")
        entry["url"] = absolute("publishing.item", slug=slug) if isinstance(slug, str) and slug else None
    return entry


def deadline_doc(explanation: dict[str, Any]) -> dict[str, Any]:
    """Return how a request's deadline was counted, as a journalist may see it: the steps as data and as text."""
    public = public_explanation(explanation)
    steps = [step if isinstance(step, dict) else {"code": "text", "text": step} for step in public.get("steps") or []]
    return {
        "statutory": bool(public.get("statutory")),
        "steps": steps,
        "text": [explain_step(step) for step in steps],
        "note": explain_note(public.get("note")) or None,
    }


def request_status(req: PressRequest, events: list[AuditEvent], publications: list[Publication]) -> dict[str, Any]:
    """Return the public status of a request (what its tracking page shows, minus any message text)."""
    timeline = [e for e in (timeline_entry(ev) for ev in events) if e is not None]
    return {
        "reference": req.reference,
        "unit": unit_ref(req.unit),
        "type": req.type,
        "type_label": str(type_label(req.type)),
        "state": req.state,
        "state_label": str(state_label(req.state)),
        "received_at": iso(req.received_at),
        "due_at": iso(req.due_at),
        "answered_at": iso(req.answered_at),
        "deadline": deadline_doc(req.deadline_explanation or {}),
        "timeline": timeline,
        "publications": [
            {"slug": p.slug, "title": p.title, "url": absolute("publishing.item", slug=p.slug)} for p in publications
        ],
    }
