"""The read-only JSON API under /api/v1, described by /api/v1/openapi.json.

Every GET allows cross-origin reads. Errors are JSON ``{"error": {"status", "title",
"message"}}`` (the global error handler answers so for every /api/ path), and parameters
that cannot be used give a 400 that says which and why.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.http import is_resource_modified

from spokes.api import serializers
from spokes.api import services as api
from spokes.api.openapi import document, endpoints
from spokes.core import pagecache
from spokes.core.pagecache import public_page
from spokes.extensions import db, limiter
from spokes.publishing import services as publishing
from spokes.publishing.feeds import absolute
from spokes.units.models import Unit
from spokes.units.services import current_speakers

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PREFIX = "/api/v1"
PUBLIC_MAX_AGE = 60
UNIT_LATEST = 10


@bp.after_app_request
def _cors(response: Response) -> Response:
    # Registered on the app, not the blueprint, so that a 404 for an unknown /api/v1 path
    # (which matches no endpoint of this blueprint) carries the header too.
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response.headers["Access-Control-Max-Age"] = "86400"
        if request.path.startswith(PREFIX + "/requests/"):
            response.headers["Cache-Control"] = "no-store"  # personal, even when it is an error
        elif request.endpoint != "api.docs":  # an HTML page with the site's bar: cached as the public pages are
            response.headers.setdefault("Cache-Control", f"public, max-age={PUBLIC_MAX_AGE}")
    return response


def _track_limit() -> str:
    return current_app.config["TRACK_RATE_LIMIT"]


@bp.get("/")
def index():
    """Describe the API: its version and where its endpoints and OpenAPI document are."""
    return jsonify({
        "name": current_app.config.get("SITE_NAME") or "Spokes",
        "version": "1",
        "openapi": absolute("api.openapi"),
        "documentation": absolute("api.docs"),
        "endpoints": {
            "items": absolute("api.items"),
            "units": absolute("api.units"),
            "spokespersons": absolute("api.spokespersons"),
        },
    })


@bp.get("/docs")
@public_page()
def docs():
    """Show the API's documentation as a page people can read (the same OpenAPI document)."""
    doc = document(absolute("api.index").rstrip("/"))
    return render_template("api/docs.html", info=doc["info"], base=doc["servers"][0]["url"], endpoints=endpoints(doc))


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI 3.1 document of this API."""
    return jsonify(document(absolute("api.index").rstrip("/")))


@bp.get("/items")
@public_page(query=("unit", "kind", "month", "include_withdrawn", "page", "per_page"))
def items():
    """List the published items, newest first, with filters and pagination (numbered or by cursor)."""
    flt = api.item_filter(request.args)
    page = api.paging(request.args)
    cursor = api.cursor_of(request.args)
    # Before reading the items: a commit landing meanwhile then shows as a newer version.
    marks = pagecache.validators("api-items", str(get_locale()), request.full_path)
    if marks is not None and not is_resource_modified(request.environ, etag=marks.etag,
                                                      last_modified=marks.last_modified):
        return _with_validators(Response(status=304), marks)
    try:
        result = publishing.news_page(flt, page.page, page.per_page, cursor, counted=cursor is None)
    except publishing.BadFilter as err:
        raise api.bad_request(err.message) from None
    return _with_validators(jsonify({
        "items": [serializers.item_summary(p) for p in result.items],
        # A page read by cursor has no number and no total: see the OpenAPI document.
        "page": page.page if cursor is None else None,
        "per_page": page.per_page,
        "total": result.total,
        "total_exact": None if result.total is None else not (result.approximate or result.at_least),
        "next_cursor": result.next_cursor_text,
    }), marks)


def _with_validators(response: Response, marks: pagecache.Validators | None) -> Response:
    if marks is not None:
        response.set_etag(marks.etag)
        if marks.last_modified is not None:
            response.last_modified = marks.last_modified
    return response


@bp.get("/items/<slug>")
def item(slug: str):
    """Return one item in full (a withdrawn one shows its notice instead of its body)."""
    pub = publishing.find_by_slug(slug)
    if pub is None:
        raise api.not_found(_("Không tìm thấy tin “%(slug)s”.", slug=slug[:120]))
    return jsonify(serializers.item_detail(pub, publishing.public_files(pub), publishing.latest_note(pub)))


@bp.get("/units")
def units():
    """List the active units with their public pages, feeds and widget; ``?inactive=1`` adds the past ones."""
    stmt = select(Unit).order_by(Unit.path)
    if request.args.get("inactive") not in ("1", "true"):
        stmt = stmt.where(Unit.is_active.is_(True))
    rows = db.session.execute(stmt).scalars().all()
    codes = {u.id: u.code for u in rows}
    missing = {u.parent_id for u in rows if u.parent_id is not None and u.parent_id not in codes}
    missing |= {u.merged_into_id for u in rows if u.merged_into_id is not None and u.merged_into_id not in codes}
    if missing:
        codes.update(dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(missing))).tuples().all()))
    return jsonify({"units": [serializers.unit_doc(u, codes.get(u.parent_id), codes.get(u.merged_into_id))
                              for u in rows]})


@bp.get("/units/<code>")
def unit(code: str):
    """Return a unit, its current spokespersons and its latest items."""
    found = publishing.unit_by_code(code)
    if found is None:
        raise api.not_found(_("Không có đơn vị mã “%(code)s”.", code=code[:40]))
    doc = serializers.unit_doc(found, found.parent.code if found.parent is not None else None,
                               found.merged_into.code if found.merged_into is not None else None)
    doc["spokespersons"] = [serializers.speaker_doc(s) for s in current_speakers(found)]
    doc["latest_items"] = [serializers.item_summary(p) for p in publishing.latest(UNIT_LATEST, unit=found)]
    return jsonify(doc)


@bp.get("/spokespersons")
def spokespersons():
    """List the current spokesperson designations (name, title, public phone and e-mail, document)."""
    code = (request.args.get("unit") or "").strip()
    found = None
    if code:
        found = publishing.unit_by_code(code)
        if found is None:
            raise api.bad_request(_("Không có đơn vị mã “%(code)s”.", code=code[:40]))
    return jsonify({"spokespersons": [serializers.speaker_doc(s) for s in current_speakers(found)]})


@bp.get("/requests/<reference>")
@limiter.limit(_track_limit)
def request_status(reference: str):
    """Return a request's public status and timeline, given its reference and secret tracking token."""
    status = api.request_status(reference, request.args.get("token"))
    response = jsonify(serializers.request_status(status.request, status.events, status.publications))
    # Personal: never in a shared cache, and the token in the URL never leaks as a referrer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
