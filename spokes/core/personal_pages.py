"""Signed-in pages shown again to the same session while nothing in the database has changed.

Staff move back and forth between the queue, a search and the requests in it, and reload
them: most of those pages are the same bytes they were a moment ago. A view marked
``@personal_page`` keeps its page in the page cache's store (``spokes.core.pagecache``), and
the same page is served again, without running the view, while all of these hold:

* the same **session** asks: the same person, with the same password stamp (a password change
  or "sign out everywhere" changes it) and the same CSRF token (the page's forms carry one);
* for the same **address** (scheme, host, path and parameters) in the same **language**;
* **nothing has been written** since: every commit of an ORM session that flushed a change or
  ran any statement but a SELECT (bulk and text statements included), in any process sharing
  the store (web workers, ``tick``, the mail fetcher), turns the *data version* over
  (``pagecache.invalidate``), and every entry carries the version read before the request
  read anything from the database;
* in the same **minute** of the clock: deadline wording and overdue marks follow the time, so
  no page outlives the minute it was rendered in. The minute also bounds what a write that
  bypasses the ORM session leaves behind: statements on a raw connection (``reports
  rebuild-totals``, data migrations), a ``psql`` session, or a process that exited while the
  store could not take its new version.

Not kept: anything but a 200 ``text/html`` GET, a page whose request changed the session (the
first CSRF token, a flash message shown) or set a cookie, and any request while a flash
message waits in the session. Permissions need no special case: they are rows, so a change
to a person's roles or units is a write, and the next request runs the view and its checks.

What this does not do: in a busy deployment where commits land every second, few pages
survive long enough to be served twice; the data version is one for the whole database, not
per unit. It makes re-reading cheap, not the first read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request, session
from flask_login import current_user

from spokes.core import clock
from spokes.core.pagecache import DATA_VERSION_KEY, EXTENSION, HIT_HEADER, PageCache, pack_entry, unpack_entry

log = logging.getLogger(__name__)

FLAG = "personal_page"
SECONDS = 120  # entries are only ever served within their minute; this lets the store drop them
LOOKED_UP = "_personal_lookup"  # on flask.g: (owner, key, version, stored entry) read first
PENDING = "_personal_page"  # on flask.g: (key, version) of a page to keep after the view ran


def personal_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a signed-in GET view whose page may be shown again to the same session (see module)."""
    setattr(view, FLAG, True)
    return view


def init_personal_pages(app: Flask) -> None:
    """Serve and keep marked signed-in pages.

    Two steps: the data version and the entry are read first, before any hook or view reads
    the database (on SQLite the first SELECT fixes the snapshot the whole request reads), and
    the page is served only after the login and password-change hooks have loaded and checked
    the person.
    """
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        return

    def _read_first() -> None:
        _read(app, cache)

    app.before_request_funcs.setdefault(None, []).insert(0, _read_first)

    @app.before_request
    def _serve_kept_page() -> Response | None:
        return _serve()

    @app.after_request
    def _keep_page(response: Response) -> Response:
        return _keep(cache, response)


def _marked(app: Flask) -> bool:
    if request.method != "GET" or request.endpoint is None:
        return False
    return bool(getattr(app.view_functions.get(request.endpoint), FLAG, False))


def _read(app: Flask, cache: PageCache) -> None:
    """Read the data version and this session's entry for the address, before anything else runs."""
    owner = session.get("_user_id")  # Flask-Login's "id:stamp" of the signed-in person (a signed cookie)
    if (not owner or not app.config["PERSONAL_PAGE_CACHE"] or not _marked(app) or "_flashes" in session
            or not cache.ready(DATA_VERSION_KEY)):
        return
    key = _key(str(owner))
    try:
        # One round trip, before anything reads the database: a commit landing after it shows
        # as a newer version, so the page rendered now is kept under the older one, never served.
        version, hit = cache.store.get_many(DATA_VERSION_KEY, key)
        version = str(version) if version else cache.new_data_version()
    except Exception:  # noqa: BLE001 - a broken store costs a render, never an error
        log.exception("personal pages: lookup failed")
        cache.trip()
        return
    setattr(g, LOOKED_UP, (str(owner), key, version, hit))


def _serve() -> Response | None:
    """Serve the kept page to the person it was kept for, checked again; else mark the page to keep."""
    looked_up = getattr(g, LOOKED_UP, None)
    if looked_up is None:
        return None
    delattr(g, LOOKED_UP)
    owner, key, version, hit = looked_up
    # Flask-Login has loaded the person: still active, same password stamp, same browser (strong protection).
    if (not current_user.is_authenticated or not current_user.is_active or current_user.get_id() != owner
            or getattr(current_user, "must_change_password", False)):
        return None
    entry = unpack_entry(hit, version) if isinstance(hit, bytes) else None
    if entry is None:
        setattr(g, PENDING, (key, version))
        return None
    status, headers, body = entry
    response = Response(body, status=status, headers=headers)
    response.headers[HIT_HEADER] = "personal-hit"
    return response


def _key(owner: str) -> str:
    """The session, language and address a page was rendered for, and the minute it was rendered in."""
    minute = int(clock.now().timestamp()) // 60
    parts = (owner, str(session.get("csrf_token", "")), str(session.get("lang", "")),
             request.headers.get("Accept-Language", ""), request.scheme, request.host, request.full_path,
             str(minute))
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
    return f"personal:{digest}"


def _keep(cache: PageCache, response: Response) -> Response:
    pending = getattr(g, PENDING, None)
    if pending is None:
        return response
    delattr(g, PENDING)
    if (response.status_code != 200 or response.mimetype != "text/html" or response.direct_passthrough
            or response.is_streamed or session.modified or "Set-Cookie" in response.headers):
        return response
    key, version = pending
    try:
        packed = pack_entry(version, response.status, [("Content-Type", response.content_type)], response.get_data())
        cache.store.set(key, packed, timeout=SECONDS)
    except Exception:  # noqa: BLE001 - the page is served all the same; only its copy is lost
        log.exception("personal pages: could not keep a page")
        cache.trip()
        return response
    response.headers[HIT_HEADER] = "personal-miss"
    return response
