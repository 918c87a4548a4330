"""Cross-cutting public endpoints: health check and language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from sqlalchemy import text

from spokes.auth.safe_redirect import safe_next
from spokes.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
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
    report["outbox"] = _outbox_health() if report["database"] == "ok" else {"status": "unknown"}
    degraded = [name for name, part in (("redis", report["redis"]), ("outbox", report["outbox"]))
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


def _outbox_health() -> dict[str, object]:
    """Return the outbox backlog: due mails waiting, the oldest one's wait, failed mails."""
    from sqlalchemy import func, select

    from spokes.core.clock import now
    from spokes.notifications.models import MailStatus, OutboxMail

    moment = now()
    due, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMail.next_attempt_at))
        .where(OutboxMail.status == MailStatus.PENDING.value, OutboxMail.next_attempt_at <= moment)
    ).one()
    failed = db.session.execute(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.status == MailStatus.FAILED.value)
    ).scalar_one()
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    waited = int((moment - oldest).total_seconds()) if oldest is not None else 0
    backlog = waited > int(current_app.config.get("OUTBOX_BACKLOG_SECONDS") or 900)
    return {"status": "backlog" if backlog else "ok", "due": int(due), "oldest_due_seconds": waited,
            "failed": int(failed)}


@bp.get("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    """Remember the chosen language in the session and go back."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("publishing.home"))
