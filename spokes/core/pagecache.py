"""A shared cache of the public pages anonymous visitors read, invalidated by the commits that change them.

Every anonymous reader of the news feed gets the same page for the same address and
language, so a WSGI middleware serves those pages from a store shared by all worker
processes, without entering Flask at all:

* ``PAGE_CACHE_URL = "filesystem"`` (the default): a folder under ``instance/``, shared by
  the workers of one machine;
* ``redis://…``: Redis, when several app servers share the load (they already share Redis
  for the rate limits);
* ``memory``: one process only (tests); ``none``: no cache.

**Invalidation.** Every entry carries the *content version* it was rendered under, a token
kept in the same store. A commit that inserted, changed or deleted a watched row (a
publication, its revisions and public files, a unit: see ``watch``) writes a new token
*after* the commit, so the next lookup of every worker misses and renders the page afresh
(overwriting the old entry). A page rendered while a commit lands carries the token read
before it, which that commit replaces, so it is never served. ``PAGE_CACHE_SECONDS`` bounds
what a process dying between its commit and the new token could leave behind.

**At most one round trip per hit.** A lookup reads the version and the entry together
(``get_many``: one ``MGET`` on Redis) and compares them; an entry this process served lately
is kept in memory too, so a hit on it only needs the (tiny) version. A process trusts the
version it last read for ``PAGE_CACHE_RECHECK_SECONDS`` (0.1 s) before asking the store again,
so a busy worker asks Redis about ten times a second, not once per hit: a commit on another
server shows within that time, and a commit in this process at once (it forgets the version
it wrote over). Signed-in pages (``personal_pages``) never use this: they ask every time.

**Validators.** The version also says when public content last changed (its first part is
the time it was written), so views take their ``ETag``/``Last-Modified`` from it
(``validators``) instead of asking the database; a cached page with an ``ETag`` answers a
matching ``If-None-Match`` (or ``If-Modified-Since``) with a 304 without entering Flask.
Values that only change with the content (a list's total) are kept per version (``remember``).

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
import threading
import time as _time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from cachelib import BaseCache, FileSystemCache, RedisCache, SimpleCache
from cachelib.serializers import RedisSerializer
from flask import Flask, current_app, has_app_context, has_request_context, make_response, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified, parse_accept_header, parse_cookie, unquote_etag
from werkzeug.routing import RequestRedirect

from spokes.core import clock
from spokes.core.i18n import locale_for_browser

log = logging.getLogger(__name__)

EXTENSION = "spokes_page_cache"
VERSION_KEY = "pages:version"
# Turned over by every commit that wrote anything: what signed-in pages are checked against
# (spokes/core/personal_pages.py).
DATA_VERSION_KEY = "pages:data-version"
# Long but finite: the folder store prunes the entries that expire first, and must never
# take the version for one of them.
VERSION_SECONDS = 10 * 365 * 24 * 3600
MAX_VALUE = 40
MAX_PAGE = 20
LOCAL_ENTRIES = 200  # entries each process also holds (about 10 kB each)
STALE = "page_cache_stale"
WROTE = "page_cache_wrote"
ENVIRON_FLAG = "spokes.public_page"
VERSION_ENVIRON = "spokes.page_version"
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


def invalidate(public: bool = True) -> None:
    """Turn the data version over now, and the public content version if ``public``.

    Called after every commit that wrote something (and by bulk jobs and tests). Never raises:
    a store that cannot be written makes this process stop serving cached pages until it can
    (``PageCache.owed``), rather than fail the commit that called it.
    """
    cache = current_app.extensions.get(EXTENSION)
    if cache is not None:
        cache.turn_over(public)


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
        # Versions a commit turned over but the store could not be told of: entries checked
        # against them are not served until they are written.
        self.owed: set[str] = set()
        # Circuit breaker: after a store failure, step around the store for retry_seconds, so a
        # hung Redis costs one timeout, not one per request.
        self.retry_seconds = float(app.config.get("PAGE_CACHE_RETRY_SECONDS") or 30)
        self._down_until = 0.0
        # Entries this process served lately, checked against the shared version on every hit.
        self._recent: OrderedDict[str, bytes] = OrderedDict()
        self._recent_lock = threading.Lock()
        # (monotonic time read, content version) last read from the store, trusted for recheck_seconds.
        self.recheck_seconds = float(app.config.get("PAGE_CACHE_RECHECK_SECONDS", 0.1))
        self._clock = _time.monotonic
        # (read at, version, _written then): trusted only while no version was written since.
        self._known: tuple[float, str, int] | None = None
        # Raised before and after every version this process writes (a sequence lock): a version
        # read while one of them was being written is never trusted.
        self._written = 0
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
        self._written += 1
        self._known = None  # this process sees its own commit at once
        try:
            return self._write_version(VERSION_KEY)
        finally:
            self._written += 1

    def _known_version(self) -> str | None:
        """Return the content version read less than ``recheck_seconds`` ago, if any."""
        known = self._known
        if known is not None and known[2] == self._written and self._clock() - known[0] < self.recheck_seconds:
            return known[1]
        return None

    def _remember_version(self, version: str, read_at: float, written: int) -> None:
        # Not if this process wrote, or was writing, a new version since the read began.
        if self.recheck_seconds > 0 and written == self._written and written % 2 == 0:
            self._known = (read_at, version, written)

    def _write_version(self, key: str) -> str:
        token = f"{int(clock.now().timestamp())}.{uuid.uuid4().hex}"
        if not self.store.set(key, token, timeout=VERSION_SECONDS):
            raise OSError("the page cache store refused a new version")
        return token

    def new_data_version(self) -> str:
        """Write a fresh data version: every kept signed-in page is out of date from now on."""
        return self._write_version(DATA_VERSION_KEY)

    def ready(self, key: str = VERSION_KEY) -> bool:
        """Return whether entries checked against ``key`` may be used now.

        The breaker must be closed, and no new version of ``key`` may be owed (a commit whose
        new version could not be written).
        """
        if not self.available():
            return False
        if self.owed:
            self._pay()
        return self.available() and key not in self.owed

    @property
    def pending(self) -> bool:
        """Whether a new public content version is owed: nothing public is served until it is written."""
        return VERSION_KEY in self.owed

    def usable_version(self) -> str | None:
        """Return the content version, or None while the store is failing or a new version is owed."""
        if not self.ready():
            return None
        try:
            return self.version()
        except Exception:  # noqa: BLE001 - without a version, callers fall back to the database
            log.exception("page cache: could not read the content version")
            self.trip()
            return None

    def turn_over(self, public: bool = True) -> None:
        """Write new versions after a commit: the data version, and the public one if ``public``.

        On failure, serve nothing checked against an owed version until a later try succeeds.
        """
        self.owed.add(DATA_VERSION_KEY)
        if public:
            self.owed.add(VERSION_KEY)
        self._pay()

    def _pay(self) -> None:
        if not self.available():
            return  # tried again once the breaker closes, before anything is served
        for key in (VERSION_KEY, DATA_VERSION_KEY):
            if key not in self.owed:
                continue
            # Taken off before the write: a commit in another thread that owes it meanwhile puts
            # it back and writes it again, rather than seeing it paid by a write that began earlier.
            self.owed.discard(key)
            try:
                if key == VERSION_KEY:
                    self.new_version()
                else:
                    self.new_data_version()
            except Exception:  # noqa: BLE001 - the data is committed; the cache must not turn that into a 500
                self.owed.add(key)
                log.exception("page cache: could not write a new version; bypassing the cache")
                self.trip()
                return

    def available(self) -> bool:
        """Return whether the store may be used now (the breaker is closed)."""
        return _time.monotonic() >= self._down_until

    def trip(self) -> None:
        """Open the breaker: serve without the store for ``retry_seconds``."""
        self._down_until = _time.monotonic() + self.retry_seconds
        log.warning("page cache: store failed; serving without it for %.0f s", self.retry_seconds)

    def _keep(self, key: str, packed: bytes) -> None:
        """Hold an entry in this process too, so that a hit only asks the store for the version."""
        with self._recent_lock:
            self._recent[key] = packed
            self._recent.move_to_end(key)
            while len(self._recent) > LOCAL_ENTRIES:
                self._recent.popitem(last=False)

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Serve a cached page, or run the app and keep its page when it may be shared."""
        if not self._eligible(environ) or not self.ready():
            return self.inner(environ, start_response)
        try:
            key = self._key(environ)
            recent = self._recent.get(key)
            version = self._known_version()
            if recent is not None and version is not None:  # nothing to ask the store
                hit = recent
            else:
                read_at, written = self._clock(), self._written  # before the read: trusted from then on
                if recent is not None:  # this process holds a copy: only the version is asked for
                    version, hit = self.store.get(VERSION_KEY), recent
                else:
                    version, hit = self.store.get_many(VERSION_KEY, key)  # one round trip (MGET on Redis)
                if not version:
                    version = self.new_version()
                else:
                    self._remember_version(str(version), read_at, written)
        except Exception:  # noqa: BLE001 - a broken cache must never take the site down
            log.exception("page cache lookup failed; serving without it")
            self.trip()
            return self.inner(environ, start_response)
        version = str(version)
        entry = unpack_entry(hit, version) if isinstance(hit, bytes) else None
        if entry is None and recent is not None:
            self._recent.pop(key, None)  # out of date here; another process may have a fresh one
            return self.__call__(environ, start_response)
        if entry is not None and recent is None:
            self._keep(key, hit)
        if entry is not None:
            status, headers, body = entry
            if _not_modified(environ, headers):
                start_response("304 NOT MODIFIED", [*_kept_on_304(headers), (HIT_HEADER, "hit")])
                return []
            start_response(status, [*headers, (HIT_HEADER, "hit")])
            return [body]
        environ[VERSION_ENVIRON] = version
        return self._fill(environ, start_response, key, version)

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
        return f"pages:{locale}:{digest}"

    def _fill(self, environ: dict[str, Any], start_response: Callable[..., Any], key: str,
              version: str) -> Iterable[bytes]:
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
                # The version read before rendering: a commit landing meanwhile makes the entry stale at once.
                packed = pack_entry(version, status, headers, body)
                self.store.set(key, packed, timeout=self.seconds)
                self._keep(key, packed)
                headers = [*headers, (HIT_HEADER, "miss")]
            except Exception:  # noqa: BLE001 - the page is served all the same; only its copy is lost
                log.exception("page cache store failed")
                self.trip()
        start_response(status, headers, captured["exc_info"])
        return [body]


# ---------------------------------------------------------------------- validators and values


@dataclass(frozen=True)
class Validators:
    """An ``ETag`` and ``Last-Modified`` that change exactly when public content does."""

    etag: str
    last_modified: datetime | None


def _cache() -> PageCache | None:
    return current_app.extensions.get(EXTENSION) if has_app_context() else None


def content_version() -> str | None:
    """Return the content version this request reads under, or None without a usable cache.

    Read it before reading the data it vouches for: a commit landing afterwards then shows
    as a newer version. The middleware's own lookup is reused (no second round trip).
    """
    if has_request_context() and request.environ.get(VERSION_ENVIRON):
        return str(request.environ[VERSION_ENVIRON])
    cache = _cache()
    version = cache.usable_version() if cache is not None else None
    if version is not None and has_request_context():
        request.environ[VERSION_ENVIRON] = version
    return version


def changed_at(version: str) -> datetime | None:
    """Return when a content version was written (whole seconds, UTC), if it says."""
    stamp, sep, _rest = version.partition(".")
    if not sep or not stamp.isdigit():
        return None
    return datetime.fromtimestamp(int(stamp), UTC)


def validators(*parts: str) -> Validators | None:
    """Return validators of a representation named by ``parts`` under the current content version.

    None when there is no usable cache: the caller then derives them from the data.
    """
    version = content_version()
    if version is None:
        return None
    key = "|".join((version, *parts))
    return Validators(etag=hashlib.sha256(key.encode("utf-8")).hexdigest()[:32], last_modified=changed_at(version))


def remember(name: str, compute: Callable[[], str]) -> str:
    """Return a value that changes only with public content, computed once per content version.

    E.g. the total of a list: every worker shares it until the next watched commit. Without a
    usable cache, ``compute`` runs each time.
    """
    version = content_version()
    cache = _cache()
    if version is None or cache is None:
        return compute()
    key = f"values:{version}:{hashlib.sha256(name.encode('utf-8')).hexdigest()}"
    try:
        stored = cache.store.get(key)
    except Exception:  # noqa: BLE001 - a broken cache costs a computation, never an error
        log.exception("page cache: could not read a remembered value")
        cache.trip()
        return compute()
    if isinstance(stored, str):
        return stored
    value = compute()
    try:
        cache.store.set(key, value, timeout=cache.seconds)
    except Exception:  # noqa: BLE001 - as above
        log.exception("page cache: could not remember a value")
        cache.trip()
    return value


def _not_modified(environ: dict[str, Any], headers: list[tuple[str, str]]) -> bool:
    if not (environ.get("HTTP_IF_NONE_MATCH") or environ.get("HTTP_IF_MODIFIED_SINCE")):
        return False
    etag = last_modified = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == "etag":
            etag = unquote_etag(value)[0]
        elif lowered == "last-modified":
            last_modified = value
    if etag is None and last_modified is None:
        return False
    return not is_resource_modified(environ, etag=etag, last_modified=last_modified)


def _kept_on_304(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # RFC 9110 15.4.5: the validators and caching headers stay; the body's own headers go.
    return [(name, value) for name, value in headers
            if name.lower() not in ("content-type", "content-length", "content-encoding", "content-language")]


# ---------------------------------------------------------------------- invalidation


def _touches_watched(session: Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        predicate = _watched.get(type(obj))
        if predicate is not None and predicate(obj):
            return True
    return False


@event.listens_for(Session, "after_flush")
def _mark_flush(session: Session, _flush_context: UOWTransaction) -> None:
    if session.new or session.deleted or session.dirty:
        session.info[WROTE] = True
        if _watched and _touches_watched(session):
            session.info[STALE] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_bulk(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    # Any other statement may write (bulk UPDATE/DELETE/INSERT, or text): signed-in pages are stale.
    state.session.info[WROTE] = True
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
    public = session.info.pop(STALE, False)
    if session.info.pop(WROTE, False) and has_app_context():
        invalidate(public)


@event.listens_for(Session, "after_rollback")
def _forget_writes(session: Session) -> None:
    # Rolled back: nothing was written. (A savepoint's rollback keeps the outer marks: they may
    # come from flushes before it.)
    if not session.in_nested_transaction():
        session.info.pop(STALE, None)
        session.info.pop(WROTE, None)


# ---------------------------------------------------------------------- stores


def pack_entry(version: str, status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    return json.dumps({"version": version, "status": status, "headers": headers}).encode() + b"\n" + body


def unpack_entry(data: bytes, version: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """Return the page of an entry rendered under ``version``; None for another version or garbage."""
    head, sep, body = data.partition(b"\n")
    try:
        meta = json.loads(head) if sep else None
        if meta["version"] != version:
            return None
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
    """Redis through one connection per thread and process, made on first use.

    A hit is a single small command; redis-py's connection pool (a lock, a health check, a
    checkout and a check-in per command) cost a third of it. A thread of a worker uses one
    connection at a time anyway, and a forked worker makes its own.
    """

    serializer = _NoPickle()

    def __init__(self, url: str, timeout: float, **kwargs: Any) -> None:
        self._url, self._timeout, self._local = url, timeout, threading.local()
        super().__init__(host=self, **kwargs)  # the client is chosen per thread: see _client()

    def _client(self) -> Any:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            import redis

            local.client = redis.Redis.from_url(self._url, socket_timeout=self._timeout,
                                                socket_connect_timeout=self._timeout, single_connection_client=True)
            local.pid = os.getpid()
        return local.client

    @property  # type: ignore[override]
    def _read_client(self) -> Any:
        return self._client()

    @_read_client.setter
    def _read_client(self, _value: Any) -> None:
        pass  # set by the base class to the placeholder: the per-thread client is used instead

    @property  # type: ignore[override]
    def _write_client(self) -> Any:
        return self._client()

    @_write_client.setter
    def _write_client(self, _value: Any) -> None:
        pass


def _store_for(app: Flask) -> BaseCache | None:
    setting = str(app.config.get("PAGE_CACHE_URL") or "filesystem").strip()
    seconds = int(app.config.get("PAGE_CACHE_SECONDS") or 300)
    if setting == "none":
        return None
    if setting == "memory":
        return SimpleCache(threshold=app.config.get("PAGE_CACHE_ENTRIES", 2000), default_timeout=seconds)
    if setting.startswith(("redis://", "rediss://", "unix://")):
        timeout = float(app.config.get("REDIS_TIMEOUT_SECONDS") or 0.5)
        return _SafeRedisCache(setting, timeout, default_timeout=seconds, key_prefix="spokes:")
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
