"""Atom and RSS feeds of the news feed, built with feedgen, with HTTP validators and a tiny cache.

Entry ids are tag URIs built from the publication id, so they survive corrections, title
changes and a move of the site behind another path. A correction or a withdrawal bumps the
item's ``updated_at``, so readers see the entry as updated.

The ETag and Last-Modified come from the page cache's content version, which every commit
touching a publication or a unit turns over: a conditional request costs no query at all
(and a cached feed is answered by the page cache itself). Only without a usable page cache
are they derived from the data (the newest ``updated_at`` and the number of items).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from spokes.core import pagecache
from spokes.core.jinja import vn_datetime
from spokes.core.markdown import render_markdown
from spokes.publishing import services
from spokes.publishing.labels import kind_label
from spokes.publishing.models import Publication
from spokes.units.models import Unit

FEED_LIMIT = 50
FEED_VERSION = "1"  # bump when the shape of the feeds changes, so ETags and the cache turn over
EMPTY_UPDATED = datetime(2017, 7, 5, tzinfo=UTC)  # a stable "updated" for a feed with no items
CACHE_SIZE = 64
MIMETYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}

_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def base_url() -> str:
    """Return the public origin used in feeds and permalinks (PUBLIC_BASE_URL, else this host)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    return (configured or request.host_url).rstrip("/")


def absolute(endpoint: str, **values: object) -> str:
    """Return the absolute public URL of an endpoint."""
    return base_url() + url_for(endpoint, **values)


def _authority() -> str:
    return urlsplit(base_url()).hostname or "localhost"


def entry_id(pub: Publication) -> str:
    """Return the permanent id of an item's entry (RFC 4151 tag URI)."""
    year = pub.published_at.astimezone(UTC).year
    return f"tag:{_authority()},{year}:publication:{pub.id}"


def feed_id(unit: Unit | None) -> str:
    """Return the permanent id of a feed."""
    return f"tag:{_authority()},2017:feed:" + (f"unit:{unit.code}" if unit is not None else "site")


@dataclass(frozen=True)
class FeedValidators:
    """The ETag and Last-Modified of a feed, from its newest update and its size."""

    etag: str
    last_modified: datetime


def validators(fmt: str, unit: Unit | None) -> FeedValidators:
    """Return the validators of a feed as it is now (call before reading the items)."""
    parts = (FEED_VERSION, base_url(), fmt, unit.code if unit is not None else "*")
    marks = pagecache.validators(*parts)
    if marks is not None:
        return FeedValidators(etag=marks.etag, last_modified=marks.last_modified or EMPTY_UPDATED)
    state = services.feed_state(unit)  # no usable page cache: one aggregate over the feed's items
    last = state.last_modified or EMPTY_UPDATED
    key = "|".join([*parts, last.astimezone(UTC).isoformat(), str(state.count)])
    return FeedValidators(etag=hashlib.sha256(key.encode("utf-8")).hexdigest()[:32],
                          last_modified=last.replace(microsecond=0))


def _notice_html(pub: Publication) -> Markup:
    if pub.withdrawn_at is not None:
        return Markup("<p><strong>{}</strong> {}</p>").format(
            _("Tin đã được gỡ lúc %(at)s.", at=vn_datetime(pub.withdrawn_at, "%H:%M %d/%m/%Y")),
            _("Lý do: %(reason)s", reason=pub.withdrawn_reason or ""))
    if pub.corrected_at is not None:
        return Markup("<p><strong>{}</strong>: {}</p>").format(
            _("Cải chính lúc %(at)s", at=vn_datetime(pub.corrected_at, "%H:%M %d/%m/%Y")),
            services.latest_note(pub) or "")
    return Markup("")


def _content_html(pub: Publication) -> str:
    """Return the entry's HTML: the notice, then the body and its facts (Markup escapes the text)."""
    notice = _notice_html(pub)
    if pub.withdrawn_at is not None:
        return str(notice)
    parts = [notice, render_markdown(pub.body)]
    speaker = pub.speaker_name + (f" — {pub.speaker_title}" if pub.speaker_title else "")
    parts.append(Markup("<p>{}</p>").format(_("Người phát ngôn: %(speaker)s", speaker=speaker)))
    if pub.question_subject:
        asked = pub.question_subject + (f" ({pub.question_agency})" if pub.question_agency else "")
        parts.append(Markup("<p>{}</p>").format(_("Trả lời câu hỏi: %(question)s", question=asked)))
    return str(Markup("").join(parts))


def _title(pub: Publication) -> str:
    if pub.withdrawn_at is not None:
        return _("[Đã gỡ] %(title)s", title=pub.title)
    if pub.corrected_at is not None:
        return _("[Cải chính] %(title)s", title=pub.title)
    return pub.title


def _summary(pub: Publication) -> str:
    if pub.withdrawn_at is not None:
        return _("Tin đã được gỡ. Lý do: %(reason)s", reason=pub.withdrawn_reason or "")
    return pub.summary or pub.title


def _build(fmt: str, unit: Unit | None, items: list[Publication], updated: datetime) -> bytes:
    site = current_app.config.get("SITE_NAME") or "Spokes"
    fg = FeedGenerator()
    fg.id(feed_id(unit))
    if unit is not None:
        fg.title(_("%(unit)s — tin phát ngôn và trả lời báo chí", unit=unit.name))
        # feedgen gives RSS the last link, so the page (alternate) comes after the feed (self).
        fg.link(href=absolute(f"publishing.unit_feed_{fmt}", code=unit.code), rel="self")
        fg.link(href=absolute("publishing.unit_page", code=unit.code), rel="alternate")
    else:
        fg.title(_("%(site)s — tin phát ngôn và trả lời báo chí", site=site))
        fg.link(href=absolute(f"publishing.feed_{fmt}"), rel="self")
        fg.link(href=absolute("publishing.home"), rel="alternate")
    fg.subtitle(_("Câu trả lời báo chí và phát ngôn của các đơn vị, kèm cải chính và thông báo gỡ tin."))
    fg.author({"name": unit.name if unit is not None else site})
    fg.language("vi")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.generator("Spokes")
    for pub in items:
        permalink = absolute("publishing.item", slug=pub.slug)
        entry = fg.add_entry(order="append")
        entry.id(entry_id(pub))
        entry.title(_title(pub))
        entry.link(href=permalink, rel="alternate")
        entry.published(pub.published_at)
        entry.updated(pub.updated_at)
        entry.pubDate(pub.published_at)
        entry.author({"name": pub.unit.name})
        entry.category(term=pub.kind, label=str(kind_label(pub.kind)))
        # Readers take an RSS description as HTML: escape the plain summary so typed markup stays text.
        entry.summary(_summary(pub) if fmt == "atom" else str(escape(_summary(pub))))
        entry.content(_content_html(pub), type="html")
    return fg.atom_str(pretty=False) if fmt == "atom" else fg.rss_str(pretty=False)


def render(fmt: str, unit: Unit | None, marks: FeedValidators) -> bytes:
    """Return the feed document, from this process's cache when nothing changed since it was built.

    The key is the ETag, which changes with every publish, correction and withdrawal, so a
    stale entry is never served; old keys simply fall out of the small LRU. (Anonymous readers
    are served by the shared page cache first; this spares rebuilding for the others.)
    """
    with _cache_lock:
        cached = _cache.get(marks.etag)
        if cached is not None:
            _cache.move_to_end(marks.etag)
            return cached
    items = services.feed_items(unit, FEED_LIMIT)
    # The newest update: the items come most recently updated first.
    updated = items[0].updated_at if items else EMPTY_UPDATED
    with force_locale("vi"):  # feeds are shared by every reader: one language, one cache entry
        body = _build(fmt, unit, items, updated)
    with _cache_lock:
        _cache[marks.etag] = body
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return body


def clear_cache() -> None:
    """Empty the feed cache (tests; never needed for correctness)."""
    with _cache_lock:
        _cache.clear()
