"""The OpenAPI 3.1 document of the read-only API, as a Python dict.

It describes exactly what is served: every object schema lists all its properties as
required and forbids others, and the tests validate real responses of every endpoint
against these schemas (and check that every /api/v1 route appears here).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from spokes.core.params import MAX_PAGE
from spokes.deadlines.explain import STEP_CODES
from spokes.publishing.models import PublicationKind

ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    result = dict(schema)
    result["type"] = [schema["type"], "null"]
    return result


DATETIME = {"type": "string", "format": "date-time", "pattern": ISO_DATETIME,
            "description": "ISO 8601, Vietnamese time (+07:00)."}
DATE = {"type": "string", "format": "date"}
STRING = {"type": "string"}
URL = {"type": "string", "format": "uri"}
KINDS = [k.value for k in PublicationKind]

SCHEMAS: dict[str, Any] = {
    "Error": _object({
        "error": _object({
            "status": {"type": "integer"},
            "title": STRING,
            "message": {"type": "string", "description": "A plain explanation (Vietnamese by default)."},
        }),
    }),
    "UnitRef": _object({"code": STRING, "name": STRING, "url": URL}),
    "Feeds": _object({"atom": URL, "rss": URL}),
    "Unit": _object({
        "code": STRING,
        "name": STRING,
        "kind": {"type": "string", "enum": ["province", "department", "commune", "ward", "special_zone",
                                            "hamlet", "other", "district", "town"],
                 "description": "district and town exist only in history (before 01/07/2025)."},
        "parent_code": _nullable(STRING),
        "active": {"type": "boolean"},
        "merged_into": {**_nullable(STRING), "description": "The code of the unit that took this one over."},
        "url": URL,
        "api_url": URL,
        "feeds": _ref("Feeds"),
        "widget_url": {**URL, "description": "A frameable page of the unit's latest items."},
    }),
    "UnitList": _object({"units": {"type": "array", "items": _ref("Unit")}}),
    "Spokesperson": _object({
        "unit": _nullable(_ref("UnitRef")),
        "kind": {"type": "string", "enum": ["head", "designated", "authorised"]},
        "name": STRING,
        "title": STRING,
        "phone": _nullable(STRING),
        "email": _nullable(STRING),
        "document_number": STRING,
        "document_date": DATE,
        "valid_from": DATE,
        "valid_to": _nullable(DATE),
        "topic": _nullable(STRING),
    }, "A current spokesperson designation as published under ND 09 (SP-07)."),
    "SpokespersonList": _object({"spokespersons": {"type": "array", "items": _ref("Spokesperson")}}),
    "ItemSummary": _object({
        "slug": STRING,
        "url": URL,
        "api_url": URL,
        "kind": {"type": "string", "enum": KINDS},
        "kind_label": STRING,
        "title": STRING,
        "summary": _nullable(STRING),
        "unit": _ref("UnitRef"),
        "published_at": DATETIME,
        "updated_at": DATETIME,
        "corrected_at": _nullable(DATETIME),
        "revision_number": {"type": "integer", "minimum": 1},
        "withdrawn": {"type": "boolean"},
    }),
    "ItemList": _object({
        "items": {"type": "array", "items": _ref("ItemSummary")},
        "page": _nullable({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
        "total": _nullable({"type": "integer", "minimum": 0}),
        "total_exact": {**_nullable({"type": "boolean"}),
                        "description": "False when `total` is not exact: a search counts its matches "
                                       "up to 1,000 (or to the page asked for), and `total` is then "
                                       "that lower bound. Null with `total`."},
        "next_cursor": _nullable(STRING),
    }, "A page of items. Numbered pages (`page`) carry the total; a page read by `cursor` carries "
       "`page` and `total` as null (nothing is counted). `next_cursor`, when not null, reads the next page "
       "by keyset, on numbered pages too: follow it rather than asking for deep page numbers."),
    "Revision": _object({
        "number": {"type": "integer", "minimum": 1},
        "title": STRING,
        "valid_from": DATETIME,
        "valid_until": DATETIME,
        "correction_note": _nullable(STRING),
        "url": URL,
    }, "An earlier version of a corrected item, as it read before the correction."),
    "Attachment": _object({"name": STRING, "mime_type": STRING, "size_bytes": {"type": "integer"}, "url": URL}),
    "Question": _object({
        "subject": STRING,
        "agency": _nullable(STRING),
        "journalist": {**_nullable(STRING), "description": "Only when the journalist consented."},
    }),
    "Speaker": _object({"name": STRING, "title": _nullable(STRING)}),
}

# An item in full: the summary's properties and more (kept flat so extra fields stay forbidden).
_ITEM_PROPERTIES = copy.deepcopy(SCHEMAS["ItemSummary"]["properties"])
_ITEM_PROPERTIES.update({
    "body_markdown": _nullable(STRING),
    "body_html": {**_nullable(STRING), "description": "Sanitised HTML; null once withdrawn."},
    "speaker": _nullable(_ref("Speaker")),
    "question": _nullable(_ref("Question")),
    "event_at": _nullable(DATETIME),
    "due_at": {**_nullable(DATETIME), "description": "Emergency statements: 24 hours from the event."},
    "conference_at": _nullable(DATETIME),
    "correction_note": _nullable(STRING),
    "withdrawn_at": _nullable(DATETIME),
    "withdrawal_reason": _nullable(STRING),
    "revisions": {"type": "array", "items": _ref("Revision")},
    "attachments": {"type": "array", "items": _ref("Attachment")},
})
SCHEMAS["Item"] = _object(_ITEM_PROPERTIES)

_UNIT_DETAIL = copy.deepcopy(SCHEMAS["Unit"]["properties"])
_UNIT_DETAIL.update({
    "spokespersons": {"type": "array", "items": _ref("Spokesperson")},
    "latest_items": {"type": "array", "items": _ref("ItemSummary")},
})
SCHEMAS["UnitDetail"] = _object(_UNIT_DETAIL)

SCHEMAS["TimelineEntry"] = _object({
    "at": DATETIME,
    "event": {"type": "string", "enum": ["received", "assigned", "extended", "transferred", "answered", "refused",
                                         "withdrawn", "reopened", "published", "message_from_journalist",
                                         "message_to_journalist"]},
    "title": STRING,
    "url": {**_nullable(URL), "description": "For `published`: the item's address."},
})
SCHEMAS["DeadlineExplanation"] = _object({
    "statutory": {"type": "boolean", "description": "A period a verified legal text sets (false: the unit's target)."},
    "steps": {"type": "array", "description": "How the deadline was counted, as data, in order.", "items": {
        "type": "object", "required": ["code"], "additionalProperties": True,
        "properties": {"code": {"type": "string", "enum": sorted(STEP_CODES)}},
        "description": "A step code and its facts (ISO dates, counts, day names as the calendar gave them): "
                       "received {at}, rule {book, label, amount, unit, basis, source?}, layers {book, layers}, "
                       "hours {n}, due_time {at}, days_start {first}, received_off {day, name}, "
                       "calendar_days {n, last}, skip {day, name}, moved {from, to}, working_days {}, "
                       "makeup {day, name}, working_day_n {n, day}, estimated {years}, due_end_of_day {day}, "
                       "recomputed {on, reason}, text {text} (a sentence shown as stored).",
    }},
    "text": {"type": "array", "items": STRING,
             "description": "The same steps as sentences in the reader's language "
                            "(Accept-Language; Vietnamese by default)."},
    "note": {**_nullable(STRING), "description": "Why the deadline was recounted (transfer, extension, type change)."},
})
SCHEMAS["RequestStatus"] = _object({
    "reference": STRING,
    "unit": _ref("UnitRef"),
    "type": {"type": "string", "enum": ["information", "interview", "press_answer", "forwarded_feedback",
                                        "forwarded_complaint", "forwarded_denunciation", "emergency"]},
    "type_label": STRING,
    "state": {"type": "string", "enum": ["received", "assigned", "drafting", "awaiting_approval", "answered",
                                         "refused", "withdrawn"]},
    "state_label": STRING,
    "received_at": DATETIME,
    "due_at": DATETIME,
    "answered_at": _nullable(DATETIME),
    "deadline": _ref("DeadlineExplanation"),
    "timeline": {"type": "array", "items": _ref("TimelineEntry")},
    "publications": {"type": "array", "items": _object({"slug": STRING, "title": STRING, "url": URL})},
})
SCHEMAS["Index"] = _object({
    "name": STRING,
    "version": STRING,
    "openapi": URL,
    "documentation": URL,
    "endpoints": _object({"items": URL, "units": URL, "spokespersons": URL}),
})


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


def _param(name: str, where: str, description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


PAGE = _param("page", "query", f"Page number, from 1 to {MAX_PAGE}.",
              {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1})
PER_PAGE = _param("per_page", "query", "Items per page (at most 100).",
                  {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})

VALIDATOR_HEADERS = {
    "ETag": {"description": "Changes whenever published content changes.", "schema": STRING},
    "Last-Modified": {"description": "When published content last changed.", "schema": STRING},
}

PATHS: dict[str, Any] = {
    "/": {"get": {
        "operationId": "index", "summary": "Describe the API",
        "responses": {"200": _json("Index", "The API's version and entry points.")},
    }},
    "/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This OpenAPI document",
        "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
    "/docs": {"get": {
        "operationId": "docs", "summary": "This documentation as a page for people (HTML)",
        "responses": {"200": {"description": "The endpoints, their parameters and responses.",
                              "content": {"text/html": {"schema": {"type": "string"}}}}},
    }},
    "/items": {"get": {
        "operationId": "listItems",
        "summary": "List published items (answers and statements), newest first",
        "parameters": [
            _param("unit", "query", "A unit code, e.g. AG-ANMINH.", STRING),
            _param("kind", "query", "The kind of item.", {"type": "string", "enum": KINDS}),
            _param("month", "query", "A month of publication in Vietnamese time, YYYY-MM (or MM/YYYY).",
                   {"type": "string", "pattern": r"^(\d{4}-\d{2}|\d{1,2}/\d{4})$"}),
            _param("q", "query", "Search words; diacritics and case are ignored; each word matches a prefix.",
                   {"type": "string", "maxLength": 200}),
            _param("include_withdrawn", "query", "Also list withdrawn items (they carry no summary).",
                   {"type": "boolean", "default": False}),
            PAGE, PER_PAGE,
            _param("cursor", "query", "Instead of `page`: the `next_cursor` of the previous page (opaque text). "
                   "Reads from that position on (newest first, by `published_at` then id), so the "
                   "thousandth page costs what the first does and items published meanwhile do not shift "
                   "the pages. Cursors of earlier responses stay valid.", {"type": "string", "maxLength": 100}),
        ],
        "responses": {"200": {**_json("ItemList", "A page of items."), "headers": VALIDATOR_HEADERS},
                      "304": {"description": "Not modified since the `ETag` (If-None-Match) or "
                                             "`Last-Modified` (If-Modified-Since) the client holds.",
                              "headers": VALIDATOR_HEADERS},
                      "400": _error("A parameter cannot be used.")},
    }},
    "/items/{slug}": {"get": {
        "operationId": "getItem", "summary": "One item, with its corrections or its withdrawal notice",
        "parameters": [_param("slug", "path", "The item's permalink slug.", STRING, required=True)],
        "responses": {"200": _json("Item", "The item."), "404": _error("No item has this slug.")},
    }},
    "/units": {"get": {
        "operationId": "listUnits", "summary": "Active units with their pages, feeds and widget",
        "parameters": [_param("inactive", "query", "1 to list the inactive and merged units too.",
                              {"type": "string", "enum": ["1", "true"]})],
        "responses": {"200": _json("UnitList", "Every active unit (and, with inactive=1, the past ones).")},
    }},
    "/units/{code}": {"get": {
        "operationId": "getUnit", "summary": "One unit, its current spokespersons and latest items",
        "parameters": [_param("code", "path", "The unit code.", STRING, required=True)],
        "responses": {"200": _json("UnitDetail", "The unit."), "404": _error("No unit has this code.")},
    }},
    "/spokespersons": {"get": {
        "operationId": "listSpokespersons",
        "summary": "Current spokesperson designations: unit, name, title, public phone and e-mail, document",
        "parameters": [_param("unit", "query", "Only this unit's (a unit code).", STRING)],
        "responses": {"200": _json("SpokespersonList", "The current designations."),
                      "400": _error("The unit code is unknown.")},
    }},
    "/requests/{reference}": {"get": {
        "operationId": "getRequestStatus",
        "summary": "A request's public status, given its reference and its secret tracking token",
        "description": "The token is the one in the journalist's confirmation e-mail. The response is personal "
                       "and never cached (Cache-Control: no-store). It carries no message text and no "
                       "contact details.",
        "parameters": [
            _param("reference", "path", "The public reference, e.g. AG-ANMINH-2026-00042.", STRING, required=True),
            _param("token", "query", "The secret tracking token.", {"type": "string", "maxLength": 100},
                   required=True),
        ],
        "responses": {
            "200": _json("RequestStatus", "The request's status and public timeline."),
            "400": _error("The token is missing."),
            "404": _error("The reference and token do not match a request."),
            "429": _error("Too many look-ups from this address."),
        },
    }},
}


def document(server_url: str) -> dict[str, Any]:
    """Return the OpenAPI document, with the server at the given base URL (…/api/v1)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Spokes API",
            "version": "1.0.0",
            "summary": "Read-only data of the press-spokesperson news feed.",
            "description": (
                "Tin phát ngôn và trả lời báo chí, đơn vị, người phát ngôn và tình trạng yêu cầu. "
                "Read-only; every GET allows cross-origin reads (Access-Control-Allow-Origin: *). "
                "Times are ISO 8601 in Vietnamese time (+07:00). Errors are JSON objects "
                "{\"error\": {\"status\", \"title\", \"message\"}}. Journalists' e-mail addresses, phone "
                "numbers and press card numbers are never served."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": server_url}],
        "paths": copy.deepcopy(PATHS),
        "components": {"schemas": copy.deepcopy(SCHEMAS)},
    }


@dataclass(frozen=True)
class Parameter:
    """One parameter of an endpoint, as the documentation page lists it."""

    name: str
    where: str  # "query" or "path"
    required: bool
    description: str
    schema: str  # e.g. "string", "integer ≥ 1", "one of: answer, statement"


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of the API, as the documentation page lists it."""

    method: str
    path: str
    url: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    responses: tuple[tuple[str, str], ...]  # (status, description)


def _schema_words(schema: dict[str, Any]) -> str:
    words = str(schema.get("type") or schema.get("$ref", "").rsplit("/", 1)[-1] or "")
    if "enum" in schema:
        words += " (" + ", ".join(str(v) for v in schema["enum"]) + ")"
    if "minimum" in schema:
        words += f" ≥ {schema['minimum']}"
    if "maximum" in schema:
        words += f" ≤ {schema['maximum']}"
    if "default" in schema:
        words += f", default {str(schema['default']).lower()}"
    return words


def endpoints(doc: dict[str, Any]) -> list[Endpoint]:
    """Return the document's endpoints in its order, flattened for a page that lists them."""
    base = doc["servers"][0]["url"]
    listed = []
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            listed.append(Endpoint(
                method=method.upper(), path=path, url=base + path, summary=operation.get("summary", ""),
                description=operation.get("description", ""),
                parameters=tuple(Parameter(p["name"], p["in"], bool(p.get("required")), p.get("description", ""),
                                           _schema_words(p.get("schema") or {}))
                                 for p in operation.get("parameters", [])),
                responses=tuple((status, r.get("description", "")) for status, r in operation.get("responses", {}).items()),
            ))
    return listed
