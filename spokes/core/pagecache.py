"""A shared cache of the public pages anonymous visitors read, invalidated by the commits that change them.

Every anonymous reader of the news feed gets the same page for the same address and
language, so a WSGI middleware serves those pages from a store shared by all worker
processes, without entering Flask at all:

* ``PAGE_CACHE_URL = "filesystem"`` (the default): a folder under ``instance/``, shared by
  the workers of one machine;
* ``redis://…``: Redis, when several app servers share the load (they already share Redis
  for the rate limits);
* ``memory``: one process only (tests); ``none``: no cache.

**Invalidation.** Every key holds the current *content version*, a random token kept in the
same store. A commit that inserted, changed or deleted a watched row (a publication, its
revisions and public files, a unit: see ``watch``) writes a new token *after* the commit,
so the next lookup of every worker misses and renders the page afresh; old entries expire
on their own. A page rendered while a commit lands is stored under the token read before
it, which that commit replaces, so it is never served. ``PAGE_CACHE_SECONDS`` bounds what a
process dying between its commit and the new token could leave behind.

**Never cached:** a request with a session or remember-me cookie (signed-in staff, a chosen
language, a form's CSRF token, a flash message), any method but GET, a view that did not
opt in with ``@public_page``, an address with parameters the page does not read (or a
``page`` past ``MAX_PAGE``), and any response but a 200 without ``Set-Cookie``. A store
that fails is logged and stepped around; it never turns a request or a commit into an error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time as _time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from cachelib import BaseCache, FileSystemCache, RedisCache, SimpleCache
from cachelib.serializers import RedisSerializer
from flask import Flask, current_app, has_app_context, make_response, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header, parse_cookie
from werkzeug.routing import RequestRedirect

from spokes.core.i18n import locale_for_browser

log = logging.getLogger(__name__)

EXTENSION = "spokes_page_cache"
VERSION_KEY = "pages:version"
# Long but finite: the folder store prunes the entries that expire first, and must never
# take the version for one of them.
VERSION_SECONDS = 10 * 365 * 24 * 3600
MAX_VALUE = 40
MAX_PAGE = 20
STALE = "page_cache_stale"
ENVIRON_FLAG = "spokes.public_page"
HIT_HEADER = "X-Page-Cache"

# Model class -> predicate on an instance ("does this row show on a public page?").
_watched: dict[type, Callable[[Any], bool]] = {}


def public_page(query: Iterable[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view whose anonymous GET response may be shared by every anonymous visitor.

    The page must depend only on the address, the language and watched rows. ``query``
    names the parameters the page reads: an address with any other parameter, a value over
    ``MAX_VALUE`` characters or a ``page`` beyond ``MAX_PAGE`` is served but not kept, so
    made-up addresses cannot fill the store.
    """
    allowed = frozenset(query)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            response = make_response(view(*args, **kwargs))
            response.vary.update(("Accept-Language", "Cookie"))
            request.environ[ENVIRON_FLAG] = True
            return response

        wrapped.public_page = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorate


def watch(model: type, when: Callable[[Any], bool] | None = None) -> None:
    """Turn the content version over after any commit that writes ``model`` rows.

    ``when`` narrows it to the rows that public pages show (e.g. public files only); bulk
    UPDATE and DELETE statements on the model's table always count.
    """
    _watched[model] = when or (lambda _obj: True)


def invalidate() -> None:
    """Turn the content version over now (the cache of this app; for bulk jobs and tests).

    Never raises: a store that cannot be written makes this process stop serving cached
    pages until it can (``PageCache.pending``), rather than fail the commit that called it.
    """
    cache = current_app.extensions.get(EXTENSION)
    if cache is not None:
        cache.turn_over()


class PageCache:
    """The store, the content version and the WSGI middleware serving cached pages."""

    def __init__(self, app: Flask, store: BaseCache, seconds: int) -> None:
        """Wrap ``app.wsgi_app`` so cached pages are served before Flask runs."""
        self.app = app
        self.store = store
        self.seconds = seconds
        self.session_cookies = (app.config.get("SESSION_COOKIE_NAME") or "session",
                                app.config.get("REMEMBER_COOKIE_NAME") or "remember_token")
        self.languages = tuple(app.config["LANGUAGES"])
        self.default_locale = app.config["BABEL_DEFAULT_LOCALE"]
        self._endpoints: dict[str, frozenset[str]] | None = None
        self.pending = False  # a new version could not be written: serve nothing from the store
        # Circuit breaker: after a store failure, step around the store for retry_seconds, so a
        # hung Redis costs one timeout, not one per request.
        self.retry_seconds = float(app.config.get("PAGE_CACHE_RETRY_SECONDS") or 30)
        self._down_until = 0.0
        self.inner = app.wsgi_app
        app.wsgi_app = self  # type: ignore[method-assign]

    # ------------------------------------------------------------------ version

    def version(self) -> str:
        """Return the current content version, creating one if the store has none."""
        current = self.store.get(VERSION_KEY)
        if not current:
            current = self.new_version()
        return str(current)

    def new_version(self) -> str:
        """Write a fresh content version: every cached page is out of date from now on."""
        token = uuid.uuid4().hex
        if not self.store.set(VERSION_KEY, token, timeout=VERSION_SECONDS):
            raise OSError("the page cache store refused the new content version")
        return token

    def turn_over(self) -> None:
        """Write a new content version; on failure, serve nothing cached until a later try succeeds."""
        if not self.available():
            self.pending = True  # tried again once the breaker closes, before anything is served
            return
        try:
            self.new_version()
        except Exception:  # noqa: BLE001 - the data is committed; the cache must not turn that into a 500
            log.exception("page cache: could not write a new content version; bypassing the cache")
            self.pending = True
            self.trip()
        else:
            self.pending = False

    def available(self) -> bool:
        """Return whether the store may be used now (the breaker is closed)."""
        return _time.monotonic() >= self._down_until

    def trip(self) -> None:
        """Open the breaker: serve without the store for ``retry_seconds``."""
        self._down_until = _time.monotonic() + self.retry_seconds
        log.warning("page cache: store failed; serving without it for %.0f s", self.retry_seconds)

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve a cached page, or run the app and keep its page when it may be shared."""
        if not self._eligible(environ) or not self.available():
            return self.inner(environ, start_response)
        if self.pending:
            self.turn_over()
            if self.pending:
                return self.inner(environ, start_response)
        try:
            key = self._key(environ)
            hit = self.store.get(key)
        except Exception:  # noqa: BLE001 - a broken cache must never take the site down
            log.exception("page cache lookup failed; serving without it")
            self.trip()
            return self.inner(environ, start_response)
        entry = _unpack(hit) if isinstance(hit, bytes) else None
        if entry is not None:
            status, headers, body = entry
            start_response(status, [*headers, (HIT_HEADER, "hit")])
            return [body]
        return self._fill(environ, start_response, key)

    def _eligible(self, environ: dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") != "GET":
            return False
        cookie = environ.get("HTTP_COOKIE")
        if cookie and any(name in parse_cookie(cookie) for name in self.session_cookies):
            return False
        try:
            endpoint, _args = self.app.url_map.bind_to_environ(environ).match()
        except (HTTPException, RequestRedirect):
            return False
        allowed = self._cacheable_endpoints().get(endpoint)
        if allowed is None:
            return False
        for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            if name not in allowed or len(value) > MAX_VALUE:
                return False
            if name == "page" and not (value.isdigit() and 0 < int(value) <= MAX_PAGE):
                return False
        return True

    def _cacheable_endpoints(self) -> dict[str, frozenset[str]]:
        if self._endpoints is None:
            self._endpoints = {name: view.public_page for name, view in self.app.view_functions.items()
                               if isinstance(getattr(view, "public_page", None), frozenset)}
        return self._endpoints

    def _key(self, environ: dict[str, Any]) -> str:
        accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
        locale = locale_for_browser(accept, self.languages, self.default_locale)
        # Pages hold absolute links (feeds, permalinks): the scheme and host are part of the address.
        address = (f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
                   f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}")
        digest = hashlib.sha256(address.encode("utf-8", "surrogateescape")).hexdigest()
        return f"pages:{self.version()}:{locale}:{digest}"

    def _fill(self, environ: dict[str, Any], start_response: Callable[..., Any], key: str) -> Iterable[bytes]:
        # Only public_page endpoints get here: their pages are small, so buffering them is fine.
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured.update(status=status, headers=list(headers), exc_info=exc_info)
            return lambda _data: None  # Flask never uses write(); the body is the returned iterable

        result = self.inner(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = captured["status"], captured["headers"]
        if environ.get(ENVIRON_FLAG) and status.startswith("200") and not any(
                name.lower() == "set-cookie" for name, _value in headers):
            try:
                self.store.set(key, _pack(status, headers, body), timeout=self.seconds)
                headers = [*headers, (HIT_HEADER, "miss")]
            except Exception:  # noqa: BLE001 - the page is served all the same; only its copy is lost
                log.exception("page cache store failed")
                self.trip()
        start_response(status, headers, captured["exc_info"])
        return [body]


# ---------------------------------------------------------------------- invalidation


def _touches_watched(session: Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        predicate = _watched.get(type(obj))
        if predicate is not None and predicate(obj):
            return True
    return False


@event.listens_for(Session, "after_flush")
def _mark_flush(session: Session, _flush_context: UOWTransaction) -> None:
    if _watched and _touches_watched(session):
        session.info[STALE] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    table = getattr(state.statement, "table", None)
    watched_tables = {getattr(model, "__table__", None) for model in _watched}
    if (mapper is not None and mapper.class_ in _watched) or (table is not None and table in watched_tables):
        state.session.info[STALE] = True


@event.listens_for(Session, "after_commit")
def _turn_over(session: Session) -> None:
    # A released savepoint also fires after_commit: wait for the real commit.
    if session.in_nested_transaction():
        return
    if session.info.pop(STALE, False) and has_app_context():
        invalidate()


# ---------------------------------------------------------------------- stores


def _pack(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    return json.dumps({"status": status, "headers": headers}).encode() + b"\n" + body


def _unpack(data: bytes) -> tuple[str, list[tuple[str, str]], bytes] | None:
    head, sep, body = data.partition(b"\n")
    try:
        meta = json.loads(head) if sep else None
        status = meta["status"]
        headers = [(str(name), str(value)) for name, value in meta["headers"]]
    except (ValueError, KeyError, TypeError):
        return None
    return str(status), headers, body


class _NoPickle(RedisSerializer):
    """Store only bytes and text in Redis: cachelib would unpickle whatever it reads there,
    and a Redis shared with other programs must not be a way to run code in the app."""

    def dumps(self, value: Any, protocol: int | None = None) -> bytes:
        if isinstance(value, bytes):
            return b"b" + value
        if isinstance(value, str):
            return b"s" + value.encode()
        raise TypeError(f"the page cache stores bytes and text, not {type(value).__name__}")

    def loads(self, value: bytes | None) -> Any:
        if not value:
            return None
        kind, payload = value[:1], value[1:]
        if kind == b"b":
            return payload
        if kind == b"s":
            return payload.decode(errors="replace")
        return None


class _SafeRedisCache(RedisCache):
    serializer = _NoPickle()


def _store_for(app: Flask) -> BaseCache | None:
    setting = str(app.config.get("PAGE_CACHE_URL") or "filesystem").strip()
    seconds = int(app.config.get("PAGE_CACHE_SECONDS") or 300)
    if setting == "none":
        return None
    if setting == "memory":
        return SimpleCache(threshold=app.config.get("PAGE_CACHE_ENTRIES", 2000), default_timeout=seconds)
    if setting.startswith(("redis://", "rediss://", "unix://")):
        import redis

        timeout = float(app.config.get("REDIS_TIMEOUT_SECONDS") or 0.5)
        client = redis.Redis.from_url(setting, socket_timeout=timeout, socket_connect_timeout=timeout)
        return _SafeRedisCache(host=client, default_timeout=seconds, key_prefix="spokes:")
    if setting == "filesystem":
        folder = os.path.join(app.instance_path, "cache", "pages")
        return FileSystemCache(folder, threshold=app.config.get("PAGE_CACHE_ENTRIES", 2000),
                               default_timeout=seconds, mode=0o600)
    raise RuntimeError(f"PAGE_CACHE_URL must be filesystem, memory, none or a redis:// URL, not {setting!r}")


def init_page_cache(app: Flask) -> None:
    """Put the page cache in front of the app, as PAGE_CACHE_URL says."""
    store = _store_for(app)
    if store is None:
        app.extensions[EXTENSION] = None
        return
    app.extensions[EXTENSION] = PageCache(app, store, int(app.config.get("PAGE_CACHE_SECONDS") or 300))
