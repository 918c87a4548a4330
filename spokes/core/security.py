"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)

# Endpoints whose page may be embedded in a unit's own portal (the widget).
FRAMEABLE_ENDPOINTS = frozenset({"publishing.widget"})


def init_security(app: Flask) -> None:
    """Add CSP, framing, sniffing, referrer and (in production) HSTS headers."""

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
            # Staff pages and personal tracking pages must never sit in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
