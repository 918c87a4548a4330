"""Every endpoint × anonymous and each role × objects of their own unit and of other units.

The table below has an entry for every endpoint of the URL map (except ``static``); a new
endpoint without an entry fails ``test_every_endpoint_has_an_entry``. Each entry lists probes
(a method, a URL built from the world of ``helpers.py`` and the expected status per user).
For the probes that take an object, the expectation is a triple: the object of the user's
own commune (Đông Hưng; "own"), of the sibling commune in the same district (Vân Khánh;
"sibling") and of a commune of the other district (Bình Giang; "far"). The overseer and the
admin under test sit at the district, so "sibling" is inside their reach and "far" is not.

On every response, whatever its status, the suite also checks:
- no marker of a place the user may not see is in the body (subjects, journalists' contacts,
  internal notes, file names, staff e-mails; see ``helpers.py``), in HTML, JSON, CSV or XLSX;
- the security headers (CSP without inline scripts, framing, nosniff, Referrer-Policy);
- HTML pages carry no inline script, ``style=`` attribute, event handler or javascript: URL.

Denied requests and public POSTs must leave the database exactly as it was (a fingerprint of
every row of every table). Allowed POSTs run in a dry run: every commit becomes a rollback,
so the action really runs (and must not fail) but the shared world stays as it was.

The world is built once for this module (``matrix``), signed-in sessions are copied into a
fresh client for every test, so nothing a test does to a session reaches the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from .helpers import (
    PLACES,
    ROLES,
    USERS,
    World,
    client_with,
    dry_run,
    fetch,
    fingerprint,
    header_problems,
    inline_code_problems,
    leaked_markers,
    module_world,
    session_cookie,
    sign_in,
)

L = "login"  # 302 to the login page
OK = "ok"  # allowed: the action runs (any status but 401/403/404/5xx or a redirect to login)

Spec = Any  # int | str | tuple[own, sibling, far]
Url = Callable[[World, Any, str], str]
PROBE_DATA = {"_probe": "1"}  # a non-empty form: Flask-WTF would otherwise fill forms from objects


def row(anonymous: Spec, clerk: Spec, spokesperson: Spec, head: Spec, overseer: Spec, admin: Spec) -> dict[str, Spec]:
    """Return the expectations of one probe, per user."""
    return dict(zip(USERS, (anonymous, clerk, spokesperson, head, overseer, admin), strict=True))


def same(spec: Spec) -> dict[str, Spec]:
    """Return the same expectation for every user."""
    return row(spec, spec, spec, spec, spec, spec)


def only(roles: set[str], allowed: Spec, denied: Spec = 403) -> dict[str, Spec]:
    """Return: anonymous to login, the roles allowed, every other role denied."""
    return {"anonymous": L, **{r: (allowed if r in roles else denied) for r in ROLES}}


@dataclass(frozen=True)
class Probe:
    """One request to make as every user (and, when ``placed``, about every place)."""

    method: str
    url: Url
    expect: dict[str, Spec]
    placed: bool = False
    allowed_groups: Callable[[str], frozenset[str]] = field(default=lambda place: frozenset())


def get(url: Url, expect: dict[str, Spec], **kw: Any) -> Probe:
    """Return a GET probe."""
    return Probe("GET", url, expect, **kw)


def post(url: Url, expect: dict[str, Spec], **kw: Any) -> Probe:
    """Return a POST probe (sent with a dummy field)."""
    return Probe("POST", url, expect, **kw)


def placed(method: str, url: Url, expect: dict[str, Spec], **kw: Any) -> Probe:
    """Return a probe asked about the three places."""
    return Probe(method, url, expect, placed=True, **kw)


def placed_form(url: Url, shows: dict[str, Spec], sends: dict[str, Spec], **kw: Any) -> list[Probe]:
    """Return the probes of a form about the three places: GET shows it, POST sends it, at one URL."""
    return [placed("GET", url, shows, **kw), placed("POST", url, sends, **kw)]


def fixed(path: str) -> Url:
    """Return a URL builder of a constant path."""
    return lambda w, p, r: path


# Reaches, as (own, sibling, far) triples.
OWN = (200, 404, 404)  # a commune role on a request page
DISTRICT = (200, 200, 404)  # the district's overseer on a request page
NOWHERE = (404, 404, 404)
MANAGE_OWN = (200, 403, 403)  # a head on their unit's objects
MANAGE_DISTRICT = (200, 200, 403)  # the district admin on objects of its subtree
OK_OWN = (OK, 403, 403)
OK_DISTRICT = (OK, OK, 403)
ALL_200 = (200, 200, 200)

REQUEST_VIEW = row(L, OWN, OWN, OWN, DISTRICT, NOWHERE)
SEEN_NOT_HEAD = (403, 404, 404)  # sees the unit's requests, lacks the head's right
OK_SEEN = (OK, 404, 404)  # allowed in the own unit, nothing of the others is visible
LETTER_ISSUE = row(L, SEEN_NOT_HEAD, SEEN_NOT_HEAD, (OK, 404, 404), (403, 403, 404), NOWHERE)
LETTER_HEADING = row(L, SEEN_NOT_HEAD, SEEN_NOT_HEAD, (200, 404, 404), (403, 403, 404), (200, 200, 404))
LETTER_HEADING_POST = row(L, SEEN_NOT_HEAD, SEEN_NOT_HEAD, (OK, 404, 404), (403, 403, 404), (OK, OK, 404))


def request_action(verb: str, rights: set[str]) -> list[Probe]:
    """Return the POST probe of a request action, given the roles holding its right.

    A user who may see the request but lacks the right gets 403; a user who may not see it
    gets 404 (so ids of other units reveal nothing); the admin sees no requests at all.
    """
    def commune(role: str) -> Spec:
        return (OK if role in rights else 403, 404, 404)

    overseer = OK if "overseer" in rights else 403
    expect = row(L, commune("clerk"), commune("spokesperson"), commune("head"), (overseer, overseer, 404), NOWHERE)
    return [placed("POST", lambda w, p, r: f"/staff/requests/{p.secret.id}/{verb}", expect)]


def own_notification(w: World, p: Any, role: str) -> str:
    """Return the mark-read URL of the user's own notification (own) or of another person's."""
    notice = w.notifications[role] if p.name == "own" and role in w.notifications else p.notification
    return f"/staff/notifications/{notice.id}/read"


def STAFF_OF(place: str) -> frozenset[str]:  # noqa: N802 - reads as a constant in the table
    """Allow the staff e-mails of the place the probe is about."""
    return frozenset({f"{place}:staff"})


def export_url(fmt: str) -> Url:
    """Return the URL builder of a report export of the place's unit, with its request list."""
    return lambda w, p, r: f"/staff/reports/export.{fmt}?unit={p.unit.id}&table=requests"


ADMIN_ONLY = only({"admin"}, 200)
ADMIN_POST = only({"admin"}, OK)
# Rulebooks and the calendar are tree-wide: only an admin of a top-level unit manages them. The
# admin under test sits at the district, so it is refused; tests/deadlines covers the province admin.
TOP_ADMIN_ONLY = only(set(), 200)
TOP_ADMIN_POST = only(set(), OK)
# The district admin manages the units and people of its subtree; designations, a head of their own unit too.
SUBTREE_ADMIN = row(L, 403, 403, 403, 403, MANAGE_DISTRICT)
SUBTREE_ADMIN_POST = row(L, 403, 403, 403, 403, OK_DISTRICT)
DESIGNATION_MANAGERS = row(L, 403, 403, MANAGE_OWN, 403, MANAGE_DISTRICT)
DESIGNATION_MANAGERS_POST = row(L, 403, 403, OK_OWN, 403, OK_DISTRICT)
# Spokespersons and heads publish their own unit's news.
PUBLISHERS = row(L, 403, MANAGE_OWN, MANAGE_OWN, 403, 403)
PUBLISHERS_POST = row(L, 403, OK_OWN, OK_OWN, 403, 403)
REPORTERS = only({"head", "overseer", "admin"}, 200)
REPORT_PLACED = row(L, 403, 403, MANAGE_OWN, MANAGE_DISTRICT, MANAGE_DISTRICT)
ALL_STAFF = only(set(ROLES), 200)
PUBLIC = same(200)

TABLE: dict[str, list[Probe]] = {
    # ------------------------------------------------------------------ administration
    "audit.events": [get(fixed("/admin/audit"), only({"overseer", "admin"}, 200))],
    "audit.export": [get(fixed("/admin/audit.csv"), only({"overseer", "admin"}, 200))],
    "units.designation_revoke": placed_form(lambda w, p, r: f"/admin/designations/{p.designation.id}/revoke",
                                            DESIGNATION_MANAGERS, DESIGNATION_MANAGERS_POST),
    "units.designation_scan": [
        placed("GET", lambda w, p, r: f"/admin/designations/{p.designation.id}/scan",
               DESIGNATION_MANAGERS),
    ],
    "units.designations_home": [get(fixed("/admin/designations"), row(L, 403, 403, 302, 403, 302))],
    "units.export": [get(fixed(f"/admin/export/{kind}.{fmt}"), ADMIN_ONLY)
                     for kind in ("units", "users") for fmt in ("csv", "xlsx")],
    "units.import_data": [get(fixed("/admin/import"), ADMIN_ONLY), post(fixed("/admin/import"), ADMIN_POST)],
    "admin.index": [get(fixed("/admin/"), ADMIN_ONLY)],
    "auth.membership_add": [placed("POST", lambda w, p, r: f"/admin/users/{p.clerk.id}/memberships",
                                    SUBTREE_ADMIN_POST)],
    "auth.membership_remove": [placed("POST", lambda w, p, r: f"/admin/memberships/{p.membership.id}/remove",
                                       SUBTREE_ADMIN_POST)],
    "units.merge": [get(fixed("/admin/units/merge"), ADMIN_ONLY), post(fixed("/admin/units/merge"), ADMIN_POST)],
    # A one-time link works for whoever holds it; a wrong or used token is a 404 (test_misc).
    # It names the account it resets (the clerk's e-mail), to whoever holds it.
    "auth.reset_password": placed_form(lambda w, p, r: f"/admin/reset/{p.reset_token}", same(ALL_200),
                                       same((400, 400, 400)), allowed_groups=STAFF_OF),
    "units.unit_deactivate": [placed("POST", lambda w, p, r: f"/admin/units/{p.unit.id}/deactivate",
                                     SUBTREE_ADMIN_POST)],
    "units.unit_designations": placed_form(lambda w, p, r: f"/admin/units/{p.unit.id}/designations",
                                           DESIGNATION_MANAGERS, DESIGNATION_MANAGERS_POST),
    "units.unit_edit": placed_form(lambda w, p, r: f"/admin/units/{p.unit.id}", SUBTREE_ADMIN, SUBTREE_ADMIN_POST),
    "units.unit_move": [placed("POST", lambda w, p, r: f"/admin/units/{p.unit.id}/move",
                               SUBTREE_ADMIN_POST)],
    "units.unit_new": [get(fixed("/admin/units/new"), ADMIN_ONLY), post(fixed("/admin/units/new"), ADMIN_POST)],
    "units.unit_reactivate": [placed("POST", lambda w, p, r: f"/admin/units/{p.unit.id}/reactivate",
                                     SUBTREE_ADMIN_POST)],
    "units.units": [get(fixed("/admin/units"), ADMIN_ONLY)],
    "auth.user_deactivate": [placed("POST", lambda w, p, r: f"/admin/users/{p.clerk.id}/deactivate",
                                     SUBTREE_ADMIN_POST)],
    "auth.user_edit": placed_form(lambda w, p, r: f"/admin/users/{p.clerk.id}", SUBTREE_ADMIN, SUBTREE_ADMIN_POST),
    "auth.user_new": [get(fixed("/admin/users/new"), ADMIN_ONLY), post(fixed("/admin/users/new"), ADMIN_POST)],
    "auth.user_reactivate": [placed("POST", lambda w, p, r: f"/admin/users/{p.clerk.id}/reactivate",
                                     SUBTREE_ADMIN_POST)],
    "auth.user_reset_link": [placed("POST", lambda w, p, r: f"/admin/users/{p.clerk.id}/reset-link",
                                     SUBTREE_ADMIN_POST)],
    "auth.user_temporary_password": [placed("POST", lambda w, p, r: f"/admin/users/{p.clerk.id}/temporary-password",
                                             SUBTREE_ADMIN_POST)],
    "auth.users": [get(fixed("/admin/users"), ADMIN_ONLY)],
    # ------------------------------------------------------------------ the public API
    "api.index": [get(fixed("/api/v1/"), PUBLIC)],
    "api.item": [placed("GET", lambda w, p, r: f"/api/v1/items/{p.publication.slug}", same(ALL_200))],
    "api.items": [placed("GET", lambda w, p, r: f"/api/v1/items?unit={p.unit.code}&per_page=100", same(ALL_200))],
    "api.openapi": [get(fixed("/api/v1/openapi.json"), PUBLIC)],
    "api.docs": [get(fixed("/api/v1/docs"), PUBLIC)],
    "api.request_status": [placed(
        "GET", lambda w, p, r: f"/api/v1/requests/{p.answered.reference}?token={p.answered_token}", same(ALL_200))],
    "api.spokespersons": [placed("GET", lambda w, p, r: f"/api/v1/spokespersons?unit={p.unit.code}", same(ALL_200))],
    "api.unit": [placed("GET", lambda w, p, r: f"/api/v1/units/{p.unit.code}", same(ALL_200))],
    "api.units": [get(fixed("/api/v1/units"), PUBLIC)],
    # ------------------------------------------------------------------ official letters
    # Readers of a unit's register are those who see its requests; only its head issues.
    "letters.download": [placed("GET", lambda w, p, r: f"/staff/letters/{p.letter.id}.docx", REQUEST_VIEW)],
    "letters.download_pdf": [placed("GET", lambda w, p, r: f"/staff/letters/{p.letter.id}.pdf", REQUEST_VIEW)],
    "letters.for_request": placed_form(lambda w, p, r: f"/staff/letters/request/{p.answered.id}", REQUEST_VIEW,
                                       LETTER_ISSUE),
    "letters.heading": placed_form(lambda w, p, r: f"/staff/letters/heading/{p.unit.code}", LETTER_HEADING,
                                   LETTER_HEADING_POST),
    "letters.register": [get(fixed("/staff/letters/register"), row(L, 200, 200, 200, 200, 403))],
    "letters.sample_template": [get(fixed("/staff/letters/template.docx"), row(L, 200, 200, 200, 200, 403))],
    "letters.signed_copy": [placed("POST", lambda w, p, r: f"/staff/letters/{p.letter.id}/signed-copy",
                                   LETTER_ISSUE)],
    "letters.record_published": [placed("POST", lambda w, p, r: f"/staff/letters/{p.letter.id}/published",
                                        row(L, SEEN_NOT_HEAD, OK_SEEN, OK_SEEN, (403, 403, 404), NOWHERE))],
    # Designation letters: the unit's designation managers see them; only its head issues.
    "letters.for_designation": placed_form(
        lambda w, p, r: f"/staff/letters/designation/{p.designation.id}",
        row(L, NOWHERE, NOWHERE, (200, 404, 404), NOWHERE, (200, 200, 404)),
        row(L, NOWHERE, NOWHERE, (OK, 404, 404), NOWHERE, (403, 403, 404))),
    # ------------------------------------------------------------------ press conferences
    # Those who see a unit's requests see its conferences; spokespersons and heads plan them and
    # record the notice's sending and any refusal; only the head issues the notice.
    "conferences.index": [get(fixed("/staff/conferences"), row(L, 200, 200, 200, 200, 403))],
    "conferences.new": [get(fixed("/staff/conferences/new"), row(L, 403, 200, 200, 403, 403)),
                        post(fixed("/staff/conferences/new"), row(L, 403, OK, OK, 403, 403))],
    "conferences.detail": placed_form(lambda w, p, r: f"/staff/conferences/{p.conference.id}", REQUEST_VIEW,
                                      LETTER_ISSUE),
    "conferences.record_sent": [placed("POST", lambda w, p, r: f"/staff/conferences/{p.conference.id}/sent",
                                       row(L, SEEN_NOT_HEAD, OK_SEEN, OK_SEEN, (403, 403, 404), NOWHERE))],
    "conferences.record_refusal": [placed("POST", lambda w, p, r: f"/staff/conferences/{p.conference.id}/refusal",
                                          row(L, SEEN_NOT_HEAD, OK_SEEN, OK_SEEN, (403, 403, 404), NOWHERE))],
    # ------------------------------------------------------------------ signing in
    "auth.change_password": [get(fixed("/account/password"), ALL_STAFF),
                             post(fixed("/account/password"), only(set(ROLES), 400))],
    "auth.login": [get(fixed("/login"), row(200, 302, 302, 302, 302, 302)),
                   post(fixed("/login"), row(400, 302, 302, 302, 302, 302))],
    # Allowed actions (run as dry runs): signing out raises the user's session generation, and
    # a real run would end the sessions of the users the other probes sign in with.
    "auth.logout": [post(fixed("/logout"), same(OK))],
    "auth.sign_out_everywhere": [post(fixed("/account/sign-out-everywhere"), only(set(ROLES), OK, L))],
    # ------------------------------------------------------------------ cross-cutting
    "core.healthz": [get(fixed("/healthz"), PUBLIC)],
    "core.set_language": [get(fixed("/lang/vi"), same(302))],
    "dashboard.home": [get(fixed("/staff/"), ALL_STAFF)],
    "handbook.public": [get(fixed("/handbook"), PUBLIC)],
    "handbook.staff": [get(fixed("/staff/handbook"), ALL_STAFF)],
    # ------------------------------------------------------------------ deadlines (rulebooks are global)
    "deadlines.add_calendar_day": [post(fixed("/admin/calendar"), TOP_ADMIN_POST)],
    "deadlines.calculator": [get(fixed("/deadline"), PUBLIC),
                             get(fixed("/deadline?type=information&received_date=2026-03-10&received_time=08:00"),
                                 PUBLIC)],
    "deadlines.calendar": [get(fixed("/admin/calendar"), TOP_ADMIN_ONLY)],
    "deadlines.edit_ground": [get(lambda w, p, r: f"/admin/rulebooks/grounds/{w.ground_id}/edit", TOP_ADMIN_ONLY),
                              post(lambda w, p, r: f"/admin/rulebooks/grounds/{w.ground_id}/edit", TOP_ADMIN_POST)],
    "deadlines.edit_rule": [get(lambda w, p, r: f"/admin/rulebooks/rules/{w.rule_id}/edit", TOP_ADMIN_ONLY),
                            post(lambda w, p, r: f"/admin/rulebooks/rules/{w.rule_id}/edit", TOP_ADMIN_POST)],
    "deadlines.new_version": [get(lambda w, p, r: f"/admin/rulebooks/{w.rulebook_id}/new-version", TOP_ADMIN_ONLY),
                              post(lambda w, p, r: f"/admin/rulebooks/{w.rulebook_id}/new-version", TOP_ADMIN_POST)],
    "deadlines.remove_calendar_day": [post(lambda w, p, r: f"/admin/calendar/{w.calendar_day_id}/delete",
                                           TOP_ADMIN_POST)],
    "deadlines.rulebook": [get(lambda w, p, r: f"/admin/rulebooks/{w.rulebook_id}", TOP_ADMIN_ONLY)],
    "deadlines.rulebooks": [get(fixed("/admin/rulebooks"), TOP_ADMIN_ONLY)],
    # ------------------------------------------------------------------ notifications (per person)
    # ------------------------------------------------------------------ requests by e-mail
    "mailin.index": [get(fixed("/staff/mail/"), row(L, 200, 200, 200, 200, 403)),
                     get(fixed("/staff/mail/?outcome=quarantined&page=2"), row(L, 200, 200, 200, 200, 403))],
    "mailin.detail": [placed("GET", lambda w, p, r: f"/staff/mail/{p.mail.id}", REQUEST_VIEW)],
    "mailin.confirm_type": [placed("POST", lambda w, p, r: f"/staff/mail/{p.mail.id}/confirm-type",
                                   row(L, (OK, 404, 404), (OK, 404, 404), (OK, 404, 404), (403, 403, 404), NOWHERE))],
    "notifications.index": [get(fixed("/staff/notifications"), ALL_STAFF)],
    "notifications.mark_all_read": [post(fixed("/staff/notifications/read-all"), only(set(ROLES), OK))],
    "notifications.mark_read": [placed("POST", own_notification, only(set(ROLES), (OK, 404, 404)))],
    "notifications.preferences": [get(fixed("/staff/preferences"), ALL_STAFF),
                                  post(fixed("/staff/preferences"), only(set(ROLES), OK))],
    # ------------------------------------------------------------------ the journalist portal
    "portal.ask": [get(fixed("/ask"), PUBLIC), post(fixed("/ask"), same(400))],
    "portal.directory": [get(fixed("/spokespersons"), PUBLIC),
                         placed("GET", lambda w, p, r: f"/spokespersons?q={p.unit.name}", same(ALL_200))],
    "portal.track": [get(fixed("/track"), PUBLIC), post(fixed("/track"), same(400))],
    # Without the tracking link (or reference + e-mail) in this browser's session, nothing.
    "portal.track_file": [placed(
        "GET", lambda w, p, r: f"/track/request/{p.answered.reference}/files/{p.public_file.id}", same(NOWHERE))],
    "portal.track_message": [placed("POST", lambda w, p, r: f"/track/request/{p.answered.reference}/message",
                                    same(NOWHERE))],
    "portal.track_token": [placed("GET", lambda w, p, r: f"/track/{p.answered_token}", same(ALL_200))],
    "portal.track_view": [placed("GET", lambda w, p, r: f"/track/request/{p.answered.reference}",
                                 same((302, 302, 302)))],
    "portal.track_withdraw": [placed("POST", lambda w, p, r: f"/track/request/{p.answered.reference}/withdraw",
                                     same(NOWHERE))],
    # ------------------------------------------------------------------ staff request pages
    "press_requests.approve": request_action("approve", {"head"}),
    "press_requests.attachment": [placed(
        "GET", lambda w, p, r: f"/staff/requests/{p.secret.id}/attachments/{p.evidence.id}", REQUEST_VIEW)],
    "press_requests.authorise": request_action("authorise", {"head"}),
    "press_requests.detail": [placed("GET", lambda w, p, r: f"/staff/requests/{p.secret.id}", REQUEST_VIEW)],
    "press_requests.conclude": request_action("conclusion", {"spokesperson", "head"}),
    "press_requests.conclusion_sent": request_action("conclusion/sent", {"spokesperson", "head"}),
    "press_requests.draft": request_action("draft", {"spokesperson", "head"}),
    "press_requests.extend": request_action("extend", {"head"}),
    "press_requests.message": request_action("message", {"clerk", "spokesperson", "head"}),
    "press_requests.new": [
        get(fixed("/staff/requests/new"), only({"clerk", "spokesperson", "head"}, 200)),
        # Looking up journalists finds only those who wrote to the user's units: the query is
        # part of a name, so its echo in the search box is not itself a marker.
        placed("GET", lambda w, p, r: "/staff/requests/new?jq=" + p.answered.journalist.name.split(" ", 1)[1],
               only({"clerk", "spokesperson", "head"}, ALL_200)),
        post(fixed("/staff/requests/new"), only({"clerk", "spokesperson", "head"}, OK)),
    ],
    "press_requests.note": request_action("note", {"clerk", "spokesperson", "head"}),
    "press_requests.update_journalist": request_action("journalist", {"clerk", "spokesperson", "head"}),
    "press_requests.queue": [
        get(fixed("/staff/requests/?state=all"), only({"clerk", "spokesperson", "head", "overseer"}, 200)),
        get(fixed("/staff/requests/?state=all&tab=unit"), only({"clerk", "spokesperson", "head", "overseer"}, 200)),
        get(fixed("/staff/requests/?state=all&tab=subtree"), only({"clerk", "spokesperson", "head", "overseer"}, 200)),
        get(fixed("/staff/requests/?state=all&tab=transferred"),
            only({"clerk", "spokesperson", "head", "overseer"}, 200)),
    ],
    "press_requests.reassign": request_action("reassign", {"head", "overseer"}),
    "press_requests.reclassify": request_action("reclassify", {"head", "overseer"}),
    "press_requests.reopen": request_action("reopen", {"head", "overseer"}),
    "press_requests.return_draft": request_action("return", {"head"}),
    "press_requests.send": request_action("send", {"spokesperson", "head"}),
    "press_requests.submit": request_action("submit", {"spokesperson", "head"}),
    "press_requests.transfer": request_action("transfer", {"head", "overseer"}),
    "press_requests.withdraw": request_action("withdraw", {"clerk", "spokesperson", "head"}),
    # ------------------------------------------------------------------ publishing
    "publishing.duties": [get(fixed("/staff/duties"), only({"spokesperson", "head"}, 200))],
    "publishing.edit": placed_form(lambda w, p, r: f"/staff/publications/{p.publication.id}/edit", PUBLISHERS,
                                   PUBLISHERS_POST),
    "publishing.edit_duty": placed_form(lambda w, p, r: f"/staff/duties/{p.duty.id}/edit",
                                        row(L, 403, 403, MANAGE_OWN, 403, 403), row(L, 403, 403, OK_OWN, 403, 403)),
    "publishing.feed_atom": [get(fixed("/feed.atom"), PUBLIC)],
    "publishing.feed_rss": [get(fixed("/feed.rss"), PUBLIC)],
    "publishing.file": [placed("GET", lambda w, p, r: f"/news/{p.publication.slug}/files/{p.public_file.id}",
                               same(ALL_200))],
    "publishing.home": [get(fixed("/"), PUBLIC)],
    "publishing.item": [placed("GET", lambda w, p, r: f"/news/{p.publication.slug}", same(ALL_200))],
    "publishing.new": [
        get(fixed("/staff/publications/new"), only({"spokesperson", "head"}, 200)),
        post(fixed("/staff/publications/new"), only({"spokesperson", "head"}, OK)),
        # An answer already on the feed: the page sends its publisher to the item.
        *placed_form(lambda w, p, r: f"/staff/publications/new?request_id={p.answered.id}",
                     row(L, 403, (302, 403, 403), (302, 403, 403), 403, 403), PUBLISHERS_POST),
    ],
    "publishing.new_duty": [get(fixed("/staff/duties/new"), only({"head"}, 200)),
                            post(fixed("/staff/duties/new"), only({"head"}, OK))],
    "publishing.news": [get(fixed("/news"), PUBLIC),
                        placed("GET", lambda w, p, r: f"/news?unit={p.unit.code}", same(ALL_200))],
    "publishing.revision": [placed("GET", lambda w, p, r: f"/news/{p.publication.slug}/revisions/1", same(ALL_200))],
    "publishing.staff_list": [
        get(fixed("/staff/publications"), only({"spokesperson", "head"}, 200)),
        # Another unit's id in the filter is ignored: the list stays within the user's units.
        placed("GET", lambda w, p, r: f"/staff/publications?unit={p.unit.id}", only({"spokesperson", "head"}, ALL_200)),
    ],
    "publishing.unit_feed_atom": [placed("GET", lambda w, p, r: f"/units/{p.unit.code}/feed.atom", same(ALL_200))],
    "publishing.unit_feed_rss": [placed("GET", lambda w, p, r: f"/units/{p.unit.code}/feed.rss", same(ALL_200))],
    "publishing.unit_page": [placed("GET", lambda w, p, r: f"/units/{p.unit.code}", same(ALL_200))],
    "publishing.widget": [placed("GET", lambda w, p, r: f"/units/{p.unit.code}/widget", same(ALL_200))],
    "publishing.withdraw": placed_form(lambda w, p, r: f"/staff/publications/{p.publication.id}/withdraw",
                                       PUBLISHERS, PUBLISHERS_POST),
    # ------------------------------------------------------------------ reports
    "reports.export": [
        get(fixed("/staff/reports/export.csv"), REPORTERS),
        *[placed("GET", export_url(fmt), REPORT_PLACED) for fmt in ("csv", "xlsx", "docx")],
    ],
    "reports.index": [get(fixed("/staff/reports/"), REPORTERS),
                      placed("GET", lambda w, p, r: f"/staff/reports/?unit={p.unit.id}", REPORT_PLACED)],
    "reports.requests": [
        get(fixed("/staff/reports/requests?metric=received"), REPORTERS),
        placed("GET", lambda w, p, r: f"/staff/reports/requests?metric=received&unit={p.unit.id}", REPORT_PLACED),
    ],
}


# --------------------------------------------------------------------------- the shared world


@dataclass
class Matrix:
    """The app, the world and a signed session per role (built once for the module)."""

    app: Flask
    world: World
    cookies: dict[str, str | None]


@pytest.fixture(scope="module")
def matrix(make_app: Callable[..., Flask], _schema: None) -> Iterator[Matrix]:
    """Build the world once for the module and sign every role in."""
    with module_world(make_app) as (app, world):
        cookies: dict[str, str | None] = {"anonymous": None}
        for role in ROLES:
            cookies[role] = session_cookie(sign_in(app, world.actors[role]))
        yield Matrix(app, world, cookies)


# --------------------------------------------------------------------------- checks


def _expected(spec: Spec, place: str | None) -> Spec:
    if isinstance(spec, tuple):
        assert place is not None, "a per-place expectation on a probe without places"
        return spec[PLACES.index(place)]
    return spec


def _status_problem(expected: Spec, response: Any) -> str | None:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == L:
        ok = status == 302 and location == "/login"
    elif expected == OK:
        ok = status < 500 and status not in (401, 403, 404) and not (status == 302 and location == "/login")
    elif expected == 302:
        ok = status == 302 and location != "/login"
    else:
        ok = status == expected
    if ok:
        return None
    return f"expected {expected}, got {status}" + (f" → {location}" if location else "")


def _run_probe(m: Matrix, endpoint: str, probe: Probe, clients: dict[str, Any]) -> list[str]:
    """Make every request of a probe; return the problems found."""
    failures: list[str] = []
    cells = [(user, place) for user in USERS for place in (PLACES if probe.placed else (None,))]
    allowed = [c for c in cells if _expected(probe.expect[c[0]], c[1]) == OK]
    others = [c for c in cells if c not in allowed]

    def run(user: str, place: str | None) -> None:
        p = m.world.places[place] if place else None
        url = probe.url(m.world, p, user)
        data = dict(PROBE_DATA) if probe.method == "POST" else None
        response, body = fetch(clients[user], probe.method, url, data)
        where = f"{probe.method} {url} as {user}" + (f" ({place})" if place else "")
        expected = _expected(probe.expect[user], place)
        if problem := _status_problem(expected, response):
            failures.append(f"{where}: {problem}")
        groups = probe.allowed_groups(place) if place else frozenset()
        if leaks := leaked_markers(m.world, user, body, allowed=groups):
            failures.append(f"{where}: leaks {leaks}")
        if problems := header_problems(response, endpoint):
            failures.append(f"{where}: headers {problems}")
        if response.mimetype == "text/html":
            if problems := inline_code_problems(body):
                failures.append(f"{where}: {problems}")

    before = fingerprint()
    for user, place in others:
        run(user, place)
    if fingerprint() != before:
        failures.append(f"{probe.method} {endpoint}: a denied or read-only request changed the database")
    with dry_run():
        for user, place in allowed:
            run(user, place)
    assert fingerprint() == before, "the dry run of allowed actions left changes behind (harness broken)"
    return failures


# --------------------------------------------------------------------------- tests


def test_every_endpoint_has_an_entry(matrix: Matrix) -> None:
    """The table covers the URL map exactly: a new endpoint must come with its expectations."""
    endpoints = {rule.endpoint for rule in matrix.app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - set(TABLE))
    stale = sorted(set(TABLE) - endpoints)
    assert not missing, f"endpoints without an access-matrix entry: {missing}"
    assert not stale, f"entries for endpoints that no longer exist: {stale}"


def test_every_method_of_every_endpoint_is_probed(matrix: Matrix) -> None:
    """Each endpoint's GET and POST are both in its entry, and every probe reaches that endpoint."""
    adapter = matrix.app.url_map.bind("localhost")
    w = matrix.world
    for rule in matrix.app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        probes = TABLE[rule.endpoint]
        wanted = (rule.methods or set()) & {"GET", "POST"}
        assert wanted <= {p.method for p in probes}, f"{rule.endpoint}: probe every one of {sorted(wanted)}"
        for probe in probes:
            place = w.places["own"] if probe.placed else None
            path = urlsplit(probe.url(w, place, "head")).path
            endpoint, _args = adapter.match(path, method=probe.method)
            assert endpoint == rule.endpoint, f"{probe.method} {path} reaches {endpoint}, not {rule.endpoint}"
            for user in USERS:
                assert user in probe.expect, f"{rule.endpoint}: no expectation for {user}"


@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_endpoint(endpoint: str, matrix: Matrix) -> None:
    """Every user gets exactly the expected status for every object, and nothing they may not see."""
    clients = {user: client_with(matrix.app, matrix.cookies[user]) for user in USERS}
    failures: list[str] = []
    for probe in TABLE[endpoint]:
        failures += _run_probe(matrix, endpoint, probe, clients)
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)


def _methods_at(app: Flask, path: str) -> set[str]:
    """Return the methods some rule accepts at this path."""
    adapter = app.url_map.bind("localhost")
    accepted = set()
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        try:
            adapter.match(path, method=method)
        except MethodNotAllowed:
            continue
        except NotFound:
            continue
        accepted.add(method)
    return accepted


@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_other_methods_are_405(endpoint: str, matrix: Matrix) -> None:
    """Methods no rule accepts at an endpoint's URL get 405 (as anonymous and as the head)."""
    w = matrix.world
    failures = []
    probe = TABLE[endpoint][0]
    url = probe.url(w, w.places["own"] if probe.placed else None, "head")
    refused = {"GET", "POST", "PUT", "DELETE", "PATCH"} - _methods_at(matrix.app, urlsplit(url).path)
    assert {"PUT", "DELETE", "PATCH"} <= refused, f"{endpoint} accepts a method it should not: {url}"
    before = fingerprint()
    for user in ("anonymous", "head"):
        client = client_with(matrix.app, matrix.cookies[user])
        for method in sorted(refused):
            response, _body = fetch(client, method, url, dict(PROBE_DATA))
            if response.status_code != 405:
                failures.append(f"{method} {url} as {user}: {response.status_code}")
            if problems := header_problems(response, None):  # an error page, not the endpoint's page
                failures.append(f"{method} {url} as {user}: headers {problems}")
    assert fingerprint() == before
    assert not failures, "\n".join(failures)


def test_markers_do_show_where_they_may(matrix: Matrix) -> None:
    """Control: the leak check is not vacuous. The own unit's staff do see the own markers."""
    w = matrix.world
    own, sibling = w.places["own"], w.places["sibling"]
    clerk = client_with(matrix.app, matrix.cookies["clerk"])
    _response, body = fetch(clerk, "GET", f"/staff/requests/{own.secret.id}")
    assert leaked_markers(w, "anonymous", body) == [f"own: {m}" for m in own.markers]
    _response, body = fetch(clerk, "GET", "/staff/requests/new?jq=" + own.answered.journalist.name.split(" ", 1)[1])
    assert own.contact_markers[0] in body.decode(), "the journalist search finds the unit's own journalist"
    overseer = client_with(matrix.app, matrix.cookies["overseer"])
    _response, body = fetch(overseer, "GET", f"/staff/reports/export.csv?unit={sibling.unit.id}&table=requests")
    assert sibling.markers[0] in body.decode("utf-8-sig"), "the district's overseer exports the sibling's requests"
