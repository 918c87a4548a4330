"""Read-side rules of the API: parameters, request status by reference and token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from spokes.core.params import MAX_PAGE as PARAM_MAX_PAGE
from spokes.audit.models import AuditEvent
from spokes.audit.services import public_events
from spokes.core.errors import DomainError
from spokes.core.pagination import Cursor
from spokes.press_requests.models import PressRequest
from spokes.press_requests.services import find_by_token
from spokes.publishing.models import Publication, PublicationKind
from spokes.publishing.services import NewsFilter, published_items, unit_by_code

MAX_PER_PAGE = 100
MAX_PAGE = PARAM_MAX_PAGE  # the same ceiling as every HTML list; the OpenAPI document declares it
DEFAULT_PER_PAGE = 20
MAX_QUERY = 200


def bad_request(message: str) -> DomainError:
    """Return the error for a parameter the API cannot use (400, JSON, with this message)."""
    return DomainError(message, status=400)


def not_found(message: str) -> DomainError:
    """Return a 404 with a specific message."""
    return DomainError(message, status=404)


def _int(args: MultiDict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(_("Tham số “%(name)s” phải là số nguyên.", name=name)) from None
    if value < low or (high is not None and value > high):
        if high is None:
            raise bad_request(_("Tham số “%(name)s” phải lớn hơn hoặc bằng %(low)d.", name=name, low=low))
        raise bad_request(_("Tham số “%(name)s” phải từ %(low)d đến %(high)d.", name=name, low=low, high=high))
    return value


def _bool(args: MultiDict[str, str], name: str) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise bad_request(_("Tham số “%(name)s” phải là true hoặc false.", name=name))


@dataclass
class Paging:
    """A page of a list."""

    page: int
    per_page: int


def paging(args: MultiDict[str, str]) -> Paging:
    """Read ``page`` (1–MAX_PAGE) and ``per_page`` (1–100); raise 400 on anything else."""
    return Paging(page=_int(args, "page", 1, 1, MAX_PAGE),
                  per_page=_int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE))


def cursor_of(args: MultiDict[str, str]) -> Cursor | None:
    """Read ``cursor`` (from a previous ``next_cursor``); None when absent; raise 400 when unreadable."""
    raw = (args.get("cursor") or "").strip()
    if not raw:
        return None
    try:
        return Cursor.decode(raw)
    except ValueError:
        raise bad_request(_("Tham số “cursor” không hợp lệ; hãy dùng giá trị “next_cursor” của trang trước.")) from None


def item_filter(args: MultiDict[str, str]) -> NewsFilter:
    """Read the item filters (unit code, kind, month YYYY-MM, q, include_withdrawn); raise 400 when unusable."""
    flt = NewsFilter()
    code = (args.get("unit") or "").strip()
    if code:
        flt.unit = unit_by_code(code)
        if flt.unit is None:
            raise bad_request(_("Không có đơn vị mã “%(code)s”.", code=code[:40]))
    kind = (args.get("kind") or "").strip()
    if kind:
        if kind not in {k.value for k in PublicationKind}:
            raise bad_request(_("Tham số “kind” phải là một trong: %(kinds)s.",
                                kinds=", ".join(k.value for k in PublicationKind)))
        flt.kind = kind
    flt.month = (args.get("month") or "").strip() or None
    query = (args.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise bad_request(_("Tham số “q” tối đa %(n)d ký tự.", n=MAX_QUERY))
    flt.q = query or None
    flt.include_withdrawn = _bool(args, "include_withdrawn")
    return flt


@dataclass
class RequestStatus:
    """A request opened by reference and token, with its public history."""

    request: PressRequest
    events: list[AuditEvent]
    publications: list[Publication]


def request_status(reference: str, token: str | None) -> RequestStatus:
    """Return the public status of the request with this reference, if the token opens it (404 otherwise).

    The token must hash to the request's stored hash *and* the reference must match, so one
    request's token never reveals another. A miss is the same 404 whatever was wrong.
    """
    if not token:
        raise bad_request(_("Thiếu tham số “token” (mã theo dõi trong thư xác nhận)."))
    req = find_by_token(token)
    if req is None or not hmac.compare_digest(req.reference.upper(), (reference or "").strip().upper()):
        raise not_found(_("Không tìm thấy yêu cầu có mã và mã theo dõi này."))
    return RequestStatus(req, public_events("request", req.id), published_items(req))
