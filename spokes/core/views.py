"""Cross-cutting public endpoints: health check and language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from sqlalchemy import text

from spokes.core.safe_redirect import safe_next
from spokes.extensions import db

bp = Blueprint("core", __name__)
# app.extensions key: {part name: callable returning {"status": "ok" | …, …}} for /healthz.
HEALTH_CHECKS = "spokes.health_checks"


@bp.get("/healthz")
def healthz():
    """Report the database, Redis and the outbox separately.

    200 while the database answers, with ``status`` "degraded" and the parts named when Redis
    (the limiter's or the page cache's store) is down or the outbox has a backlog; 503 only
    when the database is down, since nothing can be stored then.
    """
    from spokes.core.errors import safe_rollback

    report: dict[str, object] = {}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        safe_rollback()
        report["database"] = "unavailable"
    report["redis"] = _redis_health()
    # Features add their own parts (the outbox, from notifications) in the composition root.
    parts = current_app.extensions.get(HEALTH_CHECKS, {})
    for name, check in parts.items():
        report[name] = check() if report["database"] == "ok" else {"status": "unknown"}
    degraded = [name for name, part in (("redis", report["redis"]), *((n, report[n]) for n in parts))
                if (part if isinstance(part, str) else part.get("status")) not in ("ok", "not used")]
    if report["database"] != "ok":
        return jsonify({"status": "error", **report, "degraded": ["database", *degraded]}), 503
    return jsonify({"status": "degraded" if degraded else "ok", **report, "degraded": degraded})


def _redis_health() -> str:
    """Return "ok", "unavailable" or "not used" for the Redis stores this app uses."""
    from spokes.core.pagecache import EXTENSION
    from spokes.extensions import limiter

    checks = []
    if str(current_app.config.get("RATELIMIT_STORAGE_URI") or "").startswith("redis") and limiter.enabled:
        storage = getattr(limiter, "_storage", None)
        checks.append(bool(storage is not None and not limiter._storage_dead and storage.check()))
    cache = current_app.extensions.get(EXTENSION)
    if cache is not None and hasattr(cache.store, "_write_client"):
        try:
            checks.append(bool(cache.available() and cache.store._write_client.ping()))
        except Exception:  # noqa: BLE001 - unreachable is the answer
            checks.append(False)
    if not checks:
        return "not used"
    return "ok" if all(checks) else "unavailable"


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language in the session and go back."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("publishing.home"))
