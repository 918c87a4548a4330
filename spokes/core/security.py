"""Security headers on every response, and input no form or query may carry."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # Flask-WTF's "read the request" marker
from werkzeug.datastructures import MultiDict
from wtforms.fields import FileField

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)

# Endpoints whose page may be embedded in a unit's own portal (the widget).
FRAMEABLE_ENDPOINTS = frozenset({"publishing.widget"})


def _has_nul(values: MultiDict[str, Any]) -> bool:
    """Return whether a key or a text value holds a NUL byte."""
    return any("\x00" in key or (isinstance(value, str) and "\x00" in value)
               for key, value in values.items(multi=True))


def _form_input(self: Any, form: Any, formdata: Any) -> Any:
    """Give a form's file fields the uploads and its other fields the posted text, nothing else.

    Flask-WTF merges every uploaded part into the form data (and reads JSON bodies), so a file
    or a number posted under the name of a text field reached that field's validators (a 500).
    The forms here are HTML forms: a JSON body is not form input.
    """
    if formdata is not _Auto:
        return formdata
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    data = MultiDict(request.form)
    for name in {f.name for f in form if isinstance(f, FileField)} & set(request.files):
        data.setlist(name, request.files.getlist(name))
    return data or None


def init_security(app: Flask) -> None:
    """Add CSP, framing, sniffing, referrer and (in production) HSTS headers; refuse NUL bytes."""
    FlaskForm.Meta.wrap_formdata = _form_input

    @app.before_request
    def _refuse_nul_bytes() -> None:
        # No text column can hold a NUL (PostgreSQL refuses it outright), and no person types one.
        if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
            abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        frameable = request.endpoint in FRAMEABLE_ENDPOINTS
        response.headers.setdefault("Content-Security-Policy", CSP.format(ancestors="*" if frameable else "'none'"))
        if not frameable:
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("HSTS_ENABLED"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint and not request.endpoint.startswith(("core.", "publishing.", "static", "api.")):
            # Staff pages and personal tracking pages must never sit in a shared cache. Assigned,
            # not defaulted: send_file already says "no-cache", which lets caches store a file.
            response.headers["Cache-Control"] = "no-store"
        return response
