"""Domain errors and the HTTP error pages (HTML for people, JSON for the API)."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from spokes.extensions import db, limiter

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused an action; shown to the user as a plain message."""

    status = 409

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotAllowed(DomainError):
    """The actor lacks the right for this action on this object."""

    status = 403


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _pages() -> dict[int, tuple[str, str]]:
    """Return the title and the plain message of each error page, by status."""
    return {
        400: (_("Yêu cầu không hợp lệ"),
              _("Dữ liệu gửi lên không hợp lệ hoặc phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại.")),
        403: (_("Không có quyền truy cập"), _("Bạn không có quyền xem hoặc thực hiện thao tác này.")),
        404: (_("Không tìm thấy trang"), _("Trang hoặc yêu cầu bạn tìm không tồn tại hoặc đã được chuyển đi.")),
        405: (_("Phương thức không được hỗ trợ"), _("Thao tác này không được hỗ trợ tại địa chỉ này.")),
        409: (_("Không thể thực hiện thao tác"), _("Thao tác không phù hợp với trạng thái hiện tại của yêu cầu.")),
        413: (_("Tệp hoặc dữ liệu gửi lên quá lớn"), _("Tệp hoặc dữ liệu gửi lên vượt quá giới hạn cho phép.")),
        429: (_("Quá nhiều yêu cầu"),
              _("Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Vui lòng chờ vài phút rồi thử lại.")),
        500: (_("Lỗi hệ thống"),
              _("Đã có lỗi xảy ra. Chúng tôi không chắc thao tác của bạn đã được lưu hay chưa: "
                "vui lòng tải lại trang để kiểm tra trước khi gửi lại.")),
        503: (_("Hệ thống tạm thời gián đoạn"),
              _("Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau ít phút.")),
    }


def render_error(status: int, message: str | None = None, *, back: bool = False):
    """Render an error page (or JSON under /api) with a plain message in the reader's language.

    ``back`` offers a button that goes back in the browser's history, where a form usually
    still holds what was typed (a link to the form's address would give an empty form).
    """
    pages = _pages()
    title, default_message = pages.get(status, pages[500])
    text = message or default_message
    if _wants_json():
        return jsonify({"error": {"status": status, "title": title, "message": text}}), status
    return render_template("errors/error.html", status=status, title=title, message=text, back=back), status


def _go_back() -> str:
    return _("Vui lòng bấm “Quay lại” trên trình duyệt (nội dung đã nhập thường vẫn còn), "
             "chọn tệp nhỏ hơn rồi gửi lại.")


def _megabytes(size: int) -> str:
    return f"{format_decimal(size / (1024 * 1024), format='#,##0.#')} MB"


def too_large_message() -> str:
    """Say what was too large in the reader's language: on the public portal, the per-file limit."""
    parts = [_pages()[413][1]]
    if request.blueprint == "portal":
        parts.append(_("Mỗi tệp gửi kèm tối đa %(size)s.", size=_megabytes(current_app.config["PUBLIC_UPLOAD_MAX_BYTES"])))
    parts.append(_go_back())
    return " ".join(parts)


def wait_text(seconds: float) -> str:
    """Return an "about" wait as a reader counts it: whole minutes up to an hour and a half, then whole hours.

    The nearest whole unit, never less than one minute (a window's reset is a second past its end).
    """
    minutes = max(math.floor(seconds / 60 + 0.5), 1)
    if minutes <= 90:
        return _("%(m)d phút", m=minutes)
    return _("%(h)d giờ", h=math.floor(minutes / 60 + 0.5))


def too_many_message() -> str:
    """Say how long to wait before trying again, from the limit that was hit (its Retry-After)."""
    hit = limiter.current_limit
    try:
        seconds = hit.reset_at - time.time() if hit is not None and hit.breached else None
    except Exception:  # noqa: BLE001 - the counters' store is unreachable: fall back to the general wording
        log.warning("could not read the breached rate limit's reset time", exc_info=True)
        seconds = None
    if seconds is None:
        return _pages()[429][1]
    return _("Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Vui lòng thử lại sau khoảng %(wait)s.",
             wait=wait_text(seconds))


def is_database_unavailable(err: BaseException) -> bool:
    """Return whether an error means the database cannot be reached (down, restarting, connection cut)."""
    if isinstance(err, PoolTimeout):
        return True
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    if not isinstance(err, OperationalError) or _is_sqlite_busy(err):
        return False
    # PostgreSQL: no SQLSTATE (the connection failed), a connection exception (08), the server
    # shutting down or starting (57P) or out of connections (53). A deadlock or a cancelled
    # statement is an error of this request, not an outage.
    sqlstate = getattr(err.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P", "53"))


def _is_sqlite_busy(err: OperationalError) -> bool:
    # SQLite's "database is locked" is a timeout of a healthy database, not an outage; it stays a 500.
    return "locked" in str(err.orig).lower() and "sqlite" in type(err.orig).__module__


def safe_rollback() -> None:
    """Roll the session back; a dead connection is dropped quietly (it cannot hold anything)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the database rolled back on its own
        log.warning("rollback failed (connection lost); discarding the session", exc_info=True)
        try:
            db.session.close()
        except Exception:  # noqa: BLE001 - nothing more to release
            db.session().invalidate()  # the scoped session does not pass invalidate() on


def database_unavailable():
    """Render the honest 503 page with Retry-After: for a form, say we cannot confirm it was saved."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        message = _pages()[503][1]
    else:
        message = _("Cơ sở dữ liệu tạm thời không truy cập được, nên chúng tôi không xác nhận được nội dung "
                    "bạn gửi đã được lưu hay chưa. Nếu đã gửi câu hỏi, vui lòng kiểm tra hộp thư điện tử "
                    "(thư xác nhận có mã yêu cầu); nếu không có, vui lòng gửi lại sau ít phút.")
    body, status = render_error(503, message)
    response = make_response(body, status)
    response.headers["Retry-After"] = str(current_app.config.get("DB_UNAVAILABLE_RETRY_AFTER", 30))
    return response


def register_error_handlers(app: Flask) -> None:
    """Roll back on any error and show a friendly page."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        safe_rollback()
        return render_error(err.status, err.message)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        safe_rollback()
        status = err.code or 500
        if status == 413:
            return render_error(413, too_large_message(), back=True)
        if status == 429:
            return render_error(429, too_many_message(), back=request.method == "POST")
        custom = err.description if getattr(err, "spokes_message", False) else None
        if status == 400 and "CSRF" in (err.description or ""):
            custom = _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF). Vui lòng tải lại trang và gửi lại.")
        return render_error(status, custom)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        safe_rollback()
        if is_database_unavailable(err):
            log.error("database unavailable on %s %s: %s", request.method, request.path, err, exc_info=err)
            return database_unavailable()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise err
        return render_error(500)
